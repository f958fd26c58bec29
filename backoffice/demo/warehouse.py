"""The demo's warehouse: two locations, a dozen items valued FIFO or moving
average, and a quarter of stock movements (October to December, open months).

Receipts from suppliers, sales and consumption, a transfer to the shop floor,
a receipt recorded in December but dated in October (the later outflows'
costs it changes are corrected by new events and entries, printed), a return
to the supplier and a year-end stock count. Every movement names its id
(``WH-...``): a second run finds each one recorded and writes nothing.
"""

from __future__ import annotations

import contextlib
import random
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING

from domain.inventory.commands import (
    AdjustStock,
    IssueGoods,
    MovementCommand,
    ReceiveGoods,
    ReturnToSupplier,
    TransferStock,
)
from domain.inventory.errors import ItemAlreadyExists, LocationAlreadyExists
from domain.inventory.results import MovementOutcome
from domain.inventory.service import Inventory
from domain.kernel.context import Context
from domain.kernel.errors import DomainError
from domain.kernel.money import format_amount
from domain.ledger.errors import AccountAlreadyExists

if TYPE_CHECKING:
    from backoffice.demo.ledger_year import DemoCompany

MAIN, SHOP = "WH-MAIN", "WH-SHOP"
LOCATIONS = {MAIN: "Main warehouse", SHOP: "Shop floor"}
GRNI = "Liabilities:GoodsReceivedNotInvoiced"  # the billing policy's default: bills clear it
INVENTORY_ACCOUNT = {"fifo": "Assets:Inventory:FIFO", "moving_average": "Assets:Inventory:Average"}
ACCOUNTS: list[tuple[str, str, str]] = [
    (INVENTORY_ACCOUNT["fifo"], "Stock valued FIFO", "asset"),
    (INVENTORY_ACCOUNT["moving_average"], "Stock valued at moving average", "asset"),
    ("Expenses:COGS", "Cost of goods sold", "expense"),
    (GRNI, "Goods received not invoiced", "liability"),
    ("Expenses:StockWriteOff", "Stock write-offs", "expense"),
    ("Income:StockCountGain", "Stock count gains", "income"),
    ("Expenses:PriceVariance", "Purchase price variance", "expense"),
]
# sku -> (name, unit, quantity scale, costing method, base unit cost)
ITEMS: dict[str, tuple[str, str, int, str, str]] = {
    "BIKE-CHAIN": ("Bicycle chain, 11-speed", "each", 0, "fifo", "18.40"),
    "INNER-TUBE": ("Inner tube 700x25", "each", 0, "fifo", "4.15"),
    "BRAKE-PAD": ("Brake pads, pair", "pair", 0, "fifo", "6.75"),
    "TYRE-700": ("Tyre 700x28", "each", 0, "fifo", "21.30"),
    "SADDLE": ("Saddle, touring", "each", 0, "fifo", "32.00"),
    "BELL": ("Bell, brass", "each", 0, "fifo", "3.125"),
    "CHAIN-OIL": ("Chain oil", "litre", 3, "moving_average", "12.80"),
    "GREASE": ("Bearing grease", "kg", 3, "moving_average", "9.4500"),
    "CABLE": ("Brake cable", "metre", 2, "moving_average", "0.8725"),
    "SPOKE": ("Spoke, stainless", "each", 0, "moving_average", "0.3310"),
    "RAG": ("Workshop rags", "kg", 1, "moving_average", "2.05"),
    "BOLT-M5": ("Bolt M5x12", "each", 0, "moving_average", "0.0475"),
}
SUPPLIER_REF = "PO-{year}-{n:04d}"
BACKDATED_SKUS = ("TYRE-700", "CHAIN-OIL")  # recorded in December, dated 30 September
RETURNED = ("SADDLE", 2)  # two saddles of the second receipt go back to the supplier
TRANSFERRED = ("BIKE-CHAIN", "INNER-TUBE", "SPOKE", "CHAIN-OIL")
COUNTED = {"INNER-TUBE": -3, "GREASE": -1, "BELL": 2}  # count minus book, in whole units


def _decimal(amount: int, scale: int) -> str:
    return format_amount(amount, scale) if scale else str(amount)


@dataclass(frozen=True, slots=True)
class Correction:
    movement: str
    sku: str
    delta_minor: int


