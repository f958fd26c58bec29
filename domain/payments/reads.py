"""Reading payments, and the steps every payment command shares (its base).

``Payments`` (``domain.payments.service``) is this base with the requesting
and screening commands, ``PaymentApproval`` (``approval``) and
``PaymentClosing`` (``closing``).
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from domain.application import BackOffice
from domain.kernel.context import Context
from domain.kernel.errors import InvalidInput
from domain.kernel.money import format_amount
from domain.kernel.unit_of_work import find, ids_with_topic
from domain.payments.errors import (
    InvalidAccountIdentifier,
    InvalidPaymentTransition,
    PaymentHeldForCompliance,
    UnknownPayment,
)
from domain.payments.identifiers import check_account_identifier
from domain.payments.payment import Payment
from domain.payments.policy import PaymentPolicy
from domain.payments.statuses import HELD, STATUSES, TRANSITIONS
from domain.sanctions.port import CLEARED, REJECTED, ScreeningPort
from domain.subjects.parties import Party, open_value
from domain.subjects.service import SubjectRegistry

ITEM_KIND = "payment"
ACCOUNT_FIELD = "payee_account"


class PaymentReads:
    """Payments over ``app``: reads, and the shared steps of the commands."""

    def __init__(
        self,
        app: BackOffice,
        registry: SubjectRegistry,
        screening: ScreeningPort,
        policy: PaymentPolicy | None = None,
    ) -> None:
        self.app = app
        self.registry = registry
        self.screening = screening
        self.policy = policy or PaymentPolicy()

    def get(self, payment_id: UUID) -> Payment:
        found = find(self.app, payment_id, Payment)
        if found is None:
            raise UnknownPayment(f"payment {payment_id} does not exist", field="payment_id")
        return found

    def list_payments(self, status: str | None = None) -> list[Payment]:
        """Every payment, oldest first, as it stands now; only ``status`` if given."""
        if status is not None and status not in STATUSES:
            raise InvalidInput(f"status: one of {', '.join(STATUSES)}", field="status")
        ids = ids_with_topic(self.app, Payment.PaymentRequested)
        found = self.app.current_aggregates(ids)
        payments = [payment for payment in (found[i] for i in ids) if isinstance(payment, Payment)]
        return [p for p in payments if status is None or p.status == status]

    def view(self, payment: Payment) -> dict[str, Any]:
        """The payment with its amount as a decimal string too; no personal data."""
        scale = self.app.catalog().scale_of(payment.asset)
        return {**payment.as_dict(), "amount": format_amount(payment.amount_minor, scale)}

    def payee_account_of(self, payment: Payment) -> dict[str, str] | None:
        """The opened account identifier (personal data: for callers allowed to
        read it, who record the read); None for cash or after erasure."""
        if payment.payee_account is None:
            return None
        return open_value(
            self.registry, UUID(payment.payee_subject_id), ACCOUNT_FIELD, payment.payee_account
        )

    def _account(
        self, party: Party, method: str, raw: dict[str, Any] | None
    ) -> tuple[dict[str, Any] | None, str, str, str | None]:
        """(sealed envelope, scheme, country, blinded digest) of the payee account:
        ``raw`` as given, else (a transfer) the payee subject's ``bank_account`` on
        file read as an IBAN. Sealed under the payee's key either way."""
        if method == "cash":
            if raw is not None:
                raise InvalidInput(
                    f"{ACCOUNT_FIELD}: a cash payment has no payee account", field=ACCOUNT_FIELD
                )
            return None, "", "", None
        if raw is None and party.bank_account is None:
            raise InvalidInput(
                f"{ACCOUNT_FIELD}: required for a transfer (iban, or country, bank_code and"
                " account_number) when the payee has no bank_account on file",
                field=ACCOUNT_FIELD,
            )
        if raw is None:
            assert party.bank_account is not None
            raw = {"iban": party.bank_account.replace(" ", "").replace("-", "")}
            try:
                identifier = check_account_identifier(raw, ACCOUNT_FIELD)
            except InvalidAccountIdentifier as refusal:
                raise InvalidAccountIdentifier(
                    f"{ACCOUNT_FIELD}: the payee's bank_account on file is not a valid IBAN"
                    f" ({refusal.message.split(': ', 1)[-1]}); give payee_account",
                    field=ACCOUNT_FIELD,
                ) from None
        else:
            identifier = check_account_identifier(raw, ACCOUNT_FIELD)
        canonical = identifier.canonical()
        return (
            party.seal_value(ACCOUNT_FIELD, canonical),
            identifier.scheme,
            identifier.country,
            party.blind_value(ACCOUNT_FIELD, canonical),
        )

    def _release_or_reject(self, context: Context, payment: Payment, *, reject: bool) -> bool:
        """Trigger the release (or, with ``reject``, the rejection) that compliance
        decided; False while the case is pending."""
        decision = self.screening.decision(ITEM_KIND, str(payment.id))
        common = {
            "case_id": payment.screening_case_id or "",
            "actor": context.actor,
            "correlation_id": context.correlation_id,
        }
        if decision == CLEARED:
            payment.trigger_event(Payment.PaymentReleased, **common)
            return True
        if decision == REJECTED and reject:
            payment.trigger_event(Payment.PaymentRejected, **common)
            return True
        return False

    @staticmethod
    def _check_step(payment: Payment, step: str) -> None:
        allowed = TRANSITIONS[step]
        if payment.status in allowed:
            return
        if payment.status == HELD and step in ("approve", "submit", "settle"):
            raise PaymentHeldForCompliance(
                f"payment {payment.id} is held for compliance (screening case"
                f" {payment.screening_case_id})",
                field="payment_id",
            )
        raise InvalidPaymentTransition(
            f"payment {payment.id} is {payment.status}: it cannot {step}"
            f" (only from {', '.join(allowed)})",
            field="payment_id",
        )
