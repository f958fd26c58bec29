"""The open-items fold: each invoice and supplier bill with its open amount.

A plain function of (document, event) over the billing documents' events in
the log (``apply``): the projection (``projections.billing.open_items``) and
the reports (``projections.reports.billing_*``) fold the same way, so an aging
as of a position equals the projection's rows at that position.

An invoice is open from ``InvoiceIssued`` (its gross total) less what was
allocated to it (and not undone), credited by credit notes and written off; a
bill from ``BillPosted`` (the last approval) less what was allocated. Drafts
and bills awaiting approval are kept with nothing open.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from eventsourcing.utils import get_topic

from adapters.log_reader import LogEvent
from domain.billing.bill import SupplierBill
from domain.billing.invoice import Invoice

RECEIVABLE = "receivable"
PAYABLE = "payable"
INVOICE_PREFIX = get_topic(Invoice) + "."
BILL_PREFIX = get_topic(SupplierBill) + "."
TOPIC_PREFIXES = (INVOICE_PREFIX, BILL_PREFIX)


@dataclass(frozen=True, slots=True)
class DocumentState:
    """One invoice (receivable) or bill (payable) as the open items see it."""

    document_id: str
    side: str
    party_id: str
    currency: str
    number: str = ""  # the invoice number, or the supplier's bill number
    issue_date: str = ""  # the invoice's issue date, or the bill date
    due_date: str = ""
    gross_minor: int = 0
    allocated_minor: int = 0
    credited_minor: int = 0
    written_off_minor: int = 0
    posted: int = 0  # 1 once issued (invoices) or posted to payables (bills)
    updated_position: int = 0

    @property
    def open_minor(self) -> int:
        if not self.posted:
            return 0
        return (
            self.gross_minor - self.allocated_minor - self.credited_minor - self.written_off_minor
        )


def wanted(event: LogEvent) -> bool:
    return event.topic.startswith(TOPIC_PREFIXES)


def apply(state: DocumentState | None, event: LogEvent) -> DocumentState | None:
    """The document after ``event`` (None: not a document this fold knows)."""
    name = event.topic.rpartition(".")[2]
    fields: dict[str, Any] = event.state
    position = event.position
    if name == "InvoiceDrafted":
        return DocumentState(
            event.originator_id,
            RECEIVABLE,
            fields["party_id"],
            fields["currency"],
            updated_position=position,
        )
    if name == "BillReceived":
        return DocumentState(
            event.originator_id,
            PAYABLE,
            fields["party_id"],
            fields["currency"],
            number=fields["supplier_number"],
            issue_date=fields["bill_date"],
            due_date=fields["due_date"],
            gross_minor=int(fields["gross_total_minor"]),
            updated_position=position,
        )
    if state is None:
        return None
    if name == "InvoiceIssued":
        return replace(
            state,
            number=fields["number"],
            issue_date=fields["issue_date"],
            due_date=fields["due_date"],
            gross_minor=int(fields["gross_total_minor"]),
            posted=1,
            updated_position=position,
        )
    if name == "BillPosted":
        return replace(state, posted=1, updated_position=position)
    amount = int(fields.get("amount_minor", 0))
    if name == "PaymentAllocated":
        return replace(
            state, allocated_minor=state.allocated_minor + amount, updated_position=position
        )
    if name == "PaymentAllocationUndone":
        return replace(
            state, allocated_minor=state.allocated_minor - amount, updated_position=position
        )
    if name == "InvoiceCredited":
        return replace(
            state, credited_minor=state.credited_minor + amount, updated_position=position
        )
    if name == "InvoiceWrittenOff":
        return replace(
            state, written_off_minor=state.written_off_minor + amount, updated_position=position
        )
    return replace(state, updated_position=position)  # a revision, an approval: nothing open moves


def fold_documents(events: list[LogEvent] | Any) -> dict[str, DocumentState]:
    """Every document after ``events`` (in log order)."""
    documents: dict[str, DocumentState] = {}
    for event in events:
        if not wanted(event):
            continue
        after = apply(documents.get(event.originator_id), event)
        if after is not None:
            documents[event.originator_id] = after
    return documents


def open_items(documents: dict[str, DocumentState]) -> list[DocumentState]:
    """The documents with something open, oldest due first."""
    found = [document for document in documents.values() if document.open_minor]
    return sorted(found, key=lambda d: (d.due_date, d.issue_date, d.document_id))


def item_view(document: DocumentState) -> dict[str, Any]:
    return {
        "side": document.side,
        "document_id": document.document_id,
        "party_id": document.party_id,
        "currency": document.currency,
        "number": document.number,
        "issue_date": document.issue_date,
        "due_date": document.due_date,
        "open_amount_minor": document.open_minor,
    }
