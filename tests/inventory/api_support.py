"""The inventory API over a running harness: a chart for two items, ``BOLT`` (FIFO)
and ``NUT`` (moving average), in USD with whole units, and two locations."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from tests.api.support import ApiHarness

CLERK = "inventory"
SHARED = [
    ("Expenses:COGS", "expense"),
    ("Liabilities:GRNI", "liability"),
    ("Expenses:StockWriteOff", "expense"),
    ("Income:StockCountGain", "income"),
    ("Expenses:PriceVariance", "expense"),
]
_skus = itertools.count(1)


def accounts_of(sku: str) -> dict[str, str]:
    return {
        "inventory": f"Assets:Inventory:{sku}",
        "cogs": "Expenses:COGS",
        "grni": "Liabilities:GRNI",
        "write_off": "Expenses:StockWriteOff",
        "count_gain": "Income:StockCountGain",
        "price_variance": "Expenses:PriceVariance",
    }


def open_account(api: ApiHarness, code: str, kind: str) -> None:
    body = {"code": code, "name": code, "type": kind, "assets": ["USD"], "flags": []}
    response = api.post("/v1/accounts", "admin", body)
    assert response.status_code in (201, 409), response.text


def open_books(api: ApiHarness) -> None:
    for code, kind in SHARED:
        open_account(api, code, kind)
    for code, name in (("MAIN", "Main warehouse"), ("SHOP", "Shop floor")):
        response = api.post("/v1/inventory/locations", CLERK, {"code": code, "name": name})
        assert response.status_code in (201, 409), response.text


def item_body(sku: str, method: str) -> dict[str, Any]:
    return {
        "sku": sku,
        "name": f"{sku} item",
        "unit": "each",
        "quantity_scale": 0,
        "costing_method": method,
        "asset": "USD",
        "accounts": accounts_of(sku),
    }


def new_item(api: ApiHarness, method: str = "fifo", prefix: str = "SKU") -> str:
    sku = f"{prefix}-{next(_skus)}"
    open_account(api, accounts_of(sku)["inventory"], "asset")
    response = api.post("/v1/inventory/items", CLERK, item_body(sku, method))
    assert response.status_code == 201, response.text
    return sku


def receipt(sku: str, qty: str, unit_cost: str, on: str, location: str = "MAIN") -> dict[str, Any]:
    return {
        "item": sku,
        "location": location,
        "qty": qty,
        "unit_cost": unit_cost,
        "supplier_ref": "PO-1",
        "effective_date": on,
    }


def issue(sku: str, qty: str, on: str, location: str = "MAIN") -> dict[str, Any]:
    return {"item": sku, "location": location, "qty": qty, "reason": "sale", "effective_date": on}


def receive(api: ApiHarness, sku: str, qty: str, unit_cost: str, on: str) -> dict[str, Any]:
    response = api.post("/v1/inventory/receipts", CLERK, receipt(sku, qty, unit_cost, on))
    assert response.status_code == 201, response.text
    return dict(response.json())


class MatrixInventory:
    """Fresh inventory resources for the role matrix (tests/api/test_roles.py): one
    shared inventory account, a FIFO item with stock at ``MAIN`` and its receipt."""

    def __init__(self, api: ApiHarness) -> None:
        self.api = api
        self._stocked: tuple[str, str] | None = None
        self._opened = False

    def _ready(self) -> None:
        if self._stocked is not None:
            return
        sku = self.item()
        receipt_id = receive(self.api, sku, "100000", "1.00", "2026-01-02")["id"]
        self._stocked = (sku, receipt_id)

    def item_body(self) -> dict[str, Any]:
        body = item_body(f"MX-{next(_skus)}", "fifo")
        body["accounts"] = {**body["accounts"], "inventory": "Assets:Inventory:Matrix"}
        return body

    def item(self) -> str:
        if not self._opened:
            self._opened = True
            open_books(self.api)
            open_account(self.api, "Assets:Inventory:Matrix", "asset")
        body = self.item_body()
        response = self.api.post("/v1/inventory/items", CLERK, body)
        assert response.status_code == 201, response.text
        return str(body["sku"])

    @property
    def stocked(self) -> str:
        self._ready()
        assert self._stocked is not None
        return self._stocked[0]

    @property
    def receipt(self) -> str:
        self._ready()
        assert self._stocked is not None
        return self._stocked[1]


_matrices: dict[int, MatrixInventory] = {}


def matrix(api: ApiHarness) -> MatrixInventory:
    found = _matrices.get(id(api))
    if found is None or found.api is not api:
        found = _matrices[id(api)] = MatrixInventory(api)
    return found


def inventory_calls(
    call: Callable[..., Any],
) -> dict[tuple[str, str], tuple[Callable[[Any], Any], int]]:
    """The role matrix's calls of every /v1/inventory endpoint (``call``: its ``Call``)."""
    on = "2026-02-01"

    def m(world: Any) -> MatrixInventory:
        return matrix(world.api)

    def movement(path: str, body: Callable[[MatrixInventory], dict[str, Any]]) -> tuple[Any, int]:
        return (lambda w: call(f"/v1/inventory/{path}", body(m(w))), 201)

    return {
        ("POST", "/v1/inventory/items"): (
            lambda w: (m(w).stocked, call("/v1/inventory/items", m(w).item_body()))[1],
            201,
        ),
        ("GET", "/v1/inventory/items"): (lambda w: call("/v1/inventory/items"), 200),
        ("GET", "/v1/inventory/items/{sku}"): (
            lambda w: call(f"/v1/inventory/items/{m(w).stocked}"),
            200,
        ),
        ("GET", "/v1/inventory/items/{sku}/movements"): (
            lambda w: call(f"/v1/inventory/items/{m(w).stocked}/movements"),
            200,
        ),
        ("POST", "/v1/inventory/locations"): (
            lambda w: call(
                "/v1/inventory/locations", {"code": f"LOC-{next(_skus)}", "name": "bay"}
            ),
            201,
        ),
        ("POST", "/v1/inventory/receipts"): movement(
            "receipts", lambda x: receipt(x.stocked, "1", "1.00", on)
        ),
        ("POST", "/v1/inventory/issues"): movement("issues", lambda x: issue(x.stocked, "1", on)),
        ("POST", "/v1/inventory/transfers"): movement(
            "transfers",
            lambda x: {
                "item": x.stocked,
                "from_location": "MAIN",
                "to_location": "SHOP",
                "qty": "1",
                "effective_date": on,
            },
        ),
        ("POST", "/v1/inventory/returns"): movement(
            "returns",
            lambda x: {
                "item": x.stocked,
                "location": "MAIN",
                "receipt": x.receipt,
                "qty": "1",
                "effective_date": on,
            },
        ),
        ("POST", "/v1/inventory/adjustments"): movement(
            "adjustments",
            lambda x: {
                "item": x.stocked,
                "location": "MAIN",
                "qty_delta": "-1",
                "reason": "damaged",
                "effective_date": on,
            },
        ),
        ("POST", "/v1/inventory/counts"): movement(
            "counts",
            lambda x: {
                "item": x.item(),
                "location": "MAIN",
                "counted_qty": "3",
                "unit_cost": "1.00",
                "reason": "count",
                "effective_date": on,
            },
        ),
        ("GET", "/v1/inventory/valuation"): (
            lambda w: call("/v1/inventory/valuation", params={"item": m(w).stocked}),
            200,
        ),
        ("GET", "/v1/inventory/cogs"): (
            lambda w: call(
                "/v1/inventory/cogs", params={"item": m(w).stocked, "period": "2026-02"}
            ),
            200,
        ),
    }


@dataclass(frozen=True)
class _Known:
    path: str
    body: Any = None
    params: dict[str, str] | None = None


def inventory_known_good(
    world: Any, label: str
) -> tuple[dict[str, Any], dict[str, Any] | None, Any, int]:
    """The schemathesis run's request that must succeed for an inventory operation
    (tests/api/test_schemathesis.py): path parameters, query, body, status."""
    method, route = label.split(" ", 1)
    prepare, status = inventory_calls(_Known)[(method, route)]
    call = prepare(world)
    path = {"sku": matrix(world.api).stocked} if "{sku}" in route else {}
    return path, call.params, call.body, status


def known_sku(api: ApiHarness) -> dict[str, str]:
    return {"sku": matrix(api).stocked}
