"""``backoffice post FILE``: a list of journal entries, all or nothing, in one save.

``BackOffice.post_entries`` gives each command its own outcome (a refusal
refuses only that command), which suits the group commit of the API. A file
is one decision of its author: by default either every entry of it is
posted, in one ``save()``, or none is and every refusal is named.
``--each`` keeps the one-by-one behaviour.

This is a composition of the ledger's public parts (``LedgerBatch`` stages
and checks, ``save`` commits); it belongs in ``domain/ledger/posting.py`` as
an atomic mode of ``post_entries`` once that module's owner takes it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from eventsourcing.persistence import IntegrityError

from domain.kernel.errors import ConcurrencyConflict, DomainError, IdempotencyConflict
from domain.kernel.unit_of_work import CONFLICT_RETRIES_MAX
from domain.ledger.batch import LedgerBatch
from domain.ledger.commands import PostingOutcome, PostJournalEntry
from domain.ledger.journal import JournalEntry, entry_id_for_key


@dataclass(frozen=True, slots=True)
class AtomicPosting:
    """What an all-or-nothing post did: every outcome (when it was saved) or
    the refusals by command index (when nothing was written)."""

    outcomes: list[PostingOutcome]
    refusals: list[tuple[int, DomainError]]


def post_atomically(app: Any, commands: Sequence[PostJournalEntry]) -> AtomicPosting:
    """Stage every command; save them all in one ``save()`` only if none is refused.

    A key posted before with the same body is a replay (its original entry),
    with another body a refusal. A commit that collides with another process
    is decided again from the log, up to ``CONFLICT_RETRIES_MAX`` times.
    """
    with app.write_lock:
        for _attempt in range(CONFLICT_RETRIES_MAX):
            replays, refusals = _earlier_entries(app, commands)
            batch = LedgerBatch(app)
            batch.preload(
                [command for index, command in enumerate(commands) if index not in replays]
            )
            staged: dict[int, UUID] = {}
            decided = {*replays, *(index for index, _refusal in refusals)}
            for index, command in enumerate(commands):
                if index in decided:
                    continue
                try:
                    result = batch.stage_entry(command)
                except DomainError as refusal:
                    refusals.append((index, refusal))
                    continue
                if isinstance(result, PostingOutcome):
                    replays[index] = result  # the same entry twice in the file
                else:
                    staged[index] = result
            if refusals:
                return AtomicPosting([], sorted(refusals, key=lambda pair: pair[0]))
            try:
                recordings = app.save(*batch.aggregates()) if staged else []
            except IntegrityError:
                continue  # another writer committed first: decide again against it
            return AtomicPosting(_outcomes(app, commands, staged, replays, recordings), [])
    conflict = ConcurrencyConflict("the file collided with concurrent writers too often; retry it")
    return AtomicPosting([], [(0, conflict)])


def _earlier_entries(
    app: Any, commands: Sequence[PostJournalEntry]
) -> tuple[dict[int, PostingOutcome], list[tuple[int, DomainError]]]:
    """Commands whose key was posted before: replays (same body) or refusals."""
    ids: dict[int, UUID] = {}
    for index, command in enumerate(commands):
        if isinstance(command.idempotency_key, str) and command.idempotency_key:
            ids[index] = entry_id_for_key(command.idempotency_key)
    found = app.current_aggregates(list(set(ids.values()))) if ids else {}
    replays: dict[int, PostingOutcome] = {}
    refusals: list[tuple[int, DomainError]] = []
    for index, entry_id in ids.items():
        existing = found.get(entry_id)
        if not isinstance(existing, JournalEntry):
            continue
        try:
            same = (
                LedgerBatch.fingerprint_of(commands[index], app.catalog()) == existing.fingerprint
            )
        except DomainError:
            same = False  # an invalid body cannot be the one that was accepted
        if same:
            replays[index] = PostingOutcome(existing.id, None, replayed=True)
        else:
            key = commands[index].idempotency_key
            refusals.append(
                (index, IdempotencyConflict(
                    f"idempotency_key: {key!r} was used for a different entry",
                    field="idempotency_key",
                ))
            )  # fmt: skip
    return replays, refusals


def _outcomes(
    app: Any,
    commands: Sequence[PostJournalEntry],
    staged: dict[int, UUID],
    replays: dict[int, PostingOutcome],
    recordings: Sequence[Any],
) -> list[PostingOutcome]:
    """Each command's entry and log position, in the file's order."""
    positions = {
        recording.domain_event.originator_id: recording.notification.id
        for recording in recordings
        if recording.domain_event.originator_version == 1
        and isinstance(recording.domain_event, JournalEntry.EntryRecorded)
    }
    outcomes = []
    for index in range(len(commands)):
        if index in staged:
            outcomes.append(PostingOutcome(staged[index], positions[staged[index]]))
        else:
            outcomes.append(with_position(app, replays[index], positions))
    return outcomes


def with_position(
    app: Any, outcome: PostingOutcome, positions: dict[UUID, int] | None = None
) -> PostingOutcome:
    """A replay with its original's log position, where the log can tell it."""
    if outcome.position is not None:
        return outcome
    position = (positions or {}).get(outcome.entry_id)
    if position is None:
        position = app.position_of(outcome.entry_id, 1)
    return PostingOutcome(outcome.entry_id, position, outcome.replayed)
