"""Properties over random streams of movements, many of them back-dated.

Each stream is recorded one movement at a time through ``insert_backdated``; after
every step the result is compared with valuing the whole history from scratch and
with the independent checks. Derandomized: the same examples run every time.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterable
from typing import TypeVar

from hypothesis import given, settings
from hypothesis import strategies as st

from domain.inventory import fifo, moving_average
from domain.inventory.checks import check_history
from domain.inventory.costing import ItemSpec, MovementCost, parse_unit_cost
from domain.inventory.errors import InsufficientStock, ReturnExceedsReceipt, UnknownGoodsReceipt
from domain.inventory.movements import (
    OUTFLOW_KINDS,
    Adjustment,
    Issue,
    Movement,
    Receipt,
    Return,
    Transfer,
)
from domain.inventory.valuation import (
    METHODS,
    Insertion,
    ValuedHistory,
    insert_backdated,
    stock_position,
    value_history,
)
from tests.inventory.support import day

REFUSALS = (InsufficientStock, ReturnExceedsReceipt, UnknownGoodsReceipt)
SPECS = (
    ItemSpec(item="ITEM", asset="USD", asset_scale=2, quantity_scale=0),
    ItemSpec(item="ITEM", asset="JPY", asset_scale=0, quantity_scale=0),
    ItemSpec(item="ITEM", asset="BHD", asset_scale=3, quantity_scale=3),
)
COSTS = ("0.333333", "1.25", "0.005", "2.000001", "0.1", "7", "0", "1234.5", "0.000001")
LOCATIONS = ("A", "B", "C")
KINDS = ("receipt", "receipt", "issue", "issue", "transfer", "return", "count")

Intent = tuple[str, str, str, int, int, int, int]
intents = st.tuples(
    st.sampled_from(KINDS),
    st.sampled_from(("A", "A", "A", "B", "C")),
    st.sampled_from(LOCATIONS),
    st.integers(min_value=1, max_value=8),  # quantity, in quarter units (receipts: x3)
    st.integers(min_value=0, max_value=len(COSTS) - 1),
    st.integers(min_value=1, max_value=15),  # effective day: later ones are often earlier
    st.integers(min_value=0, max_value=40),  # which receipt to return, how far a count is off
)

State = TypeVar("State")


def _movement(spec: ItemSpec, history: ValuedHistory, intent: Intent, sequence: int) -> Movement:
    kind, location, other, qty, cost_index, day_number, pick = intent
    qty *= 10**spec.quantity_scale // 4 or 1  # quarter units of a scale-3 item
    mid, item, on = f"M{sequence}", spec.item, day(day_number)
    cost = parse_unit_cost(COSTS[cost_index])
    if kind == "receipt":
        return Receipt(
            id=mid,
            item=item,
            location=location,
            qty=3 * qty,
            effective_date=on,
            sequence=sequence,
            unit_cost=cost,
        )
    if kind == "issue":
        return Issue(
            id=mid, item=item, location=location, qty=qty, effective_date=on, sequence=sequence
        )
    source = "A" if pick % 3 else location  # stock is mostly received at A
    if kind == "transfer" and other != source:
        return Transfer(
            id=mid,
            item=item,
            source=source,
            destination=other,
            qty=max(1, qty // 2),
            effective_date=on,
            sequence=sequence,
        )
    if kind == "return":
        # Mostly an earlier receipt's goods from where they came in; now and then
        # from elsewhere, dated before the receipt, or of no receipt at all.
        receipts = [e.movement for e in history.entries if isinstance(e.movement, Receipt)]
        receipt_id = "NO-SUCH-RECEIPT"
        if receipts and pick % 11:
            receipt = receipts[pick % len(receipts)]
            receipt_id = receipt.id
            location = receipt.location if pick % 5 else location
            on = max(on, receipt.effective_date) if pick % 7 else on
        return Return(
            id=mid,
            item=item,
            location=location,
            qty=qty,
            effective_date=on,
            sequence=sequence,
            receipt_id=receipt_id,
        )
    # A count, taken at its point in valuation order: after everything effective
    # that day, being recorded last.
    position = stock_position(history, as_of_date=on)
    on_hand = next((s.qty for s in position.locations if s.location == location), 0)
    return Adjustment.from_count(
        id=mid,
        item=item,
        location=location,
        counted_qty=max(0, on_hand + (pick % 7 - 3) * qty),
        qty_on_hand=on_hand,
        effective_date=on,
        sequence=sequence,
        unit_cost=cost,
    )


def _accepts(
    apply: Callable[[State, Movement], tuple[State, MovementCost]],
    state: State,
    movements: Iterable[Movement],
) -> bool:
    try:
        for movement in movements:
            state, _ = apply(state, movement)
    except REFUSALS:
        return False
    return True


def _methods_accept(spec: ItemSpec, movements: list[Movement]) -> tuple[bool, bool]:
    ordered = sorted(movements, key=lambda m: (m.effective_date, m.sequence))
    return (
        _accepts(fifo.apply, fifo.initial(spec), ordered),
        _accepts(moving_average.apply, moving_average.initial(spec), ordered),
    )


def _check_corrections(old: ValuedHistory, insertion: Insertion) -> None:
    new = insertion.history
    for method in METHODS:
        costs = {e.movement.id: e.by(method).cost for e in old.entries}
        variances = {e.movement.id: e.by(method).price_variance for e in old.entries}
        for correction in insertion.revaluation.corrections(method):
            assert correction.kind in OUTFLOW_KINDS
            assert correction.cost_before == costs[correction.movement_id]
            assert correction.delta == correction.cost_after - correction.cost_before != 0
            costs[correction.movement_id] += correction.delta
            variances[correction.movement_id] += correction.price_variance_delta
        new_cost = insertion.revaluation.new.by(method)
        costs[new_cost.movement_id] = new_cost.cost
        variances[new_cost.movement_id] = new_cost.price_variance
        assert costs == {e.movement.id: e.by(method).cost for e in new.entries}
        assert variances == {e.movement.id: e.by(method).price_variance for e in new.entries}


def _check_conservation(history: ValuedHistory) -> None:
    """Receipt and gain values - outflow costs = value on hand, per method (a
    transfer moves value between locations and cancels out)."""
    for method in METHODS:
        value_in = sum(
            e.by(method).value for e in history.entries if e.movement.kind in ("receipt", "gain")
        )
        value_out = sum(
            e.by(method).cost
            for e in history.entries
            if e.movement.kind in ("issue", "return", "write_off")
        )
        position = stock_position(history)
        on_hand = position.fifo_value if method == "fifo" else position.moving_average_value
        assert value_in - value_out == on_hand
    final = history.final
    for location in LOCATIONS:
        assert final.fifo.qty_at(location) == final.moving_average.qty_at(location) >= 0


def _opening_stock(spec: ItemSpec) -> list[Movement]:
    """Receipts on the first day at every location, so that outflows have stock."""
    qty = 20 * 10**spec.quantity_scale
    return [
        Receipt(
            id=f"OPEN-{location}",
            item=spec.item,
            location=location,
            qty=qty,
            effective_date=day(1),
            sequence=n,
            unit_cost=parse_unit_cost(COSTS[n]),
        )
        for n, location in enumerate(LOCATIONS, start=1)
    ]


def _record(
    spec: ItemSpec, stream: list[Intent], interval: int, opening: bool = False
) -> ValuedHistory:
    history = value_history(
        spec, _opening_stock(spec) if opening else [], checkpoint_interval=interval
    )
    for sequence, intent in enumerate(stream, start=len(history.entries) + 1):
        movement = _movement(spec, history, intent, sequence)
        candidate = [*history.movements, movement]
        before = copy.deepcopy(history)
        try:
            insertion = insert_backdated(history, movement)
        except REFUSALS:
            assert history == before  # a refusal changes nothing
            assert _methods_accept(spec, candidate) == (False, False)
            continue
        assert _methods_accept(spec, candidate) == (True, True)
        scratch = value_history(spec, candidate, checkpoint_interval=interval)
        assert insertion.history == scratch
        _check_corrections(history, insertion)
        history = insertion.history
        assert check_history(history) == []
        _check_conservation(history)
    return history


@settings(derandomize=True, max_examples=150, deadline=None)
@given(
    spec=st.sampled_from(SPECS),
    stream=st.lists(intents, max_size=24),
    interval=st.sampled_from((1, 3, 64)),
    opening=st.booleans(),
)
def test_random_streams_stay_consistent_with_valuing_the_whole_history_from_scratch(
    spec: ItemSpec, stream: list[Intent], interval: int, opening: bool
) -> None:
    _record(spec, stream, interval, opening)


@settings(derandomize=True, max_examples=60, deadline=None)
@given(stream=st.lists(intents, min_size=1, max_size=24))
def test_the_order_in_which_movements_are_handed_in_does_not_change_the_valuation(
    stream: list[Intent],
) -> None:
    spec = SPECS[0]
    history = _record(spec, stream, 4)
    assert value_history(spec, reversed(history.movements), checkpoint_interval=4) == history
