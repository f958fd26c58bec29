"""One item's history valued FIFO and moving average side by side.

Both methods fold the same movements in valuation order, (effective date,
recorded sequence), so they accept and refuse the same movements and agree on
quantities; the item's own method is the one that drives the ledger. A
back-dated movement is never an edit: ``insert_backdated`` replays from the
nearest checkpoint before the insertion point and returns corrections, new
facts for the caller to post, for exactly the outflows whose cost changed.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Literal

from domain.inventory import fifo, moving_average
from domain.inventory.costing import ItemSpec, MovementCost, MovementKind
from domain.inventory.errors import DuplicateMovement, InsufficientStock, InvalidMovement
from domain.inventory.fifo import FifoState, Layer
from domain.inventory.movements import OUTFLOW_KINDS, Movement, OrderKey, order_key
from domain.inventory.moving_average import MovingAverageState

CHECKPOINT_INTERVAL = 64
"""Movements between two kept states: an insertion refolds fewer than this many
movements before its own point, whatever the length of the history."""

Method = Literal["fifo", "moving_average"]
METHODS: tuple[Method, ...] = ("fifo", "moving_average")


@dataclass(frozen=True, slots=True)
class ValuationState:
    """Both methods' states after the same movements."""

    fifo: FifoState
    moving_average: MovingAverageState


@dataclass(frozen=True, slots=True)
class MovementValuation:
    """One movement and what it cost (or was worth) under each method."""

    movement: Movement
    fifo: MovementCost
    moving_average: MovementCost

    def by(self, method: Method) -> MovementCost:
        return self.fifo if method == "fifo" else self.moving_average


@dataclass(frozen=True, slots=True)
class Checkpoint:
    """The state after the first ``index`` movements in valuation order."""

    index: int
    state: ValuationState


@dataclass(frozen=True, slots=True)
class ValuedHistory:
    """An item's movements in valuation order with their valuations, the final
    state, and a checkpoint every ``checkpoint_interval`` movements (from 0)."""

    spec: ItemSpec
    entries: tuple[MovementValuation, ...]
    checkpoints: tuple[Checkpoint, ...]
    final: ValuationState
    checkpoint_interval: int
    movement_ids: frozenset[str]
    sequences: frozenset[int]

    @property
    def movements(self) -> tuple[Movement, ...]:
        return tuple(entry.movement for entry in self.entries)


@dataclass(frozen=True, slots=True)
class Correction:
    """An outflow whose cost changed: post ``delta`` (= cost_after - cost_before).
    For a return the supplier credit is fixed, so the whole delta is also
    ``price_variance_delta``, to go to price variance; it is 0 for other kinds."""

    movement_id: str
    kind: MovementKind
    cost_before: int
    cost_after: int
    delta: int
    price_variance_delta: int


@dataclass(frozen=True, slots=True)
class Revaluation:
    """The inserted movement's valuation, the new valuation of every movement after
    it (in order), the corrections per method, and the state after them all."""

    new: MovementValuation
    later: tuple[MovementValuation, ...]
    fifo_corrections: tuple[Correction, ...]
    moving_average_corrections: tuple[Correction, ...]
    final: ValuationState

    def corrections(self, method: Method) -> tuple[Correction, ...]:
        return self.fifo_corrections if method == "fifo" else self.moving_average_corrections


@dataclass(frozen=True, slots=True)
class Insertion:
    """The history with the movement in place, and how that revalued it."""

    history: ValuedHistory
    revaluation: Revaluation


@dataclass(frozen=True, slots=True)
class LocationStock:
    """Stock at one location: FIFO layers in consumption order (oldest first)."""

    location: str
    qty: int
    fifo_value: int
    moving_average_value: int
    layers: tuple[Layer, ...]


@dataclass(frozen=True, slots=True)
class StockPosition:
    """Stock on hand of one item per location (sorted, non-empty ones only)."""

    item: str
    as_of_date: date | None
    as_of_sequence: int | None
    locations: tuple[LocationStock, ...]

    @property
    def qty(self) -> int:
        return sum(location.qty for location in self.locations)

    @property
    def fifo_value(self) -> int:
        return sum(location.fifo_value for location in self.locations)

    @property
    def moving_average_value(self) -> int:
        return sum(location.moving_average_value for location in self.locations)


# --- folding -----------------------------------------------------------------------


