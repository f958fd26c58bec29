"""The inventory reports: valuation at a date by both methods with their
difference, COGS and write-offs per period, and the movements register; JSON
and CSV, byte-identical at the same position, on both backends."""

from __future__ import annotations

from typing import Any

import orjson

from backoffice.container import System
from projections.reports.service import ReportService
from tests.inventory.service_support import Desk, open_warehouse


def render(system: System, name: str, parameters: dict[str, str], at: int | None = None,
           format: str = "json") -> bytes:  # fmt: skip
    service = ReportService(system.database, system.app)
    output = service.start(service.prepare(name, parameters, at))
    return b"".join(output.json_chunks() if format == "json" else output.csv_chunks())


def rows(
    system: System, name: str, parameters: dict[str, str], at: int | None = None
) -> dict[str, Any]:
    document = orjson.loads(render(system, name, parameters, at))
    return {row["key"]: row for row in document["rows"]}


def story(system: System) -> dict[str, str]:
    inventory = open_warehouse(system.app)
    ids = {}
    for sku in ("BOLT", "NUT"):
        desk = Desk(sku)
        inventory.record(desk.receipt("10", "2.00", "2026-03-10"))
        ids[sku] = inventory.record(desk.issue("5", "2026-03-20")).id
        inventory.record(desk.receipt("10", "1.00", "2026-03-01"))  # back-dated
        inventory.record(desk.count("13", "2026-04-02"))  # 15 on hand: a write-off of 2
    return ids


def test_valuation_at_a_date_by_both_methods(system: System) -> None:
    story(system)
    now = rows(system, "inventory-valuation", {})
    assert now["BOLT/MAIN"]["qty"] == "13"
    bolt = now["BOLT/(total)"]
    assert (bolt["method"], bolt["qty"]) == ("fifo", "13")
    # FIFO: 5 of the 1.00 layer issued, 2 more written off -> 3 x 1.00 + 10 x 2.00
    assert (bolt["value_fifo"], bolt["value_moving_average"], bolt["difference"]) == (
        "23.00",
        "19.50",
        "3.50",
    )
    march = rows(system, "inventory-valuation", {"as_of_date": "2026-03-31"})
    assert (march["NUT/MAIN"]["qty"], march["NUT/MAIN"]["value_fifo"]) == ("15", "25.00")
    assert march["NUT/MAIN"]["value_moving_average"] == "22.50"
    assert march["NUT/MAIN"]["method"] == "moving_average"
    head = system.app.recorder.max_notification_id()
    assert render(system, "inventory-valuation", {}, head) == render(
        system, "inventory-valuation", {}, head
    )
    csv = render(system, "inventory-valuation", {}, head, format="csv").decode()
    assert "BOLT/(total)" in csv


def test_cogs_and_write_offs_per_period(system: System) -> None:
    story(system)
    march = rows(system, "inventory-cogs", {"period": "2026-03"})
    assert march["BOLT"]["cogs"] == "5.00"  # corrected by the back-dated receipt
    assert (march["BOLT"]["cogs_fifo"], march["BOLT"]["cogs_moving_average"]) == ("5.00", "7.50")
    assert (march["NUT"]["cogs"], march["NUT"]["issues"]) == ("7.50", 1)
    april = rows(system, "inventory-cogs", {"period": "2026-04"})
    assert (april["BOLT"]["cogs"], april["BOLT"]["write_offs"]) == ("0.00", "2.00")
    assert april["NUT"]["write_offs"] == "3.00"  # 2 x 22.50 / 15


def test_the_movements_register(system: System) -> None:
    ids = story(system)
    register = orjson.loads(render(system, "inventory-movements", {}))["rows"]
    bolt = [row for row in register if row["item"] == "BOLT"]
    assert [row["kind"] for row in bolt] == ["receipt", "receipt", "issue", "write_off"]
    assert [row["effective_date"] for row in bolt] == [
        "2026-03-01",
        "2026-03-10",
        "2026-03-20",
        "2026-04-02",
    ]
    issued = next(row for row in bolt if row["movement"] == ids["BOLT"])
    assert (issued["cost"], issued["value"], issued["qty"]) == ("5.00", "", "5")
    april = orjson.loads(render(system, "inventory-movements", {"period": "2026-04"}))["rows"]
    assert [row["kind"] for row in april] == ["write_off", "write_off"]
