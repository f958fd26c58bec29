"""Amending and approving a payment: four eyes on its content, and the last
approval needed reserves the funds (a pending entry) in the same commit."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from eventsourcing.domain import Aggregate

from domain.kernel import limits
from domain.kernel.context import Context
from domain.kernel.errors import InvalidInput
from domain.kernel.money import format_amount, parse_amount
from domain.kernel.unit_of_work import save_retrying
from domain.ledger.batch import LedgerBatch
from domain.ledger.commands import PostJournalEntry
from domain.ledger.journal import entry_id_for_key
from domain.ledger.steps import check_available, usable_account
from domain.payments.errors import (
    DuplicateApproval,
    PaymentContentChanged,
    PaymentHeldForCompliance,
    SelfApprovalRefused,
)
from domain.payments.payment import Payment
from domain.payments.reads import ACCOUNT_FIELD, PaymentReads
from domain.payments.statuses import HELD
from domain.payments.terms import PURPOSE_LENGTH_MAX, content_fingerprint, reservation_key
from domain.subjects.parties import existing_party


class PaymentApproval(PaymentReads):
    """Amend and approve payments."""

    def amend(
        self,
        context: Context,
        payment_id: UUID,
        *,
        amount: str | None = None,
        value_date: str | None = None,
        purpose: str | None = None,
        payee_account: dict[str, Any] | None = None,
    ) -> int:
        """Change the content before approval is complete: every approval given
        so far is void, and the amender may not approve it either."""
        context.checked()
        if amount is None and value_date is None and purpose is None and payee_account is None:
            raise InvalidInput(
                "amend: give at least one of amount, value_date, purpose, payee_account",
                field="amount",
            )

        def attempt() -> list[Aggregate]:
            payment = self.get(payment_id)
            self._check_step(payment, "amend")
            catalog = self.app.catalog()
            new_amount, new_date, new_purpose = self._amended_values(
                payment, amount, value_date, purpose
            )
            if new_amount > payment.amount_minor:
                paying = usable_account(
                    self.app, payment.paying_account, payment.asset, "paying_account"
                )
                check_available(paying, payment.asset, new_amount, "amount")
            sealed, scheme, country, fingerprint = self._amended_content(
                payment, payee_account, new_amount, new_date, new_purpose
            )
            if fingerprint == payment.content_fingerprint:
                raise InvalidInput("amend: the amendment changes nothing", field="amount")
            payment.trigger_event(
                Payment.PaymentAmended,
                payee_account=sealed,
                account_scheme=scheme,
                account_country=country,
                amount_minor=new_amount,
                value_date=new_date,
                business_date=new_date,
                purpose=new_purpose,
                content_fingerprint=fingerprint,
                approvals_required=self.policy.approvals_required(
                    new_amount, payment.asset, catalog
                ),
                actor=context.actor,
                correlation_id=context.correlation_id,
            )
            return [payment]

        return save_retrying(self.app, attempt)

    def _amended_values(
        self, payment: Payment, amount: str | None, value_date: str | None, purpose: str | None
    ) -> tuple[int, str, str]:
        """(amount_minor, value_date, purpose) as amended: each kept unless given."""
        new_amount = (
            payment.amount_minor
            if amount is None
            else parse_amount(amount, self.app.catalog().scale_of(payment.asset), field="amount")
        )
        new_date = (
            payment.value_date
            if value_date is None
            else limits.effective_date(value_date, "value_date")
        )
        new_purpose = (
            payment.purpose
            if purpose is None
            else limits.bounded_text(purpose, "purpose", PURPOSE_LENGTH_MAX)
        )
        return new_amount, new_date, new_purpose

    def _amended_content(
        self,
        payment: Payment,
        payee_account: dict[str, Any] | None,
        amount_minor: int,
        value_date: str,
        purpose: str,
    ) -> tuple[dict[str, Any] | None, str, str, str]:
        """(sealed payee account, scheme, country, content fingerprint) of the
        payment as amended; the account is kept unless a new one is given."""
        party = existing_party(
            self.registry, UUID(payment.payee_subject_id), field="payee_subject_id"
        )
        if payee_account is None:
            sealed = payment.payee_account
            scheme, country = payment.account_scheme, payment.account_country
            opened = self.payee_account_of(payment)
            blinded = None if opened is None else party.blind_value(ACCOUNT_FIELD, opened)
        else:
            sealed, scheme, country, blinded = self._account(party, payment.method, payee_account)
        fingerprint = content_fingerprint(
            {
                "payee_subject_id": payment.payee_subject_id,
                "payee_account": blinded,
                "method": payment.method,
                "amount_minor": amount_minor,
                "asset": payment.asset,
                "value_date": value_date,
                "purpose": purpose,
                "paying_account": payment.paying_account,
                "clearing_account": payment.clearing_account,
            }
        )
        return sealed, scheme, country, fingerprint

    def approve(
        self, context: Context, payment_id: UUID, expected_fingerprint: str | None = None
    ) -> int:
        """Approve the payment's content as it is (``expected_fingerprint``: the
        content the approver saw). The last approval needed reserves the funds
        in the same commit; if they are not available, the approval is refused."""
        context.checked()

        def attempt() -> list[Aggregate]:
            payment = self.get(payment_id)
            if payment.status == HELD and not self._release_or_reject(
                context, payment, reject=False
            ):
                raise PaymentHeldForCompliance(
                    f"payment {payment_id} is held for compliance (screening case"
                    f" {payment.screening_case_id}); it cannot be approved until cleared",
                    field="payment_id",
                )
            self._check_step(payment, "approve")
            if context.actor in payment.authors:
                raise SelfApprovalRefused(
                    f"payment {payment_id} was requested or amended by {context.actor}:"
                    " someone else approves it",
                    field="payment_id",
                )
            if context.actor in payment.current_approvers():
                raise DuplicateApproval(
                    f"{context.actor} has already approved payment {payment_id}; a second"
                    " approval comes from another approver",
                    field="payment_id",
                )
            if expected_fingerprint is not None and (
                expected_fingerprint != payment.content_fingerprint
            ):
                raise PaymentContentChanged(
                    f"payment {payment_id} changed since you saw it (content fingerprint"
                    f" {payment.content_fingerprint}); review it again",
                    field="content_fingerprint",
                )
            payment.trigger_event(
                Payment.PaymentApproved,
                content_fingerprint=payment.content_fingerprint,
                actor=context.actor,
                correlation_id=context.correlation_id,
            )
            if len(payment.current_approvers()) < payment.approvals_required:
                return [payment]
            return [*self._reserve(context, payment), payment]

        return save_retrying(self.app, attempt)

    def _reserve(self, context: Context, payment: Payment) -> list[Aggregate]:
        """Stage the pending entry (clearing debit, paying account credit) and
        ``PaymentFundsReserved``; the guarded paying account refuses an overdraft."""
        scale = self.app.catalog().scale_of(payment.asset)
        amount = format_amount(payment.amount_minor, scale)
        command = PostJournalEntry(
            context=context,
            idempotency_key=reservation_key(payment.id),
            effective_date=payment.value_date,
            postings=[
                {
                    "account": payment.clearing_account,
                    "direction": "debit",
                    "amount": amount,
                    "asset": payment.asset,
                },
                {
                    "account": payment.paying_account,
                    "direction": "credit",
                    "amount": amount,
                    "asset": payment.asset,
                },
            ],
            description=f"Payment {payment.id}",
            reference=f"payment:{payment.id}",
            pending=True,
            metadata={"payment_id": str(payment.id), "cash": str(payment.cash).lower()},
        )
        batch = LedgerBatch(self.app)
        batch.preload([command])
        staged = batch.stage_entry(command)
        assert staged == entry_id_for_key(reservation_key(payment.id)), staged
        payment.trigger_event(
            Payment.PaymentFundsReserved,
            entry_id=str(staged),
            amount_minor=payment.amount_minor,
            asset=payment.asset,
            paying_account=payment.paying_account,
            clearing_account=payment.clearing_account,
            actor=context.actor,
            correlation_id=context.correlation_id,
        )
        return batch.aggregates()
