"""Ledger steps shared by payments and receipts: staged in a ``LedgerBatch`` and
saved by the caller in the same commit as the business event they explain.

``BackOffice.post_pending`` / ``void_pending`` / ``reverse_entry``
(``domain.ledger.service``) each save on their own; a payment's settlement
must commit its entry's posting together with ``PaymentSettled``, so the same
rules (period open, guarded funds) are applied here to a batch the caller
saves with its own aggregates.
"""

from __future__ import annotations

from typing import TYPE_CHECKING
from uuid import UUID

from domain.kernel.context import Context
from domain.ledger.accounts import Account, check_account_code
from domain.ledger.batch import LedgerBatch
from domain.ledger.errors import AccountClosed, AssetNotAllowed, EntryNotPending, InsufficientFunds
from domain.ledger.journal import JournalEntry

if TYPE_CHECKING:
    from domain.ledger.reads import LedgerReads


def usable_account(app: LedgerReads, code: object, asset: str, field: str) -> Account:
    """An open account that may hold ``asset`` (refusals name ``field``)."""
    checked = check_account_code(code, field)
    account = app.get_account(checked)
    if account.closed:
        raise AccountClosed(f"{field}: account {checked} is closed", field=field)
    if asset not in account.assets:
        raise AssetNotAllowed(
            f"{field}: account {checked} holds {', '.join(account.assets)}, not {asset}",
            field=field,
        )
    return account


def check_available(account: Account, asset: str, amount_minor: int, field: str) -> None:
    """Refuse early what the reservation would refuse now (not binding: the
    reservation's own check, serialised by the account's version, is)."""
    if not account.guarded:
        return
    funds = account.funds.get(asset)
    available = 0 if funds is None else funds.available(account.debit_normal)
    if amount_minor > available:
        raise InsufficientFunds(
            f"{field}: account {account.code} is flagged no_overdraft and has {available}"
            f" {asset} minor units available; the payment needs {amount_minor}",
            field=field,
        )


def resolve_pending(
    batch: LedgerBatch, context: Context, entry_id: UUID, *, void_reason: str | None
) -> JournalEntry:
    """Post (``void_reason`` None) or void a pending entry in ``batch``; the
    caller saves the returned entry with ``batch.aggregates()``."""
    return resolve_loaded_pending(batch, context, batch.entry(entry_id), void_reason=void_reason)


def resolve_loaded_pending(
    batch: LedgerBatch, context: Context, entry: JournalEntry, *, void_reason: str | None
) -> JournalEntry:
    """``resolve_pending`` for an entry the caller loaded through ``batch``."""
    if entry.status != "pending":
        raise EntryNotPending(
            f"journal entry {entry.id} is {entry.status}, not pending", field="entry_id"
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
    return entry
