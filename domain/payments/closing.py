"""After approval: a payment is submitted to the bank, then settled (its
reservation entry posted), failed or cancelled (the reservation voided), or
returned after settlement (the entry reversed). Each in one commit with the
ledger's change it causes."""

from __future__ import annotations

from uuid import UUID

from eventsourcing.domain import Aggregate

from domain.kernel import limits
from domain.kernel.context import Context
from domain.kernel.unit_of_work import save_retrying
from domain.ledger.batch import LedgerBatch
from domain.ledger.errors import EntryAlreadyReversed
from domain.ledger.journal import JournalEntry
from domain.ledger.steps import resolve_pending
from domain.payments.payment import Payment
from domain.payments.reads import PaymentReads
from domain.payments.statuses import FUNDS_RESERVED
from domain.payments.terms import BANK_REFERENCE_LENGTH_MAX


class PaymentClosing(PaymentReads):
    """Submit, settle, fail, cancel and return payments."""

    def submit(self, context: Context, payment_id: UUID, bank_reference: str) -> int:
        """The payment was handed to the bank under ``bank_reference``."""
        context.checked()
        bank_reference = limits.bounded_text(
            bank_reference, "bank_reference", BANK_REFERENCE_LENGTH_MAX
        )

        def attempt() -> list[Aggregate]:
            payment = self.get(payment_id)
            self._check_step(payment, "submit")
            payment.trigger_event(
                Payment.PaymentSubmitted,
                bank_reference=bank_reference,
                actor=context.actor,
                correlation_id=context.correlation_id,
            )
            return [payment]

        return save_retrying(self.app, attempt)

    def settle(self, context: Context, payment_id: UUID) -> int:
        """The bank paid: the reservation entry is posted with ``PaymentSettled``."""
        context.checked()
        return self._close_with_entry(context, payment_id, "settle", None)

    def fail(self, context: Context, payment_id: UUID, reason: str) -> int:
        """The bank did not pay: the reservation is voided with ``PaymentFailed``."""
        context.checked()
        reason = limits.bounded_text(reason, "reason", limits.REASON_LENGTH_MAX)
        return self._close_with_entry(context, payment_id, "fail", reason)

    def cancel(self, context: Context, payment_id: UUID, reason: str) -> int:
        """Cancel before submission, voiding the reservation if there is one."""
        context.checked()
        reason = limits.bounded_text(reason, "reason", limits.REASON_LENGTH_MAX)
        return self._close_with_entry(context, payment_id, "cancel", reason)

    def _close_with_entry(
        self, context: Context, payment_id: UUID, step: str, reason: str | None
    ) -> int:
        def attempt() -> list[Aggregate]:
            payment = self.get(payment_id)
            self._check_step(payment, step)
            common = {"actor": context.actor, "correlation_id": context.correlation_id}
            if step == "cancel" and payment.status != FUNDS_RESERVED:
                payment.trigger_event(
                    Payment.PaymentCancelled, voided_entry_id="", reason=reason, **common
                )
                return [payment]
            assert payment.entry_id is not None
            batch = LedgerBatch(self.app)
            entry = resolve_pending(
                batch,
                context,
                UUID(payment.entry_id),
                void_reason=None if step == "settle" else f"payment {step}: {reason}",
            )
            if step == "settle":
                payment.trigger_event(
                    Payment.PaymentSettled,
                    entry_id=payment.entry_id,
                    amount_minor=payment.amount_minor,
                    asset=payment.asset,
                    cash=payment.cash,
                    payee_subject_id=payment.payee_subject_id,
                    business_date=payment.business_date,
                    **common,
                )
            elif step == "fail":
                payment.trigger_event(
                    Payment.PaymentFailed, entry_id=payment.entry_id, reason=reason, **common
                )
            else:
                payment.trigger_event(
                    Payment.PaymentCancelled,
                    voided_entry_id=payment.entry_id,
                    reason=reason,
                    **common,
                )
            return [*batch.aggregates(), entry, payment]

        return save_retrying(self.app, attempt)

    def return_payment(
        self, context: Context, payment_id: UUID, reason: str, effective_date: str | None = None
    ) -> int:
        """The money came back after settlement: the entry is reversed (once)."""
        context.checked()
        reason = limits.bounded_text(reason, "reason", limits.REASON_LENGTH_MAX)

        def attempt() -> list[Aggregate]:
            payment = self.get(payment_id)
            self._check_step(payment, "return")
            assert payment.entry_id is not None
            batch = LedgerBatch(self.app)
            original = batch.entry(UUID(payment.entry_id))
            if original.reversed_by is not None:
                raise EntryAlreadyReversed(
                    f"payment {payment_id}'s entry {original.id} was already reversed by"
                    f" {original.reversed_by} (outside the payment)",
                    field="payment_id",
                )
            reversal = batch.stage_reversal(
                original, context, f"payment returned: {reason}", effective_date
            )
            common = {"actor": context.actor, "correlation_id": context.correlation_id}
            original.trigger_event(
                JournalEntry.JournalEntryReversed,
                reversal_entry_id=str(reversal.id),
                reason=reason,
                **common,
            )
            payment.trigger_event(
                Payment.PaymentReturned,
                reversal_entry_id=str(reversal.id),
                reason=reason,
                **common,
            )
            return [*batch.aggregates(), original, payment]

        return save_retrying(self.app, attempt)