@dataclass(frozen=True, slots=True)
class WarehouseSummary:
    """Items by method, movements by kind, the corrections the back-dated
    receipts caused, and the valuation (each item by its own method, and every
    item under each method), in USD cents."""

    items_by_method: dict[str, int]
    movements_by_kind: dict[str, int]
    corrections: list[Correction]
    own_method_value: dict[str, int]
    value_if: dict[str, int]
    on_hand_by_location: dict[str, int]  # items with stock there
    refused: dict[str, int]

    def lines(self) -> list[str]:
        usd = _usd
        kinds = ", ".join(
            f"{kind} {count}" for kind, count in sorted(self.movements_by_kind.items())
        )
        per_item: dict[str, list[int]] = {}
        for c in self.corrections:
            per_item.setdefault(c.sku, []).append(c.delta_minor)
        corrections = ", ".join(
            f"{sku} {len(deltas)} ({usd(sum(deltas))})" for sku, deltas in sorted(per_item.items())
        )
        fifo, average = self.value_if["fifo"], self.value_if["moving_average"]
        return [
            f"warehouse: {sum(self.items_by_method.values())} items"
            f" (fifo {self.items_by_method.get('fifo', 0)}, moving average"
            f" {self.items_by_method.get('moving_average', 0)}) at "
            + ", ".join(
                f"{code} ({n} in stock)" for code, n in sorted(self.on_hand_by_location.items())
            )
            + f"; movements: {kinds}",
            f"  back-dated receipts corrected {len(self.corrections)} later outflows: {corrections}",
            f"  valuation by own method: fifo {usd(self.own_method_value.get('fifo', 0))},"
            f" moving average {usd(self.own_method_value.get('moving_average', 0))};"
            f" every item under fifo {usd(fifo)}, under moving average {usd(average)},"
            f" difference {usd(fifo - average)}",
        ]


def _usd(amount_minor: int) -> str:
    return f"{format_amount(amount_minor, 2)} USD"


