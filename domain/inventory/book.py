"""The valued history of one item's stock log, kept up to date by appending.

A ``StockBook`` is the service's fold of one ``ItemStock``'s events at a known
version: the aggregate itself, the movements valued FIFO and moving average
(``domain.inventory.valuation``), and the recorded events by movement id for
retries. It is derived state, rebuilt from the log whenever it is missing or
behind, never the source of truth.

Most movements are dated after everything recorded so far; those are folded
onto the final state and appended (constant work, whatever the history's
length). A back-dated movement goes through ``insert_backdated``, which
replays from the nearest checkpoint before its date and reports the
corrections. ``mark`` and ``rollback`` undo what a batch committed to the
book when its save does not happen (a collision with another process, a
refusal that spoils the batch).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from domain.inventory.checks import quantity_deltas
from domain.inventory.costing import ItemSpec
from domain.inventory.errors import DuplicateMovement
from domain.inventory.movements import Movement, order_key
from domain.inventory.stock import MOVEMENT_EVENTS, ItemStock, movement_of
from domain.inventory.valuation import (
    CHECKPOINT_INTERVAL,
    Checkpoint,
    Method,
    MovementValuation,
    Revaluation,
    ValuationState,
    ValuedHistory,
    apply,
    insert_backdated,
    insertion_index,
    state_before,
    value_history,
)


@dataclass(frozen=True, slots=True)
class Placement:
    """Where a movement goes and what it does, decided but not yet committed:
    its valuation, the revaluation of later movements (None when it is the
    newest), the stock at each location it touched right after it, and the
    book's new contents."""

    movement: Movement
    valuation: MovementValuation
    revaluation: Revaluation | None
    on_hand_after: dict[str, int]
    final: ValuationState
    history: ValuedHistory | None


@dataclass(frozen=True, slots=True)
class Mark:
    base: ValuedHistory
    tail: list[MovementValuation]
    tail_length: int
    tail_checkpoints: list[Checkpoint]
    checkpoints_length: int
    final: ValuationState
    log_length: int


