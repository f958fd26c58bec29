"""The subjects projection: each data subject with its personal fields opened.

The fold opens each sealed field with the subject's key as it finds it at
fold time: a subject whose key is gone (erased) folds to ``[erased]`` in
every personal field, on a rebuild as much as live; and the
``SubjectErased`` event itself overwrites fields already projected in the
clear. The fold is a plain function of (state, event, key); the storage
(``projections.subjects.store``) writes a page's rows and the tracked
position in one transaction, like the audit trail.

``rebuild`` empties the ``subj_`` tables (read models: they may be
rewritten) and folds from position 0.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field, replace
from typing import Any
from uuid import UUID

from eventsourcing.utils import get_topic

from adapters.database import Database
from adapters.log_reader import PAGE_SIZE_DEFAULT, LogEvent, LogReader
from adapters.subject_keys import SubjectKeyStore
from domain.kernel.errors import InvalidInput
from domain.subjects.errors import UnknownSubject
from domain.subjects.sealing import open_envelope
from domain.subjects.subject import ERASED, PERSONAL_FIELDS, SUBJECT_KINDS, DataSubject
from projections.subjects.store import (
    HOLD_COLUMNS,
    SUBJECT_COLUMNS,
    SubjectsMoved,
    SubjectsStore,
)

TOPIC_PREFIX = get_topic(DataSubject) + "."
LIST_LIMIT_MAX = 1000
MOVED_RETRIES_MAX = 8
STATUSES = ("active", "erased")


@dataclass(frozen=True, slots=True)
class HoldState:
    hold_id: str
    reason: str
    until: str | None
    placed_by: str
    placed_position: int
    lifted_by: str | None = None
    lifted_position: int | None = None


@dataclass(frozen=True, slots=True)
class SubjectState:
    """One subject as projected: ``fields`` maps personal field -> plaintext or ``[erased]``."""

    subject_id: str
    kind: str
    status: str
    registered_position: int
    updated_position: int
    erased_position: int | None = None
    fields: dict[str, str] = field(default_factory=dict)
    holds: dict[str, HoldState] = field(default_factory=dict)


def _opened(subject_id: str, sealed: dict[str, Any], key: bytes | None) -> dict[str, str]:
    if key is None:
        return dict.fromkeys(sealed, ERASED)
    return {
        name: open_envelope(key, UUID(subject_id), name, envelope)
        for name, envelope in sealed.items()
    }


def apply(state: SubjectState | None, event: LogEvent, key: bytes | None) -> SubjectState | None:
    """The subject after ``event`` (``key``: the subject's key now, None if destroyed)."""
    name = event.topic.rpartition(".")[2]
    fields = event.state
    position = event.position
    if name == "SubjectRegistered":
        return SubjectState(
            subject_id=event.originator_id,
            kind=fields["kind"],
            status="active",
            registered_position=position,
            updated_position=position,
            fields=_opened(event.originator_id, fields["sealed"], key),
        )
    assert state is not None, f"{name} at {position} before the subject was registered"
    if name == "SubjectDetailsChanged":
        opened = _opened(state.subject_id, fields["sealed"], key)
        if state.status == "erased":
            opened = dict.fromkeys(opened, ERASED)
        return replace(state, fields={**state.fields, **opened}, updated_position=position)
    if name == "LegalHoldPlaced":
        hold = HoldState(
            fields["hold_id"], fields["reason"], fields["until"], fields["actor"], position
        )
        holds = {**state.holds, hold.hold_id: hold}
        return replace(state, holds=holds, updated_position=position)
    if name == "LegalHoldLifted":
        placed = state.holds.get(fields["hold_id"])
        if placed is None:
            return replace(state, updated_position=position)
        lifted = replace(placed, lifted_by=fields["actor"], lifted_position=position)
        return replace(
            state, holds={**state.holds, lifted.hold_id: lifted}, updated_position=position
        )
    if name == "SubjectErased":
        return replace(
            state,
            status="erased",
            fields=dict.fromkeys(state.fields, ERASED),
            erased_position=position,
            updated_position=position,
        )
    return state  # an event type this projection does not know yet


# --- rows ---------------------------------------------------------------------


def subject_row(state: SubjectState) -> tuple[Any, ...]:
    holds_open = sum(1 for hold in state.holds.values() if hold.lifted_position is None)
    return (
        state.subject_id,
        state.kind,
        state.status,
        *(state.fields.get(name) for name in PERSONAL_FIELDS),
        holds_open,
        state.registered_position,
        state.updated_position,
        state.erased_position,
    )


def hold_rows(state: SubjectState) -> list[tuple[Any, ...]]:
    return [
        (
            state.subject_id,
            hold.hold_id,
            hold.reason,
            hold.until,
            hold.placed_by,
            hold.placed_position,
            hold.lifted_by,
            hold.lifted_position,
        )
        for hold in state.holds.values()
    ]


def state_of(row: tuple[Any, ...], holds: list[tuple[Any, ...]]) -> SubjectState:
    values = dict(zip(SUBJECT_COLUMNS, row, strict=True))
    hold_states = {}
    for hold_row in holds:
        hold = dict(zip(HOLD_COLUMNS, hold_row, strict=True))
        hold_states[hold["hold_id"]] = HoldState(
            hold["hold_id"],
            hold["reason"],
            hold["until"],
            hold["placed_by"],
            int(hold["placed_position"]),
            hold["lifted_by"],
            None if hold["lifted_position"] is None else int(hold["lifted_position"]),
        )
    return SubjectState(
        subject_id=values["subject_id"],
        kind=values["kind"],
        status=values["status"],
        registered_position=int(values["registered_position"]),
        updated_position=int(values["updated_position"]),
        erased_position=None
        if values["erased_position"] is None
        else int(values["erased_position"]),
        fields={name: values[name] for name in PERSONAL_FIELDS if values[name] is not None},
        holds=hold_states,
    )


def view(state: SubjectState) -> dict[str, Any]:
    """The JSON-ready form of a projected subject."""
    return {
        "subject_id": state.subject_id,
        "kind": state.kind,
        "status": state.status,
        "fields": dict(sorted(state.fields.items())),
        "holds": [
            {
                "hold_id": hold.hold_id,
                "reason": hold.reason,
                "until": hold.until,
                "placed_by": hold.placed_by,
                "placed_position": hold.placed_position,
                "lifted_by": hold.lifted_by,
                "lifted_position": hold.lifted_position,
            }
            for hold in sorted(state.holds.values(), key=lambda hold: hold.placed_position)
        ],
        "registered_position": state.registered_position,
        "updated_position": state.updated_position,
        "erased_position": state.erased_position,
    }


# --- the projection ---------------------------------------------------------------


class SubjectsProjection:
    """Folds the log's data-subject events into the ``subj_`` tables; answers queries."""

    def __init__(
        self,
        database: Database,
        keys: SubjectKeyStore | None = None,
        *,
        catch_up_on_query: bool = True,
        page_size: int = PAGE_SIZE_DEFAULT,
    ) -> None:
        self.database = database
        self.keys = keys or SubjectKeyStore(database)
        self.catch_up_on_query = catch_up_on_query
        self.page_size = page_size
        self.store = SubjectsStore(database)
        self._reader = LogReader(database)
        self._tables_ready = False
        self._lock = threading.RLock()

    def close(self) -> None:
        with self._lock:
            self.store.close()
            self._reader.close()

    def _ensure_tables(self) -> None:
        if not self._tables_ready:
            if not self.store.tables_exist():
                self.store.create_tables()
            self._tables_ready = True

    # --- folding --------------------------------------------------------------

    def catch_up(self, up_to: int | None = None) -> int:
        """Fold the log up to ``up_to`` (default: its head); return the tracked position."""
        with self._lock:
            self._ensure_tables()
            for _attempt in range(MOVED_RETRIES_MAX):
                try:
                    return self._fold(up_to)
                except SubjectsMoved:
                    continue  # another process folded those events: go on from its position
            raise SubjectsMoved("the subjects projection kept moving under this process; retry")

    def rebuild(self) -> int:
        """Empty the ``subj_`` tables and fold the whole log again."""
        with self._lock:
            self._ensure_tables()
            self.store.reset()
            return self.catch_up()

    def _fold(self, up_to: int | None) -> int:
        position = self.store.tracked_position()
        if up_to is not None and up_to <= position:
            return position
        erasures = 0
        for page in self._reader.pages(position, self.page_size, up_to):
            events = [event for event in page if event.topic.startswith(TOPIC_PREFIX)]
            ids = sorted({event.originator_id for event in events})
            keys = self.keys.keys_of(UUID(subject_id) for subject_id in ids)
            with self.store.transaction():
                self.store.lock_tracking(position)
                states = self._load(ids)
                for event in events:
                    key = keys.get(UUID(event.originator_id))
                    states[event.originator_id] = apply(states.get(event.originator_id), event, key)
                changed = [state for state in states.values() if state is not None]
                self.store.replace(
                    ids,
                    [subject_row(state) for state in changed],
                    [row for state in changed for row in hold_rows(state)],
                )
                position = page[-1].position
                self.store.move_tracking(position)
            erasures += sum(1 for event in events if event.topic.endswith(".SubjectErased"))
        if erasures:
            self.store.purge_old_versions()
        return position

    def _load(self, ids: list[str]) -> dict[str, SubjectState | None]:
        holds: dict[str, list[tuple[Any, ...]]] = {}
        for row in self.store.hold_rows(ids):
            holds.setdefault(row[0], []).append(row)
        return {
            row[0]: state_of(row, holds.get(row[0], [])) for row in self.store.subject_rows(ids)
        }

    def _fresh(self) -> None:
        if self.catch_up_on_query:
            self.catch_up()
        else:
            self._ensure_tables()

    def position(self) -> int:
        with self._lock:
            self._fresh()
            return self.store.tracked_position()

    # --- queries --------------------------------------------------------------

    def get(self, subject_id: UUID | str) -> dict[str, Any]:
        """One projected subject; UnknownSubject if the projection has none."""
        try:
            canonical = str(UUID(str(subject_id)))
        except ValueError:
            raise InvalidInput("subject_id: not a UUID", field="subject_id") from None
        with self._lock:
            self._fresh()
            rows = self.store.subject_rows([canonical])
            holds = self.store.hold_rows([canonical])
        if not rows:
            raise UnknownSubject(f"data subject {canonical} does not exist", field="subject_id")
        return view(state_of(rows[0], holds))

    def list(
        self,
        *,
        kind: str | None = None,
        status: str | None = None,
        after: str | None = None,
        limit: int = 100,
    ) -> list[dict[str, Any]]:
        """Projected subjects in id order, ``limit`` at a time after the id ``after``."""
        if kind is not None and kind not in SUBJECT_KINDS:
            raise InvalidInput(f"kind: one of {', '.join(SUBJECT_KINDS)}", field="kind")
        if status is not None and status not in STATUSES:
            raise InvalidInput(f"status: one of {', '.join(STATUSES)}", field="status")
        if (
            isinstance(limit, bool)
            or not isinstance(limit, int)
            or not 1 <= limit <= LIST_LIMIT_MAX
        ):
            raise InvalidInput(f"limit: an integer from 1 to {LIST_LIMIT_MAX}", field="limit")
        with self._lock:
            self._fresh()
            rows = self.store.select_subjects(kind, status, after or "", limit)
            holds: dict[str, list[tuple[Any, ...]]] = {}
            for hold in self.store.hold_rows([row[0] for row in rows]):
                holds.setdefault(hold[0], []).append(hold)
        return [view(state_of(row, holds.get(row[0], []))) for row in rows]


def ensure_tables(database: Database) -> None:
    """Create the ``subj_`` tables if missing (``backoffice migrate``)."""
    store = SubjectsStore(database)
    try:
        if not store.tables_exist():
            store.create_tables()
    finally:
        store.close()
