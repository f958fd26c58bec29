"""From a decided movement to its events, and from events to the outcome.

Pure helpers of the recorder (``domain.inventory.recording``): the keyword
arguments of each movement event (what happened, and what was posted for it
under the item's method), and the ``MovementOutcome`` read back from a
recorded event, used alike for a fresh movement and for a retry of one.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from domain.inventory.book import Placement
from domain.inventory.commands import MovementRequest, unit_cost_text
from domain.inventory.costing import ConsumedLayer, ItemSpec, MovementCost
from domain.inventory.movements import Adjustment
from domain.inventory.results import CorrectionView, MovementOutcome
from domain.inventory.stock import ItemStock
from domain.inventory.valuation import Correction

EVENT_KINDS: dict[type[Any], str] = {
    ItemStock.GoodsReceived: "receipt",
    ItemStock.GoodsIssued: "issue",
    ItemStock.StockTransferred: "transfer",
    ItemStock.GoodsReturnedToSupplier: "return",
}


def movement_event(
    request: MovementRequest, placement: Placement, cost: MovementCost, entry_id: str
) -> tuple[type[ItemStock.StockMoved], dict[str, Any]]:
    """The event class and fields recording ``request`` as placed, ``cost``
    being its valuation under the item's own method."""
    body = request.body
    movement = placement.movement
    fields: dict[str, Any] = {
        "movement_id": movement.id,
        "sequence": movement.sequence,
        "effective_date": request.effective_date,
        "fingerprint": request.fingerprint,
        "entry_id": entry_id,
        "on_hand_after": dict(placement.on_hand_after),
        "actor": request.context.actor,
        "correlation_id": request.context.correlation_id,
    }
    layers = [[piece.receipt_id, piece.qty, piece.value] for piece in cost.layers_consumed]
    location = request.locations[0]
    kind = body["kind"]
    if kind == "receipt":
        return ItemStock.GoodsReceived, fields | {
            "location": location, "qty": body["qty"], "unit_cost": unit_cost_text(body["unit_cost"]),
            "supplier_ref": body["supplier_ref"], "value_minor": cost.value,
        }
    if kind == "issue":
        return ItemStock.GoodsIssued, fields | {
            "location": location, "qty": body["qty"], "reason": body["reason"],
            "cost_minor": cost.cost, "layers_consumed": layers,
        }
    if kind == "transfer":
        return ItemStock.StockTransferred, fields | {
            "from_location": location, "to_location": request.locations[1], "qty": body["qty"],
            "cost_minor": cost.cost, "layers_consumed": layers,
        }
    if kind == "return":
        return ItemStock.GoodsReturnedToSupplier, fields | {
            "location": location, "receipt_id": body["receipt"], "qty": body["qty"],
            "cost_minor": cost.cost, "supplier_credit_minor": cost.supplier_credit,
            "price_variance_minor": cost.price_variance, "layers_consumed": layers,
        }
    assert isinstance(movement, Adjustment)
    return ItemStock.StockAdjusted, fields | {
        "location": location, "delta_qty": movement.delta_qty,
        "counted_qty": body.get("counted_qty"),
        "unit_cost": None if movement.unit_cost is None else str(movement.unit_cost),
        "reason": body["reason"], "value_minor": cost.value, "cost_minor": cost.cost,
        "layers_consumed": layers,
    }


def correction_event_fields(
    request: MovementRequest, correction: Correction, effective_date: str, entry_id: str
) -> dict[str, Any]:
    return {
        "movement_id": correction.movement_id,
        "caused_by": request.movement_id,
        "effective_date": effective_date,
        "cost_before_minor": correction.cost_before,
        "cost_after_minor": correction.cost_after,
        "delta_minor": correction.delta,
        "entry_id": entry_id,
        "actor": request.context.actor,
        "correlation_id": request.context.correlation_id,
    }


def event_kind(event: ItemStock.StockMoved) -> str:
    if isinstance(event, ItemStock.StockAdjusted):
        if event.delta_qty > 0:
            return "gain"
        return "write_off" if event.delta_qty < 0 else "count"
    return EVENT_KINDS[type(event)]


def outcome_of_event(
    spec: ItemSpec,
    event: ItemStock.StockMoved,
    corrections: list[ItemStock.MovementCostCorrected],
    position: int | None,
    *,
    replayed: bool = False,
) -> MovementOutcome:
    """The outcome of a recorded movement, with the corrections it caused."""
    kind = event_kind(event)
    value = getattr(event, "value_minor", None) if kind in ("receipt", "gain") else None
    cost = getattr(event, "cost_minor", None) if kind not in ("receipt", "gain", "count") else None
    layers = tuple(
        ConsumedLayer(str(receipt), int(qty), int(amount))
        for receipt, qty, amount in getattr(event, "layers_consumed", [])
    )
    variance = getattr(event, "price_variance_minor", None)
    return MovementOutcome(
        id=event.movement_id,
        kind=kind,
        spec=spec,
        position=position,
        value=value,
        cost=cost,
        layers_consumed=layers,
        on_hand_after=dict(event.on_hand_after),
        corrections=tuple(
            CorrectionView(c.movement_id, c.cost_before_minor, c.cost_after_minor, c.delta_minor)
            for c in corrections
        ),
        entry_id=None if not event.entry_id else UUID(event.entry_id),
        price_variance=variance,
        replayed=replayed,
    )