class DemoWarehouse:
    """The warehouse of ``company`` (a DemoCompany: its keys, refusal counts)."""

    def __init__(self, company: DemoCompany, inventory: Inventory) -> None:
        self.company = company
        self.app = company.app
        self.inventory = inventory
        self.year = company.year
        self.random = random.Random(f"{company.seed}-warehouse")
        self.clerk = Context("demo:warehouse", f"demo-{company.seed}")
        self.receipts: dict[tuple[str, object], str] = {}  # (sku, n) -> movement id
        self.received_qty: dict[str, int] = {}  # movement id -> quantity (scaled)
        self.refused: dict[str, int] = {}

    def movement_id(self, *parts: object) -> str:
        return "WH-" + "-".join(map(str, (self.company.seed, *parts)))

    def day(self, month: int, day: int) -> str:
        return date(self.year, month, day).isoformat()

    def qty(self, sku: str, whole: int) -> str:
        scale = ITEMS[sku][2]
        return _decimal(whole * 10**scale, scale)

    def open(self) -> None:
        for code, name, kind in ACCOUNTS:
            with contextlib.suppress(AccountAlreadyExists):
                self.app.open_account(self.clerk, code, name, kind, ["USD"], [])
        for code, name in LOCATIONS.items():
            with contextlib.suppress(LocationAlreadyExists):
                self.inventory.open_location(self.clerk, code, name)
        for sku, (name, unit, scale, method, _cost) in ITEMS.items():
            with contextlib.suppress(ItemAlreadyExists):
                self.inventory.open_item(
                    self.clerk, sku=sku, name=name, unit=unit, quantity_scale=scale,
                    costing_method=method, asset="USD",
                    accounts={
                        "inventory": INVENTORY_ACCOUNT[method], "cogs": "Expenses:COGS",
                        "grni": GRNI, "write_off": "Expenses:StockWriteOff",
                        "count_gain": "Income:StockCountGain",
                        "price_variance": "Expenses:PriceVariance",
                    },
                )  # fmt: skip

    def record(self, commands: list[MovementCommand]) -> list[MovementOutcome]:
        done = []
        for outcome in self.inventory.record_movements(commands):
            if isinstance(outcome, DomainError):
                self.refused[outcome.code] = self.refused.get(outcome.code, 0) + 1
                self.company.refusals[outcome.code] = self.company.refusals.get(outcome.code, 0) + 1
            else:
                done.append(outcome)
        return done

    def unit_cost(self, sku: str, bump_percent: int) -> str:
        base = ITEMS[sku][4]
        places = max(2, len(base.split(".")[1]))
        cost = round(float(base) * (100 + bump_percent) / 100, places)
        return f"{cost:.{places}f}"

    def receipt(self, sku: str, n: object, whole: int, on: str, bump: int) -> ReceiveGoods:
        movement = self.movement_id("R", sku, n)
        self.receipts[sku, n] = movement
        self.received_qty[movement] = whole * 10 ** ITEMS[sku][2]
        return ReceiveGoods(
            self.clerk, movement, sku, MAIN, self.qty(sku, whole), self.unit_cost(sku, bump), on,
            supplier_ref=SUPPLIER_REF.format(year=self.year, n=99 if n == "late" else n),
        )  # fmt: skip

    def run_quarter(self) -> None:
        """October to December, in the order the clerk records them."""
        self.open()
        rnd = self.random
        quantities = {sku: rnd.randint(60, 120) for sku in ITEMS}
        self.record([self.receipt(sku, 1, quantities[sku], self.day(10, 2), 0) for sku in ITEMS])
        self.record(
            [self.receipt(sku, 2, quantities[sku] // 2, self.day(10, 20), rnd.randint(2, 9))
             for sku in ITEMS]
        )  # fmt: skip
        self.record(
            [TransferStock(self.clerk, self.movement_id("T", sku), sku, MAIN, SHOP,
                           self.qty(sku, 20), self.day(11, 3)) for sku in TRANSFERRED]
        )  # fmt: skip
        issues: list[MovementCommand] = []
        for month in (10, 11, 12):
            for week, day in enumerate((7, 14, 21, 28)):
                for sku in ITEMS:
                    if rnd.random() < 0.5:
                        continue
                    location = SHOP if sku in TRANSFERRED and month > 10 and week % 2 else MAIN
                    reason = "consumption" if sku in ("RAG", "GREASE") else "sale"
                    issues.append(IssueGoods(
                        self.clerk, self.movement_id("I", sku, month, week), sku, location,
                        self.qty(sku, rnd.randint(1, 5)), reason, self.day(month, day),
                    ))  # fmt: skip
        issues.sort(key=lambda command: command.effective_date)
        self.record(issues)
        sku, returned = RETURNED
        self.record(
            [ReturnToSupplier(self.clerk, self.movement_id("X", sku), sku, MAIN,
                              self.receipts[sku, 2], self.qty(sku, returned), self.day(11, 14))]
        )  # fmt: skip
        # Found in December: a delivery of 30 September never booked.
        self.record([self.receipt(sku, "late", 25, self.day(9, 30), -12) for sku in BACKDATED_SKUS])
        counts: list[MovementCommand] = []
        for sku, delta in COUNTED.items():
            book = self.inventory.valuation(sku, location=MAIN).qty
            scale = ITEMS[sku][2]
            counts.append(AdjustStock(
                self.clerk, self.movement_id("C", sku), sku, MAIN, "year-end stock count",
                self.day(12, 31), counted_qty=_decimal(book + delta * 10**scale, scale),
                unit_cost=self.unit_cost(sku, 0) if delta > 0 else None,
            ))  # fmt: skip
        if not any(self._recorded(command.movement_id) for command in counts):
            self.record(counts)

    def _recorded(self, movement_id: str) -> bool:
        sku = movement_id.split("-", 3)[-1]
        return any(m.id == movement_id for m in self.inventory.movements(sku))

    def summary(self) -> WarehouseSummary:
        items = self.inventory.list_items()
        by_method: dict[str, int] = {}
        kinds: dict[str, int] = {}
        corrections: list[Correction] = []
        own: dict[str, int] = {}
        value_if = {"fifo": 0, "moving_average": 0}
        in_stock: dict[str, int] = {}
        for item in sorted(items, key=lambda item: item.sku):
            method = item.costing_method
            by_method[method] = by_method.get(method, 0) + 1
            for movement in self.inventory.movements(item.sku):
                kinds[movement.kind] = kinds.get(movement.kind, 0) + 1
                corrections += [
                    Correction(c.movement, item.sku, c.delta) for c in movement.corrections
                ]
            for chosen in value_if:
                valuation = self.inventory.valuation(item.sku, method=chosen)
                value_if[chosen] += valuation.value
                if chosen == method:
                    own[method] = own.get(method, 0) + valuation.value
                    for line in valuation.locations:
                        if line.qty:
                            in_stock[line.location] = in_stock.get(line.location, 0) + 1
        return WarehouseSummary(
            by_method, kinds, corrections, own, value_if, in_stock, dict(self.refused)
        )
