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
