"""Statement counterparties are personal data: sealed, never in the clear.

A bank statement names the other party of each transaction (``Dbtr/Nm`` or
``Cdtr/Nm`` in camt, the ``counterparty`` column in CSV; banks and users put
account numbers and IBANs there too). On import each distinct counterparty
text of a statement becomes a data subject of kind ``other`` (id derived
from the statement id and its ordinal, nothing personal), registered in the
import's commit with the text sealed under its own key as its ``name``. The
stored line keeps ``counterparty`` empty and ``counterparty_subject_id``;
readers open the name through the subject registry, and after the subject's
erasure (``POST /v1/subjects/{id}/erase``) it reads ``[erased]`` and no byte
of the log holds it.

Without a subject registry (a reconciler built without one) the counterparty
is not stored at all. Statements imported before this kept the name in the
clear in their ``StatementImported`` event; they read as before.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid5

from domain.banking.statements import ParsedStatement, StatementLine
from domain.kernel.context import Context
from domain.subjects.errors import UnknownSubject
from domain.subjects.sealing import open_envelope, seal
from domain.subjects.service import SubjectRegistry
from domain.subjects.subject import ERASED, DataSubject

_COUNTERPARTY_NAMESPACE = uuid5(NAMESPACE_URL, "urn:backoffice:statement-counterparty")
COUNTERPARTY_KIND = "other"


def counterparty_subject_id(statement_uuid: UUID, ordinal: int) -> UUID:
    return uuid5(_COUNTERPARTY_NAMESPACE, f"{statement_uuid}\x00{ordinal}")


def sealed_lines(
    registry: SubjectRegistry | None,
    context: Context,
    statement_uuid: UUID,
    statement: ParsedStatement,
) -> tuple[list[StatementLine], list[DataSubject]]:
    """The statement's lines as stored (counterparties replaced by their subject
    ids, or dropped without a registry) and the new subjects to save with them."""
    subjects: dict[str, DataSubject] = {}
    lines: list[StatementLine] = []
    for line in statement.lines:
        details = []
        for detail in line.details:
            if not detail.counterparty:
                details.append(detail)
                continue
            subject_id = ""
            if registry is not None:
                subject = subjects.get(detail.counterparty)
                if subject is None:
                    subject = _registered(
                        registry, context, statement_uuid, len(subjects), detail.counterparty
                    )
                    subjects[detail.counterparty] = subject
                subject_id = str(subject.id)
            details.append(replace(detail, counterparty="", counterparty_subject_id=subject_id))
        lines.append(replace(line, details=tuple(details)))
    return lines, list(subjects.values())


def _registered(
    registry: SubjectRegistry, context: Context, statement_uuid: UUID, ordinal: int, name: str
) -> DataSubject:
    subject_id = counterparty_subject_id(statement_uuid, ordinal)
    key = registry.keys.create_key(subject_id)  # committed before the event is saved
    assert key is not None, f"counterparty subject {subject_id} was erased before its import"
    subject: DataSubject = DataSubject.registered(
        id=subject_id,
        kind=COUNTERPARTY_KIND,
        sealed={"name": seal(key, subject_id, "name", name)},
        actor=context.actor,
        correlation_id=context.correlation_id,
    )
    return subject


def opened_counterparty(registry: SubjectRegistry | None, line: StatementLine) -> str:
    """The line's first counterparty as a reader sees it: in the clear (imported
    before sealing), opened, ``[erased]``, or "" when there is none or no registry."""
    for detail in line.details:
        if detail.counterparty:
            return detail.counterparty
        if detail.counterparty_subject_id:
            if registry is None:
                return ""
            return _opened(registry, UUID(detail.counterparty_subject_id))
    return ""


def opened_record(registry: SubjectRegistry | None, line: StatementLine) -> dict[str, Any]:
    """``line.as_record()`` with each sealed counterparty opened for a reader."""
    record = line.as_record()
    for detail in record["details"]:
        subject_id = detail.get("counterparty_subject_id")
        if subject_id and not detail["counterparty"]:
            detail["counterparty"] = "" if registry is None else _opened(registry, UUID(subject_id))
    return record


def _opened(registry: SubjectRegistry, subject_id: UUID) -> str:
    try:
        subject = registry.get(subject_id)
    except UnknownSubject:
        return ERASED
    key = None if subject.erased else registry.keys.key_of(subject_id)
    if key is None or "name" not in subject.sealed:
        return ERASED
    return open_envelope(key, subject_id, "name", subject.sealed["name"])
