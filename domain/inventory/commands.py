"""Movement commands as plain values, and their parsing into a checked request.

Quantities and unit costs inside commands are decimal strings (the edge
format), parsed against the item's quantity scale and six decimals of unit
cost. Every command names its ``movement_id``: the id the movement will have,
unique per item, which is also its idempotency key (the API derives it from
the request's key and the actor, ``movement_id_for``). The same id with the
same body answers the original outcome; with another body it is refused.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

import orjson

from domain.inventory.costing import parse_quantity, parse_unit_cost, unit_cost_micro
from domain.inventory.errors import InvalidMovement
from domain.inventory.item import Item, check_code
from domain.inventory.movements import (
    ID_LENGTH_MAX,
    Adjustment,
    Issue,
    Movement,
    Receipt,
    Return,
    Transfer,
)
from domain.kernel import limits
from domain.kernel.context import Context
from domain.kernel.money import parse_amount

ISSUE_REASONS = ("sale", "consumption")
SUPPLIER_REF_LENGTH_MAX = 128
ADJUSTMENT_REASON_LENGTH_MAX = 200


@dataclass(frozen=True, slots=True)
class ReceiveGoods:
    context: Context
    movement_id: str
    item: str
    location: str
    qty: str
    unit_cost: str
    effective_date: str
    supplier_ref: str = ""


@dataclass(frozen=True, slots=True)
class IssueGoods:
    context: Context
    movement_id: str
    item: str
    location: str
    qty: str
    reason: str
    effective_date: str


@dataclass(frozen=True, slots=True)
class TransferStock:
    context: Context
    movement_id: str
    item: str
    from_location: str
    to_location: str
    qty: str
    effective_date: str


@dataclass(frozen=True, slots=True)
class ReturnToSupplier:
    """Send back ``qty`` of receipt ``receipt`` (its movement id)."""

    context: Context
    movement_id: str
    item: str
    location: str
    receipt: str
    qty: str
    effective_date: str


@dataclass(frozen=True, slots=True)
class AdjustStock:
    """A signed ``qty_delta``, or the ``counted_qty`` of a stock count (the delta
    is derived against the stock at the count's point); a gain needs ``unit_cost``."""

    context: Context
    movement_id: str
    item: str
    location: str
    reason: str
    effective_date: str
    qty_delta: str | None = None
    counted_qty: str | None = None
    unit_cost: str | None = None


MovementCommand = ReceiveGoods | IssueGoods | TransferStock | ReturnToSupplier | AdjustStock


@dataclass(frozen=True, slots=True)
class MovementRequest:
    """A command checked against its item: ``body`` is the canonical form the
    ``fingerprint`` is taken over; ``locations`` every location it names."""

    command: MovementCommand
    movement_id: str
    sku: str
    effective_date: str
    locations: tuple[str, ...]
    body: dict[str, Any]
    fingerprint: str

    @property
    def context(self) -> Context:
        return self.command.context


def check_movement_id(value: object) -> str:
    return limits.bounded_text(value, "movement_id", ID_LENGTH_MAX)


def command_sku(command: MovementCommand) -> str:
    """The item a command names, checked (before the item is loaded)."""
    return check_code(command.item, "item")


def parse(command: MovementCommand, item: Item) -> MovementRequest:
    """Check ``command`` against ``item``'s terms; refusals name the field."""
    command.context.checked()
    movement_id = check_movement_id(command.movement_id)
    effective = limits.effective_date(command.effective_date)
    scale = item.quantity_scale
    body: dict[str, Any] = {"effective_date": effective}
    if isinstance(command, ReceiveGoods):
        locations: tuple[str, ...] = (check_code(command.location, "location"),)
        body |= {
            "kind": "receipt", "qty": parse_quantity(command.qty, scale),
            "unit_cost": _micro(parse_unit_cost(command.unit_cost)),
            "supplier_ref": limits.bounded_text(
                command.supplier_ref, "supplier_ref", SUPPLIER_REF_LENGTH_MAX, required=False
            ),
        }
    elif isinstance(command, IssueGoods):
        locations = (check_code(command.location, "location"),)
        if command.reason not in ISSUE_REASONS:
            raise InvalidMovement(f"reason: one of {', '.join(ISSUE_REASONS)}", field="reason")
        body |= {"kind": "issue", "qty": parse_quantity(command.qty, scale), "reason": command.reason}
    elif isinstance(command, TransferStock):
        locations = (
            check_code(command.from_location, "from_location"),
            check_code(command.to_location, "to_location"),
        )
        if locations[0] == locations[1]:
            raise InvalidMovement("to_location: must differ from from_location", field="to_location")
        body |= {"kind": "transfer", "qty": parse_quantity(command.qty, scale)}
    elif isinstance(command, ReturnToSupplier):
        locations = (check_code(command.location, "location"),)
        body |= {
            "kind": "return", "qty": parse_quantity(command.qty, scale),
            "receipt": limits.bounded_text(command.receipt, "receipt", ID_LENGTH_MAX),
        }
    else:
        locations = (check_code(command.location, "location"),)
        body |= {"kind": "adjustment", **_adjustment_terms(command, scale)}
    body["locations"] = list(locations)
    return MovementRequest(
        command, movement_id, item.sku, effective, locations, body, _fingerprint(body)
    )


def _adjustment_terms(command: AdjustStock, scale: int) -> dict[str, Any]:
    reason = limits.bounded_text(command.reason, "reason", ADJUSTMENT_REASON_LENGTH_MAX)
    if (command.qty_delta is None) == (command.counted_qty is None):
        raise InvalidMovement(
            "qty_delta: give either a signed qty_delta or a counted_qty", field="qty_delta"
        )
    unit_cost = None if command.unit_cost is None else _micro(parse_unit_cost(command.unit_cost))
    if command.counted_qty is not None:
        counted = parse_amount(command.counted_qty, scale, field="counted_qty", allow_zero=True)
        return {"counted_qty": counted, "unit_cost": unit_cost, "reason": reason}
    delta = parse_amount(command.qty_delta, scale, field="qty_delta", allow_negative=True)
    if delta > 0 and unit_cost is None:
        raise InvalidMovement("unit_cost: a stock gain needs a unit cost", field="unit_cost")
    if delta < 0 and unit_cost is not None:
        raise InvalidMovement("unit_cost: only a stock gain carries a unit cost", field="unit_cost")
    return {"qty_delta": delta, "unit_cost": unit_cost, "reason": reason}


def _micro(unit_cost: Decimal) -> int:
    return unit_cost_micro(unit_cost)


def _fingerprint(body: dict[str, Any]) -> str:
    return hashlib.sha256(orjson.dumps(body, option=orjson.OPT_SORT_KEYS)).hexdigest()


def unit_cost_text(micro: int) -> str:
    return str(Decimal(micro).scaleb(-6))


def build_movement(request: MovementRequest, sequence: int, qty_on_hand: int | None) -> Movement:
    """The engine's movement for ``request`` recorded as number ``sequence``;
    ``qty_on_hand`` (at the count's point) is needed for a count only."""
    body = request.body
    common: dict[str, Any] = {
        "id": request.movement_id, "item": request.sku, "sequence": sequence,
        "effective_date": date.fromisoformat(request.effective_date),
    }
    location = request.locations[0]
    kind = body["kind"]
    unit_cost = None if body.get("unit_cost") is None else Decimal(body["unit_cost"]).scaleb(-6)
    if kind == "receipt":
        assert unit_cost is not None
        return Receipt(**common, location=location, qty=body["qty"], unit_cost=unit_cost)
    if kind == "issue":
        return Issue(**common, location=location, qty=body["qty"])
    if kind == "transfer":
        return Transfer(
            **common, source=location, destination=request.locations[1], qty=body["qty"]
        )
    if kind == "return":
        return Return(**common, location=location, qty=body["qty"], receipt_id=body["receipt"])
    if "counted_qty" in body:
        assert qty_on_hand is not None
        return Adjustment.from_count(
            **common, location=location, counted_qty=body["counted_qty"],
            qty_on_hand=qty_on_hand, unit_cost=unit_cost,
        )
    return Adjustment(**common, location=location, delta_qty=body["qty_delta"], unit_cost=unit_cost)
