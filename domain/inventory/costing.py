"""Exact arithmetic shared by both valuation methods, and the receipts they return.

Quantities are integers of 10^-quantity_scale units, unit costs exact Decimals of
at most six decimals (major units of the asset per whole unit of the item), and
values integer minor units. Every rounding in the package goes through
``divide_half_even`` on integers, so no Decimal context can change an answer.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import date
from decimal import Decimal
from typing import Literal

from domain.inventory.errors import (
    InsufficientStock,
    InvalidMovement,
    InvalidQuantity,
    InvalidUnitCost,
    ReturnExceedsReceipt,
    UnknownGoodsReceipt,
)
from domain.kernel.money import format_amount, parse_amount

UNIT_COST_SCALE = 6
"""Decimals a unit cost may carry."""

QUANTITY_SCALE_MAX = 6
ASSET_SCALE_MAX = 12  # as domain.kernel.money allows for registered assets
QTY_MAX = 10**18 - 1
UNIT_COST_MICRO_MAX = 10**18 - 1
_MICRO = 10**UNIT_COST_SCALE

MovementKind = Literal["receipt", "issue", "transfer", "return", "gain", "write_off", "count"]


@dataclass(frozen=True, slots=True)
class ItemSpec:
    """An item's valuation terms: ``quantity_scale`` decimals of quantity, values
    in ``asset`` with ``asset_scale`` decimals (JPY 0, USD 2, BHD 3)."""

    item: str
    asset: str
    asset_scale: int
    quantity_scale: int

    def __post_init__(self) -> None:
        if not isinstance(self.item, str) or not self.item.strip():
            raise InvalidMovement("item: must be a non-empty string", field="item")
        if not 0 <= self.quantity_scale <= QUANTITY_SCALE_MAX:
            raise InvalidQuantity(
                f"quantity_scale: 0..{QUANTITY_SCALE_MAX}, got {self.quantity_scale}",
                field="quantity_scale",
            )
        if not 0 <= self.asset_scale <= ASSET_SCALE_MAX:
            raise InvalidMovement(
                f"asset_scale: 0..{ASSET_SCALE_MAX}, got {self.asset_scale}", field="asset_scale"
            )

    def format_qty(self, qty: int) -> str:
        return format_amount(qty, self.quantity_scale)


def parse_unit_cost(text: object, *, field: str = "unit_cost") -> Decimal:
    """A unit cost from a decimal string: at most six decimals, zero allowed."""
    micro = parse_amount(text, UNIT_COST_SCALE, field=field, allow_zero=True)
    return Decimal(micro).scaleb(-UNIT_COST_SCALE)


def parse_quantity(text: object, quantity_scale: int, *, field: str = "qty") -> int:
    """A positive quantity from a decimal string, in units of 10^-quantity_scale."""
    return parse_amount(text, quantity_scale, field=field)


def unit_cost_micro(unit_cost: object, *, field: str = "unit_cost") -> int:
    """The unit cost in millionths; refuses anything but a finite, non-negative
    Decimal of at most six decimals (floats never get this far)."""
    if not isinstance(unit_cost, Decimal) or not unit_cost.is_finite():
        raise InvalidUnitCost(f"{field}: expected a finite Decimal", field=field)
    if unit_cost < 0:
        raise InvalidUnitCost(f"{field}: must not be negative, got {unit_cost}", field=field)
    _sign, digits, exponent = unit_cost.as_tuple()
    assert isinstance(exponent, int)
    coefficient = int("".join(map(str, digits)) or "0")
    shift = exponent + UNIT_COST_SCALE
    micro: int
    if shift >= 0:
        micro = coefficient * 10**shift
    else:
        divisor: int = 10 ** (-shift)
        micro, rest = divmod(coefficient, divisor)
        if rest:
            raise InvalidUnitCost(
                f"{field}: {unit_cost} has more than {UNIT_COST_SCALE} decimals", field=field
            )
    if micro > UNIT_COST_MICRO_MAX:
        raise InvalidUnitCost(f"{field}: {unit_cost} is too large", field=field)
    return micro


def check_qty(qty: object, *, field: str = "qty", allow_zero: bool = False) -> int:
    if not isinstance(qty, int) or isinstance(qty, bool):
        raise InvalidQuantity(f"{field}: expected an integer quantity", field=field)
    low = 0 if allow_zero else 1
    if not low <= qty <= QTY_MAX:
        raise InvalidQuantity(f"{field}: must be {low}..{QTY_MAX}, got {qty}", field=field)
    return qty


def divide_half_even(numerator: int, denominator: int) -> int:
    """numerator / denominator rounded half to even, exactly."""
    assert denominator > 0
    quotient, remainder = divmod(numerator, denominator)
    twice = 2 * remainder
    if twice > denominator or (twice == denominator and quotient % 2 == 1):
        quotient += 1
    return quotient


def extended_value(spec: ItemSpec, qty: int, unit_cost: Decimal) -> int:
    """ROUND(qty x unit cost) in minor units of the item's asset."""
    numerator = qty * unit_cost_micro(unit_cost) * 10**spec.asset_scale
    return divide_half_even(numerator, 10**spec.quantity_scale * _MICRO)


