"""Recording movements in groups: many movement commands, one commit.

``MovementRecorder.record`` is to stock movements what ``post_entries`` is to
journal entries: under the application's write lock it loads every item,
location and stock log the commands name (one version probe, and the log read
only for the stock logs another writer moved on), decides each command in
order against the books (so two issues of one item in one batch see each
other), stages each movement's journal entries in one ``LedgerBatch``, and
saves the stock logs and the entries in one ``save()``. Each command gets its
own outcome; a refusal refuses only its command and writes nothing of it.

After a collision with another process (a stock log or a guarded account
moved meanwhile) the books are rolled back to their marks and the batch is
decided again on the new history, a bounded number of times. A refusal of a
movement's second entry (say a correction dated in a closed period), after
its first was staged, spoils the shared ``LedgerBatch``; the batch is then
decided again without that command.
"""

from __future__ import annotations

import copy
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import date
from typing import TYPE_CHECKING, Any
from uuid import UUID

from eventsourcing.persistence import IntegrityError

from domain.inventory.book import Mark, StockBook
from domain.inventory.commands import (
    MovementCommand,
    MovementRequest,
    TransferStock,
    build_movement,
    command_sku,
    parse,
)
from domain.inventory.errors import UnknownItem, UnknownLocation
from domain.inventory.item import Item, item_id
from domain.inventory.location import Location, location_id
from domain.inventory.recording_entries import (
    SpoiledBatch,
    correction_entry,
    id_text,
    movement_entry,
    prefetch_entries,
    stage_entries,
)
from domain.inventory.results import MovementOutcome
from domain.inventory.staging import correction_event_fields, movement_event, outcome_of_event
from domain.inventory.stock import ItemStock, stock_id
from domain.kernel.errors import ConcurrencyConflict, DomainError, IdempotencyConflict
from domain.kernel.unit_of_work import CONFLICT_RETRIES_MAX, find
from domain.ledger.batch import LedgerBatch

if TYPE_CHECKING:
    from domain.application import BackOffice

BOOKS_HELD_MAX = 10_000
Outcomes = list[MovementOutcome | DomainError | None]


@dataclass(slots=True)
class _Staged:
    index: int
    request: MovementRequest
    stock: ItemStock
    event: ItemStock.StockMoved
    corrections: list[ItemStock.MovementCostCorrected]


@dataclass(slots=True)
class _Attempt:
    """The working set of one attempt at a batch."""

    items: dict[str, Item | None]
    locations: dict[str, Location | None]
    books: dict[str, StockBook]
    batch: LedgerBatch
    marks: dict[str, Mark] = field(default_factory=dict)
    stocks: dict[str, ItemStock] = field(default_factory=dict)
    staged: dict[tuple[str, str], _Staged] = field(default_factory=dict)
    twins: dict[int, _Staged] = field(default_factory=dict)

    def rollback(self) -> None:
        for sku, mark in self.marks.items():
            self.books[sku].rollback(mark)


