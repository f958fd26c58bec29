"""The inventory valuation fold: the stock log's events into per-item records.

Plain Python over the log's events (``apply``), no database; ``rows_of`` values
an item's movements again in valuation order with the domain's engine
(``domain.inventory.valuation.value_history``) into the rows the projections in
``projections.inventory.valuation`` store.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

import orjson
from eventsourcing.utils import get_topic

from adapters.log_reader import LogEvent
from domain.inventory.commands import unit_cost_text
from domain.inventory.costing import ItemSpec, unit_cost_micro
from domain.inventory.item import Item
from domain.inventory.movements import Adjustment, Issue, Movement, Receipt, Return, Transfer
from domain.inventory.stock import ItemStock
from domain.inventory.valuation import Method, ValuationState, locations_of, value_history
from domain.ledger.journal import JournalEntry

ITEM_OPENED = get_topic(Item.ItemOpened)
STOCK_OPENED = get_topic(ItemStock.StockLogOpened)
MOVED = {
    get_topic(ItemStock.GoodsReceived): "receipt",
    get_topic(ItemStock.GoodsIssued): "issue",
    get_topic(ItemStock.StockTransferred): "transfer",
    get_topic(ItemStock.GoodsReturnedToSupplier): "return",
    get_topic(ItemStock.StockAdjusted): "adjustment",
}
POSTED = get_topic(JournalEntry.JournalEntryPosted)
PENDING_RECORDED = get_topic(JournalEntry.PendingEntryRecorded)
PENDING_POSTED = get_topic(JournalEntry.PendingEntryPosted)
PENDING_VOIDED = get_topic(JournalEntry.PendingEntryVoided)
PENDING_RESOLVED = frozenset({PENDING_POSTED, PENDING_VOIDED})
TOPICS = frozenset({ITEM_OPENED, STOCK_OPENED, POSTED, PENDING_RECORDED, *PENDING_RESOLVED, *MOVED})
TERMS = (
    "location",
    "qty",
    "unit_cost",
    "from_location",
    "to_location",
    "receipt_id",
    "delta_qty",
    "counted_qty",
)


@dataclass(slots=True)
class ItemRecord:
    """One item as the fold knows it: terms, account, and its movement rows
    (sequence -> (movement_id, kind, effective_date, position, terms))."""

    item: str
    stock_id: str | None = None
    asset: str | None = None
    asset_scale: int = 0
    quantity_scale: int = 0
    costing_method: str | None = None
    inventory_account: str | None = None
    position: int = 0
    movements: dict[int, tuple[str, str, str, int, dict[str, Any]]] = field(default_factory=dict)
    changed: bool = False


@dataclass(slots=True)
class InventoryPage:
    """The items a page's events touch (as stored before it), by SKU and by stock
    log id, and the ledger's net debits of the accounts it posts to."""

    items: dict[str, ItemRecord]
    by_stock: dict[str, str]
    ledger: dict[tuple[str, str], int]
    ledger_changed: set[tuple[str, str]] = field(default_factory=set)
    pending: dict[str, list[list[Any]]] = field(default_factory=dict)
    pending_changed: set[str] = field(default_factory=set)


def _item(page: InventoryPage, sku: str) -> ItemRecord:
    record = page.items.get(sku)
    if record is None:
        record = page.items[sku] = ItemRecord(sku)
    return record


def apply(page: InventoryPage, event: LogEvent) -> InventoryPage:
    """``page`` after ``event``: plain Python, no database."""
    topic, fields = event.topic, event.state
    if topic == POSTED:
        _post(page, fields["postings"])
    elif topic == PENDING_RECORDED:
        page.pending[event.originator_id] = list(fields["postings"])
        page.pending_changed.add(event.originator_id)
    elif topic in PENDING_RESOLVED:
        postings = page.pending.pop(event.originator_id, None)
        page.pending_changed.add(event.originator_id)
        if postings is not None and topic == PENDING_POSTED:
            _post(page, postings)
    elif topic == ITEM_OPENED:
        record = _item(page, fields["sku"])
        record.inventory_account = fields["accounts"]["inventory"]
        record.position, record.changed = event.position, True
    elif topic == STOCK_OPENED:
        record = _item(page, fields["sku"])
        record.stock_id = event.originator_id
        record.asset, record.asset_scale = fields["asset"], int(fields["asset_scale"])
        record.quantity_scale = int(fields["quantity_scale"])
        record.costing_method = fields["costing_method"]
        record.position, record.changed = event.position, True
        page.by_stock[event.originator_id] = record.item
    elif topic in MOVED:
        sku = page.by_stock[event.originator_id]
        record = page.items[sku]
        terms = {name: fields[name] for name in TERMS if name in fields}
        record.movements[int(fields["sequence"])] = (
            fields["movement_id"],
            MOVED[topic],
            fields["effective_date"],
            event.position,
            terms,
        )
        record.position, record.changed = event.position, True
    return page


