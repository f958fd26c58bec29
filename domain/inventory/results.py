"""What movement commands and stock reads answer: plain values.

Amounts are integer minor units of the item's asset and quantities integers of
10^-quantity_scale units; ``as_view`` gives the edge format (decimal strings
with exactly the asset's or the quantity's scale) for the API and the CLI.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any
from uuid import UUID

from domain.inventory.costing import ConsumedLayer, ItemSpec
from domain.inventory.fifo import Layer
from domain.kernel.money import format_amount


@dataclass(frozen=True, slots=True)
class CorrectionView:
    """A later outflow whose cost a back-dated movement changed."""

    movement: str
    cost_before: int
    cost_after: int
    delta: int

    def as_view(self, spec: ItemSpec) -> dict[str, str]:
        return {
            "movement": self.movement,
            "cost_before": format_amount(self.cost_before, spec.asset_scale),
            "cost_after": format_amount(self.cost_after, spec.asset_scale),
            "delta": format_amount(self.delta, spec.asset_scale),
        }


@dataclass(frozen=True, slots=True)
class MovementOutcome:
    """One movement as recorded: ``value`` for receipts and gains, ``cost`` for
    outflows (None otherwise), under the item's own method; FIFO's
    ``layers_consumed`` for FIFO items; ``on_hand_after`` {location: qty} at
    its point in valuation order; the ``corrections`` it caused. ``position``
    is the log position of the movement's own event; ``replayed`` when the
    same movement was recorded before (then the original figures)."""

    id: str
    kind: str
    spec: ItemSpec
    position: int | None
    value: int | None
    cost: int | None
    layers_consumed: tuple[ConsumedLayer, ...]
    on_hand_after: dict[str, int]
    corrections: tuple[CorrectionView, ...] = ()
    entry_id: UUID | None = None
    price_variance: int | None = None
    replayed: bool = False

    def as_view(self) -> dict[str, Any]:
        spec = self.spec
        view: dict[str, Any] = {"id": self.id, "kind": self.kind, "position": self.position}
        for name, amount in (("value", self.value), ("cost", self.cost)):
            if amount is not None:
                view[name] = format_amount(amount, spec.asset_scale)
        if self.price_variance is not None:
            view["price_variance"] = format_amount(self.price_variance, spec.asset_scale)
        view["layers_consumed"] = [
            {
                "receipt": piece.receipt_id,
                "qty": spec.format_qty(piece.qty),
                "value": format_amount(piece.value, spec.asset_scale),
            }
            for piece in self.layers_consumed
        ]
        view["on_hand_after"] = {
            location: spec.format_qty(qty) for location, qty in sorted(self.on_hand_after.items())
        }
        view["corrections"] = [correction.as_view(spec) for correction in self.corrections]
        view["entry_id"] = None if self.entry_id is None else str(self.entry_id)
        return view


@dataclass(frozen=True, slots=True)
class LocationValuation:
    """Stock of one item at one location by one method; FIFO ``layers`` in
    consumption order (oldest first), empty for moving average."""

    location: str
    qty: int
    value: int
    layers: tuple[Layer, ...] = ()


@dataclass(frozen=True, slots=True)
class StockValuation:
    """An item's stock by ``method`` as of a date and/or a log position."""

    item: str
    method: str
    spec: ItemSpec
    as_of_date: str | None
    as_of_position: int | None
    locations: tuple[LocationValuation, ...] = field(default_factory=tuple)

    @property
    def qty(self) -> int:
        return sum(location.qty for location in self.locations)

    @property
    def value(self) -> int:
        return sum(location.value for location in self.locations)
