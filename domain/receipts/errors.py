"""Refusals of incoming receipts."""

from __future__ import annotations

from domain.kernel.errors import DomainError


class UnknownReceipt(DomainError):
    code = "unknown_receipt"


class ReceiptAlreadyRecorded(DomainError):
    code = "receipt_already_recorded"


class InvalidReceiptTransition(DomainError):
    code = "invalid_receipt_transition"


class ReceiptHeldForCompliance(DomainError):
    """Screening found a possible sanctions match on the payer; compliance has not
    cleared it, so the receipt is not posted."""

    code = "receipt_held_for_compliance"
