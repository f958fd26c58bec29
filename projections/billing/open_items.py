"""The open-items projection: every invoice and supplier bill with what is open
on it, per party, currency and due date (``bill_documents``).

The fold is ``projections.billing.fold`` (plain Python, shared with the
reports); it runs on the tracked-projection mechanism as a page fold: a page's
document rows and the tracked position are written in one transaction.
``rebuild`` folds from position 0 into fresh tables and swaps them in;
``verify`` rebuilds into shadow tables, compares digests and runs
``invariant_findings``: each row's open amount is its gross total less what
was allocated, credited and written off, never negative nor above the total;
the receivables and payables control accounts (their posted balances, folded
into ``bill_ledger`` by the same projection) equal the open
items per currency (``Billing.control_findings``); every number series is
gap-free (``Billing.numbering_findings``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, cast

import orjson
from eventsourcing.utils import get_topic

from adapters.database import Database, persistence_env
from adapters.log_reader import PAGE_SIZE_DEFAULT, LogEvent
from adapters.subject_keys import SubjectKeyStore
from domain.application import BackOffice
from domain.billing.service import Billing
from domain.kernel.errors import InvalidInput
from domain.ledger.journal import JournalEntry
from domain.payments.service import Payments
from domain.subjects.service import SubjectRegistry
from projections.billing import fold
from projections.billing.fold import DocumentState, item_view
from projections.billing.store import DOCUMENT_COLUMNS, PREFIX, PROJECTION_NAME, OpenItemsStore
from projections.tracking.base import Finding, PageFold

SIDES = (fold.RECEIVABLE, fold.PAYABLE)


def document_row(state: DocumentState) -> tuple[Any, ...]:
    return (
        state.document_id,
        state.side,
        state.party_id,
        state.currency,
        state.number,
        state.issue_date,
        state.due_date,
        state.gross_minor,
        state.allocated_minor,
        state.credited_minor,
        state.written_off_minor,
        state.open_minor,
        state.posted,
        state.updated_position,
    )


def state_of(row: tuple[Any, ...]) -> DocumentState:
    values = dict(zip(DOCUMENT_COLUMNS, row, strict=True))
    values.pop("open_minor")
    integers = (
        "gross_minor",
        "allocated_minor",
        "credited_minor",
        "written_off_minor",
        "posted",
        "updated_position",
    )
    for name in integers:
        values[name] = int(values[name])
    return DocumentState(**values)


@dataclass(slots=True)
class OpenItemsPage:
    """The documents, account balances and pending entries a page's events
    touch, as stored before the page; what the page changed."""

    documents: dict[str, DocumentState | None]
    ledger: dict[tuple[str, str], int] = field(default_factory=dict)
    pending: dict[str, list[list[Any]]] = field(default_factory=dict)
    ledger_changed: set[tuple[str, str]] = field(default_factory=set)
    pending_changed: set[str] = field(default_factory=set)

    def post(self, postings: list[list[Any]]) -> None:
        for account, direction, amount, currency in postings:
            key = (str(account), str(currency))
            net = int(amount) if direction == "debit" else -int(amount)
            self.ledger[key] = self.ledger.get(key, 0) + net
            self.ledger_changed.add(key)


ENTRY_POSTED = get_topic(JournalEntry.JournalEntryPosted)
PENDING_RECORDED = get_topic(JournalEntry.PendingEntryRecorded)
PENDING_POSTED = get_topic(JournalEntry.PendingEntryPosted)
PENDING_VOIDED = get_topic(JournalEntry.PendingEntryVoided)
LEDGER_TOPICS = frozenset({ENTRY_POSTED, PENDING_RECORDED, PENDING_POSTED, PENDING_VOIDED})


def apply_page(page: OpenItemsPage, event: LogEvent) -> OpenItemsPage:
    """``page`` after ``event``: plain Python, no database."""
    topic, entry_id = event.topic, event.originator_id
    if topic == ENTRY_POSTED:
        page.post(event.state["postings"])
    elif topic == PENDING_RECORDED:
        page.pending[entry_id] = event.state["postings"]
        page.pending_changed.add(entry_id)
    elif topic in (PENDING_POSTED, PENDING_VOIDED):
        postings = page.pending.pop(entry_id, None)
        page.pending_changed.add(entry_id)
        if topic == PENDING_POSTED and postings is not None:
            page.post(postings)
    else:
        page.documents[entry_id] = fold.apply(page.documents.get(entry_id), event)
    return page


class OpenItems(PageFold[OpenItemsStore, OpenItemsPage]):
    """Folds the invoices' and bills' events into ``bill_documents``; answers queries."""

    name = PROJECTION_NAME
    label = "billing open items"
    live_prefix = PREFIX
    tables = ("ledger", "pending", "documents", "tracking")

    def __init__(
        self,
        database: Database,
        *,
        prefix: str | None = None,
        catch_up_on_query: bool = True,
        page_size: int = PAGE_SIZE_DEFAULT,
    ) -> None:
        super().__init__(
            database, prefix=prefix, page_size=page_size, catch_up_on_query=catch_up_on_query
        )

    def open_store(self, prefix: str) -> OpenItemsStore:
        return OpenItemsStore(self.database, prefix)

    # --- folding --------------------------------------------------------------

    def wanted(self, event: LogEvent) -> bool:
        return event.topic in LEDGER_TOPICS or fold.wanted(event)

    def load(self, events: list[LogEvent], inputs: Any) -> OpenItemsPage:
        ids = sorted({event.originator_id for event in events if fold.wanted(event)})
        documents: dict[str, DocumentState | None] = {
            row[0]: state_of(row) for row in self.store.document_rows(ids)
        }
        for document_id in ids:
            documents.setdefault(document_id, None)
        closing = sorted(
            {e.originator_id for e in events if e.topic in (PENDING_POSTED, PENDING_VOIDED)}
        )
        pending = {
            str(entry_id): list(orjson.loads(text))
            for entry_id, text in self.store.pending_rows(closing)
        }
        accounts = {
            str(line[0])
            for e in events
            if e.topic in (ENTRY_POSTED, PENDING_RECORDED)
            for line in e.state["postings"]
        } | {str(line[0]) for postings in pending.values() for line in postings}
        ledger = {
            (str(account), str(currency)): int(net)
            for account, currency, net in self.store.ledger_rows(sorted(accounts))
        }
        return OpenItemsPage(documents, ledger, pending)

    def apply(self, state: OpenItemsPage, event: LogEvent) -> OpenItemsPage:
        return apply_page(state, event)

    def save(self, state: OpenItemsPage) -> None:
        kept = [document for document in state.documents.values() if document is not None]
        self.store.replace(sorted(state.documents), [document_row(d) for d in kept])
        pending: dict[str, str | None] = {}
        for entry_id in state.pending_changed:
            postings = state.pending.get(entry_id)
            pending[entry_id] = None if postings is None else orjson.dumps(postings).decode()
        if state.ledger_changed or pending:
            self.store.replace_ledger(
                {key: state.ledger[key] for key in state.ledger_changed}, pending
            )

    # --- queries --------------------------------------------------------------

    def open_items(
        self,
        *,
        side: str | None = None,
        party_id: str | None = None,
        currency: str | None = None,
    ) -> tuple[int, list[dict[str, Any]]]:
        """The position folded to, and the open items there, oldest due first."""
        if side is not None and side not in SIDES:
            raise InvalidInput(f"side: one of {', '.join(SIDES)}", field="side")
        with self._lock:
            self._fresh()
            with self.store.read_snapshot():
                rows = self.store.select_open(side, party_id, currency)
                position = self.store.tracked_position()
        return position, [item_view(state_of(row)) for row in rows]

    def documents(self) -> tuple[int, list[DocumentState]]:
        """Every document as projected, and the position."""
        with self._lock:
            self._fresh()
            with self.store.read_snapshot():
                rows = self.store.all_rows()
                position = self.store.tracked_position()
        return position, [state_of(row) for row in rows]


# --- invariants ---------------------------------------------------------------


def row_findings(store: OpenItemsStore) -> list[Finding]:
    """Each row's open amount follows from its totals and stays within them."""
    findings = []
    for row in store.all_rows():
        values = dict(zip(DOCUMENT_COLUMNS, row, strict=True))
        state = state_of(row)
        where = f"{state.side} {state.document_id} ({state.number or 'draft'})"
        if int(values["open_minor"]) != state.open_minor:
            findings.append(
                Finding("open_amount", None, f"{where}: open {values['open_minor']},"
                        f" its totals give {state.open_minor}")
            )  # fmt: skip
        if not 0 <= state.open_minor <= state.gross_minor or state.allocated_minor < 0:
            findings.append(
                Finding("open_amount_bounds", None, f"{where}: open {state.open_minor} of"
                        f" {state.gross_minor}, allocated {state.allocated_minor}")
            )  # fmt: skip
    return findings


