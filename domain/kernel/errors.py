"""Business refusals: domain exceptions with a stable code.

Programmer errors are assertions; operating errors (database down) are the
persistence layer's exceptions. Everything here is a refusal of bad input or
of a command that breaks a rule, and guarantees that nothing was written.
"""

from __future__ import annotations


class DomainError(Exception):
    """A refused command. ``code`` is stable and machine-readable."""

    code = "domain_error"
    http_status = 422

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field

    def to_dict(self) -> dict[str, str]:
        out = {"code": self.code, "message": self.message}
        if self.field is not None:
            out["field"] = self.field
        return out


class InvalidInput(DomainError):
    code = "invalid_input"


class InvalidAmount(InvalidInput):
    code = "invalid_amount"


class UnknownAsset(InvalidInput):
    code = "unknown_asset"


class AssetAlreadyRegistered(DomainError):
    code = "asset_already_registered"
    http_status = 409


class UnbalancedEntry(InvalidInput):
    code = "unbalanced_entry"


class UnknownAccount(DomainError):
    code = "unknown_account"
    http_status = 404


class AccountAlreadyExists(DomainError):
    code = "account_already_exists"
    http_status = 409


class AccountClosed(DomainError):
    code = "account_closed"
    http_status = 409


class AssetNotAllowed(DomainError):
    code = "asset_not_allowed"


class InsufficientFunds(DomainError):
    code = "insufficient_funds"
    http_status = 409


class AccountNotEmpty(DomainError):
    code = "account_not_empty"
    http_status = 409


class PeriodClosed(DomainError):
    code = "period_closed"
    http_status = 409


class PeriodAlreadyClosed(DomainError):
    code = "period_already_closed"
    http_status = 409


class PeriodNotClosed(DomainError):
    code = "period_not_closed"
    http_status = 409


class UnknownEntry(DomainError):
    code = "unknown_entry"
    http_status = 404


class UnknownEntity(DomainError):
    """No event in the log belongs to the requested entity (aggregate) id."""

    code = "unknown_entity"
    http_status = 404


class EntryNotPending(DomainError):
    code = "entry_not_pending"
    http_status = 409


class EntryNotReversible(DomainError):
    code = "entry_not_reversible"
    http_status = 409


class EntryAlreadyReversed(DomainError):
    code = "entry_already_reversed"
    http_status = 409


class IdempotencyConflict(DomainError):
    """The idempotency key was used before with a different body."""

    code = "idempotency_key_reused"
    http_status = 422


class ConcurrencyConflict(DomainError):
    """Retries against concurrent writers were exhausted; safe to retry."""

    code = "concurrency_conflict"
    http_status = 409


class UnknownToken(DomainError):
    code = "unknown_token"
    http_status = 404


class TokenAlreadyRevoked(DomainError):
    code = "token_already_revoked"
    http_status = 409


class UnknownSubject(DomainError):
    code = "unknown_subject"
    http_status = 404


class SubjectAlreadyRegistered(DomainError):
    code = "subject_already_registered"
    http_status = 409


class SubjectAlreadyErased(DomainError):
    """The subject's personal data was erased; nothing about them can change."""

    code = "subject_erased"
    http_status = 409


class SubjectUnderLegalHold(DomainError):
    """Erasure refused: a legal hold (AML retention, litigation) is active."""

    code = "subject_under_legal_hold"
    http_status = 409


class UnknownLegalHold(DomainError):
    code = "unknown_legal_hold"
    http_status = 404


class LegalHoldNotActive(DomainError):
    code = "legal_hold_already_lifted"
    http_status = 409


class TooManyLegalHolds(DomainError):
    code = "too_many_legal_holds"
    http_status = 409


# --- bank statements and reconciliation ---------------------------------------


class InvalidStatement(InvalidInput):
    """A bank statement file that cannot be read; the message names the statement
    and entry (``statement[1].entry[4].amount``)."""

    code = "invalid_statement"


class StatementAlreadyImported(DomainError):
    """A statement with this id (account, statement id, sequence) was imported
    before with different content."""

    code = "statement_already_imported"
    http_status = 409


class UnknownStatement(DomainError):
    code = "unknown_statement"
    http_status = 404


class UnknownStatementLine(DomainError):
    code = "unknown_statement_line"
    http_status = 404


class LineAlreadyMatched(DomainError):
    code = "line_already_matched"
    http_status = 409


class EntryAlreadyMatched(DomainError):
    """The journal entry is already matched to another statement line."""

    code = "entry_already_matched"
    http_status = 409


class LineNotMatched(DomainError):
    code = "line_not_matched"
    http_status = 409


class MatchNotAllowed(DomainError):
    """The entry cannot explain the line: it does not post to the line's ledger
    account in the line's currency and direction, or it is not posted."""

    code = "match_not_allowed"


# --- settlements (domain/settlements/settlement.py) -------------------------------------


class UnknownObligation(DomainError):
    code = "unknown_obligation"
    http_status = 404


