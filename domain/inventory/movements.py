"""Stock movements of one item: immutable facts, checked when they are built.

A movement is what happened (goods received, issued, moved, sent back, counted),
never how it was valued: the value is a fold over the history, so a back-dated
movement can revalue later ones without any of them being edited. Validation
here is of shape only; whether the stock allows it is the folds' decision.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from domain.inventory.costing import MovementKind, check_qty, unit_cost_micro
from domain.inventory.errors import InvalidMovement, InvalidQuantity

__all__ = [
    "OUTFLOW_KINDS", "Adjustment", "Issue", "Movement", "MovementKind", "OrderKey", "Receipt",
    "Return", "Transfer", "order_key",
]

ID_LENGTH_MAX = 128

OUTFLOW_KINDS: frozenset[MovementKind] = frozenset({"issue", "transfer", "return", "write_off"})

OrderKey = tuple[date, int]


def _check_text(value: object, field: str) -> None:
    if not isinstance(value, str) or not value.strip() or len(value) > ID_LENGTH_MAX:
        raise InvalidMovement(f"{field}: 1..{ID_LENGTH_MAX} characters expected", field=field)


def _check_common(id: str, item: str, effective_date: date, sequence: int) -> None:
    _check_text(id, "id")
    _check_text(item, "item")
    if not isinstance(effective_date, date) or isinstance(effective_date, datetime):
        raise InvalidMovement("effective_date: expected a calendar date", field="effective_date")
    if not isinstance(sequence, int) or isinstance(sequence, bool) or sequence < 0:
        raise InvalidMovement("sequence: expected a non-negative integer", field="sequence")


@dataclass(frozen=True, slots=True, kw_only=True)
class Receipt:
    """Goods received at ``location``: ``qty`` at ``unit_cost`` (opens a FIFO layer)."""

    id: str
    item: str
    location: str
    qty: int
    effective_date: date
    sequence: int
    unit_cost: Decimal

    def __post_init__(self) -> None:
        _check_common(self.id, self.item, self.effective_date, self.sequence)
        _check_text(self.location, "location")
        check_qty(self.qty)
        unit_cost_micro(self.unit_cost)

    @property
    def kind(self) -> MovementKind:
        return "receipt"


@dataclass(frozen=True, slots=True, kw_only=True)
class Issue:
    """Goods issued from ``location`` (sold, consumed): an outflow at cost."""

    id: str
    item: str
    location: str
    qty: int
    effective_date: date
    sequence: int

    def __post_init__(self) -> None:
        _check_common(self.id, self.item, self.effective_date, self.sequence)
        _check_text(self.location, "location")
        check_qty(self.qty)

    @property
    def kind(self) -> MovementKind:
        return "issue"


@dataclass(frozen=True, slots=True, kw_only=True)
class Transfer:
    """Goods moved from ``source`` to ``destination``, carrying their cost along."""

    id: str
    item: str
    source: str
    destination: str
    qty: int
    effective_date: date
    sequence: int

    def __post_init__(self) -> None:
        _check_common(self.id, self.item, self.effective_date, self.sequence)
        _check_text(self.source, "source")
        _check_text(self.destination, "destination")
        if self.source == self.destination:
            raise InvalidMovement("destination: must differ from the source", field="destination")
        check_qty(self.qty)

    @property
    def location(self) -> str:
        """The location the goods leave, where a shortage would be."""
        return self.source

    @property
    def kind(self) -> MovementKind:
        return "transfer"


@dataclass(frozen=True, slots=True, kw_only=True)
class Return:
    """Goods of receipt ``receipt_id`` sent back to the supplier from ``location``."""

    id: str
    item: str
    location: str
    qty: int
    effective_date: date
    sequence: int
    receipt_id: str

    def __post_init__(self) -> None:
        _check_common(self.id, self.item, self.effective_date, self.sequence)
        _check_text(self.location, "location")
        _check_text(self.receipt_id, "receipt_id")
        check_qty(self.qty)

    @property
    def kind(self) -> MovementKind:
        return "return"


@dataclass(frozen=True, slots=True, kw_only=True)
class Adjustment:
    """A stock count at ``location``: ``delta_qty`` below zero is a write-off, above
    zero a gain at ``unit_cost``. ``counted_qty`` is what was counted, kept for the
    record: the delta was fixed when the count was recorded (see ``from_count``),
    so replaying history never re-derives it."""

    id: str
    item: str
    location: str
    delta_qty: int
    effective_date: date
    sequence: int
    unit_cost: Decimal | None = None
    counted_qty: int | None = None

    def __post_init__(self) -> None:
        _check_common(self.id, self.item, self.effective_date, self.sequence)
        _check_text(self.location, "location")
        if not isinstance(self.delta_qty, int) or isinstance(self.delta_qty, bool):
            raise InvalidQuantity("delta_qty: expected an integer quantity", field="delta_qty")
        check_qty(abs(self.delta_qty), field="delta_qty", allow_zero=True)
        if self.counted_qty is not None:
            check_qty(self.counted_qty, field="counted_qty", allow_zero=True)
        if self.delta_qty > 0 and self.unit_cost is None:
            raise InvalidMovement("unit_cost: a stock gain needs a unit cost", field="unit_cost")
        if self.delta_qty <= 0 and self.unit_cost is not None:
            raise InvalidMovement(
                "unit_cost: only a stock gain carries a unit cost", field="unit_cost"
            )
        if self.unit_cost is not None:
            unit_cost_micro(self.unit_cost)

    @property
    def qty(self) -> int:
        return abs(self.delta_qty)

    @property
    def kind(self) -> MovementKind:
        if self.delta_qty > 0:
            return "gain"
        return "write_off" if self.delta_qty < 0 else "count"

    @classmethod
    def from_count(
        cls,
        *,
        id: str,
        item: str,
        location: str,
        counted_qty: int,
        qty_on_hand: int,
        effective_date: date,
        sequence: int,
        unit_cost: Decimal | None = None,
    ) -> Adjustment:
        """The adjustment for a count: delta = counted - on hand at the count's
        point in valuation order. ``unit_cost`` is used only if the count is a gain."""
        check_qty(counted_qty, field="counted_qty", allow_zero=True)
        delta_qty = counted_qty - qty_on_hand
        return cls(
            id=id,
            item=item,
            location=location,
            delta_qty=delta_qty,
            effective_date=effective_date,
            sequence=sequence,
            unit_cost=unit_cost if delta_qty > 0 else None,
            counted_qty=counted_qty,
        )


Movement = Receipt | Issue | Transfer | Return | Adjustment


def order_key(movement: Movement) -> OrderKey:
    """Valuation order: effective date first, then the recorded sequence."""
    return (movement.effective_date, movement.sequence)
