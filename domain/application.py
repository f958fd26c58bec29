"""The back office application: one event-sourced application, one log.

Every command validates and decides, then triggers events on aggregates and
saves them in one atomic ``save()``: an entry and the guarded-account
records it causes commit together or not at all.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any
from uuid import UUID, uuid4

from eventsourcing.application import AggregateNotFoundError, Application, ProcessingEvent
from eventsourcing.domain import Aggregate
from eventsourcing.persistence import IntegrityError, Recording
from eventsourcing.utils import get_topic

from domain.access.errors import TokenAlreadyRevoked, UnknownToken
from domain.access.tokens import (
    ROLES,
    AccessRecord,
    ApiToken,
    CompletedRequest,
    completed_request_id,
    new_token,
)
from domain.kernel import limits
from domain.kernel.errors import ConcurrencyConflict, DomainError, IdempotencyConflict, InvalidInput
from domain.kernel.money import ASSET_SCALE_MAX, ISO_CURRENCY_SCALES, AssetCatalog, check_asset_code
from domain.ledger.accounts import (
    ACCOUNT_FLAGS,
    ACCOUNT_TYPES,
    Account,
    account_id,
    check_account_code,
)
from domain.ledger.assets import AssetDefinition, asset_id
from domain.ledger.batch import LedgerBatch
from domain.ledger.commands import Context, PostingOutcome, PostJournalEntry
from domain.ledger.errors import (
    AccountAlreadyExists,
    AccountClosed,
    AccountNotEmpty,
    AssetAlreadyRegistered,
    EntryAlreadyReversed,
    EntryManagedElsewhere,
    EntryNotPending,
    EntryNotReversible,
    PeriodAlreadyClosed,
    PeriodNotClosed,
    UnknownAccount,
    UnknownEntry,
)
from domain.ledger.journal import (
    JournalEntry,
    entry_id_for_key,
)
from domain.ledger.periods import Period, period_id

HELD_AGGREGATES_MAX = 100_000
MANAGING_PROCESSES = {
    "payment_id": "payment",
    "receipt_id": "receipt",
    "settlement_instruction": "settlement instruction",
}
"""Metadata keys that mark an entry as owned by a business process."""
CONFLICT_RETRIES_MAX = 8
"""Attempts against concurrent writers before a command gives up (safe to retry)."""


class BackOffice(Application[UUID]):
    """All aggregates of the back office live in this one application."""

    name = "backoffice"  # pinned: it names tables and tracking rows
    env = {"AGGREGATE_CACHE_MAXSIZE": "20000", "DEEPCOPY_FROM_AGGREGATE_CACHE": "y"}

    def __init__(self, env: dict[str, str] | None = None) -> None:
        super().__init__(env)
        # Serialises this process's writers: batches, period and account closes.
        self.write_lock = threading.RLock()
        self._asset_scales: dict[str, int] = {}
        # Answers "does this account have a non-zero balance?" from a projection;
        # set by the composition root. Guarded accounts answer from their funds.
        self.balance_probe: Callable[[str], bool] | None = None
        # Answers "latest version of each of these aggregates" in one query;
        # set by the composition root where the store supports it.
        self.version_probe: Callable[[Sequence[UUID]], dict[UUID, int]] | None = None
        self._held: dict[UUID, Any] = {}
        # Answers "log position of this aggregate's event at this version".
        self.position_probe: Callable[[UUID, int], int | None] | None = None
        # A record that rides along with the next save of this thread (see riding()).
        self._riders = threading.local()

    def current_aggregates(self, ids: Sequence[UUID]) -> dict[UUID, Any | None]:
        """The latest state of each aggregate (None where it does not exist).

        With a version probe, one query finds which held aggregates changed and
        only those are reloaded. Returned objects are shared: copy before
        triggering events on them.
        """
        if self.version_probe is None:
            return {aggregate_id: self._get_or_none(aggregate_id) for aggregate_id in ids}
        versions = self.version_probe(ids)
        if len(self._held) > HELD_AGGREGATES_MAX:
            self._held.clear()
        found: dict[UUID, Any | None] = {}
        for aggregate_id in ids:
            version = versions.get(aggregate_id)
            if version is None:
                found[aggregate_id] = None
                continue
            held = self._held.get(aggregate_id)
            if held is None or held.version != version:
                held = self._held[aggregate_id] = self.repository.get(aggregate_id)
            found[aggregate_id] = held
        return found

    def _get_or_none(self, aggregate_id: UUID) -> Any | None:
        try:
            return self.repository.get(aggregate_id)
        except AggregateNotFoundError:
            return None

    def save(self, *objs: Any, **kwargs: Any) -> list[Recording[UUID]]:
        """The library's save, minus its runtime ``Protocol`` checks per object.

        Python 3.11 evaluates ``isinstance`` against runtime-checkable
        protocols slowly (~20 us each, two per aggregate), a fifth of the cost
        of a posting. Our objects are always concrete ``Aggregate``s, so their
        events are collected directly; recording, snapshots and notification
        are the library's own steps.
        """
        make_rider = getattr(self._riders, "make", None)
        if make_rider is not None:
            objs = (*objs, make_rider())
        if kwargs or not all(isinstance(obj, Aggregate) for obj in objs):
            recordings = super().save(*objs, **kwargs)
        else:
            processing_event: ProcessingEvent[UUID] = ProcessingEvent()
            for aggregate in objs:
                processing_event.events.extend(aggregate.collect_events())
                processing_event.aggregates[aggregate.id] = aggregate
            recordings = self._record(processing_event)
            self._take_snapshots(processing_event)
            self._notify(recordings)
        if make_rider is not None and recordings:
            self._riders.make = None  # one commit only
            self._riders.position = recordings[-1].notification.id
        return recordings

    @contextmanager
    def riding(self, make_rider: Callable[[], Aggregate]) -> Iterator[Callable[[], int | None]]:
        """Save ``make_rider()`` in the same commit as this thread's next save.

        The API records a request's response (``CompletedRequest``) this way:
        the effect and the record of it commit together or not at all. The
        maker is called once per attempt (a retried save needs fresh events).
        Yields a function giving the log position of the rider once saved.
        """
        self._riders.make = make_rider
        self._riders.position = None
        try:
            yield lambda: getattr(self._riders, "position", None)
        finally:
            self._riders.make = None

    # --- assets -----------------------------------------------------------

    def catalog(self) -> AssetCatalog:
        return AssetCatalog(lookup=self._registered_scale)

    def _registered_scale(self, code: str) -> int | None:
        scale = self._asset_scales.get(code)
        if scale is None:
            try:
                definition: AssetDefinition = self.repository.get(asset_id(code))
            except AggregateNotFoundError:
                return None
            scale = self._asset_scales[code] = definition.scale
        return scale

    def register_asset(self, context: Context, code: str, scale: int, name: str = "") -> int:
        """Register a non-currency asset with its scale. Returns the log position."""
        context.checked()
        check_asset_code(code, field="code")
        if code in ISO_CURRENCY_SCALES:
            raise AssetAlreadyRegistered(f"code: {code} is an ISO 4217 currency", field="code")
        if not isinstance(scale, int) or isinstance(scale, bool) or not 0 <= scale <= ASSET_SCALE_MAX:
            raise InvalidInput(f"scale: an integer from 0 to {ASSET_SCALE_MAX}", field="scale")
        name = limits.bounded_text(name, "name", limits.ACCOUNT_NAME_LENGTH_MAX, required=False)
        definition = AssetDefinition._create(
            AssetDefinition.AssetRegistered,
            id=asset_id(code),
            code=code,
            scale=scale,
            name=name,
            actor=context.actor,
            correlation_id=context.correlation_id,
        )
        try:
            recordings = self.save(definition)
        except IntegrityError:
            raise AssetAlreadyRegistered(f"code: asset {code} is already registered", field="code") from None
        return recordings[-1].notification.id

    # --- accounts ---------------------------------------------------------

    def open_account(
        self,
        context: Context,
        code: str,
        name: str,
        account_type: str,
        assets: Sequence[str],
        flags: Sequence[str] = (),
    ) -> int:
        """Open an account. Returns the log position of ``AccountOpened``."""
        context.checked()
        code = check_account_code(code, "code")
        name = limits.bounded_text(name, "name", limits.ACCOUNT_NAME_LENGTH_MAX)
        if account_type not in ACCOUNT_TYPES:
            raise InvalidInput(f"type: one of {', '.join(ACCOUNT_TYPES)}", field="type")
        asset_list = limits.as_list(assets, "assets")
        if not 1 <= len(asset_list) <= limits.ASSETS_PER_ACCOUNT_MAX:
            raise InvalidInput(
                f"assets: between 1 and {limits.ASSETS_PER_ACCOUNT_MAX} assets", field="assets"
            )
        catalog = self.catalog()
        for index, asset in enumerate(asset_list):
            check_asset_code(asset, field=f"assets[{index}]")
            catalog.scale_of(asset, field=f"assets[{index}]")
        if len(set(asset_list)) != len(asset_list):
            raise InvalidInput("assets: listed twice", field="assets")
        flag_list = limits.as_list(flags, "flags")
        unknown = [flag for flag in flag_list if flag not in ACCOUNT_FLAGS]
        if unknown:
            raise InvalidInput(
                f"flags: unknown {unknown}; known: {sorted(ACCOUNT_FLAGS)}", field="flags"
            )
        account = Account._create(
            Account.AccountOpened,
            id=account_id(code),
            code=code,
            name=name,
            account_type=account_type,
            assets=sorted(asset_list),
            flags=sorted(set(flag_list)),
            actor=context.actor,
            correlation_id=context.correlation_id,
        )
        try:
            recordings = self.save(account)
        except IntegrityError:
            raise AccountAlreadyExists(f"code: account {code} already exists", field="code") from None
        return recordings[-1].notification.id

    def get_account(self, code: str) -> Account:
        try:
            account: Account = self.repository.get(account_id(code))
        except AggregateNotFoundError:
            raise UnknownAccount(f"account {code!r} does not exist", field="account") from None
        return account

    def close_account(self, context: Context, code: str, reason: str) -> int:
        """Close an account with a zero balance; later postings to it are refused."""
        context.checked()
        reason = limits.bounded_text(reason, "reason", limits.REASON_LENGTH_MAX)
        with self.write_lock:
            account = self.get_account(check_account_code(code, "code"))
            if account.closed:
                raise AccountClosed(f"account {code} is already closed", field="code")
            nonzero = any(
                funds.debits_posted != funds.credits_posted
                or funds.debits_pending
                or funds.credits_pending
                for funds in account.funds.values()
            )
            if not nonzero and self.balance_probe is not None:
                nonzero = self.balance_probe(code)
            if nonzero:
                raise AccountNotEmpty(
                    f"account {code} has a non-zero or pending balance; move it first",
                    field="code",
                )
            account.trigger_event(
                Account.AccountClosed,
                reason=reason,
                actor=context.actor,
                correlation_id=context.correlation_id,
            )
            return self._save_or_conflict(account)

    # --- periods ----------------------------------------------------------

    def is_period_closed(self, period: str) -> bool:
        try:
            record: Period = self.repository.get(period_id(period))
        except AggregateNotFoundError:
            return False
        return record.closed

    def close_period(self, context: Context, period: str, reason: str) -> int:
        context.checked()
        period = limits.period_name(period)
        reason = limits.bounded_text(reason, "reason", limits.REASON_LENGTH_MAX)
        with self.write_lock:
            try:
                record: Period = self.repository.get(period_id(period))
            except AggregateNotFoundError:
                record = Period._create(
                    Period.PeriodDefined,
                    id=period_id(period),
                    period=period,
                    actor=context.actor,
                    correlation_id=context.correlation_id,
                )
            if record.closed:
                raise PeriodAlreadyClosed(f"period {period} is already closed", field="period")
            record.trigger_event(
                Period.PeriodClosed,
                reason=reason,
                actor=context.actor,
                correlation_id=context.correlation_id,
            )
            return self._save_or_conflict(record)

    def reopen_period(self, context: Context, period: str, reason: str) -> int:
        context.checked()
        period = limits.period_name(period)
        reason = limits.bounded_text(reason, "reason", limits.REASON_LENGTH_MAX)
        with self.write_lock:
            try:
                record: Period = self.repository.get(period_id(period))
            except AggregateNotFoundError:
                record = None  # type: ignore[assignment]
            if record is None or not record.closed:
                raise PeriodNotClosed(f"period {period} is not closed", field="period")
            record.trigger_event(
                Period.PeriodReopened,
                reason=reason,
                actor=context.actor,
                correlation_id=context.correlation_id,
            )
            return self._save_or_conflict(record)

    # --- journal entries --------------------------------------------------

    def get_entry(self, entry_id: UUID) -> JournalEntry:
        try:
            entry: JournalEntry = self.repository.get(entry_id)
        except AggregateNotFoundError:
            raise UnknownEntry(f"journal entry {entry_id} does not exist", field="entry_id") from None
        if not isinstance(entry, JournalEntry):
            raise UnknownEntry(f"{entry_id} is not a journal entry", field="entry_id")
        return entry

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
            outcomes: list[PostingOutcome | DomainError | None] = [None] * len(commands)
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
        self,
        commands: Sequence[PostJournalEntry],
        todo: list[int],
        outcomes: list[PostingOutcome | DomainError | None],
    ) -> list[int]:
        """Stage and save the commands in ``todo``; return those to try again."""
        batch = LedgerBatch(self)
        batch.preload([commands[index] for index in todo])
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

    def _after_collision(
        self,
        commands: Sequence[PostJournalEntry],
        staged: dict[int, UUID],
        decided_in_batch: list[int],
        outcomes: list[PostingOutcome | DomainError | None],
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
        existing = self._get_or_none(entry_id_for_key(key))
        if not isinstance(existing, JournalEntry):
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

    def post_pending(self, context: Context, entry_id: UUID) -> int:
        """Post a pending entry in full, exactly once. Returns the log position."""
        return self._resolve_pending(context, entry_id, void_reason=None)

    def void_pending(self, context: Context, entry_id: UUID, reason: str) -> int:
        """Void a pending entry in full, exactly once, releasing its reservation."""
        reason = limits.bounded_text(reason, "reason", limits.REASON_LENGTH_MAX)
        return self._resolve_pending(context, entry_id, void_reason=reason)

    def _resolve_pending(self, context: Context, entry_id: UUID, void_reason: str | None) -> int:
        context.checked()
        for _attempt in range(CONFLICT_RETRIES_MAX):
            with self.write_lock:
                batch = LedgerBatch(self)
                entry = batch.entry(entry_id)
                refuse_if_managed(entry)
                if entry.status != "pending":
                    raise EntryNotPending(
                        f"journal entry {entry_id} is {entry.status}, not pending", field="entry_id"
                    )
                if void_reason is None:
                    batch.check_period_open(entry.effective_date)
                    batch.move_guarded_funds(entry, entry.lines, context, posting_pending=True)
                    entry.trigger_event(
                        JournalEntry.PendingEntryPosted,
                        actor=context.actor,
                        correlation_id=context.correlation_id,
                    )
                else:
                    batch.move_guarded_funds(entry, entry.lines, context, voiding=True)
                    entry.trigger_event(
                        JournalEntry.PendingEntryVoided,
                        reason=void_reason,
                        actor=context.actor,
                        correlation_id=context.correlation_id,
                    )
                try:
                    recordings = self.save(*batch.aggregates(), entry)
                except IntegrityError:
                    continue
                return max(recording.notification.id for recording in recordings)
        raise ConcurrencyConflict("the pending entry changed concurrently too often; retry")

    def reverse_entry(
        self,
        context: Context,
        entry_id: UUID,
        reason: str,
        effective_date: str | None = None,
    ) -> PostingOutcome:
        """Reverse a posted entry with a new entry that references it; once only."""
        context.checked()
        reason = limits.bounded_text(reason, "reason", limits.REASON_LENGTH_MAX)
        for _attempt in range(CONFLICT_RETRIES_MAX):
            with self.write_lock:
                batch = LedgerBatch(self)
                original = batch.entry(entry_id)
                refuse_if_managed(original)
                if original.reversed_by is not None:
                    raise EntryAlreadyReversed(
                        f"journal entry {entry_id} was already reversed by {original.reversed_by}",
                        field="entry_id",
                    )
                if original.status != "posted":
                    raise EntryNotReversible(
                        f"journal entry {entry_id} is {original.status}; only posted entries are"
                        " reversed (void a pending entry instead)",
                        field="entry_id",
                    )
                reversal = batch.stage_reversal(original, context, reason, effective_date)
                original.trigger_event(
                    JournalEntry.JournalEntryReversed,
                    reversal_entry_id=str(reversal.id),
                    reason=reason,
                    actor=context.actor,
                    correlation_id=context.correlation_id,
                )
                try:
                    recordings = self.save(*batch.aggregates(), original)
                except IntegrityError:
                    continue
                position = next(
                    r.notification.id for r in recordings if r.domain_event.originator_id == reversal.id
                )
                return PostingOutcome(reversal.id, position)
        raise ConcurrencyConflict("the entry changed concurrently too often; retry")

    # --- access: tokens, access records, completed requests ---------------

    def issue_token(
        self, context: Context, subject: str, role: str, secret_digest_of: Callable[[str], str],
        note: str = "",
        token: tuple[UUID, str] | None = None,
    ) -> tuple[ApiToken, str]:
        """Issue a bearer token acting as ``subject`` in ``role``.

        Returns the token aggregate and the token text, which is shown once:
        the log keeps only ``secret_digest_of(secret)``.
        """
        context.checked()
        subject = limits.bounded_text(subject, "actor", limits.ACTOR_LENGTH_MAX)
        if role not in ROLES:
            raise InvalidInput(f"role: one of {', '.join(ROLES)}", field="role")
        note = limits.bounded_text(note, "note", limits.REASON_LENGTH_MAX, required=False)
        token_id, text = token or new_token()
        issued = ApiToken._create(
            ApiToken.TokenIssued,
            id=token_id,
            subject=subject,
            role=role,
            secret_digest=secret_digest_of(text[len(f"bo_{token_id.hex}_") :]),
            note=note,
            actor=context.actor,
            correlation_id=context.correlation_id,
        )
        self._save_or_conflict(issued)
        return issued, text

    def get_token(self, token_id: UUID) -> ApiToken:
        token = self._get_or_none(token_id)
        if not isinstance(token, ApiToken):
            raise UnknownToken(f"token {token_id.hex} does not exist", field="token_id")
        return token

    def list_tokens(self) -> list[ApiToken]:
        """Every token ever issued, from the log (tokens are few)."""
        topic = get_topic(ApiToken.TokenIssued)
        ids: list[UUID] = []
        start = 1
        while True:
            page = self.recorder.select_notifications(start=start, limit=1000, topics=[topic])
            ids.extend(UUID(str(notification.originator_id)) for notification in page)
            if len(page) < 1000:
                break
            start = page[-1].id + 1
        return [self.get_token(token_id) for token_id in ids]

    def revoke_token(self, context: Context, token_id: UUID, reason: str) -> int:
        context.checked()
        reason = limits.bounded_text(reason, "reason", limits.REASON_LENGTH_MAX)
        with self.write_lock:
            token = self.get_token(token_id)
            if token.revoked:
                raise TokenAlreadyRevoked(f"token {token_id.hex} is already revoked", field="token_id")
            token.trigger_event(
                ApiToken.TokenRevoked,
                reason=reason,
                actor=context.actor,
                correlation_id=context.correlation_id,
            )
            return self._save_or_conflict(token)

    def record_access(self, **fields: Any) -> int:
        """Append an access record (a denied request, a read of the audit trail)."""
        record = AccessRecord._create(AccessRecord.AccessRecorded, id=uuid4(), **fields)
        return self.save(record)[-1].notification.id

    def completed_request(self, actor: str, key: str) -> CompletedRequest | None:
        found = self._get_or_none(completed_request_id(actor, key))
        return found if isinstance(found, CompletedRequest) else None

    def position_of(self, aggregate_id: UUID, version: int) -> int | None:
        """The log position of an aggregate's event at ``version`` (None if unknown)."""
        if self.position_probe is None:
            return None
        return self.position_probe(aggregate_id, version)

    # --- helpers ----------------------------------------------------------

    def _save_or_conflict(self, *aggregates: Any) -> int:
        try:
            recordings = self.save(*aggregates)
        except IntegrityError:
            raise ConcurrencyConflict("changed concurrently by another writer; retry") from None
        return recordings[-1].notification.id




def refuse_if_managed(entry: JournalEntry) -> None:
    """Entries a business process owns move only through that process."""
    for key, process in MANAGING_PROCESSES.items():
        owner = entry.metadata.get(key)
        if owner:
            raise EntryManagedElsewhere(
                f"journal entry {entry.id} belongs to {process} {owner}: act on the {process} instead",
                field="entry_id",
            )
