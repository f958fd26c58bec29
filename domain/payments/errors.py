"""Refusals of outgoing payments: identifiers, transitions, four eyes."""

from __future__ import annotations

from domain.kernel.errors import DomainError, InvalidInput


class InvalidAccountIdentifier(InvalidInput):
    """A payee's IBAN, account number or bank code is malformed; the message
    names the field (``payee_account.iban``) and the rule broken, never the value."""

    code = "invalid_account_identifier"


class UnknownPayment(DomainError):
    code = "unknown_payment"


class PaymentAlreadyRequested(DomainError):
    code = "payment_already_requested"


class InvalidPaymentTransition(DomainError):
    """The payment's status does not allow this step (approve a settled payment,
    settle one not submitted, cancel one submitted ...)."""

    code = "invalid_payment_transition"


class PaymentHeldForCompliance(DomainError):
    """Screening found a possible sanctions match; compliance has not cleared it."""

    code = "payment_held_for_compliance"


class SelfApprovalRefused(DomainError):
    """Four eyes: whoever requested or amended a payment does not approve it."""

    code = "self_approval_refused"


class DuplicateApproval(DomainError):
    """Two approvals of one payment come from two distinct approvers."""

    code = "duplicate_approver"


class PaymentContentChanged(DomainError):
    """The approver saw other content (fingerprint) than the payment has now."""

    code = "payment_content_changed"
