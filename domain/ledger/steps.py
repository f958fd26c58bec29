"""Ledger steps shared by payments and receipts: staged in a ``LedgerBatch`` and
saved by the caller in the same commit as the business event they explain.

``BackOffice.post_pending`` / ``void_pending`` / ``reverse_entry`` each save
on their own; a payment's settlement must commit its entry's posting together
with ``PaymentSettled``, so the same rules (period open, guarded funds) are
applied here to a batch the caller saves with its own aggregates.
"""

from __future__ import annotations

from collections.abc import Callable
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError
from eventsourcing.domain import Aggregate
from eventsourcing.persistence import IntegrityError
from eventsourcing.utils import get_topic

from domain.application import CONFLICT_RETRIES_MAX, BackOffice
from domain.kernel.errors import ConcurrencyConflict
from domain.ledger.accounts import Account, check_account_code
from domain.ledger.batch import LedgerBatch
from domain.ledger.commands import Context
from domain.ledger.errors import AccountClosed, AssetNotAllowed, EntryNotPending, InsufficientFunds
from domain.ledger.journal import JournalEntry

LOG_PAGE_SIZE = 1000


def usable_account(app: BackOffice, code: object, asset: str, field: str) -> Account:
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
    entry = batch.entry(entry_id)
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
    return entry


def save_retrying(app: BackOffice, attempt: Callable[[], list[Aggregate]]) -> int:
    """Decide (``attempt`` loads and triggers) and save in one commit under the
    write lock; after a collision with another writer, load and decide again.
    Returns the log position of the commit's last event."""
    for _attempt in range(CONFLICT_RETRIES_MAX):
        with app.write_lock:
            aggregates = attempt()
            try:
                recordings = app.save(*aggregates)
            except IntegrityError:
                continue
            return int(max(recording.notification.id for recording in recordings))
    raise ConcurrencyConflict("changed concurrently by other writers too often; retry")


def find(app: BackOffice, aggregate_id: UUID) -> object | None:
    try:
        found: object = app.repository.get(aggregate_id)
    except AggregateNotFoundError:
        return None
    return found


def ids_with_topic(app: BackOffice, event_class: type) -> list[UUID]:
    """Ids of aggregates created by ``event_class``, in log order. A projection
    (status -> ids) takes over when their number makes this scan slow."""
    topic = get_topic(event_class)
    ids: list[UUID] = []
    start = 1
    while True:
        page = app.recorder.select_notifications(start=start, limit=LOG_PAGE_SIZE, topics=[topic])
        ids.extend(UUID(str(notification.originator_id)) for notification in page)
        if len(page) < LOG_PAGE_SIZE:
            return ids
        start = page[-1].id + 1
