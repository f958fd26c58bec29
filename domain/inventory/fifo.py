"""FIFO valuation of one item: a pure fold over its movements, layer by layer.

Each receipt (and each count's gain) opens its own layer, never merged with an
equal-cost one, so every unit on hand stays traceable to the receipt that brought
it in, also after it moved between locations. An outflow takes the oldest layers
of its location; a return takes its own receipt's layer first.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from decimal import Decimal

from domain.inventory.costing import (
    ConsumedLayer,
    ItemSpec,
    MovementCost,
    ReceiptTerms,
    check_on_hand,
    extended_value,
    returnable,
    with_receipt,
)
from domain.inventory.movements import Adjustment, Issue, Movement, Receipt, Return, Transfer


@dataclass(frozen=True, slots=True)
class Layer:
    """``qty`` on hand from receipt ``receipt_id`` at ``unit_cost``, worth ``value``
    minor units (what is left of the receipt's ROUNDed value)."""

    receipt_id: str
    qty: int
    unit_cost: Decimal
    value: int


@dataclass(frozen=True, slots=True)
class FifoState:
    """Layers per location, oldest first (locations without stock are absent), and
    the receipts seen so far for returns to refer to. Never mutated."""

    spec: ItemSpec
    layers: Mapping[str, tuple[Layer, ...]] = field(default_factory=dict)
    receipts: Mapping[str, ReceiptTerms] = field(default_factory=dict)

    def layers_at(self, location: str) -> tuple[Layer, ...]:
        return self.layers.get(location, ())

    def qty_at(self, location: str) -> int:
        return sum(layer.qty for layer in self.layers_at(location))

    def value_at(self, location: str) -> int:
        return sum(layer.value for layer in self.layers_at(location))


def initial(spec: ItemSpec) -> FifoState:
    return FifoState(spec)


def apply(state: FifoState, movement: Movement) -> tuple[FifoState, MovementCost]:
    """The state after ``movement`` and its FIFO cost, or a refusal (state untouched)."""
    assert movement.item == state.spec.item, "a fold values one item"
    if isinstance(movement, Receipt):
        return _receive(state, movement)
    if isinstance(movement, Issue):
        return _outflow(state, movement, movement.location, movement.qty)
    if isinstance(movement, Transfer):
        return _transfer(state, movement)
    if isinstance(movement, Return):
        return _return(state, movement)
    return _adjust(state, movement)


def _with_layers(
    state: FifoState,
    location: str,
    layers: Iterable[Layer],
    receipts: Mapping[str, ReceiptTerms] | None = None,
) -> FifoState:
    updated = dict(state.layers)
    kept = tuple(layers)
    if kept:
        updated[location] = kept
    else:
        updated.pop(location, None)
    return FifoState(state.spec, updated, state.receipts if receipts is None else receipts)


def _receive(state: FifoState, receipt: Receipt) -> tuple[FifoState, MovementCost]:
    value = extended_value(state.spec, receipt.qty, receipt.unit_cost)
    layer = Layer(receipt.id, receipt.qty, receipt.unit_cost, value)
    terms = ReceiptTerms(receipt.id, receipt.qty, receipt.unit_cost)
    new_state = _with_layers(
        state,
        receipt.location,
        (*state.layers_at(receipt.location), layer),
        receipts=with_receipt(state.receipts, terms),
    )
    return new_state, MovementCost(receipt.id, "receipt", receipt.qty, value=value)


def _take(
    spec: ItemSpec, layers: Sequence[Layer], qty: int, order: Iterable[int]
) -> tuple[tuple[Layer, ...], tuple[Layer, ...]]:
    """Take ``qty`` from ``layers`` visiting them in ``order``: (what stays, in
    the original order; the pieces taken, in the order taken). A layer taken whole
    gives its remaining value; only the last piece can be partial, and it gives
    ROUND(q x unit cost), capped at what the layer still holds so that no layer
    value ever goes below zero."""
    staying: list[Layer | None] = list(layers)
    pieces: list[Layer] = []
    left = qty
    for index in order:
        if left == 0:
            break
        layer = layers[index]
        if layer.qty <= left:
            pieces.append(layer)
            staying[index] = None
            left -= layer.qty
            continue
        piece_value = min(extended_value(spec, left, layer.unit_cost), layer.value)
        pieces.append(replace(layer, qty=left, value=piece_value))
        staying[index] = replace(layer, qty=layer.qty - left, value=layer.value - piece_value)
        left = 0
    assert left == 0, "the caller checked the quantity on hand"
    return tuple(layer for layer in staying if layer is not None), tuple(pieces)


def _consumed(pieces: Iterable[Layer]) -> tuple[ConsumedLayer, ...]:
    return tuple(ConsumedLayer(piece.receipt_id, piece.qty, piece.value) for piece in pieces)


def _outflow(
    state: FifoState, movement: Issue | Adjustment, location: str, qty: int
) -> tuple[FifoState, MovementCost]:
    layers = state.layers_at(location)
    check_on_hand(state.spec, movement.id, location, movement.effective_date, _qty(layers), qty)
    staying, pieces = _take(state.spec, layers, qty, range(len(layers)))
    cost = sum(piece.value for piece in pieces)
    result = MovementCost(
        movement.id, movement.kind, qty, cost=cost, layers_consumed=_consumed(pieces)
    )
    return _with_layers(state, location, staying), result


def _transfer(state: FifoState, transfer: Transfer) -> tuple[FifoState, MovementCost]:
    layers = state.layers_at(transfer.source)
    check_on_hand(
        state.spec, transfer.id, transfer.source, transfer.effective_date, _qty(layers),
        transfer.qty,
    )
    staying, pieces = _take(state.spec, layers, transfer.qty, range(len(layers)))
    moved = sum(piece.value for piece in pieces)
    new_state = _with_layers(state, transfer.source, staying)
    # The pieces arrive as the destination's newest layers, in consumption order.
    arrived = (*new_state.layers_at(transfer.destination), *pieces)
    new_state = _with_layers(new_state, transfer.destination, arrived)
    result = MovementCost(
        transfer.id, "transfer", transfer.qty, value=moved, cost=moved,
        layers_consumed=_consumed(pieces),
    )
    return new_state, result


def _return(state: FifoState, ret: Return) -> tuple[FifoState, MovementCost]:
    spec = state.spec
    terms = returnable(spec, state.receipts, ret.receipt_id, ret.qty, ret.id)
    layers = state.layers_at(ret.location)
    check_on_hand(spec, ret.id, ret.location, ret.effective_date, _qty(layers), ret.qty)
    own = [i for i, layer in enumerate(layers) if layer.receipt_id == ret.receipt_id]
    others = [i for i, layer in enumerate(layers) if layer.receipt_id != ret.receipt_id]
    staying, pieces = _take(spec, layers, ret.qty, own + others)
    cost = sum(piece.value for piece in pieces)
    credit = extended_value(spec, ret.qty, terms.unit_cost)
    result = MovementCost(
        ret.id, "return", ret.qty, cost=cost, supplier_credit=credit,
        price_variance=cost - credit, layers_consumed=_consumed(pieces),
    )
    new_state = _with_layers(
        state, ret.location, staying, receipts=with_receipt(state.receipts, terms)
    )
    return new_state, result


def _adjust(state: FifoState, adjustment: Adjustment) -> tuple[FifoState, MovementCost]:
    if adjustment.delta_qty < 0:
        return _outflow(state, adjustment, adjustment.location, adjustment.qty)
    if adjustment.delta_qty == 0:
        return state, MovementCost(adjustment.id, "count", 0)
    assert adjustment.unit_cost is not None
    value = extended_value(state.spec, adjustment.qty, adjustment.unit_cost)
    # A gain is a layer of its own, named by the adjustment as if it were a receipt.
    layer = Layer(adjustment.id, adjustment.qty, adjustment.unit_cost, value)
    new_state = _with_layers(
        state, adjustment.location, (*state.layers_at(adjustment.location), layer)
    )
    return new_state, MovementCost(adjustment.id, "gain", adjustment.qty, value=value)


def _qty(layers: Iterable[Layer]) -> int:
    return sum(layer.qty for layer in layers)