class UnknownInstruction(DomainError):
    code = "unknown_settlement_instruction"
    http_status = 404


class ObligationAlreadyRecorded(DomainError):
    """The counterparty, direction and reference name an obligation already recorded."""

    code = "obligation_already_recorded"
    http_status = 409


class ObligationNotOpen(DomainError):
    """Only open obligations are cancelled or put into an instruction."""

    code = "obligation_not_open"
    http_status = 409


class ObligationMismatch(InvalidInput):
    """An obligation listed for an instruction belongs to another counterparty."""

    code = "obligation_counterparty_mismatch"


class MixedAssets(InvalidInput):
    """Netting is per asset: an instruction's obligations are all in its asset."""

    code = "settlement_mixed_assets"


class NothingToSettle(DomainError):
    """No open obligation of the counterparty in the asset is due by the value date."""

    code = "no_open_obligations"
    http_status = 409


class TooManyObligations(InvalidInput):
    code = "too_many_obligations"


class InstructionClosed(DomainError):
    """The instruction was settled or cancelled; nothing about it changes any more."""

    code = "instruction_closed"
    http_status = 409


class InstructionFailedState(DomainError):
    """The instruction failed: reschedule or cancel it first."""

    code = "instruction_failed"
    http_status = 409


class InstructionNotFailed(DomainError):
    """Only a failed instruction is rescheduled."""

    code = "instruction_not_failed"
    http_status = 409


class ConfirmationRequired(DomainError):
    """Settling needs the counterparty's matching confirmation first."""

    code = "confirmation_required"
    http_status = 409


class InstructionAlreadyConfirmed(DomainError):
    code = "instruction_already_confirmed"
    http_status = 409


class InvalidSanctionsList(DomainError):
    """A sanctions list file is malformed; the message names the file and line."""

    code = "invalid_sanctions_list"
    http_status = 422


class NoSanctionsList(DomainError):
    """No sanctions list has been loaded: screening cannot pass anything."""

    code = "no_sanctions_list"
    http_status = 409


class UnknownSanctionsList(DomainError):
    code = "unknown_sanctions_list"
    http_status = 404


class UnknownScreeningCase(DomainError):
    code = "unknown_screening_case"
    http_status = 404


class ScreeningAlreadyDecided(DomainError):
    """A screening case is cleared or rejected once."""

    code = "screening_already_decided"
    http_status = 409


class ScreeningNotPending(DomainError):
    """Only a review or hit that is still pending can be cleared or rejected."""

    code = "screening_not_pending"
    http_status = 409


# --- payments and receipts (domain/payments/payment.py, domain/receipts/receipt.py) -------------


class InvalidAccountIdentifier(InvalidInput):
    """A payee's IBAN, account number or bank code is malformed; the message
    names the field (``payee_account.iban``) and the rule broken, never the value."""

    code = "invalid_account_identifier"


class UnknownPayment(DomainError):
    code = "unknown_payment"
    http_status = 404


class PaymentAlreadyRequested(DomainError):
    code = "payment_already_requested"
    http_status = 409


class InvalidPaymentTransition(DomainError):
    """The payment's status does not allow this step (approve a settled payment,
    settle one not submitted, cancel one submitted ...)."""

    code = "invalid_payment_transition"
    http_status = 409


class PaymentHeldForCompliance(DomainError):
    """Screening found a possible sanctions match; compliance has not cleared it."""

    code = "payment_held_for_compliance"
    http_status = 409


class SelfApprovalRefused(DomainError):
    """Four eyes: whoever requested or amended a payment does not approve it."""

    code = "self_approval_refused"
    http_status = 409


class DuplicateApproval(DomainError):
    """Two approvals of one payment come from two distinct approvers."""

    code = "duplicate_approver"
    http_status = 409


class PaymentContentChanged(DomainError):
    """The approver saw other content (fingerprint) than the payment has now."""

    code = "payment_content_changed"
    http_status = 409


class UnknownReceipt(DomainError):
    code = "unknown_receipt"
    http_status = 404


class ReceiptAlreadyRecorded(DomainError):
    code = "receipt_already_recorded"
    http_status = 409


class InvalidReceiptTransition(DomainError):
    code = "invalid_receipt_transition"
    http_status = 409


class ReceiptHeldForCompliance(DomainError):
    """Screening found a possible sanctions match on the payer; compliance has not
    cleared it, so the receipt is not posted."""

    code = "receipt_held_for_compliance"
    http_status = 409


# --- reports (projections/reports) ---------------------------------------------------


class UnknownReport(DomainError):
    code = "unknown_report"
    http_status = 404


class UnknownReportFiling(DomainError):
    code = "unknown_report_filing"
    http_status = 404


class UnknownReportRow(DomainError):
    code = "unknown_report_row"
    http_status = 404


class EntryManagedElsewhere(DomainError):
    """The entry belongs to a business process (a payment, a receipt, a settlement)
    that posts, voids and reverses it; the generic journal commands refuse it."""

    code = "entry_managed_elsewhere"
    http_status = 409