def _post(page: InventoryPage, postings: list[list[Any]]) -> None:
    for account, direction, amount, asset in postings:
        key = (str(account), str(asset))
        net = int(amount) if direction == "debit" else -int(amount)
        page.ledger[key] = page.ledger.get(key, 0) + net
        page.ledger_changed.add(key)


def movement_of(
    sku: str, sequence: int, row: tuple[str, str, str, int, dict[str, Any]]
) -> Movement:
    """The valuation engine's movement of a stored movement row."""
    movement_id, kind, effective, _position, terms = row
    common: dict[str, Any] = {
        "id": movement_id,
        "item": sku,
        "sequence": sequence,
        "effective_date": date.fromisoformat(effective),
    }
    if kind == "receipt":
        return Receipt(
            **common,
            location=terms["location"],
            qty=terms["qty"],
            unit_cost=Decimal(terms["unit_cost"]),
        )
    if kind == "issue":
        return Issue(**common, location=terms["location"], qty=terms["qty"])
    if kind == "transfer":
        return Transfer(
            **common,
            source=terms["from_location"],
            destination=terms["to_location"],
            qty=terms["qty"],
        )
    if kind == "return":
        return Return(
            **common, location=terms["location"], qty=terms["qty"], receipt_id=terms["receipt_id"]
        )
    unit_cost = terms.get("unit_cost")
    return Adjustment(
        **common,
        location=terms["location"],
        delta_qty=terms["delta_qty"],
        unit_cost=None if unit_cost is None else Decimal(unit_cost),
        counted_qty=terms.get("counted_qty"),
    )


def _state_value(state: ValuationState, method: str) -> int:
    return sum(
        line.fifo_value if method == "fifo" else line.moving_average_value
        for line in locations_of(state)
    )


@dataclass(frozen=True, slots=True)
class ItemRows:
    item: tuple[Any, ...]
    movements: list[tuple[Any, ...]]
    stock: list[tuple[Any, ...]]
    layers: list[tuple[Any, ...]]


def rows_of(record: ItemRecord, method: Method) -> ItemRows:
    """The item's rows under ``method``: its movements valued again in valuation order."""
    own_method = "fifo" if record.costing_method == "fifo" else "moving_average"
    if record.asset is None:  # the item opened, its stock log not yet seen
        item_row: tuple[Any, ...] = (
            record.item,
            record.stock_id,
            record.asset,
            record.asset_scale,
            record.quantity_scale,
            record.costing_method,
            record.inventory_account,
            0,
            0,
            0,
            0,
            record.position,
        )
        return ItemRows(item_row, [], [], [])
    spec = ItemSpec(record.item, record.asset, record.asset_scale, record.quantity_scale)
    history = value_history(
        spec,
        (movement_of(record.item, sequence, row) for sequence, row in record.movements.items()),
    )
    costs = {entry.movement.id: entry.by(method) for entry in history.entries}
    movements = []
    for sequence, row in sorted(record.movements.items()):
        movement_id, kind, effective, position, terms = row
        cost = costs[movement_id]
        consumed = [[piece.receipt_id, piece.qty, piece.value] for piece in cost.layers_consumed]
        movements.append((
            record.item, sequence, movement_id, kind, effective, position,
            orjson.dumps(terms, option=orjson.OPT_SORT_KEYS).decode(),
            cost.qty, cost.cost, cost.value, orjson.dumps(consumed).decode(),
        ))  # fmt: skip
    lines = locations_of(history.final)
    stock: list[tuple[Any, ...]] = []
    layers: list[tuple[Any, ...]] = []
    for line in lines:
        value = line.fifo_value if method == "fifo" else line.moving_average_value
        stock.append((record.item, line.location, line.qty, value))
        if method == "fifo":
            layers += [
                (record.item, line.location, ordinal, layer.receipt_id, layer.qty,
                 unit_cost_text(unit_cost_micro(layer.unit_cost)), layer.value)
                for ordinal, layer in enumerate(line.layers)
            ]  # fmt: skip
    item_row = (
        record.item,
        record.stock_id,
        record.asset,
        record.asset_scale,
        record.quantity_scale,
        record.costing_method,
        record.inventory_account,
        sum(line.qty for line in lines),
        _state_value(history.final, method),
        _state_value(history.final, own_method),
        len(record.movements),
        record.position,
    )
    return ItemRows(item_row, movements, stock, layers)
