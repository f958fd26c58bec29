"""The inventory API over HTTP, on both backends: exact figures of receipts and
issues under both methods, a back-dated receipt answering its corrections, a
refused issue writing nothing, idempotent replays, valuation as of a date and a
position, movements and COGS per period, and who may call what."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.api.support import ApiHarness, new_key, running_api
from tests.inventory.api_support import (
    CLERK,
    issue,
    item_body,
    new_item,
    open_books,
    receipt,
    receive,
)


@pytest.fixture
def api(database_url: str) -> Iterator[ApiHarness]:
    with running_api(database_url) as harness:
        open_books(harness)
        yield harness


def test_fifo_receipts_and_an_issue_with_exact_figures(api: ApiHarness) -> None:
    sku = new_item(api, "fifo")
    first = receive(api, sku, "10", "2.50", "2026-03-01")
    assert (first["kind"], first["value"], first["on_hand_after"]) == (
        "receipt",
        "25.00",
        {"MAIN": "10"},
    )
    assert first["layers_consumed"] == [] and first["corrections"] == []
    second = receive(api, sku, "5", "3.125", "2026-03-02")
    assert second["value"] == "15.62"  # ROUND_HALF_EVEN(15.625)
    assert second["position"] > first["position"]

    response = api.post("/v1/inventory/issues", CLERK, issue(sku, "12", "2026-03-05"))
    assert response.status_code == 201, response.text
    issued = response.json()
    assert issued["kind"] == "issue"
    assert issued["cost"] == "31.25"  # 25.00 whole + ROUND(2 x 3.125) = 6.25
    assert "value" not in issued
    assert issued["layers_consumed"] == [
        {"receipt": first["id"], "qty": "10", "value": "25.00"},
        {"receipt": second["id"], "qty": "2", "value": "6.25"},
    ]
    assert issued["on_hand_after"] == {"MAIN": "3"}
    notification = api.system.app.recorder.select_notifications(start=issued["position"], limit=1)[
        0
    ]
    assert notification.topic.endswith("GoodsIssued")

    valuation = api.get("/v1/inventory/valuation", params={"item": sku}).json()
    assert (valuation["method"], valuation["qty"], valuation["value"]) == ("fifo", "3", "9.37")
    assert valuation["layers"] == [
        {"receipt": second["id"], "qty": "3", "unit_cost": "3.125000", "value": "9.37"}
    ]


def test_moving_average_issue_and_emptied_stock(api: ApiHarness) -> None:
    sku = new_item(api, "moving_average")
    receive(api, sku, "10", "2.50", "2026-03-01")
    receive(api, sku, "5", "3.00", "2026-03-02")
    first = api.post("/v1/inventory/issues", CLERK, issue(sku, "7", "2026-03-05")).json()
    assert first["cost"] == "18.67"  # ROUND(40.00 x 7 / 15) = 18.666...
    assert first["layers_consumed"] == []
    rest = api.post("/v1/inventory/issues", CLERK, issue(sku, "8", "2026-03-06")).json()
    assert rest["cost"] == "21.33"  # the whole remaining value: no residue
    assert rest["on_hand_after"] == {"MAIN": "0"}
    valuation = api.get("/v1/inventory/valuation", params={"item": sku}).json()
    assert (valuation["qty"], valuation["value"]) == ("0", "0.00")
    cogs = api.get("/v1/inventory/cogs", params={"item": sku, "period": "2026-03"}).json()
    assert (cogs["cogs"], cogs["issues"], cogs["write_offs"]) == ("40.00", 2, "0.00")


def test_a_backdated_receipt_answers_its_corrections(api: ApiHarness) -> None:
    sku = new_item(api, "fifo")
    receive(api, sku, "10", "2.00", "2026-03-10")
    issued = api.post("/v1/inventory/issues", CLERK, issue(sku, "5", "2026-03-20")).json()
    assert issued["cost"] == "10.00"
    before = api.get("/v1/inventory/valuation", params={"item": sku}).json()

    backdated = receive(api, sku, "10", "1.00", "2026-03-01")
    assert backdated["corrections"] == [
        {"movement": issued["id"], "cost_before": "10.00", "cost_after": "5.00", "delta": "-5.00"}
    ]
    now = api.get("/v1/inventory/valuation", params={"item": sku}).json()
    assert (now["qty"], now["value"]) == ("15", "25.00")
    as_of = api.get(
        "/v1/inventory/valuation", params={"item": sku, "as_of_position": issued["position"]}
    ).json()
    assert (as_of["qty"], as_of["value"]) == (before["qty"], before["value"]) == ("5", "10.00")
    by_date = api.get(
        "/v1/inventory/valuation",
        params={"item": sku, "as_of_date": "2026-03-05", "method": "moving_average"},
    ).json()
    assert (by_date["method"], by_date["qty"], by_date["value"]) == (
        "moving_average",
        "10",
        "10.00",
    )
    assert "layers" not in by_date

    history = api.get(f"/v1/inventory/items/{sku}/movements").json()["movements"]
    assert [m["kind"] for m in history] == ["receipt", "issue", "receipt"]
    assert history[2]["corrections"] == backdated["corrections"]
    assert history[1]["position"] == issued["position"]
    cogs = api.get("/v1/inventory/cogs", params={"item": sku, "period": "2026"}).json()
    assert cogs["cogs"] == "5.00"  # as valued now


def test_a_refused_issue_writes_nothing(api: ApiHarness) -> None:
    sku = new_item(api, "fifo")
    receive(api, sku, "3", "1.00", "2026-03-01")
    issued = api.post("/v1/inventory/issues", CLERK, issue(sku, "2", "2026-03-10")).json()
    before = api.event_count()
    # Short at its own date, and a back-dated one short at a later point.
    for body in (issue(sku, "4", "2026-03-05"), issue(sku, "2", "2026-03-02")):
        response = api.post("/v1/inventory/issues", CLERK, body)
        assert response.status_code == 409, response.text
        assert response.headers["content-type"].startswith("application/problem+json")
        assert response.json()["code"] == "insufficient_stock"
    unknown = api.post("/v1/inventory/issues", CLERK, issue("NO-SUCH", "1", "2026-03-10"))
    assert unknown.status_code == 404 and unknown.json()["code"] == "unknown_item"
    bad_qty = api.post("/v1/inventory/issues", CLERK, issue(sku, "1.5", "2026-03-10"))
    assert bad_qty.status_code == 422, bad_qty.text
    gain = api.post(
        "/v1/inventory/adjustments",
        CLERK,
        {
            "item": sku,
            "location": "MAIN",
            "qty_delta": "2",
            "reason": "found",
            "effective_date": "2026-03-11",
        },
    )
    assert gain.status_code == 422 and gain.json()["code"] == "invalid_stock_movement"
    assert api.event_count() == before
    valuation = api.get("/v1/inventory/valuation", params={"item": sku}).json()
    assert (valuation["qty"], valuation["value"]) == ("1", "1.00")
    assert issued["on_hand_after"] == {"MAIN": "1"}


def test_movements_replay_under_their_key(api: ApiHarness) -> None:
    sku = new_item(api, "fifo")
    key = new_key("receipt")
    body = receipt(sku, "4", "1.25", "2026-03-01")
    first = api.post("/v1/inventory/receipts", CLERK, body, key=key)
    assert first.status_code == 201, first.text
    size = api.event_count()
    again = api.post("/v1/inventory/receipts", CLERK, body, key=key)
    assert again.status_code == 201
    assert again.content == first.content
    assert again.headers["Idempotency-Replayed"] == "true"
    assert api.event_count() == size
    reused = api.post("/v1/inventory/receipts", CLERK, {**body, "qty": "5"}, key=key)
    assert reused.status_code == 422 and reused.json()["code"] == "idempotency_key_reused"
    assert api.event_count() == size
    duplicate = api.post("/v1/inventory/items", CLERK, item_body(sku, "fifo"))
    assert duplicate.status_code == 409 and duplicate.json()["code"] == "item_already_exists"


def test_transfer_return_and_count(api: ApiHarness) -> None:
    sku = new_item(api, "fifo")
    first = receive(api, sku, "10", "2.00", "2026-03-01")
    moved = api.post(
        "/v1/inventory/transfers",
        CLERK,
        {
            "item": sku,
            "from_location": "MAIN",
            "to_location": "SHOP",
            "qty": "4",
            "effective_date": "2026-03-02",
        },
    ).json()
    assert (moved["cost"], moved["on_hand_after"]) == ("8.00", {"MAIN": "6", "SHOP": "4"})
    returned = api.post(
        "/v1/inventory/returns",
        CLERK,
        {
            "item": sku,
            "location": "MAIN",
            "receipt": first["id"],
            "qty": "1",
            "effective_date": "2026-03-03",
        },
    ).json()
    assert (returned["cost"], returned["price_variance"]) == ("2.00", "0.00")
    counted = api.post(
        "/v1/inventory/counts",
        CLERK,
        {
            "item": sku,
            "location": "MAIN",
            "counted_qty": "3",
            "reason": "count",
            "effective_date": "2026-03-04",
        },
    )
    assert counted.status_code == 201, counted.text
    assert (counted.json()["cost"], counted.json()["on_hand_after"]) == ("4.00", {"MAIN": "3"})
    cogs = api.get("/v1/inventory/cogs", params={"item": sku, "period": "2026-03"}).json()
    assert (cogs["cogs"], cogs["write_offs"]) == ("0.00", "4.00")
    items = api.get("/v1/inventory/items").json()["items"]
    assert sku in [item["sku"] for item in items]


WRITE_ROUTES = (
    "items",
    "locations",
    "receipts",
    "issues",
    "transfers",
    "returns",
    "adjustments",
    "counts",
)


@pytest.mark.parametrize("role", ["poster", "approver", "auditor", "compliance", "admin"])
def test_only_the_inventory_role_writes_and_every_role_reads(api: ApiHarness, role: str) -> None:
    sku = new_item(api, "fifo")
    receive(api, sku, "2", "1.00", "2026-03-01")
    for route in WRITE_ROUTES:
        response = api.post(f"/v1/inventory/{route}", role, {})
        assert response.status_code == 403, (route, response.text)
        assert response.json()["code"] == "forbidden"
    for path, params in (
        ("/v1/inventory/items", None),
        (f"/v1/inventory/items/{sku}", None),
        (f"/v1/inventory/items/{sku}/movements", None),
        ("/v1/inventory/valuation", {"item": sku}),
        ("/v1/inventory/cogs", {"item": sku, "period": "2026-03"}),
    ):
        for reader in (role, CLERK):
            response = api.get(path, reader, params=params)
            assert response.status_code == 200, (path, reader, response.text)
