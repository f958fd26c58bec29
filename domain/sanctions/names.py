"""How a screening case keeps the name it screened (see ``domain.sanctions.screening``).

A data subject's name (a payee, a payer) is sealed under the subject's key
(field ``screened_name``) with a keyed digest of its normal form (field
``screened_name_normalised``) to recognise the same name again; the name
itself never enters the log. A name screened ad hoc, with no subject behind
it, is kept in the clear with its normal form.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any
from uuid import UUID

from domain.sanctions.matching import Assessment, normalise
from domain.sanctions.screening import NAME_DIGEST_FIELD, SEALED_NAME_FIELD, ScreeningCase
from domain.subjects.errors import UnknownSubject
from domain.subjects.sealing import blind, open_envelope, seal
from domain.subjects.service import SubjectRegistry
from domain.subjects.subject import ERASED


@dataclass(frozen=True, slots=True)
class ScreenedSubject:
    """The data subject whose name is screened, and its key (to seal the name)."""

    subject_id: UUID
    key: bytes = field(repr=False)


def name_fields(assessment: Assessment, subject: ScreenedSubject | None) -> dict[str, Any]:
    """The case event's name fields: sealed for a subject, in the clear ad hoc."""
    if subject is None:
        return {
            "subject_id": "",
            "party_name": assessment.party_name,
            "sealed_name": None,
            "normalised_name": assessment.normalised_name,
            "name_digest": "",
        }
    return {
        "subject_id": str(subject.subject_id),
        "party_name": "",
        "sealed_name": seal(
            subject.key, subject.subject_id, SEALED_NAME_FIELD, assessment.party_name
        ),
        "normalised_name": "",
        "name_digest": blind(subject.key, NAME_DIGEST_FIELD, assessment.normalised_name),
    }


def same_name(case: ScreeningCase, names: dict[str, Any]) -> bool:
    """Whether ``case`` screened the name of ``names`` (``name_fields``) already."""
    if names["subject_id"]:
        return bool(
            case.subject_id == names["subject_id"] and case.name_digest == names["name_digest"]
        )
    return not case.subject_id and case.normalised_name == names["normalised_name"]


def opened_name(registry: SubjectRegistry, case: ScreeningCase) -> tuple[str, str]:
    """(name, normal form) of a sealed case; ``[erased]`` once its subject is."""
    subject_id = UUID(case.subject_id)
    try:
        subject = registry.get(subject_id)
    except UnknownSubject:
        return ERASED, ERASED
    key = None if subject.erased else registry.keys.key_of(subject_id)
    if key is None or case.sealed_name is None:
        return ERASED, ERASED
    name = open_envelope(key, subject_id, SEALED_NAME_FIELD, case.sealed_name)
    return name, normalise(name)
