"""``backoffice inventory items|valuation|movements`` over a small warehouse."""

from __future__ import annotations

import orjson
from typer.testing import CliRunner

from backoffice.cli.main import app as cli
from backoffice.container import build_system
from tests.inventory.service_support import Desk, open_warehouse


def test_items_valuation_and_movements(sqlite_url: str) -> None:
    system = build_system(sqlite_url)
    try:
        inventory = open_warehouse(system.app)
        desk = Desk("BOLT")
        first = inventory.record(desk.receipt("10", "2.00", "2026-03-10"))
        issued = inventory.record(desk.issue("5", "2026-03-20"))
        inventory.record(desk.receipt("10", "1.00", "2026-03-01"))
    finally:
        system.close()
    runner = CliRunner()

    items = runner.invoke(cli, ["inventory", "items", "--json", "--database", sqlite_url])
    assert items.exit_code == 0, items.output
    rows = {row["sku"]: row for row in orjson.loads(items.output)}
    assert rows["BOLT"]["qty"] == "15"
    assert (rows["BOLT"]["value_fifo"], rows["BOLT"]["value_moving_average"]) == ("25.00", "22.50")
    assert rows["NUT"]["qty"] == "0"

    valued = runner.invoke(
        cli,
        [
            "inventory",
            "valuation",
            "BOLT",
            "--as-of-date",
            "2026-03-15",
            "--json",
            "--database",
            sqlite_url,
        ],
    )
    assert valued.exit_code == 0, valued.output
    view = orjson.loads(valued.output)
    assert (view["qty"], view["value"], len(view["layers"])) == ("20", "30.00", 2)

    moved = runner.invoke(
        cli, ["inventory", "movements", "BOLT", "--json", "--database", sqlite_url]
    )
    assert moved.exit_code == 0, moved.output
    history = orjson.loads(moved.output)
    assert [m["id"] for m in history[:2]] == [first.id, issued.id]
    assert history[2]["corrections"][0]["delta"] == "-5.00"
    table = runner.invoke(cli, ["inventory", "movements", "BOLT", "--database", sqlite_url])
    assert table.exit_code == 0 and "receipt" in table.output

    unknown = runner.invoke(cli, ["inventory", "valuation", "NOPE", "--database", sqlite_url])
    assert unknown.exit_code == 2
    assert "unknown_item" in unknown.output
