"""The ledger's commands on the application: assets, accounts, periods, and
pending entries and reversals (posting itself is ``domain.ledger.posting``).

Mixed into ``BackOffice`` (``domain.application``), so callers keep calling
``app.open_account(...)``, ``app.post_journal_entry(...)``.
"""

from __future__ import annotations

from collections.abc import Sequence
from uuid import UUID

from eventsourcing.persistence import IntegrityError, Recording

from domain.kernel import limits
from domain.kernel.context import Context
from domain.kernel.errors import InvalidInput
from domain.kernel.money import (
    ASSET_SCALE_MAX,
    ISO_CURRENCY_SCALES,
    check_asset_code,
    format_amount,
)
from domain.kernel.unit_of_work import Decided, find, last_position, save_once, unit_of_work
from domain.ledger import closing
from domain.ledger.accounts import (
    ACCOUNT_FLAGS,
    ACCOUNT_TYPES,
    Account,
    account_id,
    check_account_code,
)
from domain.ledger.assets import AssetDefinition, asset_id
from domain.ledger.batch import LedgerBatch
from domain.ledger.commands import PostingOutcome, PostJournalEntry
from domain.ledger.errors import (
    AccountAlreadyExists,
    AccountClosed,
    AccountNotEmpty,
    AssetAlreadyRegistered,
    EntryAlreadyReversed,
    EntryManagedElsewhere,
    EntryNotReversible,
    NothingToClose,
    PeriodAlreadyClosed,
    PeriodNotClosed,
    PeriodsOutOfOrder,
    YearAlreadyClosed,
)
from domain.ledger.journal import JournalEntry, entry_id_for_key
from domain.ledger.periods import Period, period_id
from domain.ledger.posting import EntryPosting
from domain.ledger.steps import resolve_loaded_pending

MANAGING_PROCESSES = {
    "payment_id": "payment",
    "receipt_id": "receipt",
    "settlement_instruction": "settlement instruction",
    "inventory_movement": "inventory movement",
    "invoice_id": "invoice",
    "credit_note_id": "credit note",
    "bill_id": "supplier bill",
    "payroll_run_id": "payroll run",
    "year_end": "year-end close",
}
"""Metadata keys that mark an entry as owned by a business process."""