class StockBook:
    """One item's movements in valuation order with both methods' valuations,
    and the ``ItemStock`` aggregate at ``version`` they were folded from."""

    def __init__(
        self, aggregate: ItemStock, *, checkpoint_interval: int = CHECKPOINT_INTERVAL
    ) -> None:
        self.aggregate = aggregate
        self.spec: ItemSpec = aggregate.spec
        self.method: Method = "fifo" if aggregate.costing_method == "fifo" else "moving_average"
        self._interval = checkpoint_interval
        self._base = value_history(self.spec, (), checkpoint_interval=checkpoint_interval)
        self._tail: list[MovementValuation] = []
        self._tail_checkpoints: list[Checkpoint] = []
        self._final = self._base.final
        self._ids: set[str] = set()
        self._sequences: set[int] = set()
        self._log: list[tuple[str, int]] = []
        # Saved events: movements by id, corrections by the movement that caused them,
        # and the aggregate version of each movement in recorded (sequence) order.
        self.events: dict[str, ItemStock.StockMoved] = {}
        self.corrections: dict[str, list[ItemStock.MovementCostCorrected]] = {}
        self.versions: list[int] = []

    @classmethod
    def from_events(cls, events: Iterable[Any]) -> StockBook:
        iterator = iter(events)
        created = next(iterator)
        assert isinstance(created, ItemStock.StockLogOpened), type(created)
        aggregate = created.mutate(None)
        assert isinstance(aggregate, ItemStock)
        book = cls(aggregate)
        book.extend(iterator)
        return book

    @property
    def version(self) -> int:
        return int(self.aggregate.version)

    @property
    def count(self) -> int:
        return len(self._base.entries) + len(self._tail)

    @property
    def final(self) -> ValuationState:
        return self._final

    def history(self) -> ValuedHistory:
        """The whole valued history (materialised once per run of appends)."""
        if self._tail:
            base = self._base
            self._base = ValuedHistory(
                self.spec,
                base.entries + tuple(self._tail),
                base.checkpoints + tuple(self._tail_checkpoints),
                self._final,
                self._interval,
                frozenset(self._ids),
                frozenset(self._sequences),
            )
            self._tail, self._tail_checkpoints = [], []
        return self._base

    # --- deciding and committing -----------------------------------------------

    def place(self, movement: Movement) -> Placement:
        """Value ``movement`` at its point in valuation order; refuses (shortage at
        its date or any later point, unknown receipt ...) with the book unchanged."""
        if movement.id in self._ids:
            raise DuplicateMovement(
                f"movement {movement.id!r} is already in the stock log of {self.spec.item!r}",
                field="movement_id",
            )
        last = self._last()
        if last is None or order_key(movement) > order_key(last.movement):
            state, valuation = apply(self._final, movement)
            return Placement(movement, valuation, None, _on_hand(state, movement), state, None)
        insertion = insert_backdated(self.history(), movement)
        history = insertion.history
        index = insertion_index(history, order_key(movement))  # just after the movement
        after = state_before(history, index)
        revaluation = insertion.revaluation
        return Placement(
            movement, revaluation.new, revaluation, _on_hand(after, movement), history.final, history
        )

    def commit(self, placement: Placement) -> None:
        movement = placement.movement
        if placement.history is None:
            self._tail.append(placement.valuation)
            if self.count % self._interval == 0:
                self._tail_checkpoints.append(Checkpoint(self.count, placement.final))
        else:
            self._base = placement.history
            self._tail, self._tail_checkpoints = [], []
        self._final = placement.final
        self._ids.add(movement.id)
        self._sequences.add(movement.sequence)
        self._log.append((movement.id, movement.sequence))

    def mark(self) -> Mark:
        return Mark(
            self._base, self._tail, len(self._tail), self._tail_checkpoints,
            len(self._tail_checkpoints), self._final, len(self._log),
        )

    def rollback(self, mark: Mark) -> None:
        """Forget every commit since ``mark``."""
        self._base, self._final = mark.base, mark.final
        self._tail, self._tail_checkpoints = mark.tail, mark.tail_checkpoints
        del self._tail[mark.tail_length :]
        del self._tail_checkpoints[mark.checkpoints_length :]
        for movement_id, sequence in self._log[mark.log_length :]:
            self._ids.discard(movement_id)
            self._sequences.discard(sequence)
        del self._log[mark.log_length :]

    # --- saved events --------------------------------------------------------------

    def saved(self, aggregate: ItemStock, events: Iterable[Any]) -> None:
        """The batch's events of this item were saved: ``aggregate`` is current."""
        self.aggregate = aggregate
        for event in events:
            self._index(event)

    def extend(self, events: Iterable[Any]) -> None:
        """Fold events another writer saved (or the log held) onto the book."""
        for event in events:
            self.aggregate = event.mutate(self.aggregate)
            if isinstance(event, MOVEMENT_EVENTS):
                self.commit(self.place(movement_of(self.spec.item, event)))
            self._index(event)

    def _index(self, event: Any) -> None:
        if isinstance(event, MOVEMENT_EVENTS):
            self.events[event.movement_id] = event
            self.versions.append(int(event.originator_version))
        elif isinstance(event, ItemStock.MovementCostCorrected):
            self.corrections.setdefault(event.caused_by, []).append(event)

    def qty_before(self, location: str, movement_key: tuple[Any, int]) -> int:
        """Quantity at ``location`` just before a movement placed at ``movement_key``
        (what a stock count is compared with)."""
        last = self._last()
        if last is None or movement_key > order_key(last.movement):
            return self._final.fifo.qty_at(location)
        history = self.history()
        state = state_before(history, insertion_index(history, movement_key))
        return state.fifo.qty_at(location)

    def _last(self) -> MovementValuation | None:
        if self._tail:
            return self._tail[-1]
        return self._base.entries[-1] if self._base.entries else None


def _on_hand(state: ValuationState, movement: Movement) -> dict[str, int]:
    return {location: state.fifo.qty_at(location) for location, _ in quantity_deltas(movement)}