def initial_state(spec: ItemSpec) -> ValuationState:
    return ValuationState(fifo.initial(spec), moving_average.initial(spec))


def apply(state: ValuationState, movement: Movement) -> tuple[ValuationState, MovementValuation]:
    """Both methods' states after ``movement``, or a refusal with nothing changed."""
    fifo_state, fifo_cost = fifo.apply(state.fifo, movement)
    average_state, average_cost = moving_average.apply(state.moving_average, movement)
    return (
        ValuationState(fifo_state, average_state),
        MovementValuation(movement, fifo_cost, average_cost),
    )


def _fold(
    state: ValuationState,
    movements: Iterable[Movement],
    *,
    first_index: int,
    interval: int | None,
    caused_by: str | None = None,
) -> tuple[list[MovementValuation], list[Checkpoint], ValuationState]:
    """Fold ``movements``, the first being number ``first_index`` in valuation
    order; keep a checkpoint after each movement whose count is a multiple of
    ``interval``. A shortage at a later point is reported as caused by ``caused_by``."""
    entries: list[MovementValuation] = []
    checkpoints: list[Checkpoint] = []
    for offset, movement in enumerate(movements, start=1):
        try:
            state, entry = apply(state, movement)
        except InsufficientStock as short:
            if caused_by is None or short.movement_id == caused_by:
                raise
            raise InsufficientStock(
                item=short.item, location=short.location, effective_date=short.effective_date,
                shortage_qty=short.shortage_qty, quantity_scale=state.fifo.spec.quantity_scale,
                movement_id=short.movement_id, caused_by=caused_by,
            ) from short
        entries.append(entry)
        if interval is not None and (first_index + offset) % interval == 0:
            checkpoints.append(Checkpoint(first_index + offset, state))
    return entries, checkpoints, state


def _check_item(spec: ItemSpec, movement: Movement) -> None:
    if movement.item != spec.item:
        raise InvalidMovement(
            f"movement {movement.id!r} is of item {movement.item!r}, not {spec.item!r}",
            field="item",
        )


def value_history(
    spec: ItemSpec,
    movements: Iterable[Movement],
    *,
    checkpoint_interval: int = CHECKPOINT_INTERVAL,
) -> ValuedHistory:
    """Value an item's movements, in any order given, in valuation order."""
    assert checkpoint_interval > 0
    ordered = sorted(movements, key=order_key)
    ids: set[str] = set()
    sequences: set[int] = set()
    for movement in ordered:
        _check_item(spec, movement)
        if movement.id in ids or movement.sequence in sequences:
            raise DuplicateMovement(
                f"movement {movement.id!r} (sequence {movement.sequence}) repeats an id or"
                " a sequence of the item's history",
                field="id",
            )
        ids.add(movement.id)
        sequences.add(movement.sequence)
    start = initial_state(spec)
    entries, checkpoints, final = _fold(
        start, ordered, first_index=0, interval=checkpoint_interval
    )
    return ValuedHistory(
        spec, tuple(entries), (Checkpoint(0, start), *checkpoints), final,
        checkpoint_interval, frozenset(ids), frozenset(sequences),
    )


# --- back-dated movements ----------------------------------------------------------


def revalue_after(
    start: ValuationState, later: Sequence[MovementValuation], movement: Movement
) -> Revaluation:
    """Value ``movement`` on top of ``start`` (the state at its point in valuation
    order) and replay the ``later`` movements after it; their old valuations give
    the corrections. Work is proportional to ``len(later)``; nothing is mutated.
    Refuses (InsufficientStock ...) when any later point would go short."""
    return _revalue(start, later, movement, first_index=0, interval=None)[0]


def _revalue(
    start: ValuationState,
    later: Sequence[MovementValuation],
    movement: Movement,
    *,
    first_index: int,
    interval: int | None,
) -> tuple[Revaluation, list[Checkpoint]]:
    assert all(order_key(entry.movement) > order_key(movement) for entry in later[:1])
    replayed, checkpoints, final = _fold(
        start,
        (movement, *(entry.movement for entry in later)),
        first_index=first_index,
        interval=interval,
        caused_by=movement.id,
    )
    new, after = replayed[0], tuple(replayed[1:])
    revaluation = Revaluation(
        new, after, _corrections(later, after, "fifo"),
        _corrections(later, after, "moving_average"), final,
    )
    return revaluation, checkpoints


