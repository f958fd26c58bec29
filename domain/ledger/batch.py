"""The working set of one commit: aggregates loaded and changed together.

A batch loads each account and period at most once, applies the ledger
rules to every staged entry in order (so two entries in one commit that
spend the same guarded funds see each other), and hands the changed
aggregates to one ``save()``.
"""

from __future__ import annotations

import copy
from collections import defaultdict
from typing import TYPE_CHECKING, Any
from uuid import UUID

from domain.kernel import limits
from domain.kernel.context import Context
from domain.kernel.errors import DomainError, IdempotencyConflict, InvalidInput
from domain.kernel.money import AssetCatalog
from domain.kernel.unit_of_work import find
from domain.ledger.accounts import Account, Funds, account_id
from domain.ledger.commands import PostingOutcome, PostJournalEntry
from domain.ledger.errors import AccountClosed, AssetNotAllowed, PeriodClosed, UnknownAccount
from domain.ledger.journal import (
    JournalEntry,
    Posting,
    entry_id_for_key,
    fingerprint,
    parse_postings,
    reversal_id_for,
)
from domain.ledger.periods import Period, period_id, period_of

if TYPE_CHECKING:
    from domain.ledger.reads import LedgerReads


class LedgerBatch:
    def __init__(self, app: LedgerReads) -> None:
        self._app = app
        self.catalog = app.catalog()
        self._accounts: dict[str, Account | None] = {}
        self._closed_periods: dict[str, bool] = {}
        self._entries: dict[UUID, JournalEntry] = {}
        self._touched_accounts: dict[str, Account] = {}

    # --- loading ----------------------------------------------------------

    def preload(self, commands: list[PostJournalEntry]) -> None:
        """Load every account and period the commands mention, in one probe.

        Malformed values are skipped here; staging refuses them with an error.
        """
        codes: set[str] = set()
        periods: set[str] = set()
        for command in commands:
            if isinstance(command.effective_date, str) and len(command.effective_date) == 10:
                periods.add(period_of(command.effective_date))
            if isinstance(command.postings, list):
                for line in command.postings[: limits.POSTINGS_PER_ENTRY_MAX]:
                    if isinstance(line, dict) and isinstance(line.get("account"), str):
                        codes.add(line["account"][: limits.ACCOUNT_CODE_LENGTH_MAX + 1])
        account_ids = {account_id(code): code for code in codes}
        period_ids = {period_id(period): period for period in periods}
        found = self._app.current_aggregates([*account_ids, *period_ids])
        for aggregate_id, code in account_ids.items():
            account = found[aggregate_id]
            # Guarded accounts get events in this batch: work on a private copy.
            self._accounts[code] = copy.deepcopy(account) if account and account.guarded else account
        for aggregate_id, period in period_ids.items():
            record = found[aggregate_id]
            self._closed_periods[period] = bool(record is not None and record.closed)

    def account(self, code: str, field: str) -> Account:
        if code not in self._accounts:
            self._accounts[code] = find(self._app, account_id(code), Account)
        account = self._accounts[code]
        if account is None:
            raise UnknownAccount(f"{field}: account {code!r} does not exist", field=field)
        return account

    def entry(self, entry_id: UUID) -> JournalEntry:
        return self._app.get_entry(entry_id)

    def check_period_open(self, effective_date: str) -> None:
        period = period_of(effective_date)
        if period not in self._closed_periods:
            record = find(self._app, period_id(period), Period)
            self._closed_periods[period] = record is not None and record.closed
        if self._closed_periods[period]:
            raise PeriodClosed(
                f"effective_date: {effective_date} falls in period {period}, which is closed",
                field="effective_date",
            )

    # --- staging ----------------------------------------------------------

    @staticmethod
    def canonical_body(command: PostJournalEntry, catalog: AssetCatalog) -> dict[str, Any]:
        """The normalised body the idempotency fingerprint is computed over."""
        postings = parse_postings(command.postings, catalog)
        return {
            "effective_date": limits.effective_date(command.effective_date),
            "description": limits.bounded_text(
                command.description, "description", limits.DESCRIPTION_LENGTH_MAX, required=False
            ),
            "reference": limits.bounded_text(
                command.reference, "reference", limits.REFERENCE_LENGTH_MAX, required=False
            ),
            "postings": [posting.as_row() for posting in postings],
            "pending": bool(command.pending),
            "metadata": limits.metadata(command.metadata),
        }

    @classmethod
    def fingerprint_of(cls, command: PostJournalEntry, catalog: AssetCatalog) -> str:
        return fingerprint(cls.canonical_body(command, catalog))

    def stage_entry(self, command: PostJournalEntry) -> UUID | PostingOutcome:
        """Validate one command and stage its entry; a replay within the batch
        returns the earlier entry's outcome."""
        context = command.context.checked()
        key = limits.bounded_text(
            command.idempotency_key, "idempotency_key", limits.IDEMPOTENCY_KEY_LENGTH_MAX
        )
        entry_id = entry_id_for_key(key)
        earlier = self._entries.get(entry_id)
        conflict = IdempotencyConflict(
            f"idempotency_key: {key!r} was used for a different entry", field="idempotency_key"
        )
        try:
            if not isinstance(command.pending, bool):
                raise InvalidInput("pending: expected true or false", field="pending")
            body = self.canonical_body(command, self.catalog)
        except DomainError:
            if earlier is None:
                raise
            # As for a key already committed: an invalid body is not the one accepted.
            raise conflict from None
        body_fingerprint = fingerprint(body)
        if earlier is not None:
            if earlier.fingerprint != body_fingerprint:
                raise conflict
            return PostingOutcome(entry_id, None, replayed=True)
        postings = [Posting(row[0], row[1], row[2], row[3]) for row in body["postings"]]
        self.check_period_open(body["effective_date"])
        self._check_accounts(postings)
        recorded = JournalEntry.pending if command.pending else JournalEntry.posted
        entry = recorded(
            id=entry_id,
            idempotency_key=key,
            fingerprint=body_fingerprint,
            effective_date=body["effective_date"],
            description=body["description"],
            reference=body["reference"],
            postings=body["postings"],
            metadata=body["metadata"],
            reverses=None,
            actor=context.actor,
            correlation_id=context.correlation_id,
        )
        self.move_guarded_funds(entry, postings, context, pending=command.pending)
        self._entries[entry_id] = entry
        return entry_id

    def stage_reversal(
        self, original: JournalEntry, context: Context, reason: str, effective_date: str | None
    ) -> JournalEntry:
        reversal_date = limits.effective_date(
            effective_date if effective_date is not None else original.effective_date
        )
        self.check_period_open(reversal_date)
        postings = [posting.reversed() for posting in original.lines]
        self._check_accounts(postings)
        rows = [posting.as_row() for posting in postings]
        description = f"Reversal of {original.id}: {reason}"[: limits.DESCRIPTION_LENGTH_MAX]
        body = {
            "effective_date": reversal_date,
            "description": description,
            "reference": original.reference,
            "postings": rows,
            "pending": False,
            "metadata": {},
        }
        reversal = JournalEntry.posted(
            id=reversal_id_for(original.id),
            idempotency_key=f"reversal:{original.id}",
            fingerprint=fingerprint(body),
            effective_date=reversal_date,
            description=description,
            reference=original.reference,
            postings=rows,
            metadata={},
            reverses=str(original.id),
            actor=context.actor,
            correlation_id=context.correlation_id,
        )
        self.move_guarded_funds(reversal, postings, context)
        self._entries[reversal.id] = reversal
        return reversal

    def _check_accounts(self, postings: list[Posting]) -> None:
        for index, posting in enumerate(postings):
            field = f"postings[{index}].account"
            account = self.account(posting.account, field)
            if account.closed:
                raise AccountClosed(f"{field}: account {posting.account} is closed", field=field)
            if posting.asset not in account.assets:
                raise AssetNotAllowed(
                    f"postings[{index}].asset: account {posting.account} holds "
                    f"{', '.join(account.assets)}, not {posting.asset}",
                    field=f"postings[{index}].asset",
                )

    def move_guarded_funds(
        self,
        entry: JournalEntry,
        postings: list[Posting],
        context: Context,
        *,
        pending: bool = False,
        posting_pending: bool = False,
        voiding: bool = False,
    ) -> None:
        """Check every guarded account the entry touches, then record on all of them.

        Checking all before recording any keeps a refused entry from leaving
        a half-applied change in the batch.
        """
        deltas: dict[tuple[str, str], Funds] = defaultdict(Funds)
        for posting in postings:
            account = self.account(posting.account, "postings")
            if not account.guarded:
                continue
            if posting_pending:
                delta = posting.funds_delta(pending=True, sign=-1).plus(
                    posting.funds_delta(pending=False)
                )
            elif voiding:
                delta = posting.funds_delta(pending=True, sign=-1)
            else:
                delta = posting.funds_delta(pending=pending)
            key = (posting.account, posting.asset)
            deltas[key] = deltas[key].plus(delta)
        for (code, asset), delta in deltas.items():
            self.account(code, "postings").check_posting(asset, delta)
        for (code, asset), delta in deltas.items():
            account = self.account(code, "postings")
            account.record_posting(str(entry.id), asset, delta, context.actor, context.correlation_id)
            self._touched_accounts[code] = account

    def aggregates(self) -> list[Any]:
        return [*self._entries.values(), *self._touched_accounts.values()]


