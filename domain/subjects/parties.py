"""The other party of a payment or receipt: a data subject, never clear text in the log.

A command names the party either by ``subject_id`` (registered before through
``SubjectRegistry``) or inline (``{"name": ..., "reference": ...}`` plus any
other personal field): an inline party is registered as a new subject in the
same commit as the payment or receipt, under the caller's reference or, without
one, under ``<item kind>:<item id>`` (an id, not personal data), so a retry
names the same subject.

Values tied to the party (a payee's account identifier) are sealed under the
subject's key with the field name as associated data (``domain.subjects.sealing``), and
fingerprinted through keyed digests (``blind``): erasing the subject makes
both unreadable and unlinkable.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from uuid import UUID

import orjson

from domain.kernel.context import Context
from domain.kernel.errors import InvalidInput
from domain.subjects.errors import SubjectAlreadyErased, SubjectAlreadyRegistered, UnknownSubject
from domain.subjects.sealing import blind, open_envelope, seal
from domain.subjects.service import SubjectRegistry
from domain.subjects.subject import (
    DataSubject,
    check_kind,
    check_personal_fields,
    check_reference,
    subject_id_for,
)


@dataclass
class Party:
    """A resolved party: its subject id and key, its name (to screen, never
    stored), and the new subject to save with the item (inline parties only)."""

    subject_id: UUID
    key: bytes
    name: str
    new_subject: DataSubject | None = None
    bank_account: str | None = None
    """The subject's ``bank_account`` on file (opened; never stored by the item in
    the clear), or None when it has none."""

    def seal_value(self, field: str, value: dict[str, str]) -> dict[str, Any]:
        return seal(self.key, self.subject_id, field, _canonical_text(value))

    def blind_value(self, field: str, value: dict[str, str]) -> str:
        return blind(self.key, field, _canonical_text(value))


def _canonical_text(value: dict[str, str]) -> str:
    return orjson.dumps(value, option=orjson.OPT_SORT_KEYS).decode()


def open_value(
    registry: SubjectRegistry, subject_id: UUID, field: str, envelope: dict[str, Any]
) -> dict[str, str] | None:
    """The sealed value, or None when the subject was erased."""
    key = registry.keys.key_of(subject_id)
    if key is None:
        return None
    opened: dict[str, str] = orjson.loads(open_envelope(key, subject_id, field, envelope))
    return opened


def inline_subject_id(kind: str, inline: dict[str, Any], item_kind: str, item_id: UUID) -> UUID:
    reference = inline.get("reference")
    if reference is None:
        return subject_id_for(kind, f"{item_kind}:{item_id}")
    return subject_id_for(kind, check_reference(reference))


def resolve_party(
    registry: SubjectRegistry,
    context: Context,
    *,
    kind: str,
    field: str,
    subject_id: UUID | None,
    inline: dict[str, Any] | None,
    item_kind: str,
    item_id: UUID,
) -> Party:
    """The party named by ``subject_id`` or ``inline`` (exactly one of them)."""
    if (subject_id is None) == (inline is None):
        raise InvalidInput(
            f"{field}: give either {field}_subject_id or {field} (inline details), not both",
            field=field,
        )
    if subject_id is not None:
        return existing_party(registry, subject_id, field=f"{field}_subject_id")
    assert inline is not None
    return _new_party(registry, context, check_kind(kind), field, inline, item_kind, item_id)


def existing_party(registry: SubjectRegistry, subject_id: UUID, *, field: str) -> Party:
    subject = registry.get(subject_id)
    if subject.erased:
        raise SubjectAlreadyErased(f"{field}: subject {subject_id} was erased", field=field)
    key = registry.keys.key_of(subject_id)
    if key is None:
        raise SubjectAlreadyErased(f"{field}: subject {subject_id} has no key", field=field)
    if "name" not in subject.sealed:
        raise InvalidInput(
            f"{field}: subject {subject_id} has no name to screen; add one first", field=field
        )
    name = open_envelope(key, subject.id, "name", subject.sealed["name"])
    bank_account = None
    if "bank_account" in subject.sealed:
        bank_account = open_envelope(key, subject.id, "bank_account", subject.sealed["bank_account"])
    return Party(subject.id, key, name, bank_account=bank_account)


def _new_party(
    registry: SubjectRegistry,
    context: Context,
    kind: str,
    field: str,
    inline: dict[str, Any],
    item_kind: str,
    item_id: UUID,
) -> Party:
    if not isinstance(inline, dict):
        raise InvalidInput(f"{field}: expected an object of personal fields", field=field)
    fields = {name: value for name, value in inline.items() if name != "reference"}
    checked = check_personal_fields(fields, prefix=field)
    if "name" not in checked:
        raise InvalidInput(f"{field}.name: required (it is screened)", field=f"{field}.name")
    subject_id = inline_subject_id(kind, inline, item_kind, item_id)
    if _exists(registry, subject_id):
        if inline.get("reference") is None:
            # The same item retried: its party was registered with it.
            return existing_party(registry, subject_id, field=field)
        raise SubjectAlreadyRegistered(
            f"{field}.reference: already registered as subject {subject_id};"
            f" send {field}_subject_id instead",
            field=f"{field}.reference",
        )
    key = registry.keys.create_key(subject_id)  # committed before the event is saved
    if key is None:
        raise SubjectAlreadyErased(
            f"{field}: subject {subject_id} was erased; its id is never reused", field=field
        )
    subject = DataSubject.registered(
        id=subject_id,
        kind=kind,
        sealed={name: seal(key, subject_id, name, value) for name, value in checked.items()},
        actor=context.actor,
        correlation_id=context.correlation_id,
    )
    return Party(subject_id, key, checked["name"], subject, checked.get("bank_account"))


def _exists(registry: SubjectRegistry, subject_id: UUID) -> bool:
    try:
        registry.get(subject_id)
    except UnknownSubject:
        return False
    return True


def blinded_party(
    registry: SubjectRegistry,
    *,
    kind: str,
    subject_id: UUID | None,
    inline: dict[str, Any] | None,
    item_kind: str,
    item_id: UUID,
) -> tuple[UUID | None, dict[str, Any] | None]:
    """The party as an idempotency fingerprint may keep it: the subject id, and
    inline personal values as keyed digests (the key is created if needed)."""
    if inline is None or not isinstance(inline, dict):
        return subject_id, inline
    new_id = inline_subject_id(check_kind(kind), inline, item_kind, item_id)
    fields = {name: value for name, value in inline.items() if name != "reference"}
    blinded = registry.blinded_fields(fields, new_id, create_key=True)
    if "reference" in inline:
        blinded["reference"] = inline["reference"]
    return new_id, blinded