class LedgerCommands(EntryPosting):
    """The ledger's commands mixed into ``BackOffice``."""

    # --- assets -----------------------------------------------------------

    def register_asset(self, context: Context, code: str, scale: int, name: str = "") -> int:
        """Register a non-currency asset with its scale. Returns the log position."""
        context.checked()
        check_asset_code(code, field="code")
        if code in ISO_CURRENCY_SCALES:
            raise AssetAlreadyRegistered(f"code: {code} is an ISO 4217 currency", field="code")
        if not isinstance(scale, int) or isinstance(scale, bool) or not 0 <= scale <= ASSET_SCALE_MAX:
            raise InvalidInput(f"scale: an integer from 0 to {ASSET_SCALE_MAX}", field="scale")
        name = limits.bounded_text(name, "name", limits.ACCOUNT_NAME_LENGTH_MAX, required=False)
        definition = AssetDefinition.registered(
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
        asset_list = self._account_assets(assets)
        flag_list = limits.as_list(flags, "flags")
        unknown = [flag for flag in flag_list if flag not in ACCOUNT_FLAGS]
        if unknown:
            raise InvalidInput(
                f"flags: unknown {unknown}; known: {sorted(ACCOUNT_FLAGS)}", field="flags"
            )
        account = Account.opened(
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

    def _account_assets(self, assets: Sequence[str]) -> list[str]:
        """The assets an account may hold: known, each once, within the limit."""
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
        return asset_list

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
            return save_once(self, account)

    # --- periods ----------------------------------------------------------

    def close_period(self, context: Context, period: str, reason: str) -> int:
        """Close a month: later entries dated in it are refused. Only when every
        earlier month with entries is closed (``domain.ledger.closing``)."""
        context.checked()
        period = limits.period_name(period)
        reason = limits.bounded_text(reason, "reason", limits.REASON_LENGTH_MAX)
        with self.write_lock:
            record = find(self, period_id(period), Period)
            if record is not None and record.closed:
                raise PeriodAlreadyClosed(f"period {period} is already closed", field="period")
            earlier_open = sorted(
                month
                for month in closing.months_with_entries(closing.journal_entries(self))
                if month < period and not self.is_period_closed(month)
            )
            if earlier_open:
                raise PeriodsOutOfOrder(
                    f"period {period} cannot close before the earlier months with entries:"
                    f" close {', '.join(earlier_open)} first",
                    field="period",
                )
            if record is None:
                record = Period.defined(
                    id=period_id(period),
                    period=period,
                    actor=context.actor,
                    correlation_id=context.correlation_id,
                )
            record.trigger_event(
                Period.PeriodClosed,
                reason=reason,
                actor=context.actor,
                correlation_id=context.correlation_id,
            )
            return save_once(self, record)

    def reopen_period(self, context: Context, period: str, reason: str) -> int:
        """Reopen a closed month; refused while a later month is closed (reopen
        those first, latest first)."""
        context.checked()
        period = limits.period_name(period)
        reason = limits.bounded_text(reason, "reason", limits.REASON_LENGTH_MAX)
        with self.write_lock:
            record = find(self, period_id(period), Period)
            if record is None or not record.closed:
                raise PeriodNotClosed(f"period {period} is not closed", field="period")
            later_closed = sorted(
                (
                    other.period
                    for other in closing.periods_in_log(self)
                    if other.closed and other.period > period
                ),
                reverse=True,
            )
            if later_closed:
                raise PeriodsOutOfOrder(
                    f"period {period} cannot reopen while later months are closed:"
                    f" reopen {', '.join(later_closed)} first",
                    field="period",
                )
            record.trigger_event(
                Period.PeriodReopened,
                reason=reason,
                actor=context.actor,
                correlation_id=context.correlation_id,
            )
            return save_once(self, record)

    def close_year(
        self,
        context: Context,
        year: str,
        reason: str,
        retained_earnings_account: str = closing.RETAINED_EARNINGS_DEFAULT,
    ) -> PostingOutcome:
        """The year-end close (``domain.ledger.closing``): one entry dated YYYY-12-31
        bringing every income and expense account's net for the year to zero,
        the net moved to ``retained_earnings_account``. Once per year."""
        context.checked()
        year = limits.period_name(f"{year}-12", "year")[:4]
        reason = limits.bounded_text(reason, "reason", limits.REASON_LENGTH_MAX)
        retained = self.get_account(check_account_code(retained_earnings_account, "account"))
        if retained.account_type != "equity":
            raise InvalidInput(
                f"account: retained earnings {retained.code} must be an equity account",
                field="account",
            )
        key = closing.year_end_key(year)
        with self.write_lock:
            if find(self, entry_id_for_key(key), JournalEntry) is not None:
                raise YearAlreadyClosed(f"year {year} was closed already", field="year")
            command = self._year_end_entry(context, year, reason, retained.code, key)
            return self.post_journal_entry(command)

    def _year_end_entry(
        self, context: Context, year: str, reason: str, retained: str, key: str
    ) -> PostJournalEntry:
        entries = closing.journal_entries(self)
        codes = {str(row[0]) for entry in entries for row in entry.postings}
        types = {code: self.get_account(code).account_type for code in codes}
        nets = closing.year_nets(entries, year, types)
        if not nets:
            raise NothingToClose(
                f"year {year}: no income or expense account has a balance to close",
                field="year",
            )
        catalog = self.catalog()
        postings = []
        retained_net: dict[str, int] = {}
        for (code, asset), net in sorted(nets.items()):
            scale = catalog.scale_of(asset)
            direction = "credit" if net > 0 else "debit"
            postings.append(
                {"account": code, "direction": direction,
                 "amount": format_amount(abs(net), scale), "asset": asset}
            )
            retained_net[asset] = retained_net.get(asset, 0) + net
        for asset, net in sorted(retained_net.items()):
            if net == 0:
                continue
            direction = "debit" if net > 0 else "credit"
            postings.append(
                {"account": retained, "direction": direction,
                 "amount": format_amount(abs(net), catalog.scale_of(asset)), "asset": asset}
            )
        return PostJournalEntry(
            context=context,
            idempotency_key=key,
            effective_date=f"{year}-12-31",
            postings=postings,
            description=f"Year-end close {year}: income and expense to {retained}",
            reference=key,
            metadata={closing.YEAR_END_METADATA: year, "reason": reason},
        )

    # --- pending entries and reversals ------------------------------------

    def post_pending(self, context: Context, entry_id: UUID) -> int:
        """Post a pending entry in full, exactly once. Returns the log position."""
        return self._resolve_pending(context, entry_id, void_reason=None)

    def void_pending(self, context: Context, entry_id: UUID, reason: str) -> int:
        """Void a pending entry in full, exactly once, releasing its reservation."""
        reason = limits.bounded_text(reason, "reason", limits.REASON_LENGTH_MAX)
        return self._resolve_pending(context, entry_id, void_reason=reason)

    def _resolve_pending(self, context: Context, entry_id: UUID, void_reason: str | None) -> int:
        context.checked()

        def decide() -> Decided[int]:
            batch = LedgerBatch(self)
            entry = batch.entry(entry_id)
            refuse_if_managed(entry)
            resolve_loaded_pending(batch, context, entry, void_reason=void_reason)
            return Decided([*batch.aggregates(), entry], last_position)

        return unit_of_work(
            self, decide, conflict="the pending entry changed concurrently too often; retry"
        )

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

        def decide() -> Decided[PostingOutcome]:
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

            def answer(recordings: Sequence[Recording[UUID]]) -> PostingOutcome:
                position = next(
                    r.notification.id for r in recordings if r.domain_event.originator_id == reversal.id
                )
                return PostingOutcome(reversal.id, position)

            return Decided([*batch.aggregates(), original], answer)

        return unit_of_work(self, decide, conflict="the entry changed concurrently too often; retry")


def refuse_if_managed(entry: JournalEntry) -> None:
    """Entries a business process owns move only through that process."""
    for key, process in MANAGING_PROCESSES.items():
        owner = entry.metadata.get(key)
        if owner:
            raise EntryManagedElsewhere(
                f"journal entry {entry.id} belongs to {process} {owner}: act on the {process} instead",
                field="entry_id",
            )
