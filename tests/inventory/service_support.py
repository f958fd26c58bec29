"""A small warehouse for the inventory service tests, on a real ``BackOffice``.

Two items on their own inventory accounts (so each account's balance is one
item's layers): ``BOLT`` valued FIFO, ``NUT`` moving average, both in USD with
whole units; two locations, ``MAIN`` and ``SHOP``. Amounts and quantities are
written as callers send them, as decimal strings.
"""

from __future__ import annotations

import itertools
from typing import Any
from uuid import UUID

from domain.application import BackOffice
from domain.inventory.commands import (
    AdjustStock,
    IssueGoods,
    ReceiveGoods,
    ReturnToSupplier,
    TransferStock,
)
from domain.inventory.service import Inventory
from domain.kernel.context import Context

CLERK = Context(actor="clerk@example.test", correlation_id="corr-inventory-tests")

SHARED_ACCOUNTS = [
    ("Expenses:COGS", "Cost of goods sold", "expense"),
    ("Liabilities:GRNI", "Goods received not invoiced", "liability"),
    ("Expenses:StockWriteOff", "Stock write-offs", "expense"),
    ("Income:StockCountGain", "Stock count gains", "income"),
    ("Expenses:PriceVariance", "Purchase price variance", "expense"),
]
ITEMS = {"BOLT": "fifo", "NUT": "moving_average"}


def inventory_account(sku: str) -> str:
    return f"Assets:Inventory:{sku}"


def accounts_of(sku: str) -> dict[str, str]:
    return {
        "inventory": inventory_account(sku),
        "cogs": "Expenses:COGS",
        "grni": "Liabilities:GRNI",
        "write_off": "Expenses:StockWriteOff",
        "count_gain": "Income:StockCountGain",
        "price_variance": "Expenses:PriceVariance",
    }


def open_warehouse(app: BackOffice, items: dict[str, str] = ITEMS) -> Inventory:
    for code, name, account_type in SHARED_ACCOUNTS:
        app.open_account(CLERK, code, name, account_type, ["USD"])
    inventory = Inventory(app)
    for sku, method in items.items():
        app.open_account(CLERK, inventory_account(sku), f"Inventory {sku}", "asset", ["USD"])
        inventory.open_item(
            CLERK,
            sku=sku,
            name=f"{sku} item",
            unit="each",
            quantity_scale=0,
            costing_method=method,
            asset="USD",
            accounts=accounts_of(sku),
        )
    inventory.open_location(CLERK, "MAIN", "Main warehouse")
    inventory.open_location(CLERK, "SHOP", "Shop floor")
    return inventory


class Desk:
    """Builds movement commands of one item with fresh movement ids."""

    _ids = itertools.count(1)

    def __init__(self, sku: str) -> None:
        self.sku = sku

    @classmethod
    def next_id(cls, prefix: str) -> str:
        return f"{prefix}-{next(cls._ids)}"

    def receipt(
        self, qty: str, unit_cost: str, on: str, location: str = "MAIN", **kw: Any
    ) -> ReceiveGoods:
        return ReceiveGoods(
            CLERK,
            kw.pop("movement_id", self.next_id("R")),
            self.sku,
            location,
            qty,
            unit_cost,
            on,
            supplier_ref=kw.pop("supplier_ref", "PO-1"),
        )

    def issue(
        self, qty: str, on: str, location: str = "MAIN", reason: str = "sale", **kw: Any
    ) -> IssueGoods:
        return IssueGoods(
            CLERK, kw.pop("movement_id", self.next_id("I")), self.sku, location, qty, reason, on
        )

    def transfer(
        self, qty: str, on: str, source: str = "MAIN", destination: str = "SHOP"
    ) -> TransferStock:
        return TransferStock(CLERK, self.next_id("T"), self.sku, source, destination, qty, on)

    def ret(self, receipt: str, qty: str, on: str, location: str = "MAIN") -> ReturnToSupplier:
        return ReturnToSupplier(CLERK, self.next_id("X"), self.sku, location, receipt, qty, on)

    def adjust(
        self, qty_delta: str, on: str, unit_cost: str | None = None, location: str = "MAIN"
    ) -> AdjustStock:
        return AdjustStock(
            CLERK,
            self.next_id("A"),
            self.sku,
            location,
            "stock count",
            on,
            qty_delta=qty_delta,
            unit_cost=unit_cost,
        )

    def count(
        self, counted: str, on: str, unit_cost: str | None = None, location: str = "MAIN"
    ) -> AdjustStock:
        return AdjustStock(
            CLERK,
            self.next_id("C"),
            self.sku,
            location,
            "stock count",
            on,
            counted_qty=counted,
            unit_cost=unit_cost,
        )


def lines_of(app: BackOffice, entry_id: UUID | None) -> list[tuple[str, str, int]]:
    """(account, direction, amount_minor) of an entry, sorted."""
    assert entry_id is not None
    return sorted((p.account, p.direction, p.amount_minor) for p in app.get_entry(entry_id).lines)


def log_size(app: BackOffice) -> int:
    return int(app.recorder.max_notification_id() or 0)


def ledger_balance(system: Any) -> Any:
    def balance_of(account: str, asset: str) -> int:
        balance = system.projections.balance(account)
        return sum(line.net_minor for line in balance.lines if line.asset == asset)

    return balance_of
