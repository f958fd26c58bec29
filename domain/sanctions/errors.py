"""Refusals of sanctions screening: lists and cases."""

from __future__ import annotations

from domain.kernel.errors import DomainError


class InvalidSanctionsList(DomainError):
    """A sanctions list file is malformed; the message names the file and line."""

    code = "invalid_sanctions_list"


class NoSanctionsList(DomainError):
    """No sanctions list has been loaded: screening cannot pass anything."""

    code = "no_sanctions_list"


class UnknownSanctionsList(DomainError):
    code = "unknown_sanctions_list"


class UnknownScreeningCase(DomainError):
    code = "unknown_screening_case"


class ScreeningAlreadyDecided(DomainError):
    """A screening case is cleared or rejected once."""

    code = "screening_already_decided"


class ScreeningNotPending(DomainError):
    """Only a review or hit that is still pending can be cleared or rejected."""

    code = "screening_not_pending"