def share_of_value(value: int, qty: int, qty_on_hand: int) -> int:
    """The moving-average cost of ``qty`` out of (qty_on_hand, value): the whole
    value when the stock empties, so no rounding residue stays behind."""
    assert 0 < qty <= qty_on_hand
    if qty == qty_on_hand:
        return value
    return divide_half_even(value * qty, qty_on_hand)


def check_on_hand(
    spec: ItemSpec, movement_id: str, location: str, effective_date: date, on_hand: int, qty: int
) -> None:
    """Refuse an outflow of ``qty`` when ``location`` holds less."""
    if qty > on_hand:
        raise InsufficientStock(
            item=spec.item,
            location=location,
            effective_date=effective_date,
            shortage_qty=qty - on_hand,
            quantity_scale=spec.quantity_scale,
            movement_id=movement_id,
        )


# --- receipts that returns refer to -----------------------------------------------


@dataclass(frozen=True, slots=True)
class ReceiptTerms:
    """What a return to the supplier needs to know about receipt ``receipt_id``:
    its quantity, its unit cost and how much of it went back already."""

    receipt_id: str
    qty: int
    unit_cost: Decimal
    returned_qty: int = 0


Receipts = Mapping[str, ReceiptTerms]


def with_receipt(receipts: Receipts, terms: ReceiptTerms) -> dict[str, ReceiptTerms]:
    updated = dict(receipts)
    updated[terms.receipt_id] = terms
    return updated


def returnable(
    spec: ItemSpec, receipts: Receipts, receipt_id: str, qty: int, movement_id: str
) -> ReceiptTerms:
    """The receipt's terms once ``qty`` more of it is returned, or the refusal."""
    terms = receipts.get(receipt_id)
    if terms is None:
        raise UnknownGoodsReceipt(
            f"return {movement_id!r}: receipt {receipt_id!r} is not in the item's history"
            " before the return",
            field="receipt_id",
        )
    if terms.returned_qty + qty > terms.qty:
        raise ReturnExceedsReceipt(
            f"return {movement_id!r}: receipt {receipt_id!r} brought in"
            f" {spec.format_qty(terms.qty)} and {spec.format_qty(terms.returned_qty)} went"
            f" back already; {spec.format_qty(qty)} more is too much",
            field="qty",
        )
    return replace(terms, returned_qty=terms.returned_qty + qty)


# --- what a fold reports for one movement -------------------------------------------


@dataclass(frozen=True, slots=True)
class ConsumedLayer:
    """A piece of a FIFO layer taken by an outflow: ``qty`` of the layer opened by
    ``receipt_id`` (a receipt, or a count's gain), at ``value`` minor units."""

    receipt_id: str
    qty: int
    value: int


@dataclass(frozen=True, slots=True)
class MovementCost:
    """One method's valuation of one movement, all amounts in minor units.

    ``value``: debited to inventory (a receipt, a gain; a transfer's value as it
    arrives at the destination). ``cost``: relieved from inventory (an issue, a
    write-off, a return; a transfer at its source). For a return,
    ``supplier_credit`` = ROUND(qty x the receipt's unit cost) and
    ``price_variance`` = cost - supplier_credit (above zero: a debit to price
    variance). ``layers_consumed`` is FIFO's account of an outflow, in order."""

    movement_id: str
    kind: MovementKind
    qty: int
    value: int = 0
    cost: int = 0
    supplier_credit: int = 0
    price_variance: int = 0
    layers_consumed: tuple[ConsumedLayer, ...] = ()
