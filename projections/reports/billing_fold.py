"""The billing reports' fold: the invoices', credit notes' and bills' events up
to a report's position, folded with the open-items projection's own fold
(``projections.billing.fold``); the reports are in
``projections.reports.billing_reports``."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from eventsourcing.utils import get_topic

from adapters.log_reader import LogEvent
from domain.billing.bill import SupplierBill
from domain.billing.credit_note import CreditNote
from domain.billing.invoice import Invoice
from domain.kernel.money import ISO_CURRENCY_SCALES, format_amount
from projections.billing import fold
from projections.billing.fold import DocumentState
from projections.reports.framework import (
    LogSource,
    ReportScope,
)


def _topics(aggregate: type, names: tuple[str, ...]) -> set[str]:
    return {get_topic(getattr(aggregate, name)) for name in names}


_INVOICE_EVENTS = (
    "InvoiceDrafted",
    "InvoiceDraftRevised",
    "InvoiceIssued",
    "PaymentAllocated",
    "PaymentAllocationUndone",
    "InvoiceCredited",
    "InvoiceWrittenOff",
)
_BILL_EVENTS = (
    "BillReceived",
    "BillApproved",
    "BillPosted",
    "PaymentAllocated",
    "PaymentAllocationUndone",
)
BILLING_SCOPE = ReportScope(
    frozenset(
        _topics(Invoice, _INVOICE_EVENTS)
        | _topics(SupplierBill, _BILL_EVENTS)
        | {get_topic(CreditNote.CreditNoteIssued)}
    ),
    "customer invoices, credit notes and supplier bills, their allocations and write-offs",
)
INVOICE_ISSUED = get_topic(Invoice.InvoiceIssued)
CREDIT_NOTE_ISSUED = get_topic(CreditNote.CreditNoteIssued)
BILL_RECEIVED = get_topic(SupplierBill.BillReceived)
BILL_POSTED = get_topic(SupplierBill.BillPosted)


def format_minor(minor: int, currency: str) -> str:
    return format_amount(minor, ISO_CURRENCY_SCALES.get(currency, 2))


@dataclass
class BillingFold:
    """The documents after the events, each with the positions behind it."""

    documents: dict[str, DocumentState] = field(default_factory=dict)
    positions: dict[str, list[int]] = field(default_factory=dict)
    tax_rows: dict[str, list[dict[str, Any]]] = field(default_factory=dict)  # bill id -> rows
    events: list[LogEvent] = field(default_factory=list)

    def apply(self, event: LogEvent) -> None:
        self.events.append(event)
        if event.topic == BILL_RECEIVED:
            self.tax_rows[event.originator_id] = list(event.state["tax_totals"])
        if not fold.wanted(event):
            return
        after = fold.apply(self.documents.get(event.originator_id), event)
        if after is not None:
            self.documents[event.originator_id] = after
            self.positions.setdefault(event.originator_id, []).append(event.position)


def fold_billing(source: LogSource, as_of_position: int) -> BillingFold:
    state = BillingFold()
    for event in source.events(as_of_position, BILLING_SCOPE):
        state.apply(event)
    return state


def as_of_parameter(parameters: Mapping[str, str]) -> date:
    return date.fromisoformat(parameters["as_of_date"])
