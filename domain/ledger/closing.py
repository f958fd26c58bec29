"""Closing the books in order, and the year-end close.

Months close in order: a month closes only when every earlier month with
entries is closed (a month without any entry needs no close), and a closed
month reopens only while no later month is closed (reopen the later ones
first, latest first). The order is checked when closing and reopening; the
Period events themselves only assign, so logs written before the rule
replay unchanged.

The year-end close is an explicit, audited command: one journal entry dated
the year's last day that brings every income and expense account's net for
the year (per asset, posted entries dated in the year) to zero, and moves
the net to the retained earnings account (an equity account that must
exist). The entry's idempotency key is ``year-end:YYYY``, so a year closes
once; it carries ``year_end: YYYY`` in its metadata and is owned by the
close (not reversed on its own). December must be open to take the entry.

The months with entries and the year's nets are read from the journal
entries in the log: fine at this scale (closes are rare); a projection of
month -> entries takes over when it is not.
"""

from __future__ import annotations

from collections import defaultdict

from domain.kernel.unit_of_work import Store, ids_with_topic
from domain.ledger.journal import JournalEntry
from domain.ledger.periods import Period, period_of

YEAR_END_METADATA = "year_end"
RETAINED_EARNINGS_DEFAULT = "Equity:RetainedEarnings"
CLOSED_TYPES = ("income", "expense")


def year_end_key(year: str) -> str:
    return f"year-end:{year}"


def journal_entries(app: Store) -> list[JournalEntry]:
    """Every journal entry in the log, as it stands now, in log order."""
    ids = [
        *ids_with_topic(app, JournalEntry.JournalEntryPosted),
        *ids_with_topic(app, JournalEntry.PendingEntryRecorded),
    ]
    found = app.current_aggregates(ids)  # type: ignore[attr-defined]
    return [entry for entry in (found[i] for i in ids) if isinstance(entry, JournalEntry)]


def months_with_entries(entries: list[JournalEntry]) -> set[str]:
    return {period_of(entry.effective_date) for entry in entries}


def periods_in_log(app: Store) -> list[Period]:
    """Every period that was ever closed (a period enters the log on its first close)."""
    ids = ids_with_topic(app, Period.PeriodDefined)
    found = app.current_aggregates(ids)  # type: ignore[attr-defined]
    return [period for period in (found[i] for i in ids) if isinstance(period, Period)]


def year_nets(
    entries: list[JournalEntry], year: str, account_types: dict[str, str]
) -> dict[tuple[str, str], int]:
    """(account, asset) -> debits minus credits in minor units, over the posted
    entries dated in ``year``, for every income and expense account."""
    net: dict[tuple[str, str], int] = defaultdict(int)
    for entry in entries:
        if entry.status != "posted" or not entry.effective_date.startswith(f"{year}-"):
            continue
        for account, direction, amount_minor, asset in entry.postings:
            if account_types.get(str(account)) not in CLOSED_TYPES:
                continue
            signed = int(amount_minor) if direction == "debit" else -int(amount_minor)
            net[(str(account), str(asset))] += signed
    return {key: amount for key, amount in net.items() if amount != 0}
