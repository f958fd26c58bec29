"""HTTP status of every domain refusal, by its stable code: the one table.

The domain says what was refused (a code); the API alone decides how that
reads over HTTP. A code missing here answers 422 (its parent's code is tried
first, so a new kind of ``UnknownX`` under a listed parent inherits its status).
"""

from __future__ import annotations

from domain.kernel.errors import DomainError

STATUS_BY_CODE: dict[str, int] = {
    "empty_log": 409,
    "no_checkpoint": 404,
    "account_already_exists": 409,
    "account_closed": 409,
    "account_not_empty": 409,
    "asset_already_registered": 409,
    "concurrency_conflict": 409,
    "confirmation_required": 409,
    "duplicate_approver": 409,
    "entry_already_matched": 409,
    "entry_already_reversed": 409,
    "entry_managed_elsewhere": 409,
    "entry_not_pending": 409,
    "entry_not_reversible": 409,
    "instruction_already_confirmed": 409,
    "instruction_closed": 409,
    "instruction_failed": 409,
    "instruction_not_failed": 409,
    "insufficient_funds": 409,
    "invalid_payment_transition": 409,
    "invalid_receipt_transition": 409,
    "legal_hold_already_lifted": 409,
    "line_already_matched": 409,
    "line_not_matched": 409,
    "no_open_obligations": 409,
    "no_sanctions_list": 409,
    "obligation_already_recorded": 409,
    "obligation_not_open": 409,
    "payment_already_requested": 409,
    "payment_content_changed": 409,
    "payment_held_for_compliance": 409,
    "period_already_closed": 409,
    "period_closed": 409,
    "period_not_closed": 409,
    "receipt_already_recorded": 409,
    "receipt_held_for_compliance": 409,
    "screening_already_decided": 409,
    "screening_not_pending": 409,
    "self_approval_refused": 409,
    "statement_already_imported": 409,
    "subject_already_registered": 409,
    "subject_erased": 409,
    "subject_under_legal_hold": 409,
    "token_already_revoked": 409,
    "too_many_legal_holds": 409,
    "unknown_account": 404,
    "unknown_entity": 404,
    "unknown_entry": 404,
    "unknown_legal_hold": 404,
    "unknown_obligation": 404,
    "unknown_payment": 404,
    "unknown_receipt": 404,
    "unknown_report": 404,
    "unknown_report_filing": 404,
    "unknown_report_row": 404,
    "unknown_sanctions_list": 404,
    "unknown_screening_case": 404,
    "unknown_settlement_instruction": 404,
    "unknown_statement": 404,
    "unknown_statement_line": 404,
    "unknown_subject": 404,
    "unknown_token": 404,
}
"""Codes whose status is not 422."""


def status_for(error: DomainError | type[DomainError]) -> int:
    """The HTTP status of ``error`` (or its class): its code's, else the nearest parent's, else 422."""
    for cls in (error if isinstance(error, type) else type(error)).__mro__:
        code = getattr(cls, "code", None)
        if isinstance(code, str) and code in STATUS_BY_CODE:
            return STATUS_BY_CODE[code]
    return 422