def ledger_findings(store: OpenItemsStore) -> list[Finding]:
    """The control accounts (their balances in ``bill_ledger``) equal the open
    items per currency; every number series is gap-free. The open items come
    from the application's documents as they stand, so run it on a quiet log."""
    database = store.database
    totals = {
        (str(account), str(currency)): int(net)
        for account, currency, net in store.all_ledger_rows()
    }
    app = BackOffice(env=persistence_env(database, pool_size=1, create_tables=False))
    try:
        registry = SubjectRegistry(app, SubjectKeyStore(database))
        # The checks read only; they never pay, so no payments desk is needed.
        billing = Billing(app, registry, cast(Payments, None))
        found = [
            Finding("control_account", None, str(finding))
            for finding in billing.control_findings(totals)
        ]
        found += [Finding("number_series", None, text) for text in billing.numbering_findings()]
        return found
    finally:
        app.close()


def invariant_findings(store: OpenItemsStore, _state: object = None) -> list[Finding]:
    return row_findings(store) + ledger_findings(store)


def ensure_tables(database: Database) -> None:
    """Create the ``bill_`` tables if missing (``backoffice migrate``)."""
    projection = OpenItems(database, catch_up_on_query=False)
    try:
        projection.ensure_tables()
    finally:
        projection.close()
