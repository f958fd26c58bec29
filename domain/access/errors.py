"""Refusals about API tokens."""

from __future__ import annotations

from domain.kernel.errors import DomainError


class UnknownToken(DomainError):
    code = "unknown_token"


class TokenAlreadyRevoked(DomainError):
    code = "token_already_revoked"
