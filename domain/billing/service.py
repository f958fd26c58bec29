"""Billing commands over the one ``BackOffice`` application.

``Billing(app, registry, payments, policy)``: ``registry`` seals the parties'
details (``SubjectRegistry``), ``payments`` pays supplier bills and refunds
(``Payments``), ``policy`` names the accounts and series and sets four eyes
on bills. The commands are grouped by what they act on: parties (here),
invoices and credit notes (``invoicing``), supplier bills (``purchasing``),
allocations (``matching``); the invariant checks are at the end.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any
from uuid import UUID

from eventsourcing.persistence import IntegrityError

from domain.billing.checks import (
    ControlFinding,
    ControlItem,
    SeriesState,
    control_findings,
    numbering_findings,
)
from domain.billing.errors import PartyAlreadyOpened, UnknownCurrency
from domain.billing.invoicing import InvoiceCommands
from domain.billing.matching import MatchingCommands
from domain.billing.numbering import InvoiceNumber
from domain.billing.party import (
    CUSTOMER,
    PAYMENT_TERMS_DAYS_MAX,
    ROLES,
    SUPPLIER,
    TAX_STATUSES,
    Party,
    party_id_for,
)
from domain.billing.purchasing import BillCommands
from domain.billing.remittance import RECEIPT, REFUND, Remittance, remittance_id_for
from domain.kernel.context import Context
from domain.kernel.errors import InvalidInput
from domain.kernel.money import ISO_CURRENCY_SCALES
from domain.kernel.unit_of_work import find, save_if_changed
from domain.payments.payment import Payment
from domain.payments.statuses import SETTLED
from domain.receipts.receipt import POSTED, Receipt
from domain.subjects.parties import resolve_party

ITEM_KIND = "billing-party"


class Billing(InvoiceCommands, BillCommands, MatchingCommands):
    """The billing commands over ``app``."""

    # --- parties --------------------------------------------------------------

    def open_party(
        self,
        context: Context,
        *,
        roles: Sequence[str],
        currency: str,
        payment_terms_days: int = 30,
        tax_status: str = "registered",
        subject_id: UUID | None = None,
        details: dict[str, Any] | None = None,
    ) -> tuple[UUID, int]:
        """Open a customer or supplier (or both) over a data subject: an existing
        ``subject_id``, or ``details`` (name, tax_id, address ... and the caller's
        ``reference``, a customer or vendor number) registered as a new subject in
        the same commit. Returns the party id and the log position."""
        context.checked()
        checked_roles = _roles(roles)
        _check_terms(payment_terms_days, currency, tax_status)
        if details is not None and not isinstance(details.get("reference"), str):
            raise InvalidInput(
                "details.reference: a customer or vendor number is required", field="details"
            )
        kind = "customer" if CUSTOMER in checked_roles else "payee"
        subject = resolve_party(
            self.registry,
            context,
            kind=kind,
            field="details" if details is not None else "subject",
            subject_id=subject_id,
            inline=details,
            item_kind=ITEM_KIND,
            # Inline details carry their reference, which names the subject; the
            # item id is only the fallback name of a subject without one.
            item_id=subject_id or UUID(int=0),
        )
        party_id = party_id_for(subject.subject_id)
        party = Party.opened(
            id=party_id,
            subject_id=str(subject.subject_id),
            roles=checked_roles,
            payment_terms_days=payment_terms_days,
            currency=currency,
            tax_status=tax_status,
            actor=context.actor,
            correlation_id=context.correlation_id,
        )
        new = [] if subject.new_subject is None else [subject.new_subject]
        refusal = PartyAlreadyOpened(
            f"subject {subject.subject_id} is already billing party {party_id}", field="subject_id"
        )
        with self.app.write_lock:
            if find(self.app, party_id, Party) is not None:
                raise refusal
            try:
                recordings = self.app.save(*new, party)
            except IntegrityError:
                raise refusal from None
        return party_id, int(recordings[-1].notification.id)

    def change_party(
        self,
        context: Context,
        party_id: UUID,
        *,
        payment_terms_days: int | None = None,
        currency: str | None = None,
        tax_status: str | None = None,
        add_role: str | None = None,
    ) -> int | None:
        """One event per fact that changes; None (nothing written) when nothing does.
        The sealed details change on the subject (``SubjectRegistry.change_details``)."""
        context.checked()

        def decide() -> list[Any]:
            party = self.get_party(party_id)
            _check_terms(
                party.payment_terms_days if payment_terms_days is None else payment_terms_days,
                party.currency if currency is None else currency,
                party.tax_status if tax_status is None else tax_status,
            )
            common = {"actor": context.actor, "correlation_id": context.correlation_id}
            if payment_terms_days is not None and payment_terms_days != party.payment_terms_days:
                party.trigger_event(
                    Party.PaymentTermsChanged, payment_terms_days=payment_terms_days, **common
                )
            if currency is not None and currency != party.currency:
                party.trigger_event(Party.PartyCurrencyChanged, currency=currency, **common)
            if tax_status is not None and tax_status != party.tax_status:
                party.trigger_event(Party.TaxStatusChanged, tax_status=tax_status, **common)
            if add_role is not None and _roles([add_role])[0] not in party.roles:
                party.trigger_event(Party.PartyRoleAdded, role=add_role, **common)
            return [party] if party.pending_events else []

        return save_if_changed(self.app, decide)

    # --- invariants -----------------------------------------------------------

    def control_items(self) -> list[ControlItem]:
        """Every open item as the control accounts see it (debit-positive)."""
        receivables = self.policy.receivables_account
        payables = self.policy.payables_account
        items = [
            ControlItem(receivables, i.currency, "invoice", str(i.id), i.open_amount_minor)
            for i in self.invoices()
            if i.issued and i.open_amount_minor
        ]
        items += [
            ControlItem(payables, b.currency, "bill", str(b.id), -b.open_amount_minor)
            for b in self.bills()
            if b.open_amount_minor
        ]
        remittances = {r.source_id: r for r in self.remittances()}
        for receipt in self.all_of(Receipt.ReceiptPosted, Receipt):
            if receipt.status != POSTED or receipt.credit_account != receivables:
                continue
            remittance = remittances.get(str(receipt.id))
            left = receipt.amount_minor if remittance is None else remittance.unallocated_minor
            if left:
                items.append(
                    ControlItem(receivables, receipt.asset, RECEIPT, str(receipt.id), -left)
                )
        for payment in self.all_of(Payment.PaymentSettled, Payment):
            items += self._payment_items(payment, remittances.get(str(payment.id)))
        return items

    def _payment_items(self, payment: Payment, remittance: Remittance | None) -> list[ControlItem]:
        """A settled payment through payables is owed back until allocated; one
        through receivables (a refund) counts until it is set against a credit."""
        if payment.status != SETTLED:
            return []
        if payment.clearing_account == self.policy.payables_account:
            left = payment.amount_minor if remittance is None else remittance.unallocated_minor
            account = self.policy.payables_account
        elif payment.clearing_account == self.policy.receivables_account:
            left = (
                payment.amount_minor
                if remittance is None or remittance.source_kind != REFUND
                else 0
            )
            account = self.policy.receivables_account
        else:
            return []
        return (
            [ControlItem(account, payment.asset, "payment", str(payment.id), left)] if left else []
        )

    def control_findings(self, balances: Mapping[tuple[str, str], int]) -> list[ControlFinding]:
        """The control accounts against their open items; ``balances`` are posted
        debits minus credits per (account, currency), from the balances projection."""
        accounts = (self.policy.receivables_account, self.policy.payables_account)
        return control_findings(balances, self.control_items(), accounts)

    def numbering_findings(self) -> list[str]:
        """Every invoice and credit note series gap-free and in step with its documents."""
        numbers = [
            InvoiceNumber(invoice.series, invoice.year, invoice.sequence)
            for invoice in self.invoices()
            if invoice.issued
        ]
        numbers += [
            InvoiceNumber(note.series, note.year, note.sequence) for note in self.credit_notes()
        ]
        states = [SeriesState(s.series, s.year, s.last_sequence) for s in self.number_series()]
        return numbering_findings(states, numbers)

    def remittance_of(self, source_id: UUID) -> Remittance:
        return self.get_remittance(remittance_id_for(source_id))


def _roles(roles: Sequence[str]) -> list[str]:
    if not isinstance(roles, (list, tuple)) or not roles or any(r not in ROLES for r in roles):
        raise InvalidInput(f"roles: one or both of {CUSTOMER}, {SUPPLIER}", field="roles")
    return sorted(set(roles))


def _check_terms(payment_terms_days: object, currency: object, tax_status: object) -> None:
    if (
        not isinstance(payment_terms_days, int)
        or isinstance(payment_terms_days, bool)
        or not 0 <= payment_terms_days <= PAYMENT_TERMS_DAYS_MAX
    ):
        raise InvalidInput(
            f"payment_terms_days: whole days from 0 to {PAYMENT_TERMS_DAYS_MAX}",
            field="payment_terms_days",
        )
    if not isinstance(currency, str) or currency not in ISO_CURRENCY_SCALES:
        raise UnknownCurrency(
            f"currency: {str(currency)[:12]!r} is not an ISO 4217 currency", field="currency"
        )
    if tax_status not in TAX_STATUSES:
        raise InvalidInput(f"tax_status: one of {', '.join(TAX_STATUSES)}", field="tax_status")
