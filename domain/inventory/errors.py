"""Refusals of the inventory valuation engine.

Each carries a stable ``code``; mapping codes to HTTP statuses is the API's job,
in its one error mapping, so none is set here. A refusal guarantees that no
valuation state changed: the folds are pure and return new states only on success.
"""

from __future__ import annotations

from datetime import date

from domain.kernel.errors import DomainError, InvalidInput
from domain.kernel.money import format_amount


class InvalidQuantity(InvalidInput):
    code = "invalid_quantity"


class InvalidUnitCost(InvalidInput):
    code = "invalid_unit_cost"


class InvalidMovement(InvalidInput):
    """A movement that is malformed whatever the stock: wrong item, same source
    and destination, a gain without a unit cost ..."""

    code = "invalid_stock_movement"


class DuplicateMovement(DomainError):
    """Another movement of the item already has this id or recorded sequence."""

    code = "duplicate_stock_movement"


class UnknownGoodsReceipt(DomainError):
    """A return names a receipt that the item's history does not hold before it."""

    code = "unknown_goods_receipt"


class ReturnExceedsReceipt(DomainError):
    """Returns of one receipt would send back more than the receipt brought in."""

    code = "return_exceeds_receipt"


class InsufficientStock(DomainError):
    """An outflow would take a location below zero, at its own date or later.

    ``effective_date`` and ``movement_id`` name the point that would go short (a
    later movement when a back-dated one is inserted); ``caused_by`` names the
    movement being refused when that is another one.
    """

    code = "insufficient_stock"

    def __init__(
        self,
        *,
        item: str,
        location: str,
        effective_date: date,
        shortage_qty: int,
        quantity_scale: int,
        movement_id: str,
        caused_by: str | None = None,
    ) -> None:
        shortage = format_amount(shortage_qty, quantity_scale)
        message = (
            f"item {item!r} at location {location!r} would be short by {shortage}"
            f" on {effective_date.isoformat()} (movement {movement_id!r})"
        )
        if caused_by is not None and caused_by != movement_id:
            message = f"inserting movement {caused_by!r}: {message}"
        super().__init__(message, field="qty")
        self.item = item
        self.location = location
        self.effective_date = effective_date
        self.shortage_qty = shortage_qty
        self.movement_id = movement_id
        self.caused_by = caused_by if caused_by is not None else movement_id


class UnknownItem(DomainError):
    """No item has been opened under this SKU."""

    code = "unknown_item"


class UnknownLocation(DomainError):
    """No location has been opened under this code."""

    code = "unknown_location"


class ItemAlreadyExists(DomainError):
    code = "item_already_exists"


class LocationAlreadyExists(DomainError):
    code = "location_already_exists"


class InvalidItem(InvalidInput):
    """An item's terms that are malformed: method, scale, accounts, a change of a
    fixed term (costing method, asset, quantity scale, inventory account)."""

    code = "invalid_item"
