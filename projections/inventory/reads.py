"""Reads over the items' stock books, in the edge format (decimal strings).

``movement_view``: one movement as recorded, with the log position of its own
event and the corrections it caused; ``valuation_view``: a ``StockValuation``;
``cogs_of_period``: the cost of goods issued and written off in a period, as
valued now under the item's method (corrections included).
"""

from __future__ import annotations

from typing import Any

from domain.inventory.book import StockBook
from domain.inventory.commands import unit_cost_text
from domain.inventory.costing import unit_cost_micro
from domain.inventory.errors import InvalidMovement, UnknownItem
from domain.inventory.fifo import Layer
from domain.inventory.item import check_code
from domain.inventory.results import StockValuation
from domain.inventory.service import Inventory
from domain.inventory.staging import outcome_of_event
from domain.kernel.money import format_amount


def book_of(inventory: Inventory, sku: str) -> StockBook:
    checked = check_code(sku, "item")
    book = inventory.recorder.books([checked]).get(checked)
    if book is None:
        raise UnknownItem(f"item: no item has SKU {sku!r}", field="item")
    return book


def movement_view(inventory: Inventory, sku: str, movement_id: str) -> dict[str, Any]:
    with inventory.app.write_lock:
        book = book_of(inventory, sku)
        return _view(inventory, book, movement_id)


def movement_views(inventory: Inventory, sku: str) -> list[dict[str, Any]]:
    """The item's movements in recorded order."""
    with inventory.app.write_lock:
        book = book_of(inventory, sku)
        events = sorted(book.events.values(), key=lambda event: event.sequence)
        return [_view(inventory, book, event.movement_id) for event in events]


def _view(inventory: Inventory, book: StockBook, movement_id: str) -> dict[str, Any]:
    event = book.events[movement_id]
    position = inventory.app.position_of(book.aggregate.id, event.originator_version)
    corrections = book.corrections.get(movement_id, [])
    view = outcome_of_event(book.spec, event, corrections, position).as_view()
    view["effective_date"] = event.effective_date
    return view


def layer_view(layer: Layer, asset_scale: int, quantity_scale: int) -> dict[str, str]:
    return {
        "receipt": layer.receipt_id,
        "qty": format_amount(layer.qty, quantity_scale),
        "unit_cost": unit_cost_text(unit_cost_micro(layer.unit_cost)),
        "value": format_amount(layer.value, asset_scale),
    }


def valuation_view(found: StockValuation, location: str | None) -> dict[str, Any]:
    spec = found.spec
    fifo = found.method == "fifo"
    lines = []
    for line in found.locations:
        entry: dict[str, Any] = {
            "location": line.location,
            "qty": spec.format_qty(line.qty),
            "value": format_amount(line.value, spec.asset_scale),
        }
        if fifo:
            entry["layers"] = [
                layer_view(layer, spec.asset_scale, spec.quantity_scale) for layer in line.layers
            ]
        lines.append(entry)
    view: dict[str, Any] = {
        "item": found.item,
        "location": location,
        "method": found.method,
        "asset": spec.asset,
        "as_of_date": found.as_of_date,
        "as_of_position": found.as_of_position,
        "qty": spec.format_qty(found.qty),
        "value": format_amount(found.value, spec.asset_scale),
        "locations": lines,
    }
    if fifo:
        view["layers"] = [layer for line in lines for layer in line["layers"]]
    return view


def in_period(effective: str, period: str) -> bool:
    return effective.startswith(period + ("-" if len(period) == 7 else ""))


def cogs_of_period(inventory: Inventory, sku: str, period: str) -> dict[str, Any]:
    """Issues and write-offs effective in ``period`` (``YYYY`` or ``YYYY-MM``)."""
    if len(period) not in (4, 7):
        raise InvalidMovement("period: YYYY or YYYY-MM", field="period")
    with inventory.app.write_lock:
        book = book_of(inventory, sku)
        history = book.history()
    cogs = write_offs = issues = 0
    for entry in history.entries:
        movement = entry.movement
        if not in_period(movement.effective_date.isoformat(), period):
            continue
        cost = entry.by(book.method).cost
        if movement.kind == "issue":
            cogs += cost
            issues += 1
        elif movement.kind == "write_off":
            write_offs += cost
    scale = book.spec.asset_scale
    return {
        "item": book.spec.item,
        "period": period,
        "method": book.method,
        "asset": book.spec.asset,
        "cogs": format_amount(cogs, scale),
        "write_offs": format_amount(write_offs, scale),
        "issues": issues,
    }
