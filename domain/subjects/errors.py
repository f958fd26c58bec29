"""Refusals about data subjects: registration, erasure and legal holds."""

from __future__ import annotations

from domain.kernel.errors import DomainError


class UnknownSubject(DomainError):
    code = "unknown_subject"


class SubjectAlreadyRegistered(DomainError):
    code = "subject_already_registered"


class SubjectAlreadyErased(DomainError):
    """The subject's personal data was erased; nothing about them can change."""

    code = "subject_erased"


class SubjectUnderLegalHold(DomainError):
    """Erasure refused: a legal hold (AML retention, litigation) is active."""

    code = "subject_under_legal_hold"


class UnknownLegalHold(DomainError):
    code = "unknown_legal_hold"


class LegalHoldNotActive(DomainError):
    code = "legal_hold_already_lifted"


class TooManyLegalHolds(DomainError):
    code = "too_many_legal_holds"
