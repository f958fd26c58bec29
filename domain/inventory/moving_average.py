"""Moving-average valuation of one item: a pure fold, per item and location.

The state per location is (qty, value), never a rounded average: an outflow of q
costs ROUND(value x q / qty), and the outflow that empties the location takes
the whole value, so emptied stock never carries a rounding residue.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from fractions import Fraction

from domain.inventory.costing import (
    ItemSpec,
    MovementCost,
    ReceiptTerms,
    check_on_hand,
    extended_value,
    returnable,
    share_of_value,
    with_receipt,
)
from domain.inventory.movements import Adjustment, Issue, Movement, Receipt, Return, Transfer


@dataclass(frozen=True, slots=True)
class Pool:
    """``qty`` on hand at a location worth ``value`` minor units."""

    qty: int
    value: int


@dataclass(frozen=True, slots=True)
class MovingAverageState:
    """Pools per location (locations without stock are absent) and the receipts
    seen so far for returns to refer to. Never mutated."""

    spec: ItemSpec
    pools: Mapping[str, Pool] = field(default_factory=dict)
    receipts: Mapping[str, ReceiptTerms] = field(default_factory=dict)

    def pool_at(self, location: str) -> Pool:
        return self.pools.get(location, Pool(0, 0))

    def qty_at(self, location: str) -> int:
        return self.pool_at(location).qty

    def value_at(self, location: str) -> int:
        return self.pool_at(location).value

    def average_unit_cost(self, location: str) -> Fraction | None:
        """The exact average in major units per whole unit; None when empty."""
        pool = self.pool_at(location)
        if pool.qty == 0:
            return None
        spec = self.spec
        return Fraction(pool.value * 10**spec.quantity_scale, pool.qty * 10**spec.asset_scale)


def initial(spec: ItemSpec) -> MovingAverageState:
    return MovingAverageState(spec)


def apply(
    state: MovingAverageState, movement: Movement
) -> tuple[MovingAverageState, MovementCost]:
    """The state after ``movement`` and its moving-average cost, or a refusal."""
    assert movement.item == state.spec.item, "a fold values one item"
    if isinstance(movement, Receipt):
        value = extended_value(state.spec, movement.qty, movement.unit_cost)
        terms = ReceiptTerms(movement.id, movement.qty, movement.unit_cost)
        new_state = _add(state, movement.location, movement.qty, value)
        new_state = _with_receipts(new_state, with_receipt(state.receipts, terms))
        return new_state, MovementCost(movement.id, "receipt", movement.qty, value=value)
    if isinstance(movement, Issue):
        return _outflow(state, movement, movement.location, movement.qty)
    if isinstance(movement, Transfer):
        return _transfer(state, movement)
    if isinstance(movement, Return):
        return _return(state, movement)
    return _adjust(state, movement)


def _with_pool(state: MovingAverageState, location: str, pool: Pool) -> MovingAverageState:
    pools = dict(state.pools)
    if pool.qty == 0:
        assert pool.value == 0, "emptied stock carries no residue"
        pools.pop(location, None)
    else:
        pools[location] = pool
    return MovingAverageState(state.spec, pools, state.receipts)


def _with_receipts(
    state: MovingAverageState, receipts: Mapping[str, ReceiptTerms]
) -> MovingAverageState:
    return MovingAverageState(state.spec, state.pools, receipts)


def _add(state: MovingAverageState, location: str, qty: int, value: int) -> MovingAverageState:
    pool = state.pool_at(location)
    return _with_pool(state, location, Pool(pool.qty + qty, pool.value + value))


def _relieve(
    state: MovingAverageState, movement: Movement, location: str, qty: int
) -> tuple[MovingAverageState, int]:
    pool = state.pool_at(location)
    check_on_hand(state.spec, movement.id, location, movement.effective_date, pool.qty, qty)
    cost = share_of_value(pool.value, qty, pool.qty)
    return _with_pool(state, location, Pool(pool.qty - qty, pool.value - cost)), cost


def _outflow(
    state: MovingAverageState, movement: Issue | Adjustment, location: str, qty: int
) -> tuple[MovingAverageState, MovementCost]:
    new_state, cost = _relieve(state, movement, location, qty)
    return new_state, MovementCost(movement.id, movement.kind, qty, cost=cost)


def _transfer(
    state: MovingAverageState, transfer: Transfer
) -> tuple[MovingAverageState, MovementCost]:
    new_state, cost = _relieve(state, transfer, transfer.source, transfer.qty)
    new_state = _add(new_state, transfer.destination, transfer.qty, cost)
    return new_state, MovementCost(transfer.id, "transfer", transfer.qty, value=cost, cost=cost)


def _return(state: MovingAverageState, ret: Return) -> tuple[MovingAverageState, MovementCost]:
    terms = returnable(state.spec, state.receipts, ret.receipt_id, ret.qty, ret.id)
    new_state, cost = _relieve(state, ret, ret.location, ret.qty)
    credit = extended_value(state.spec, ret.qty, terms.unit_cost)
    result = MovementCost(
        ret.id, "return", ret.qty, cost=cost, supplier_credit=credit, price_variance=cost - credit
    )
    return _with_receipts(new_state, with_receipt(state.receipts, terms)), result


def _adjust(
    state: MovingAverageState, adjustment: Adjustment
) -> tuple[MovingAverageState, MovementCost]:
    if adjustment.delta_qty < 0:
        return _outflow(state, adjustment, adjustment.location, adjustment.qty)
    if adjustment.delta_qty == 0:
        return state, MovementCost(adjustment.id, "count", 0)
    assert adjustment.unit_cost is not None
    value = extended_value(state.spec, adjustment.qty, adjustment.unit_cost)
    new_state = _add(state, adjustment.location, adjustment.qty, value)
    return new_state, MovementCost(adjustment.id, "gain", adjustment.qty, value=value)
