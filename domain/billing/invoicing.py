"""Invoice commands: draft, revise a draft, issue (number and entry in one
commit), credit by a credit note (full or partial), write off as bad debt.

Each command validates and decides, then saves what changed in one commit
(``unit_of_work``): a collision with another writer (the number series, the
invoice, a guarded account) makes it load and decide again; a refusal writes
nothing.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta
from typing import Any
from uuid import UUID

from domain.billing.credit_note import CreditNote
from domain.billing.desk import BillingDesk
from domain.billing.documents import (
    SALE,
    as_invoice_lines,
    document_postings,
    entry_command,
    invoice_lines,
    tax_total_rows,
)
from domain.billing.errors import (
    CreditExceedsOpenAmount,
    CreditNoteAlreadyIssued,
    InvalidInvoiceLine,
    InvalidInvoiceTransition,
    InvoiceAlreadyDrafted,
)
from domain.billing.invoice import Invoice
from domain.billing.invoice_math import InvoiceTotals, compute_credit_note, compute_invoice
from domain.billing.party import CUSTOMER
from domain.kernel import limits
from domain.kernel.context import Context
from domain.kernel.unit_of_work import Decided, find, last_position, save_retrying, unit_of_work
from domain.ledger.steps import usable_account


class InvoiceCommands(BillingDesk):
    """Customer invoices and credit notes."""

    def draft_invoice(
        self,
        context: Context,
        *,
        invoice_id: UUID,
        party_id: UUID,
        lines: Sequence[Any],
        currency: str | None = None,
        reference: str = "",
    ) -> int:
        """Record a draft; its lines are checked now (and computed again at issue)."""
        context.checked()
        party = self.get_party(party_id, role=CUSTOMER)
        currency = currency or party.currency
        rows, reference = self._checked_draft(lines, currency, reference)
        draft = Invoice.drafted(
            id=invoice_id,
            party_id=str(party.id),
            subject_id=party.subject_id,
            currency=currency,
            reference=reference,
            lines=rows,
            actor=context.actor,
            correlation_id=context.correlation_id,
        )

        def decide() -> list[Any]:
            if find(self.app, invoice_id, object) is not None:
                raise InvoiceAlreadyDrafted(
                    f"invoice {invoice_id} was already drafted", field="invoice_id"
                )
            return [draft]

        return save_retrying(self.app, decide, conflict=f"invoice {invoice_id} was just drafted")

    def revise_draft(
        self, context: Context, invoice_id: UUID, *, lines: Sequence[Any], reference: str = ""
    ) -> int:
        """Replace a draft's lines and reference; an issued invoice is never changed."""
        context.checked()

        def decide() -> list[Any]:
            invoice = self.get_invoice(invoice_id)
            self._require_draft(invoice, "be revised")
            rows, checked_reference = self._checked_draft(lines, invoice.currency, reference)
            invoice.trigger_event(
                Invoice.InvoiceDraftRevised,
                reference=checked_reference,
                lines=rows,
                actor=context.actor,
                correlation_id=context.correlation_id,
            )
            return [invoice]

        return save_retrying(self.app, decide)

    def issue_invoice(self, context: Context, invoice_id: UUID, *, issue_date: str) -> int:
        """Number the draft (next in the invoice series of the issue year), post
        its entry and record ``InvoiceIssued``, all in one commit."""
        context.checked()
        issue_date = limits.effective_date(issue_date, "issue_date")

        def decide() -> Decided[int]:
            invoice = self.get_invoice(invoice_id)
            self._require_draft(invoice, "be issued")
            party = self.get_party(UUID(invoice.party_id), role=CUSTOMER)
            totals = self._totals(invoice.lines, invoice.currency, issue_date, credit=False)
            series, number = self.assign_number(
                context, self.policy.invoice_series, issue_date, invoice_id
            )
            entry_id, ledger = self.stage_entry(
                entry_command(
                    context,
                    key=f"invoice:{invoice_id}:entry",
                    effective_date=issue_date,
                    currency=invoice.currency,
                    postings=document_postings(totals, self.policy.receivables_account, SALE),
                    description=f"Invoice {number}",
                    reference=str(number),
                    metadata={"invoice_id": str(invoice_id), "party_id": invoice.party_id},
                )
            )
            due = date.fromisoformat(issue_date) + timedelta(days=party.payment_terms_days)
            invoice.trigger_event(
                Invoice.InvoiceIssued,
                number=str(number),
                series=number.series,
                year=number.year,
                sequence=number.sequence,
                issue_date=issue_date,
                due_date=due.isoformat(),
                net_total_minor=totals.net_total_minor,
                tax_total_minor=totals.tax_total_minor,
                gross_total_minor=totals.gross_total_minor,
                tax_totals=tax_total_rows(totals, SALE),
                entry_id=str(entry_id),
                receivables_account=self.policy.receivables_account,
                actor=context.actor,
                correlation_id=context.correlation_id,
            )
            return Decided([series, invoice, *ledger], last_position)

        return unit_of_work(self.app, decide, conflict="the invoice series is busy; retry")

    def issue_credit_note(
        self,
        context: Context,
        *,
        credit_note_id: UUID,
        invoice_id: UUID,
        issue_date: str,
        reason: str,
        lines: Sequence[Any] | None = None,
    ) -> int:
        """Credit an issued invoice: all of its lines (``lines`` None) or the
        lines given; the credit note's own number and the mirror entry in one
        commit with ``InvoiceCredited``. Never more than the open amount."""
        context.checked()
        issue_date = limits.effective_date(issue_date, "issue_date")
        reason = limits.bounded_text(reason, "reason", limits.REASON_LENGTH_MAX)

        def decide() -> Decided[int]:
            if find(self.app, credit_note_id, object) is not None:
                raise CreditNoteAlreadyIssued(
                    f"credit note {credit_note_id} was already issued", field="credit_note_id"
                )
            invoice = self.get_invoice(invoice_id)
            rows, totals = self._credit(invoice, lines, issue_date)
            amount = -totals.gross_total_minor
            series, number = self.assign_number(
                context, self.policy.credit_note_series, issue_date, credit_note_id
            )
            entry_id, ledger = self.stage_entry(
                entry_command(
                    context,
                    key=f"credit-note:{credit_note_id}:entry",
                    effective_date=issue_date,
                    currency=invoice.currency,
                    postings=document_postings(totals, self.policy.receivables_account, SALE),
                    description=f"Credit note {number} for invoice {invoice.number}",
                    reference=str(number),
                    metadata={"credit_note_id": str(credit_note_id), "invoice_id": str(invoice_id)},
                )
            )
            note = self._credit_note(
                context,
                credit_note_id,
                invoice,
                (str(number), issue_date, reason, str(entry_id)),
                rows,
                totals,
            )
            invoice.trigger_event(
                Invoice.InvoiceCredited,
                credit_note_id=str(credit_note_id),
                number=str(number),
                amount_minor=amount,
                actor=context.actor,
                correlation_id=context.correlation_id,
            )
            return Decided([series, note, invoice, *ledger], last_position)

        return unit_of_work(self.app, decide, conflict="the credit note series is busy; retry")

    def write_off(
        self, context: Context, invoice_id: UUID, *, effective_date: str, reason: str
    ) -> int:
        """Write the open amount off as bad debt: a separate entry (debit bad
        debts, credit receivables) with ``InvoiceWrittenOff``."""
        context.checked()
        effective_date = limits.effective_date(effective_date)
        reason = limits.bounded_text(reason, "reason", limits.REASON_LENGTH_MAX)

        def decide() -> Decided[int]:
            invoice = self.get_invoice(invoice_id)
            amount = invoice.open_amount_minor
            if not invoice.issued or amount <= 0 or effective_date < invoice.issue_date:
                raise InvalidInvoiceTransition(
                    f"invoice {invoice_id} is {invoice.status} with {amount} open (issued"
                    f" {invoice.issue_date or 'never'}): nothing to write off on {effective_date}",
                    field="invoice_id",
                )
            postings = [
                (self.policy.bad_debt_account, "debit", amount),
                (invoice.receivables_account, "credit", amount),
            ]
            entry_id, ledger = self.stage_entry(
                entry_command(
                    context,
                    key=f"invoice:{invoice_id}:write-off",
                    effective_date=effective_date,
                    currency=invoice.currency,
                    postings=postings,
                    description=f"Bad debt: invoice {invoice.number}",
                    reference=invoice.number,
                    metadata={"invoice_id": str(invoice_id), "write_off": "true"},
                )
            )
            invoice.trigger_event(
                Invoice.InvoiceWrittenOff,
                amount_minor=amount,
                entry_id=str(entry_id),
                effective_date=effective_date,
                reason=reason,
                actor=context.actor,
                correlation_id=context.correlation_id,
            )
            return Decided([invoice, *ledger], last_position)

        return unit_of_work(self.app, decide)

    # --- helpers --------------------------------------------------------------

    def _credit(
        self, invoice: Invoice, lines: Sequence[Any] | None, issue_date: str
    ) -> tuple[list[dict[str, str]], InvoiceTotals]:
        """The credited lines and their (negative) totals, under the invoice's
        tax date, refused past the invoice's open amount."""
        if not invoice.issued:
            raise InvalidInvoiceTransition(
                f"invoice {invoice.id} is a draft: only an issued invoice is credited",
                field="invoice_id",
            )
        if issue_date < invoice.issue_date:
            raise InvalidInvoiceTransition(
                f"issue_date: {issue_date} is before the invoice's issue date {invoice.issue_date}",
                field="issue_date",
            )
        rows = invoice.lines if lines is None else self._credited_lines(invoice, lines)
        totals = self._totals(rows, invoice.currency, invoice.issue_date, credit=True)
        if -totals.gross_total_minor > invoice.open_amount_minor:
            raise CreditExceedsOpenAmount(
                f"lines: the credit note comes to {-totals.gross_total_minor} minor units,"
                f" invoice {invoice.number} has {invoice.open_amount_minor} open; undo"
                " allocations first to credit money already received",
                field="lines",
            )
        return rows, totals

    def _checked_draft(
        self, lines: Sequence[Any], currency: str, reference: str
    ) -> tuple[list[dict[str, str]], str]:
        rows = invoice_lines(lines)
        reference = limits.bounded_text(
            reference, "reference", limits.REFERENCE_LENGTH_MAX, required=False
        )
        self._totals(rows, currency, self.today().isoformat(), credit=False)
        for index, row in enumerate(rows):
            usable_account(
                self.app, row["income_account"], currency, f"lines[{index}].income_account"
            )
        return rows, reference

    @staticmethod
    def _totals(
        rows: Sequence[dict[str, str]], currency: str, tax_date: str, *, credit: bool
    ) -> InvoiceTotals:
        compute = compute_credit_note if credit else compute_invoice
        totals = compute(
            as_invoice_lines(rows, "income_account"),
            currency=currency,
            tax_date=date.fromisoformat(tax_date),
        )
        if totals.gross_total_minor == 0:
            raise InvalidInvoiceLine("lines: the total is zero; nothing to invoice", field="lines")
        return totals

    @staticmethod
    def _credited_lines(invoice: Invoice, lines: Sequence[Any]) -> list[dict[str, str]]:
        """Credited lines use the invoice's tax codes and income accounts only."""
        rows = invoice_lines(lines)
        known = {(row["tax_code"], row["income_account"]) for row in invoice.lines}
        for index, row in enumerate(rows):
            if (row["tax_code"], row["income_account"]) not in known:
                raise InvalidInvoiceLine(
                    f"lines[{index}]: invoice {invoice.number} has no line with tax code"
                    f" {row['tax_code']} on {row['income_account']}",
                    field=f"lines[{index}]",
                )
        return rows

    @staticmethod
    def _credit_note(
        context: Context,
        credit_note_id: UUID,
        invoice: Invoice,
        issued: tuple[str, str, str, str],
        rows: list[dict[str, str]],
        totals: InvoiceTotals,
    ) -> CreditNote:
        """``issued``: (number, issue date, reason, entry id)."""
        number, issue_date, reason, entry_id = issued
        series, year, sequence = number.split("-")
        return CreditNote.issued(
            id=credit_note_id,
            invoice_id=str(invoice.id),
            invoice_number=invoice.number,
            party_id=invoice.party_id,
            currency=invoice.currency,
            number=number,
            series=series,
            year=int(year),
            sequence=int(sequence),
            issue_date=issue_date,
            reason=reason,
            lines=rows,
            net_total_minor=-totals.net_total_minor,
            tax_total_minor=-totals.tax_total_minor,
            gross_total_minor=-totals.gross_total_minor,
            tax_totals=tax_total_rows(totals, SALE),
            entry_id=entry_id,
            actor=context.actor,
            correlation_id=context.correlation_id,
        )

    @staticmethod
    def _require_draft(invoice: Invoice, step: str) -> None:
        if invoice.issued:
            raise InvalidInvoiceTransition(
                f"invoice {invoice.id} was issued as {invoice.number}: it cannot {step}"
                " (an issued invoice is never changed; credit it instead)",
                field="invoice_id",
            )
