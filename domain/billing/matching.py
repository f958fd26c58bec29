"""Matching commands: receipts and payments applied to open items.

``apply_receipt`` takes a posted receipt (credited to receivables) of a
customer and allocates what is left of it to the customer's open invoices;
``apply_payment`` does the same for a settled payment (debited to payables)
and the supplier's posted bills. Without ``allocations`` the rules of
``domain.billing.allocation`` decide (the invoice the reference names, then
the oldest due first); with them, the amounts given. Nothing is ever
allocated beyond an item's open amount: the documents' versions serialise
allocators, so a second allocator decides again on the new open amounts. What
is left is the party's credit, allocated by a later call or refunded
(``refund_credit``). ``undo_allocation`` undoes one allocation by an event.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any
from uuid import UUID, uuid4

from domain.billing.allocation import (
    Allocation,
    AllocationResult,
    allocate_automatically,
    allocate_manually,
    normalised_reference,
)
from domain.billing.allocation import (
    Receipt as Offered,
)
from domain.billing.bill import SupplierBill
from domain.billing.desk import BillingDesk
from domain.billing.errors import (
    AllocationAlreadyUndone,
    AllocationExceedsReceipt,
    CrossCurrencyAllocation,
    NothingToAllocate,
    PartyRoleMismatch,
    SettlementNotApplicable,
    UnknownAllocation,
)
from domain.billing.invoice import Invoice
from domain.billing.open_items import OpenItem
from domain.billing.party import CUSTOMER, SUPPLIER, Party, party_id_for
from domain.billing.remittance import (
    AUTOMATIC,
    MANUAL,
    PAYABLE,
    PAYMENT,
    RECEIPT,
    RECEIVABLE,
    REFUND,
    Remittance,
    remittance_id_for,
)
from domain.kernel.context import Context
from domain.kernel.unit_of_work import Decided, find, last_position, unit_of_work
from domain.payments.payment import Payment
from domain.payments.statuses import SETTLED
from domain.receipts.receipt import POSTED, Receipt

Document = Invoice | SupplierBill


class MatchingCommands(BillingDesk):
    """Allocations of receipts and payments to invoices and bills."""

    def apply_receipt(
        self,
        context: Context,
        receipt_id: UUID,
        allocations: Sequence[Allocation] | None = None,
    ) -> tuple[UUID, int]:
        """Allocate what is left of a posted receipt to its payer's open invoices.
        Returns the remittance id and the log position."""
        context.checked()
        return self._apply(context, receipt_id, RECEIPT, allocations)

    def apply_payment(
        self,
        context: Context,
        payment_id: UUID,
        allocations: Sequence[Allocation] | None = None,
    ) -> tuple[UUID, int]:
        """Allocate what is left of a settled payment to its payee's posted bills."""
        context.checked()
        return self._apply(context, payment_id, PAYMENT, allocations)

    def undo_allocation(
        self, context: Context, remittance_id: UUID, allocation_id: str, reason: str
    ) -> int:
        """Undo one allocation: the remittance and every document it touched get
        their event in one commit; the amounts are open (and credit) again."""
        context.checked()

        def decide() -> Decided[int]:
            remittance = self.get_remittance(remittance_id)
            if allocation_id not in remittance.allocations:
                raise UnknownAllocation(
                    f"allocation_id: {allocation_id[:40]!r} is not an allocation of"
                    f" remittance {remittance_id}",
                    field="allocation_id",
                )
            if allocation_id in remittance.undone:
                raise AllocationAlreadyUndone(
                    f"allocation {allocation_id} was already undone", field="allocation_id"
                )
            common = {"actor": context.actor, "correlation_id": context.correlation_id}
            remittance.trigger_event(
                Remittance.AllocationUndone, allocation_id=allocation_id, reason=reason, **common
            )
            documents: list[Any] = []
            for document_id, amount in remittance.allocations[allocation_id]:
                document = self._document(remittance.side, UUID(document_id))
                document.trigger_event(
                    type(document).PaymentAllocationUndone,
                    allocation_id=allocation_id,
                    remittance_id=str(remittance_id),
                    amount_minor=int(amount),
                    **common,
                )
                documents.append(document)
            return Decided([remittance, *documents], last_position)

        return unit_of_work(self.app, decide)

    def refund_credit(self, context: Context, remittance_id: UUID, payment_id: UUID) -> int:
        """Set a settled refund payment (to the customer, cleared through
        receivables) against the credit left on a receipt's remittance."""
        context.checked()

        def decide() -> Decided[int]:
            remittance = self.get_remittance(remittance_id)
            payment = find(self.app, payment_id, Payment)
            party = self.get_party(UUID(remittance.party_id))
            self._check_payment(payment, payment_id, self.policy.receivables_account, party)
            assert payment is not None
            if remittance.side != RECEIVABLE or payment.asset != remittance.currency:
                raise SettlementNotApplicable(
                    f"payment_id: payment {payment_id} in {payment.asset} does not refund"
                    f" a {remittance.side} credit in {remittance.currency}",
                    field="payment_id",
                )
            if payment.amount_minor > remittance.unallocated_minor:
                raise AllocationExceedsReceipt(
                    f"payment_id: the refund of {payment.amount_minor} exceeds the credit"
                    f" {remittance.unallocated_minor} left on remittance {remittance_id}",
                    field="payment_id",
                )
            refund = self._opened(context, REFUND, payment, party, refund_of=remittance_id)
            if refund is None:
                raise SettlementNotApplicable(
                    f"payment_id: payment {payment_id} was already applied", field="payment_id"
                )
            remittance.trigger_event(
                Remittance.CreditRefunded,
                payment_id=str(payment_id),
                amount_minor=payment.amount_minor,
                actor=context.actor,
                correlation_id=context.correlation_id,
            )
            return Decided([refund, remittance], last_position)

        return unit_of_work(self.app, decide)

    # --- the shared allocation step -------------------------------------------

    def _apply(
        self,
        context: Context,
        source_id: UUID,
        kind: str,
        allocations: Sequence[Allocation] | None,
    ) -> tuple[UUID, int]:
        allocation_id = str(uuid4())

        def decide() -> Decided[tuple[UUID, int]]:
            remittance = self._remittance_for(context, source_id, kind)
            offered = Offered(
                party=remittance.party_id,
                currency=remittance.currency,
                amount_minor=remittance.unallocated_minor,
                reference=remittance.reference,
            )
            if offered.amount_minor <= 0:
                raise NothingToAllocate(
                    f"{kind} {source_id} is fully allocated (remittance {remittance.id})",
                    field=f"{kind}_id",
                )
            documents = self._open_documents(remittance, allocations)
            items = [self._open_item(document) for document in documents.values()]
            result = (
                allocate_automatically(offered, items)
                if allocations is None
                else allocate_manually(offered, items, allocations)
            )
            changed = self._record(
                context,
                remittance,
                documents,
                result,
                allocation_id,
                MANUAL if allocations is not None else AUTOMATIC,
            )
            return Decided(changed, lambda recordings: (remittance.id, last_position(recordings)))

        return unit_of_work(self.app, decide)

    def _record(
        self,
        context: Context,
        remittance: Remittance,
        documents: dict[str, Document],
        result: AllocationResult,
        allocation_id: str,
        method: str,
    ) -> list[Any]:
        """Trigger the allocation on the remittance and each document; nothing
        when nothing was allocated (a new remittance is still saved: the credit)."""
        if not result.allocations:
            if not remittance.pending_events:  # not new: nothing would change
                raise NothingToAllocate(
                    f"no open item of party {remittance.party_id} in {remittance.currency}"
                    f" to allocate to; {remittance.unallocated_minor} stays as credit",
                    field="allocations",
                )
            return [remittance]
        common = {"actor": context.actor, "correlation_id": context.correlation_id}
        remittance.trigger_event(
            Remittance.AllocationsMade,
            allocation_id=allocation_id,
            method=method,
            lines=[[line.invoice_id, line.amount_minor] for line in result.allocations],
            **common,
        )
        changed: list[Any] = [remittance]
        for line in result.allocations:
            document = documents[line.invoice_id]
            document.trigger_event(
                type(document).PaymentAllocated,
                allocation_id=allocation_id,
                remittance_id=str(remittance.id),
                amount_minor=line.amount_minor,
                **common,
            )
            changed.append(document)
        return changed

    def _remittance_for(self, context: Context, source_id: UUID, kind: str) -> Remittance:
        """The source's remittance, opened (not yet saved) the first time."""
        found = find(self.app, remittance_id_for(source_id), Remittance)
        if found is not None:
            if found.source_kind != kind:
                raise SettlementNotApplicable(
                    f"{kind}_id: {source_id} was applied as a {found.source_kind}",
                    field=f"{kind}_id",
                )
            return found
        if kind == RECEIPT:
            receipt = find(self.app, source_id, Receipt)
            if receipt is None or receipt.status != POSTED:
                raise SettlementNotApplicable(
                    f"receipt_id: {source_id} is not a posted receipt"
                    + ("" if receipt is None else f" (it is {receipt.status})"),
                    field="receipt_id",
                )
            if receipt.credit_account != self.policy.receivables_account:
                raise SettlementNotApplicable(
                    f"receipt_id: receipt {source_id} credited {receipt.credit_account}, not"
                    f" the receivables account {self.policy.receivables_account}",
                    field="receipt_id",
                )
            party = self._party_of_subject(receipt.payer_subject_id, CUSTOMER, "receipt_id")
            opened = self._opened(context, RECEIPT, receipt, party, refund_of=None)
        else:
            payment = find(self.app, source_id, Payment)
            party = self._party_of_subject(
                "" if payment is None else payment.payee_subject_id, SUPPLIER, "payment_id"
            )
            self._check_payment(payment, source_id, self.policy.payables_account, party)
            opened = self._opened(context, PAYMENT, payment, party, refund_of=None)
        assert opened is not None
        return opened

    def _opened(
        self, context: Context, kind: str, source: Any, party: Party, *, refund_of: UUID | None
    ) -> Remittance | None:
        """A new remittance for ``source`` (a receipt or a payment); None if it exists."""
        remittance_id = remittance_id_for(source.id)
        if find(self.app, remittance_id, Remittance) is not None:
            return None
        receipt = isinstance(source, Receipt)
        return Remittance.opened(
            id=remittance_id,
            source_kind=kind,
            source_id=str(source.id),
            party_id=str(party.id),
            side=RECEIVABLE if receipt or kind == REFUND else PAYABLE,
            control_account=source.credit_account if receipt else source.clearing_account,
            currency=source.asset,
            amount_minor=source.amount_minor,
            value_date=source.value_date,
            reference=source.reference if receipt else source.purpose,
            refund_of="" if refund_of is None else str(refund_of),
            actor=context.actor,
            correlation_id=context.correlation_id,
        )

    def _party_of_subject(self, subject_id: str, role: str, field: str) -> Party:
        if not subject_id:
            raise SettlementNotApplicable(f"{field}: no such {field[:-3]}", field=field)
        found = find(self.app, party_id_for(UUID(subject_id)), Party)
        if found is None:
            raise PartyRoleMismatch(
                f"{field}: its party (subject {subject_id}) is not a billing party; record it"
                " with the party's subject id",
                field=field,
            )
        return self.get_party(found.id, role=role, field=field)

    def _check_payment(
        self, payment: Payment | None, payment_id: UUID, clearing: str, party: Party
    ) -> None:
        if payment is None or payment.status != SETTLED:
            raise SettlementNotApplicable(
                f"payment_id: {payment_id} is not a settled payment"
                + ("" if payment is None else f" (it is {payment.status})"),
                field="payment_id",
            )
        if payment.clearing_account != clearing or payment.payee_subject_id != party.subject_id:
            raise SettlementNotApplicable(
                f"payment_id: payment {payment_id} was not made to party {party.id} through"
                f" {clearing}",
                field="payment_id",
            )

    def _open_documents(
        self, remittance: Remittance, allocations: Sequence[Allocation] | None
    ) -> dict[str, Document]:
        """The party's open documents to allocate to, freshly loaded: in the
        remittance's currency (automatic; a reference naming one in another
        currency is refused), or the ones named (manual)."""
        issued: list[Document] = (
            [*self.all_of(Invoice.InvoiceIssued, Invoice)]
            if remittance.side == RECEIVABLE
            else [*self.all_of(SupplierBill.BillPosted, SupplierBill)]
        )
        candidates = [
            document
            for document in issued
            if document.party_id == remittance.party_id and document.open_amount_minor > 0
        ]
        if allocations is None:
            wanted = normalised_reference(remittance.reference)
            for document in candidates:
                if (
                    document.currency != remittance.currency
                    and wanted
                    and (normalised_reference(_reference_of(document)) == wanted)
                ):
                    raise CrossCurrencyAllocation(
                        f"reference: {remittance.reference!r} names {_reference_of(document)}"
                        f" in {document.currency}, the money is in {remittance.currency};"
                        " exchange rates are not supported yet",
                        field="reference",
                    )
            chosen = [d for d in candidates if d.currency == remittance.currency]
        else:
            named = {allocation.invoice_id for allocation in allocations}
            chosen = [d for d in candidates if str(d.id) in named]
        return {str(d.id): self._document(remittance.side, d.id) for d in chosen}

    def _document(self, side: str, document_id: UUID) -> Document:
        return self.get_invoice(document_id) if side == RECEIVABLE else self.get_bill(document_id)

    @staticmethod
    def _open_item(document: Document) -> OpenItem:
        if isinstance(document, Invoice):
            issue, due = document.issue_date, document.due_date
        else:
            issue, due = document.bill_date, document.due_date
        return OpenItem(
            invoice_id=str(document.id),
            party=document.party_id,
            currency=document.currency,
            due_date=date.fromisoformat(due),
            issue_date=date.fromisoformat(issue),
            reference=_reference_of(document),
            open_amount_minor=document.open_amount_minor,
        )


def _reference_of(document: Document) -> str:
    return document.number if isinstance(document, Invoice) else document.supplier_number
