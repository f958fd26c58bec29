"""Business refusals: the base classes, with a stable code and no transport.

Each area keeps its own refusals in ``domain/<area>/errors.py``; the API maps
codes to HTTP statuses in one table (``api/error_status.py``).

Programmer errors are assertions; operating errors (database down) are the
persistence layer's exceptions. Everything here is a refusal of bad input or
of a command that breaks a rule, and guarantees that nothing was written.
"""

from __future__ import annotations


class DomainError(Exception):
    """A refused command. ``code`` is stable and machine-readable."""

    code = "domain_error"

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


class UnknownEntity(DomainError):
    """No event in the log belongs to the requested entity (aggregate) id."""

    code = "unknown_entity"


class IdempotencyConflict(DomainError):
    """The idempotency key was used before with a different body."""

    code = "idempotency_key_reused"


class ConcurrencyConflict(DomainError):
    """Retries against concurrent writers were exhausted; safe to retry."""

    code = "concurrency_conflict"
