"""Supplier bill commands: receive (a duplicate supplier number refused),
approve (four eyes; the last approval posts the bill to payables), and pay
through the payments area.

Paying a bill is a payment (``domain.payments``) whose clearing account is
payables: its reservation, approval, screening and settlement are the
payments area's own, and settling it debits payables. The settled payment is
then applied to the bills (``MatchingCommands.apply_payment``).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta
from typing import Any
from uuid import UUID

from eventsourcing.persistence import IntegrityError

from domain.billing.bill import SupplierBill, bill_id_for
from domain.billing.desk import BillingDesk
from domain.billing.documents import (
    PURCHASE,
    as_invoice_lines,
    bill_lines,
    document_postings,
    entry_command,
    tax_total_rows,
)
from domain.billing.errors import DuplicateSupplierBill, InvalidBillTransition, InvalidInvoiceLine
from domain.billing.invoice_math import compute_invoice
from domain.billing.party import SUPPLIER, Party
from domain.kernel import limits
from domain.kernel.context import Context
from domain.kernel.errors import InvalidInput
from domain.kernel.money import ISO_CURRENCY_SCALES, format_amount
from domain.kernel.unit_of_work import Decided, find, last_position, unit_of_work
from domain.ledger.steps import usable_account
from domain.payments.errors import DuplicateApproval, SelfApprovalRefused

SUPPLIER_NUMBER_LENGTH_MAX = 64


class BillCommands(BillingDesk):
    """Supplier bills."""

    def receive_bill(
        self,
        context: Context,
        *,
        party_id: UUID,
        supplier_number: str,
        bill_date: str,
        lines: Sequence[Any],
        currency: str | None = None,
        due_date: str | None = None,
    ) -> tuple[UUID, int]:
        """Record a bill as the supplier sent it; returns its id and the log position.
        The id is derived from the supplier and their number: a duplicate is refused."""
        context.checked()
        party = self.get_party(party_id, role=SUPPLIER)
        supplier_number = limits.bounded_text(
            supplier_number, "supplier_number", SUPPLIER_NUMBER_LENGTH_MAX
        )
        bill_date = limits.effective_date(bill_date, "bill_date")
        due = date.fromisoformat(bill_date) + timedelta(days=party.payment_terms_days)
        due_date = limits.effective_date(due_date or due.isoformat(), "due_date")
        if due_date < bill_date:
            raise InvalidInput("due_date: before the bill date", field="due_date")
        bill = self._received(
            context,
            party,
            supplier_number,
            (bill_date, due_date),
            currency or party.currency,
            lines,
        )
        bill_id = bill.id
        duplicate = DuplicateSupplierBill(
            f"supplier_number: bill {supplier_number!r} of supplier {party.id} was already"
            f" received (as {bill_id})",
            field="supplier_number",
        )
        with self.app.write_lock:
            if find(self.app, bill_id, object) is not None:
                raise duplicate
            try:
                recordings = self.app.save(bill)
            except IntegrityError:
                raise duplicate from None
        return bill_id, int(recordings[-1].notification.id)

    def approve_bill(self, context: Context, bill_id: UUID) -> int:
        """Approve a received bill; never by whoever received it, and by two
        distinct approvers above the policy amount. The last approval posts it."""
        context.checked()

        def decide() -> Decided[int]:
            bill = self.get_bill(bill_id)
            if bill.posted:
                raise InvalidBillTransition(
                    f"bill {bill_id} is {bill.status}: it was already approved", field="bill_id"
                )
            if context.actor == bill.received_by:
                raise SelfApprovalRefused(
                    f"bill {bill_id} was received by {context.actor}: someone else approves it",
                    field="bill_id",
                )
            if context.actor in bill.approvers:
                raise DuplicateApproval(
                    f"{context.actor} has already approved bill {bill_id}; the second approval"
                    " comes from another approver",
                    field="bill_id",
                )
            common = {"actor": context.actor, "correlation_id": context.correlation_id}
            bill.trigger_event(SupplierBill.BillApproved, **common)
            if len(bill.approvers) < bill.approvals_required:
                return Decided([bill], last_position)
            entry_id, ledger = self.stage_entry(self._bill_entry(context, bill))
            bill.trigger_event(
                SupplierBill.BillPosted,
                entry_id=str(entry_id),
                payables_account=self.policy.payables_account,
                **common,
            )
            return Decided([bill, *ledger], last_position)

        return unit_of_work(self.app, decide)

    def request_bill_payment(
        self,
        context: Context,
        bill_id: UUID,
        *,
        payment_id: UUID,
        paying_account: str,
        value_date: str,
        payee_account: dict[str, Any] | None = None,
        method: str = "transfer",
    ) -> int:
        """Request the payment of a posted bill's open amount through the payments
        area (screening, four eyes, reservation, settlement are theirs): a payment
        to the supplier's subject whose clearing account is payables, with the
        supplier's number as its purpose (the reference it is matched by)."""
        context.checked()
        bill = self.get_bill(bill_id)
        if bill.open_amount_minor <= 0:
            raise InvalidBillTransition(
                f"bill {bill_id} is {bill.status}: nothing to pay", field="bill_id"
            )
        return self.payments.request(
            context,
            payment_id=payment_id,
            amount=format_amount(bill.open_amount_minor, ISO_CURRENCY_SCALES[bill.currency]),
            asset=bill.currency,
            value_date=value_date,
            purpose=bill.supplier_number,
            paying_account=paying_account,
            payee_subject_id=UUID(bill.subject_id),
            payee_account=payee_account,
            method=method,
            clearing_account=self.policy.payables_account,
        )

    def _received(
        self,
        context: Context,
        party: Party,
        supplier_number: str,
        dates: tuple[str, str],
        currency: str,
        lines: Sequence[Any],
    ) -> SupplierBill:
        """The new bill (not saved) with its lines checked and its totals computed."""
        bill_date, due_date = dates
        rows = bill_lines(lines, self.policy.grni_account)
        totals = compute_invoice(
            as_invoice_lines(rows, "account"),
            currency=currency,
            tax_date=date.fromisoformat(bill_date),
        )
        if totals.gross_total_minor == 0:
            raise InvalidInvoiceLine("lines: the total is zero", field="lines")
        for index, row in enumerate(rows):
            usable_account(self.app, row["account"], currency, f"lines[{index}].account")
        return SupplierBill.received(
            id=bill_id_for(party.id, supplier_number),
            party_id=str(party.id),
            subject_id=party.subject_id,
            supplier_number=supplier_number,
            bill_date=bill_date,
            due_date=due_date,
            currency=currency,
            lines=rows,
            net_total_minor=totals.net_total_minor,
            tax_total_minor=totals.tax_total_minor,
            gross_total_minor=totals.gross_total_minor,
            tax_totals=tax_total_rows(totals, PURCHASE),
            approvals_required=self.policy.bill_approvals_required(
                totals.gross_total_minor, currency
            ),
            actor=context.actor,
            correlation_id=context.correlation_id,
        )

    def _bill_entry(self, context: Context, bill: SupplierBill) -> Any:
        totals = compute_invoice(
            as_invoice_lines(bill.lines, "account"),
            currency=bill.currency,
            tax_date=date.fromisoformat(bill.bill_date),
        )
        assert totals.gross_total_minor == bill.gross_total_minor, "bills recompute the same"
        return entry_command(
            context,
            key=f"bill:{bill.id}:entry",
            effective_date=bill.bill_date,
            currency=bill.currency,
            postings=document_postings(totals, self.policy.payables_account, PURCHASE),
            description=f"Supplier bill {bill.supplier_number}",
            reference=bill.supplier_number,
            metadata={"bill_id": str(bill.id), "party_id": bill.party_id},
        )
