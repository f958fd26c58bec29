"""Posting journal entries in groups: many entries, one commit (group commit).

Mixed into ``BackOffice`` through ``LedgerCommands`` (``domain.ledger.service``):
``app.post_journal_entry(command)`` posts one entry, ``app.post_entries``
many. Each command gets its own outcome; a collision of the shared commit
isolates the colliding commands and retries the rest, and an idempotency key
used before answers with the original result.
"""

from __future__ import annotations

from collections.abc import Sequence
from uuid import UUID

from eventsourcing.persistence import IntegrityError

from domain.kernel import limits
from domain.kernel.errors import ConcurrencyConflict, DomainError, IdempotencyConflict
from domain.kernel.unit_of_work import CONFLICT_RETRIES_MAX, find
from domain.ledger.batch import LedgerBatch
from domain.ledger.commands import PostingOutcome, PostJournalEntry
from domain.ledger.errors import UnknownEntry
from domain.ledger.journal import JournalEntry, entry_id_for_key
from domain.ledger.reads import LedgerReads

Outcomes = list[PostingOutcome | DomainError | None]


class EntryPosting(LedgerReads):
    """``post_journal_entry`` and ``post_entries``."""

    def post_journal_entry(self, command: PostJournalEntry) -> PostingOutcome:
        """Post one entry; raises the refusal. See ``post_entries`` for batches."""
        outcome = self.post_entries([command])[0]
        if isinstance(outcome, DomainError):
            raise outcome
        return outcome

    def post_entries(
        self, commands: Sequence[PostJournalEntry]
    ) -> list[PostingOutcome | DomainError]:
        """Post many entries in one commit (group commit).

        Each command gets its own outcome: a refusal refuses only that command.
        If the shared commit collides (a key used before, or another process
        moved a guarded account), the colliding commands are isolated and the
        rest retried, so one bad command never fails its neighbours.
        """
        with self.write_lock:
            outcomes: Outcomes = [None] * len(commands)
            todo = list(range(len(commands)))
            for _attempt in range(CONFLICT_RETRIES_MAX):
                if not todo:
                    break
                todo = self._try_batch(commands, todo, outcomes)
            for index in todo:
                outcomes[index] = ConcurrencyConflict(
                    "the entry collided with concurrent writers too often; retry it"
                )
            assert all(outcome is not None for outcome in outcomes)
            return outcomes  # type: ignore[return-value]

    def _try_batch(
        self, commands: Sequence[PostJournalEntry], todo: list[int], outcomes: Outcomes
    ) -> list[int]:
        """Stage and save the commands in ``todo``; return those to try again."""
        batch = LedgerBatch(self)
        batch.preload([commands[index] for index in todo])
        staged, decided_in_batch = self._stage(batch, commands, todo, outcomes)
        if not staged:
            return []
        try:
            recordings = self.save(*batch.aggregates())
        except IntegrityError:
            return self._after_collision(commands, staged, decided_in_batch, outcomes)
        positions = {
            recording.domain_event.originator_id: recording.notification.id
            for recording in recordings
            if recording.domain_event.originator_version == 1
            and isinstance(recording.domain_event, JournalEntry.EntryRecorded)
        }
        for index, entry_id in staged.items():
            outcomes[index] = PostingOutcome(entry_id, positions[entry_id])
        for index, outcome in enumerate(outcomes):
            if isinstance(outcome, PostingOutcome) and outcome.replayed and outcome.position is None:
                outcomes[index] = PostingOutcome(outcome.entry_id, positions.get(outcome.entry_id), True)
        return []

    def _stage(
        self,
        batch: LedgerBatch,
        commands: Sequence[PostJournalEntry],
        todo: list[int],
        outcomes: Outcomes,
    ) -> tuple[dict[int, UUID], list[int]]:
        """Stage each command in ``todo``: (entry ids staged by command index,
        the commands decided against staged neighbours)."""
        staged: dict[int, UUID] = {}
        # Outcomes decided against staged neighbours: refusals (funds they took,
        # keys they claimed) and replays of them. Decided again after a collision.
        decided_in_batch: list[int] = []
        for index in todo:
            try:
                result = batch.stage_entry(commands[index])
            except DomainError as refusal:
                outcomes[index] = self._replay_or_refuse(commands[index], refusal)
                decided_in_batch.append(index)
                continue
            if isinstance(result, PostingOutcome):
                outcomes[index] = result  # replay of an entry earlier in this batch
                decided_in_batch.append(index)
            else:
                staged[index] = result
        return staged, decided_in_batch

    def _after_collision(
        self,
        commands: Sequence[PostJournalEntry],
        staged: dict[int, UUID],
        decided_in_batch: list[int],
        outcomes: Outcomes,
    ) -> list[int]:
        """Resolve commands whose entry already exists; the rest go again.

        The staged neighbours did not commit, so what was decided against them
        is decided again: against the committed entry of the same key if there
        is one, else in the next attempt.
        """
        retry = []
        committed: dict[UUID, JournalEntry] = {}
        for index, entry_id in staged.items():
            try:
                committed[entry_id] = self.get_entry(entry_id)
            except UnknownEntry:
                retry.append(index)
                continue
            outcomes[index] = self._replay(commands[index], committed[entry_id])
        for index in decided_in_batch:
            key = commands[index].idempotency_key
            existing = committed.get(entry_id_for_key(key)) if isinstance(key, str) else None
            if existing is not None:
                outcomes[index] = self._replay(commands[index], existing)
            else:
                outcomes[index] = None
                retry.append(index)
        return sorted(retry)

    def _replay_or_refuse(self, command: PostJournalEntry, refusal: DomainError) -> PostingOutcome | DomainError:
        """A retry of an acknowledged entry gets the original result, even if the
        rules would refuse the entry now (its period closed, funds moved)."""
        key = command.idempotency_key
        if not isinstance(key, str) or not 0 < len(key) <= limits.IDEMPOTENCY_KEY_LENGTH_MAX:
            return refusal
        existing = find(self, entry_id_for_key(key), JournalEntry)
        if existing is None:
            return refusal
        return self._replay(command, existing)

    def _replay(
        self, command: PostJournalEntry, existing: JournalEntry
    ) -> PostingOutcome | DomainError:
        """Same key, same body: the original result. Same key, other body: refused."""
        try:
            same_body = LedgerBatch.fingerprint_of(command, self.catalog()) == existing.fingerprint
        except DomainError:
            same_body = False  # an invalid body cannot be the one that was accepted
        if not same_body:
            return IdempotencyConflict(
                f"idempotency_key: {command.idempotency_key!r} was used for a different entry",
                field="idempotency_key",
            )
        return PostingOutcome(existing.id, None, replayed=True)
