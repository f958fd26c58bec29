"""Ledger movements of one account, read from the event store.

The journal-entry events
(``JournalEntryPosted``, and two-phase entries once posted), selected by
topic in pages of ``MOVEMENT_PAGE_SIZE`` and filtered to the account and
dates in Python. That is one pass over the entry events per run or report:
fine for thousands to low millions of entries, and no second read model to
keep in step. Past that, a tracked projection of movements keyed by
(account, effective date), folded like ``projections/audit/trail.py``, is the
drop-in replacement of ``ledger_movements()``.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from eventsourcing.utils import get_topic

from domain.application import BackOffice
from domain.banking.matching import Movement, movement_of
from domain.ledger.journal import JournalEntry

MOVEMENT_PAGE_SIZE = 1000
_ENTRY_TOPICS = {
    name: get_topic(getattr(JournalEntry, name))
    for name in (
        "JournalEntryPosted",
        "PendingEntryRecorded",
        "PendingEntryPosted",
        "PendingEntryVoided",
    )
}


def ledger_movements(
    app: BackOffice, account: str, from_date: str | None = None, to_date: str | None = None
) -> list[Movement]:
    """The posted journal entries' movements on ``account`` with effective dates
    in [from_date, to_date] (inclusive; open ends when None), in log order."""
    pending: dict[str, tuple[int, Any]] = {}
    found: list[Movement] = []
    for position, event in _entry_events(app):
        entry_id = str(event.originator_id)
        if isinstance(event, JournalEntry.PendingEntryRecorded):
            if account in (row[0] for row in event.postings):
                pending[entry_id] = (position, event)
            continue
        if isinstance(event, JournalEntry.PendingEntryVoided):
            pending.pop(entry_id, None)
            continue
        if isinstance(event, JournalEntry.PendingEntryPosted):
            recorded = pending.pop(entry_id, None)
            if recorded is None:
                continue
            event = recorded[1]
        elif not isinstance(event, JournalEntry.JournalEntryPosted):
            continue
        effective = str(event.effective_date)
        if (from_date and effective < from_date) or (to_date and effective > to_date):
            continue
        found.extend(
            movement_of(
                entry_id,
                position,
                effective,
                event.postings,
                account,
                reference=event.reference,
                metadata=event.metadata,
                description=event.description,
            )
        )
    return found


def _entry_events(app: BackOffice) -> Iterator[tuple[int, Any]]:
    start = 1
    topics = list(_ENTRY_TOPICS.values())
    while True:
        page = app.recorder.select_notifications(
            start=start, limit=MOVEMENT_PAGE_SIZE, topics=topics
        )
        for notification in page:
            yield notification.id, app.mapper.to_domain_event(notification)
        if len(page) < MOVEMENT_PAGE_SIZE:
            return
        start = page[-1].id + 1
