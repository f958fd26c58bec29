"""Small builders shared by the ledger tests: a chart of accounts, entries, the log.

Plain functions over a real ``BackOffice`` (no fakes needed: SQLite is the
in-process store). Amounts are written the way callers send them, as decimal
strings.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from uuid import UUID

import orjson

from domain.application import BackOffice
from domain.kernel.context import Context
from domain.ledger.commands import PostingOutcome, PostJournalEntry

CLERK = Context(actor="clerk@example.test", correlation_id="corr-ledger-tests")
CONTROLLER = Context(actor="controller@example.test", correlation_id="corr-controller")

DAY_IN_MARCH = "2026-03-10"
DAY_IN_APRIL = "2026-04-10"

# code, name, type, assets, flags
CHART: list[tuple[str, str, str, list[str], list[str]]] = [
    ("Assets:Bank", "Operating bank account", "asset", ["USD"], ["no_overdraft"]),
    ("Assets:Bank:EUR", "Euro bank account", "asset", ["EUR"], ["no_overdraft"]),
    ("Assets:Receivables", "Receivables", "asset", ["USD"], []),
    ("Equity:Capital", "Paid-in capital", "equity", ["USD", "EUR"], []),
    ("Equity:Trading:FX", "Currency trading", "equity", ["USD", "EUR"], []),
    ("Income:Sales", "Sales", "income", ["USD"], []),
    ("Expenses:Rent", "Rent", "expense", ["USD"], []),
]


def line(account: str, direction: str, amount: str, asset: str = "USD") -> dict[str, str]:
    return {"account": account, "direction": direction, "amount": amount, "asset": asset}


def transfer(debit: str, credit: str, amount: str, asset: str = "USD") -> list[dict[str, str]]:
    """Two postings moving ``amount`` from ``credit`` to ``debit``."""
    return [line(debit, "debit", amount, asset), line(credit, "credit", amount, asset)]


def entry(
    key: str,
    postings: list[dict[str, Any]],
    effective_date: str = DAY_IN_MARCH,
    *,
    context: Context = CLERK,
    **fields: Any,
) -> PostJournalEntry:
    return PostJournalEntry(
        context=context,
        idempotency_key=key,
        effective_date=effective_date,
        postings=postings,
        **fields,
    )


def open_chart(app: BackOffice) -> None:
    for code, name, account_type, assets, flags in CHART:
        app.open_account(CLERK, code, name, account_type, assets, flags)


def fund_bank(app: BackOffice, amount: str = "100.00", key: str = "funding") -> PostingOutcome:
    """Capital paid into the guarded bank account."""
    return app.post_journal_entry(entry(key, transfer("Assets:Bank", "Equity:Capital", amount)))


def spend_from_bank(app: BackOffice, key: str, amount: str, **fields: Any) -> PostingOutcome:
    """Rent paid out of the guarded bank account."""
    return app.post_journal_entry(entry(key, transfer("Expenses:Rent", "Assets:Bank", amount), **fields))


def head(app: BackOffice) -> int:
    """The position of the last event in the log (0 when empty)."""
    return app.recorder.max_notification_id() or 0


@dataclass(frozen=True)
class LoggedEvent:
    position: int
    originator_id: UUID
    originator_version: int
    topic: str
    state: dict[str, Any]

    @property
    def name(self) -> str:
        return self.topic.rsplit(".", 1)[-1]


def logged_events(app: BackOffice, after: int = 0) -> list[LoggedEvent]:
    """Every stored event after position ``after``, decoded as plain JSON."""
    found: list[LoggedEvent] = []
    start = after + 1
    while True:
        page = app.recorder.select_notifications(start=start, limit=500)
        for notification in page:
            found.append(
                LoggedEvent(
                    notification.id,
                    UUID(str(notification.originator_id)),
                    notification.originator_version,
                    notification.topic,
                    orjson.loads(notification.state),
                )
            )
        if len(page) < 500:
            return found
        start = page[-1].id + 1


def available_minor(app: BackOffice, code: str, asset: str = "USD") -> int:
    account = app.get_account(code)
    funds = account.funds.get(asset)
    return 0 if funds is None else funds.available(account.debit_normal)