class MovementRecorder:
    """Decides and saves movement commands over ``app``, keeping each item's book."""

    def __init__(self, app: BackOffice) -> None:
        self.app = app
        self._books: dict[UUID, StockBook] = {}
        self._aggregates: dict[UUID, Any] = {}

    def record(self, commands: Sequence[MovementCommand]) -> list[MovementOutcome | DomainError]:
        with self.app.write_lock:
            outcomes: Outcomes = [None] * len(commands)
            todo = list(range(len(commands)))
            collisions = 0
            while todo and collisions < CONFLICT_RETRIES_MAX:
                todo, collided = self._attempt(commands, todo, outcomes)
                collisions += collided
            for index in todo:
                outcomes[index] = ConcurrencyConflict(
                    "the movement collided with concurrent writers too often; retry it"
                )
            assert all(outcome is not None for outcome in outcomes)
            return outcomes  # type: ignore[return-value]

    def books(self, skus: Sequence[str]) -> dict[str, StockBook]:
        """The current book of each item that exists, brought up to date."""
        with self.app.write_lock:
            return self._books_for(skus, probed=False)

    # --- one attempt -------------------------------------------------------------

    def _attempt(
        self, commands: Sequence[MovementCommand], todo: list[int], outcomes: Outcomes
    ) -> tuple[list[int], bool]:
        """Decide and save ``todo``: (the commands to decide again, whether the
        save collided)."""
        skus: dict[int, str] = {}
        for index in todo:
            outcomes[index] = None
            try:
                skus[index] = command_sku(commands[index])
            except DomainError as refusal:
                outcomes[index] = refusal
        live = [index for index in todo if index in skus]
        attempt = self._load(commands, live, skus)
        staged: list[_Staged] = []
        for index in live:
            try:
                found = self._stage(attempt, index, commands[index], skus[index], outcomes)
            except SpoiledBatch as spoiled:
                attempt.rollback()
                outcomes[index] = spoiled.refusal
                return [other for other in live if other != index], False
            except DomainError as refusal:
                outcomes[index] = refusal
                continue
            if found is not None:
                staged.append(found)
        if not staged:
            return [], False
        try:
            recordings = self.app.save(*attempt.stocks.values(), *attempt.batch.aggregates())
        except IntegrityError:
            attempt.rollback()
            return live, True
        except BaseException:
            attempt.rollback()
            raise
        self._settle(attempt, staged, recordings, outcomes)
        return [], False

    def _settle(
        self,
        attempt: _Attempt,
        staged: list[_Staged],
        recordings: Sequence[Any],
        outcomes: Outcomes,
    ) -> None:
        positions = {
            (recording.domain_event.originator_id, recording.domain_event.originator_version): int(
                recording.notification.id
            )
            for recording in recordings
        }
        saved: dict[str, list[Any]] = {}
        for item in staged:
            saved.setdefault(item.request.sku, []).extend([item.event, *item.corrections])
            position = positions[(item.stock.id, item.event.originator_version)]
            outcomes[item.index] = outcome_of_event(
                attempt.books[item.request.sku].spec, item.event, item.corrections, position
            )
        for sku, events in saved.items():
            attempt.books[sku].saved(attempt.stocks[sku], events)
        for index, twin in attempt.twins.items():
            original = outcomes[twin.index]
            assert isinstance(original, MovementOutcome)
            outcomes[index] = replace(original, replayed=True)

    def _load(
        self, commands: Sequence[MovementCommand], live: list[int], skus: dict[int, str]
    ) -> _Attempt:
        codes: set[str] = set()
        for index in live:
            command = commands[index]
            named = (
                (command.from_location, command.to_location)
                if isinstance(command, TransferStock)
                else (command.location,)
            )
            codes.update(code for code in named if isinstance(code, str))
        item_ids = {item_id(sku): sku for sku in set(skus.values())}
        location_ids = {location_id(code): code for code in codes}
        stock_ids = [stock_id(sku) for sku in item_ids.values()]
        probe = self.app.version_probe
        ids = [*item_ids, *location_ids, *stock_ids]
        versions = probe(ids) if probe is not None and ids else None
        items = {sku: self._held(key, Item, versions) for key, sku in item_ids.items()}
        locations = {
            code: self._held(key, Location, versions) for key, code in location_ids.items()
        }
        books = self._books_for([sku for sku, item in items.items() if item is not None], versions)
        batch = LedgerBatch(self.app)
        batch.preload(prefetch_entries(commands, live, skus, items))
        return _Attempt(items, locations, books, batch)

    def _held(self, key: UUID, kind: type[Any], versions: dict[UUID, int] | None) -> Any:
        """Item or location ``key`` at its current version (None if it does not
        exist): the one held unless the probe says it changed. Never mutated."""
        held = self._aggregates.get(key)
        if versions is not None:
            version = versions.get(key)
            if version is None:
                return None
            if held is not None and held.version == version:
                return held
        found = find(self.app, key, kind)
        if found is not None:
            if len(self._aggregates) >= BOOKS_HELD_MAX:
                self._aggregates.clear()
            self._aggregates[key] = found
        return found

    def _books_for(
        self, skus: Sequence[str], versions: dict[UUID, int] | None = None, *, probed: bool = True
    ) -> dict[str, StockBook]:
        ids = {sku: stock_id(sku) for sku in skus}
        if versions is None and not probed:
            probe = self.app.version_probe
            versions = probe(list(ids.values())) if probe is not None and ids else None
        books: dict[str, StockBook] = {}
        for sku, key in ids.items():
            book = self._books.get(key)
            if book is not None and versions is not None and versions.get(key) == book.version:
                books[sku] = book
                continue
            events = list(
                self.app.repository.event_store.get(key, gt=None if book is None else book.version)
            )
            if book is None:
                if not events:
                    continue
                if len(self._books) >= BOOKS_HELD_MAX:
                    self._books.clear()
                book = self._books[key] = StockBook.from_events(events)
            else:
                book.extend(events)
            books[sku] = book
        return books

    # --- one command ---------------------------------------------------------------

    def _stage(
        self, attempt: _Attempt, index: int, command: MovementCommand, sku: str, outcomes: Outcomes
    ) -> _Staged | None:
        """Decide one command: staged, or answered already (a retry), or refused."""
        item = attempt.items.get(sku)
        book = attempt.books.get(sku)
        if item is None or book is None:
            raise UnknownItem(f"item: no item has SKU {sku!r}", field="item")
        request = parse(command, item)
        for code in request.locations:
            if attempt.locations.get(code) is None:
                raise UnknownLocation(f"location: no location has code {code!r}", field="location")
        if self._answered(attempt, book, request, index, outcomes):
            return None
        if sku not in attempt.marks:
            attempt.marks[sku] = book.mark()
            attempt.stocks[sku] = _fresh_copy(book.aggregate)
        stock = attempt.stocks[sku]
        sequence = book.count + 1
        assert stock.movement_count + 1 == sequence
        key = (date.fromisoformat(request.effective_date), sequence)
        on_hand = (
            book.qty_before(request.locations[0], key) if "counted_qty" in request.body else None
        )
        placement = book.place(build_movement(request, sequence, on_hand))
        cost = placement.valuation.by(book.method)
        corrections = (
            ()
            if placement.revaluation is None
            else (placement.revaluation.corrections(book.method))
        )
        dates = (
            {}
            if placement.revaluation is None
            else {
                entry.movement.id: entry.movement.effective_date.isoformat()
                for entry in placement.revaluation.later
            }
        )
        entries = [movement_entry(item, request, cost)] + [
            correction_entry(item, request, correction, dates[correction.movement_id])
            for correction in corrections
        ]
        stage_entries(attempt.batch, entries)
        book.commit(placement)
        event_class, fields = movement_event(request, placement, cost, id_text(entries[0]))
        stock.trigger_event(event_class, **fields)
        event = stock.pending_events[-1]
        corrected = []
        for correction, entry in zip(corrections, entries[1:], strict=True):
            stock.trigger_event(
                ItemStock.MovementCostCorrected,
                **correction_event_fields(
                    request, correction, dates[correction.movement_id], id_text(entry)
                ),
            )
            corrected.append(stock.pending_events[-1])
        assert isinstance(event, ItemStock.StockMoved)
        staged = _Staged(index, request, stock, event, corrected)  # type: ignore[arg-type]
        attempt.staged[(sku, request.movement_id)] = staged
        return staged

    def _answered(
        self,
        attempt: _Attempt,
        book: StockBook,
        request: MovementRequest,
        index: int,
        outcomes: Outcomes,
    ) -> bool:
        """A retry of a recorded (or staged) movement: answered with the original
        outcome; the same id with another body is refused."""
        conflict = IdempotencyConflict(
            f"movement_id: {request.movement_id!r} was used for another movement of"
            f" {request.sku!r}",
            field="movement_id",
        )
        saved = book.events.get(request.movement_id)
        if saved is not None:
            if saved.fingerprint != request.fingerprint:
                raise conflict
            position = self.app.position_of(book.aggregate.id, int(saved.originator_version))
            outcomes[index] = outcome_of_event(
                book.spec,
                saved,
                book.corrections.get(request.movement_id, []),
                position,
                replayed=True,
            )
            return True
        twin = attempt.staged.get((request.sku, request.movement_id))
        if twin is None:
            return False
        if twin.request.fingerprint != request.fingerprint:
            raise conflict
        attempt.twins[index] = twin
        return True


def _fresh_copy(stock: ItemStock) -> ItemStock:
    """A copy to trigger events on: the stock's fields are immutable values, so a
    shallow copy with its own pending events is a full one (deepcopy costs ~0.3 ms)."""
    clone = copy.copy(stock)
    clone.__dict__["_pending_events"] = []
    return clone
