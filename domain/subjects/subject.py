"""Data subjects: the people whose personal data the back office keeps.

Employees, payees and customers carry names, tax ids, bank accounts,
addresses, e-mail addresses and phone numbers. In the log these are only
ever sealed envelopes (``domain.subjects.sealing``) under a key per subject kept
outside the log; erasing a subject destroys the key and records
``SubjectErased``, so the log stays untouched (and its hash chain intact)
while the data in it becomes unreadable.

A legal hold (AML record retention, litigation) blocks erasure until lifted
or until its ``until`` date has passed. Placing and lifting are events with
their actor and reason.

The subject id is ``uuid5(kind, reference)`` for a caller's own reference
(an HR number, a vendor or customer number: never personal data itself),
so the same person registered twice collides instead of being duplicated;
without a reference it is a random uuid4.
"""

from __future__ import annotations

import re
from datetime import date
from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate

from domain.kernel import limits
from domain.kernel.errors import InvalidInput
from domain.kernel.topics import pin_topics

SUBJECT_KINDS = ("employee", "payee", "customer", "other")
ERASED = "[erased]"
"""What every personal field reads as once the subject's key is destroyed."""

# Field -> maximum length in characters.
PERSONAL_FIELDS: dict[str, int] = {
    "name": 200,
    "tax_id": 64,
    "bank_account": 64,
    "address": 500,
    "email": 254,
    "phone": 40,
}
REFERENCE_LENGTH_MAX = 128
HOLDS_PER_SUBJECT_MAX = 32
_FORMATS: dict[str, tuple[re.Pattern[str], str]] = {
    "tax_id": (
        re.compile(r"^[A-Za-z0-9][A-Za-z0-9 ./-]*\Z"),
        "letters, digits, spaces, '.', '/', '-'",
    ),
    "bank_account": (
        re.compile(r"^[A-Za-z0-9][A-Za-z0-9 -]*\Z"),
        "letters, digits, spaces and '-'",
    ),
    "email": (re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+\Z"), "an e-mail address (name@domain.tld)"),
    "phone": (
        re.compile(r"^\+?[0-9][0-9 ().-]*\Z"),
        "digits, spaces, '(', ')', '.', '-', optional leading '+'",
    ),
}
_SUBJECT_NAMESPACE = uuid5(NAMESPACE_URL, "urn:backoffice:data-subject")


def subject_id_for(kind: str, reference: str) -> UUID:
    """The id of the subject a caller knows as ``reference`` (per kind)."""
    return uuid5(_SUBJECT_NAMESPACE, f"{kind}\x00{reference}")


def check_kind(kind: object) -> str:
    if kind not in SUBJECT_KINDS:
        raise InvalidInput(f"kind: one of {', '.join(SUBJECT_KINDS)}", field="kind")
    assert isinstance(kind, str)
    return kind


def check_reference(reference: object) -> str:
    return _encodable(
        limits.bounded_text(reference, "reference", REFERENCE_LENGTH_MAX), "reference"
    )


def _encodable(value: str, field: str) -> str:
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise InvalidInput(f"{field}: not valid Unicode text", field=field) from None
    return value


def check_personal_fields(fields: object, *, prefix: str = "fields") -> dict[str, str]:
    """Checked personal fields: known names, bounded, printable, in their format.

    Errors name the field (``fields.email``) but never echo its value: the
    value is personal data, and refusals can end up in logs.
    """
    if not isinstance(fields, dict):
        raise InvalidInput(f"{prefix}: expected an object of personal fields", field=prefix)
    if not fields:
        raise InvalidInput(f"{prefix}: at least one of {', '.join(PERSONAL_FIELDS)}", field=prefix)
    checked: dict[str, str] = {}
    for name, value in fields.items():
        if name not in PERSONAL_FIELDS:
            raise InvalidInput(
                f"{prefix}: unknown field; known: {', '.join(PERSONAL_FIELDS)}",
                field=f"{prefix}.{str(name)[:64]}",
            )
        field = f"{prefix}.{name}"
        if not isinstance(value, str):
            raise InvalidInput(f"{field}: expected a string", field=field)
        value = value.strip()
        _encodable(limits.bounded_text(value, field, PERSONAL_FIELDS[name]), field)
        if value == ERASED:
            raise InvalidInput(f"{field}: the erasure marker is reserved", field=field)
        rule = _FORMATS.get(name)
        if rule is not None and not rule[0].match(value):
            raise InvalidInput(f"{field}: expected {rule[1]}", field=field)
        checked[name] = value
    return checked


def check_until(until: object, today: date) -> str | None:
    """A hold's optional end date: YYYY-MM-DD, today or later."""
    if until is None:
        return None
    text = limits.effective_date(until, "until")
    if date.fromisoformat(text) < today:
        raise InvalidInput("until: must be today or later", field="until")
    return text


class DataSubject(Aggregate):
    """A person the back office keeps personal data about, sealed per field."""

    class SubjectRegistered(Aggregate.Created):
        kind: str
        sealed: dict[str, dict[str, Any]]
        actor: str
        correlation_id: str

    class SubjectDetailsChanged(Aggregate.Event):
        sealed: dict[str, dict[str, Any]]
        actor: str
        correlation_id: str

        def apply(self, aggregate: Any) -> None:
            aggregate.sealed = {**aggregate.sealed, **self.sealed}
            aggregate.field_names = sorted({*aggregate.field_names, *self.sealed})

    class LegalHoldPlaced(Aggregate.Event):
        hold_id: str
        reason: str
        until: str | None
        actor: str
        correlation_id: str

        def apply(self, aggregate: Any) -> None:
            aggregate.holds = {
                **aggregate.holds,
                self.hold_id: {
                    "hold_id": self.hold_id,
                    "reason": self.reason,
                    "until": self.until,
                    "placed_by": self.actor,
                    "placed_at": self.timestamp.isoformat(),
                    "lifted": False,
                },
            }

    class LegalHoldLifted(Aggregate.Event):
        hold_id: str
        reason: str
        actor: str
        correlation_id: str

        def apply(self, aggregate: Any) -> None:
            hold = aggregate.holds.get(self.hold_id)
            if hold is not None:
                aggregate.holds = {**aggregate.holds, self.hold_id: {**hold, "lifted": True}}

    class SubjectErased(Aggregate.Event):
        reason: str
        actor: str
        correlation_id: str

        def apply(self, aggregate: Any) -> None:
            aggregate.erased = True
            aggregate.erased_at = self.timestamp.isoformat()
            aggregate.sealed = {}  # nothing left to open; the envelopes stay in the log

    def __init__(  # the SubjectRegistered fields; only assigns
        self,
        kind: str,
        sealed: dict[str, dict[str, Any]],
        actor: str,
        correlation_id: str,
    ) -> None:
        self.kind = kind
        self.sealed = dict(sealed)
        self.field_names = sorted(sealed)
        self.registered_by = actor
        self.holds: dict[str, dict[str, Any]] = {}
        self.erased = False
        self.erased_at: str | None = None

    @classmethod
    def registered(
        cls,
        *,
        id: UUID,
        kind: str,
        sealed: dict[str, dict[str, Any]],
        actor: str,
        correlation_id: str,
    ) -> DataSubject:
        """A newly registered data subject (its fields already sealed)."""
        return cls._create(
            cls.SubjectRegistered,
            id=id,
            kind=kind,
            sealed=sealed,
            actor=actor,
            correlation_id=correlation_id,
        )

    def active_holds(self, today: date) -> list[dict[str, Any]]:
        """Holds not lifted and not past their ``until`` date."""
        return [
            hold
            for hold in self.holds.values()
            if not hold["lifted"]
            and (hold["until"] is None or date.fromisoformat(hold["until"]) >= today)
        ]

# The log knows these events under their first module name (see domain.kernel.topics).
pin_topics("domain.subjects", DataSubject)
