"""The base of the billing commands: what they share (the application, the
subject registry, the payments desk, the policy, the clock) and their reads.

Reads of all documents go through the log by the documents' topics, as the
payments area does: fine at this scale; the billing projection (open items
per party) takes over when it is not.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import TypeVar
from uuid import UUID

from eventsourcing.domain import Aggregate

from domain.application import BackOffice
from domain.billing.bill import SupplierBill
from domain.billing.credit_note import CreditNote
from domain.billing.errors import (
    InvalidInvoiceNumber,
    InvoiceDateOutOfSequence,
    PartyRoleMismatch,
    UnknownBill,
    UnknownInvoice,
    UnknownParty,
    UnknownRemittance,
)
from domain.billing.invoice import Invoice
from domain.billing.number_series import NumberSeries, number_series_id
from domain.billing.numbering import InvoiceNumber
from domain.billing.party import Party
from domain.billing.policy import BillingPolicy
from domain.billing.remittance import Remittance
from domain.kernel.context import Context
from domain.kernel.unit_of_work import find, ids_with_topic
from domain.ledger.batch import LedgerBatch
from domain.ledger.commands import PostJournalEntry
from domain.payments.service import Payments
from domain.subjects.service import SubjectRegistry

A = TypeVar("A", bound=Aggregate)


def _today_utc() -> date:
    return datetime.now(UTC).date()


class BillingDesk:
    """Shared state and reads of the billing commands."""

    def __init__(
        self,
        app: BackOffice,
        registry: SubjectRegistry,
        payments: Payments,
        policy: BillingPolicy | None = None,
        *,
        today: Callable[[], date] = _today_utc,
    ) -> None:
        self.app = app
        self.registry = registry
        self.payments = payments
        self.policy = (policy or BillingPolicy()).checked()
        self.today = today

    # --- reads ----------------------------------------------------------------

    def get_party(
        self, party_id: UUID, *, role: str | None = None, field: str = "party_id"
    ) -> Party:
        party = find(self.app, party_id, Party)
        if party is None:
            raise UnknownParty(f"{field}: billing party {party_id} does not exist", field=field)
        if role is not None and role not in party.roles:
            raise PartyRoleMismatch(
                f"{field}: party {party_id} is not a {role} (roles: {', '.join(party.roles)})",
                field=field,
            )
        return party

    def get_invoice(self, invoice_id: UUID) -> Invoice:
        invoice = find(self.app, invoice_id, Invoice)
        if invoice is None:
            raise UnknownInvoice(f"invoice {invoice_id} does not exist", field="invoice_id")
        return invoice

    def get_credit_note(self, credit_note_id: UUID) -> CreditNote:
        note = find(self.app, credit_note_id, CreditNote)
        if note is None:
            raise UnknownInvoice(
                f"credit note {credit_note_id} does not exist", field="credit_note_id"
            )
        return note

    def get_bill(self, bill_id: UUID) -> SupplierBill:
        bill = find(self.app, bill_id, SupplierBill)
        if bill is None:
            raise UnknownBill(f"supplier bill {bill_id} does not exist", field="bill_id")
        return bill

    def get_remittance(self, remittance_id: UUID) -> Remittance:
        remittance = find(self.app, remittance_id, Remittance)
        if remittance is None:
            raise UnknownRemittance(
                f"remittance {remittance_id} does not exist", field="remittance_id"
            )
        return remittance

    def all_of(self, created: type, kind: type[A]) -> list[A]:
        """Every aggregate of ``kind`` whose ``created`` event is in the log, in log
        order, as it stands now (shared objects: read only)."""
        ids = ids_with_topic(self.app, created)
        found = self.app.current_aggregates(ids)
        return [aggregate for aggregate in (found[i] for i in ids) if isinstance(aggregate, kind)]

    def invoices(self) -> list[Invoice]:
        """Every invoice ever drafted."""
        return self.all_of(Invoice.InvoiceDrafted, Invoice)

    def bills(self) -> list[SupplierBill]:
        return self.all_of(SupplierBill.BillReceived, SupplierBill)

    def credit_notes(self) -> list[CreditNote]:
        return self.all_of(CreditNote.CreditNoteIssued, CreditNote)

    def remittances(self) -> list[Remittance]:
        return self.all_of(Remittance.RemittanceOpened, Remittance)

    def number_series(self) -> list[NumberSeries]:
        return self.all_of(NumberSeries.NumberSeriesStarted, NumberSeries)

    # --- steps the commands share ---------------------------------------------

    def assign_number(
        self, context: Context, series: str, issue_date: str, document_id: UUID
    ) -> tuple[NumberSeries, InvoiceNumber]:
        """The series (loaded, or started) with the next number assigned to
        ``document_id``: the caller saves it with the document, and a collision
        on the series' version makes the caller decide again."""
        year = int(issue_date[:4])
        record = find(self.app, number_series_id(series, year), NumberSeries)
        if record is None:
            record = NumberSeries.started(
                id=number_series_id(series, year),
                series=series,
                year=year,
                actor=context.actor,
                correlation_id=context.correlation_id,
            )
        if record.last_issue_date and issue_date < record.last_issue_date:
            raise InvoiceDateOutOfSequence(
                f"issue_date: {issue_date} is before {record.last_issue_date}, the date of"
                f" {record.last_number()}: numbers follow the order of the dates",
                field="issue_date",
            )
        try:
            number = record.next_number()
        except InvalidInvoiceNumber as refusal:  # pragma: no cover - year outside 1900..2199
            raise InvalidInvoiceNumber(
                f"issue_date: {refusal.message}", field="issue_date"
            ) from None
        record.trigger_event(
            NumberSeries.NumberAssigned,
            sequence=number.sequence,
            document_id=str(document_id),
            issue_date=issue_date,
            actor=context.actor,
            correlation_id=context.correlation_id,
        )
        return record, number

    def stage_entry(self, command: PostJournalEntry) -> tuple[UUID, list[Aggregate]]:
        """Stage one entry through the ledger's rules (periods, accounts, balance);
        the entry id and the aggregates to save with the business event."""
        batch = LedgerBatch(self.app)
        batch.preload([command])
        staged = batch.stage_entry(command)
        assert isinstance(staged, UUID), f"billing entry keys are used once: {staged}"
        return staged, batch.aggregates()
