"""The subjects projection: each data subject with its personal fields opened.

The fold opens each sealed field with the subject's key as it finds it at
fold time: a subject whose key is gone (erased) folds to ``[erased]`` in
every personal field, on a rebuild as much as live; and the
``SubjectErased`` event itself overwrites fields already projected in the
clear. The fold is a plain function of (state, event, key); it runs on the
tracked-projection mechanism (``projections.tracking.base``): the storage
(``projections.subjects.store``) writes a page's rows and the tracked
position in one transaction, like the audit trail.

``rebuild`` folds from position 0 into fresh tables and swaps them in.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any
from uuid import UUID

from eventsourcing.utils import get_topic

from adapters.database import Database
from adapters.log_reader import PAGE_SIZE_DEFAULT, LogEvent
from adapters.subject_keys import SubjectKeyStore
from domain.kernel.errors import InvalidInput
from domain.subjects.errors import UnknownSubject
from domain.subjects.sealing import open_envelope
from domain.subjects.subject import ERASED, PERSONAL_FIELDS, SUBJECT_KINDS, DataSubject
from projections.subjects.store import (
    HOLD_COLUMNS,
    PREFIX,
    PROJECTION_NAME,
    SUBJECT_COLUMNS,
    SubjectsStore,
)
from projections.tracking.base import Finding, PageFold

TOPIC_PREFIX = get_topic(DataSubject) + "."
LIST_LIMIT_MAX = 1000
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


@dataclass(slots=True)
class SubjectsPage:
    """What one page's fold works on: the subjects its events touch (as
    stored before the page), their keys now, and the erasures seen."""

    keys: dict[UUID, bytes]
    subjects: dict[str, SubjectState | None]
    erasures: int = 0


def apply_page(page: SubjectsPage, event: LogEvent) -> SubjectsPage:
    """``page`` after ``event`` (a DataSubject event): plain Python, no database."""
    subject_id = event.originator_id
    key = page.keys.get(UUID(subject_id))
    page.subjects[subject_id] = apply(page.subjects.get(subject_id), event, key)
    if event.topic.endswith(".SubjectErased"):
        page.erasures += 1
    return page


def invariant_findings(store: SubjectsStore, _state: object = None) -> list[Finding]:
    """``holds_open`` counts the holds not lifted; an erased subject shows no
    personal field in the clear."""
    findings = []
    open_holds: dict[str, int] = {}
    for row in store.rows(f"SELECT {', '.join(HOLD_COLUMNS)} FROM {store.table('holds')}"):
        hold = dict(zip(HOLD_COLUMNS, row, strict=True))
        if hold["lifted_position"] is None:
            open_holds[hold["subject_id"]] = open_holds.get(hold["subject_id"], 0) + 1
    for row in store.rows(f"SELECT {', '.join(SUBJECT_COLUMNS)} FROM {store.table('subjects')}"):
        subject = dict(zip(SUBJECT_COLUMNS, row, strict=True))
        subject_id = subject["subject_id"]
        if int(subject["holds_open"]) != open_holds.get(subject_id, 0):
            findings.append(
                Finding("subject_holds", None, f"subject {subject_id}: holds_open "
                        f"{subject['holds_open']}, open holds {open_holds.get(subject_id, 0)}")
            )  # fmt: skip
        clear = [name for name in PERSONAL_FIELDS if subject[name] not in (None, ERASED)]
        if subject["status"] == "erased" and clear:
            findings.append(
                Finding("subject_erased", None, f"subject {subject_id}: {clear} in the clear")
            )
    return findings


class SubjectsProjection(PageFold[SubjectsStore, SubjectsPage]):
    """Folds the log's data-subject events into the ``subj_`` tables; answers queries."""

    name = PROJECTION_NAME
    label = "subjects"
    live_prefix = PREFIX
    tables = ("subjects", "holds", "tracking")

    def __init__(
        self,
        database: Database,
        keys: SubjectKeyStore | None = None,
        *,
        prefix: str | None = None,
        catch_up_on_query: bool = True,
        page_size: int = PAGE_SIZE_DEFAULT,
    ) -> None:
        super().__init__(
            database, prefix=prefix, page_size=page_size, catch_up_on_query=catch_up_on_query
        )
        self._keys = keys
        self._erasures = 0

    @property
    def keys(self) -> SubjectKeyStore:
        """The subjects' keys (built on first use: the registry builds every
        projection up front, and an in-memory database has no key store)."""
        if self._keys is None:
            self._keys = SubjectKeyStore(self.database)
        return self._keys

    def open_store(self, prefix: str) -> SubjectsStore:
        return SubjectsStore(self.database, prefix)

    # --- folding --------------------------------------------------------------

    def sibling(self, prefix: str, page_size: int | None = None) -> SubjectsProjection:
        return SubjectsProjection(
            self.database,
            self.keys,
            prefix=prefix,
            catch_up_on_query=False,
            page_size=page_size or self.page_size,
        )

    def wanted(self, event: LogEvent) -> bool:
        return event.topic.startswith(TOPIC_PREFIX)

    def page_inputs(self, events: list[LogEvent]) -> dict[UUID, bytes]:
        ids = {UUID(event.originator_id) for event in events}
        return self.keys.keys_of(sorted(ids)) if ids else {}

    def load(self, events: list[LogEvent], inputs: dict[UUID, bytes]) -> SubjectsPage:
        ids = sorted({event.originator_id for event in events})
        holds: dict[str, list[tuple[Any, ...]]] = {}
        for row in self.store.hold_rows(ids):
            holds.setdefault(row[0], []).append(row)
        subjects: dict[str, SubjectState | None] = {
            row[0]: state_of(row, holds.get(row[0], [])) for row in self.store.subject_rows(ids)
        }
        for subject_id in ids:
            subjects.setdefault(subject_id, None)
        return SubjectsPage(inputs, subjects)

    def apply(self, state: SubjectsPage, event: LogEvent) -> SubjectsPage:
        return apply_page(state, event)

    def save(self, state: SubjectsPage) -> None:
        changed = [subject for subject in state.subjects.values() if subject is not None]
        self.store.replace(
            sorted(state.subjects),
            [subject_row(subject) for subject in changed],
            [row for subject in changed for row in hold_rows(subject)],
        )
        self._erasures += state.erasures

    def _fold(self, up_to: int | None, progress: Any) -> int:
        self._erasures = 0
        position = super()._fold(up_to, progress)
        if self._erasures:
            self.store.purge_old_versions()
        return position

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
    projection = SubjectsProjection(database, catch_up_on_query=False)
    try:
        projection.ensure_tables()
    finally:
        projection.close()