def _corrections(
    before: Sequence[MovementValuation], after: Sequence[MovementValuation], method: Method
) -> tuple[Correction, ...]:
    found: list[Correction] = []
    for old, new in zip(before, after, strict=True):
        assert old.movement == new.movement
        old_cost, new_cost = old.by(method), new.by(method)
        if old_cost.kind not in OUTFLOW_KINDS or old_cost.cost == new_cost.cost:
            continue
        delta = new_cost.cost - old_cost.cost
        found.append(
            Correction(
                old_cost.movement_id, old_cost.kind, old_cost.cost, new_cost.cost, delta,
                delta if old_cost.kind == "return" else 0,
            )
        )
    return tuple(found)


def insertion_index(history: ValuedHistory, key: OrderKey) -> int:
    """How many of the history's movements come before ``key`` in valuation order."""
    return bisect.bisect_right(history.entries, key, key=lambda entry: order_key(entry.movement))


def state_before(history: ValuedHistory, index: int) -> ValuationState:
    """The state after the first ``index`` movements: from the checkpoint at or
    before it, refolding fewer than ``checkpoint_interval`` movements."""
    assert 0 <= index <= len(history.entries)
    if index == len(history.entries):
        return history.final  # appending: nothing to refold
    checkpoint = history.checkpoints[index // history.checkpoint_interval]
    assert checkpoint.index <= index
    if checkpoint.index == index:
        return checkpoint.state
    between = (entry.movement for entry in history.entries[checkpoint.index : index])
    return _fold(checkpoint.state, between, first_index=checkpoint.index, interval=None)[2]


def insert_backdated(history: ValuedHistory, movement: Movement) -> Insertion:
    """Put ``movement`` at its point in valuation order (back-dated or not) and
    revalue what follows; refused, with ``history`` unchanged, when it would take
    any location short at its date or at any later point."""
    _check_item(history.spec, movement)
    if movement.id in history.movement_ids or movement.sequence in history.sequences:
        raise DuplicateMovement(
            f"movement {movement.id!r} (sequence {movement.sequence}) repeats an id or a"
            " sequence of the item's history",
            field="id",
        )
    index = insertion_index(history, order_key(movement))
    revaluation, fresh = _revalue(
        state_before(history, index), history.entries[index:], movement,
        first_index=index, interval=history.checkpoint_interval,
    )
    # Checkpoints up to the insertion point still hold; those after it moved by
    # one position, so the replay took them afresh.
    kept = tuple(checkpoint for checkpoint in history.checkpoints if checkpoint.index <= index)
    new_history = ValuedHistory(
        history.spec,
        (*history.entries[:index], revaluation.new, *revaluation.later),
        (*kept, *fresh),
        revaluation.final,
        history.checkpoint_interval,
        history.movement_ids | {movement.id},
        history.sequences | {movement.sequence},
    )
    return Insertion(new_history, revaluation)


# --- stock on hand -----------------------------------------------------------------


def stock_position(
    history: ValuedHistory,
    *,
    as_of_date: date | None = None,
    as_of_sequence: int | None = None,
) -> StockPosition:
    """Stock on hand and its valuation after the movements effective on or before
    ``as_of_date`` and recorded at or before ``as_of_sequence`` (either may be
    None: no limit). Later-recorded movements are left out and the rest revalued,
    which is what the books said at that sequence."""

    def included(movement: Movement) -> bool:
        return (as_of_date is None or movement.effective_date <= as_of_date) and (
            as_of_sequence is None or movement.sequence <= as_of_sequence
        )

    entries = history.entries
    first_out = next(
        (i for i, entry in enumerate(entries) if not included(entry.movement)), len(entries)
    )
    state = state_before(history, first_out)
    rest = (entry.movement for entry in entries[first_out:] if included(entry.movement))
    state = _fold(state, rest, first_index=first_out, interval=None)[2]
    return StockPosition(history.spec.item, as_of_date, as_of_sequence, locations_of(state))


def locations_of(state: ValuationState) -> tuple[LocationStock, ...]:
    """Per-location stock of a state, sorted by location."""
    names = sorted(set(state.fifo.layers) | set(state.moving_average.pools))
    return tuple(
        LocationStock(
            name,
            state.fifo.qty_at(name),
            state.fifo.value_at(name),
            state.moving_average.value_at(name),
            state.fifo.layers_at(name),
        )
        for name in names
    )
