"""Commands on data subjects: register, change details, hold, lift, erase, read.

``SubjectRegistry`` works on the one ``BackOffice`` application (so its
events join the same log and the same commits, including an API request's
idempotency record riding along) and on a key store kept outside the log
(``adapters.subject_keys``). The order of the two matters:

- registering creates (and commits) the key first, then saves the event: a
  failed save leaves a harmless orphan key that a retry reuses;
- erasing saves ``SubjectErased`` first, then destroys the key. The save is
  checked against the subject's version, so a hold placed meanwhile by
  another process makes the erasure fail instead of slipping past the hold.
  If the key destruction fails after the save, the subject already reads as
  erased everywhere (reads and projections look at the event), and
  ``complete_erasure`` (run again by every retry of the erasure) finishes it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import UTC, date, datetime
from typing import Any, Protocol
from uuid import UUID, uuid4

from eventsourcing.persistence import IntegrityError

from domain.application import BackOffice
from domain.kernel import limits
from domain.kernel.context import Context
from domain.kernel.errors import ConcurrencyConflict
from domain.kernel.unit_of_work import find, save_once
from domain.subjects.errors import (
    LegalHoldNotActive,
    SubjectAlreadyErased,
    SubjectAlreadyRegistered,
    SubjectUnderLegalHold,
    TooManyLegalHolds,
    UnknownLegalHold,
    UnknownSubject,
)
from domain.subjects.sealing import blind, open_envelope, seal
from domain.subjects.subject import (
    ERASED,
    HOLDS_PER_SUBJECT_MAX,
    DataSubject,
    check_kind,
    check_personal_fields,
    check_reference,
    check_until,
    subject_id_for,
)


class SubjectKeys(Protocol):
    """Where subject keys live (outside the log)."""

    def create_key(self, subject_id: UUID) -> bytes | None: ...

    def key_of(self, subject_id: UUID) -> bytes | None: ...

    def keys_of(self, subject_ids: Iterable[UUID]) -> dict[UUID, bytes]: ...

    def destroy(self, subject_id: UUID) -> bool: ...


def _today_utc() -> date:
    return datetime.now(UTC).date()


def subject_view(subject: DataSubject, key: bytes | None, today: date) -> dict[str, Any]:
    """What a reader sees of a subject: personal fields opened, or ``[erased]``."""
    if subject.erased or key is None:
        fields = dict.fromkeys(subject.field_names, ERASED)
    else:
        fields = {
            name: open_envelope(key, subject.id, name, subject.sealed[name])
            for name in subject.field_names
        }
    active = {hold["hold_id"] for hold in subject.active_holds(today)}
    return {
        "subject_id": str(subject.id),
        "kind": subject.kind,
        "status": "erased" if subject.erased else "active",
        "fields": fields,
        "holds": [
            {**hold, "active": hold["hold_id"] in active}
            for hold in sorted(subject.holds.values(), key=lambda hold: hold["placed_at"])
        ],
        "registered_at": subject.created_on.isoformat(),
        "erased_at": subject.erased_at,
        "version": subject.version,
    }


class SubjectRegistry:
    """The data-subject commands over ``app`` (a BackOffice) and ``keys``."""

    def __init__(
        self, app: BackOffice, keys: SubjectKeys, *, today: Callable[[], date] = _today_utc
    ) -> None:
        self.app = app
        self.keys = keys
        self.today = today

    # --- reading ------------------------------------------------------------

    def get(self, subject_id: UUID) -> DataSubject:
        subject = self._find(subject_id)
        if subject is None:
            raise UnknownSubject(f"data subject {subject_id} does not exist", field="subject_id")
        return subject

    def _find(self, subject_id: UUID) -> DataSubject | None:
        return find(self.app, subject_id, DataSubject)

    def read_subject(self, subject_id: UUID) -> dict[str, Any]:
        """The subject with its personal fields decrypted (``[erased]`` after erasure)."""
        subject = self.get(subject_id)
        key = None if subject.erased else self.keys.key_of(subject.id)
        return subject_view(subject, key, self.today())

    # --- registering and changing -------------------------------------------

    def register_subject(
        self,
        context: Context,
        kind: str,
        fields: dict[str, str],
        reference: str | None = None,
    ) -> tuple[UUID, int]:
        """Register a subject; returns its id and the log position."""
        context.checked()
        kind = check_kind(kind)
        subject_id = (
            uuid4() if reference is None else subject_id_for(kind, check_reference(reference))
        )
        checked = check_personal_fields(fields)
        if self._find(subject_id) is not None:
            raise SubjectAlreadyRegistered(
                f"reference: already registered, as {kind} {subject_id}",
                field="reference",
            )
        key = self.keys.create_key(subject_id)  # committed before the event is saved
        if key is None:
            raise SubjectAlreadyErased(
                f"subject {subject_id} was erased; its id is never reused", field="reference"
            )
        subject = DataSubject.registered(
            id=subject_id,
            kind=kind,
            sealed={name: seal(key, subject_id, name, value) for name, value in checked.items()},
            actor=context.actor,
            correlation_id=context.correlation_id,
        )
        try:
            recordings = self.app.save(subject)
        except IntegrityError:
            raise SubjectAlreadyRegistered(
                f"reference: subject {subject_id} is already registered", field="reference"
            ) from None
        return subject_id, recordings[-1].notification.id

    def change_details(self, context: Context, subject_id: UUID, fields: dict[str, str]) -> int:
        """Replace the given personal fields (new envelopes; the old stay in the log)."""
        context.checked()
        checked = check_personal_fields(fields)
        with self.app.write_lock:
            subject = self._living(subject_id)
            key = self.keys.key_of(subject.id)
            if key is None:
                raise SubjectAlreadyErased(
                    f"subject {subject_id} has no key (erased)", field="subject_id"
                )
            subject.trigger_event(
                DataSubject.SubjectDetailsChanged,
                sealed={
                    name: seal(key, subject.id, name, value) for name, value in checked.items()
                },
                actor=context.actor,
                correlation_id=context.correlation_id,
            )
            return self._save(subject)

    def registration_fingerprint(
        self, kind: str, reference: str, fields: dict[str, Any]
    ) -> tuple[UUID, dict[str, Any]]:
        """The subject id a registration names and a body to fingerprint it by
        (an API idempotency key) with the personal values blinded: the log
        keeps the fingerprint, and must not keep a plain hash of personal data.
        Creates the subject's key (committed) if it has none yet."""
        subject_id = subject_id_for(check_kind(kind), check_reference(reference))
        blinded = self.blinded_fields(fields, subject_id, create_key=True)
        return subject_id, {"kind": kind, "reference": reference, "fields": blinded}

    def blinded_fields(
        self, fields: dict[str, Any], subject_id: UUID, *, create_key: bool = False
    ) -> dict[str, Any]:
        """Keyed digests of the fields under the subject's key (HMAC-SHA256):
        unlinkable to anyone once the key is destroyed. Values that are not
        strings are left as given (the command refuses them)."""
        key = self.keys.create_key(subject_id) if create_key else self.keys.key_of(subject_id)
        if key is None:
            if create_key or self._find(subject_id) is not None:
                raise SubjectAlreadyErased(f"subject {subject_id} was erased", field="subject_id")
            raise UnknownSubject(f"data subject {subject_id} does not exist", field="subject_id")
        return {
            name: blind(key, name, value) if isinstance(value, str) else value
            for name, value in fields.items()
        }

    # --- legal holds --------------------------------------------------------

    def place_hold(
        self,
        context: Context,
        subject_id: UUID,
        reason: str,
        until: str | None = None,
        hold_id: UUID | None = None,
    ) -> tuple[UUID, int]:
        """Place a legal hold; erasure is refused while it is active. Returns (hold id, position)."""
        context.checked()
        reason = limits.bounded_text(reason, "reason", limits.REASON_LENGTH_MAX)
        until = check_until(until, self.today())
        hold_id = hold_id or uuid4()
        with self.app.write_lock:
            subject = self._living(subject_id)
            if str(hold_id) in subject.holds:
                raise ConcurrencyConflict(f"hold {hold_id} exists already", field="hold_id")
            if len(subject.active_holds(self.today())) >= HOLDS_PER_SUBJECT_MAX:
                raise TooManyLegalHolds(
                    f"subject {subject_id} has {HOLDS_PER_SUBJECT_MAX} active holds; lift one first",
                    field="subject_id",
                )
            subject.trigger_event(
                DataSubject.LegalHoldPlaced,
                hold_id=str(hold_id),
                reason=reason,
                until=until,
                actor=context.actor,
                correlation_id=context.correlation_id,
            )
            return hold_id, self._save(subject)

    def lift_hold(self, context: Context, subject_id: UUID, hold_id: UUID, reason: str) -> int:
        context.checked()
        reason = limits.bounded_text(reason, "reason", limits.REASON_LENGTH_MAX)
        with self.app.write_lock:
            subject = self.get(subject_id)
            hold = subject.holds.get(str(hold_id))
            if hold is None:
                raise UnknownLegalHold(
                    f"subject {subject_id} has no hold {hold_id}", field="hold_id"
                )
            if hold["lifted"]:
                raise LegalHoldNotActive(f"hold {hold_id} was already lifted", field="hold_id")
            subject.trigger_event(
                DataSubject.LegalHoldLifted,
                hold_id=str(hold_id),
                reason=reason,
                actor=context.actor,
                correlation_id=context.correlation_id,
            )
            return self._save(subject)

    # --- erasure ------------------------------------------------------------

    def erase(self, context: Context, subject_id: UUID, reason: str) -> int:
        """Record the erasure, then destroy the key. Refused under an active hold."""
        context.checked()
        reason = limits.bounded_text(reason, "reason", limits.REASON_LENGTH_MAX)
        with self.app.write_lock:
            subject = self.get(subject_id)
            if subject.erased:
                self.complete_erasure(subject_id)  # in case an earlier attempt was interrupted
                raise SubjectAlreadyErased(
                    f"subject {subject_id} was already erased", field="subject_id"
                )
            holds = subject.active_holds(self.today())
            if holds:
                raise SubjectUnderLegalHold(
                    f"subject {subject_id} is under {len(holds)} legal hold(s) "
                    f"({', '.join(hold['hold_id'] for hold in holds)}); lift them first",
                    field="subject_id",
                )
            subject.trigger_event(
                DataSubject.SubjectErased,
                reason=reason,
                actor=context.actor,
                correlation_id=context.correlation_id,
            )
            position = self._save(subject)
        self.keys.destroy(subject_id)
        return position

    def complete_erasure(self, subject_id: UUID) -> bool:
        """Destroy the key of an erased subject if it still exists (an interrupted
        erasure). True when a key was destroyed now."""
        subject = self.get(subject_id)
        if not subject.erased:
            return False
        return self.keys.destroy(subject_id)

    # --- helpers ------------------------------------------------------------

    def _living(self, subject_id: UUID) -> DataSubject:
        subject = self.get(subject_id)
        if subject.erased:
            raise SubjectAlreadyErased(f"subject {subject_id} was erased", field="subject_id")
        return subject

    def _save(self, subject: DataSubject) -> int:
        return save_once(
            self.app, subject, conflict="the subject changed concurrently by another writer; retry"
        )
