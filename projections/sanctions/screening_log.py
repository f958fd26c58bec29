"""The screening log: what was screened against which list version, the hits,
and what compliance decided, by whom and when.

Folded from the log's ``SanctionsList`` and ``ScreeningCase`` events into the
``scr_`` tables (``projections.sanctions.store``), with its own tracked
position, like the audit trail and the subjects projection. ``fold_case`` is
a plain function of (case state, event); the rows of lists, screenings and
dispositions depend on their event alone. The compliance reports read this
log (filters: result, status, item, list version, time range).

A data subject's name stays sealed in the tables too (``subject_id`` and
``sealed_name``); each query opens the names of the rows it returns with
the subjects' keys as they are then, so a subject erased (key destroyed)
reads ``[erased]`` at once, live or after a rebuild, and no name is kept in
the clear outside the log either. Ad hoc screenings (no subject) carry their
name in the clear, as their events do. Events of both versions fold: a
version 1 screening (before subjects) is an ad hoc one.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime
from typing import Any
from uuid import UUID

import orjson
from eventsourcing.utils import get_topic

from adapters.database import Database
from adapters.log_reader import PAGE_SIZE_DEFAULT, LogEvent, LogReader
from adapters.subject_keys import SubjectKeyStore
from domain.kernel import limits
from domain.kernel.errors import InvalidInput
from domain.sanctions.errors import UnknownScreeningCase
from domain.sanctions.matching import RESULTS
from domain.sanctions.screening import (
    CASE_STATUSES,
    ITEM_KINDS,
    SEALED_NAME_FIELD,
    SanctionsList,
    ScreeningCase,
)
from domain.subjects.sealing import open_envelope
from domain.subjects.service import SubjectKeys
from domain.subjects.subject import ERASED
from projections.audit.trail import recorded_at_text
from projections.sanctions.store import (
    CASE_COLUMNS,
    DISPOSITION_COLUMNS,
    LIST_COLUMNS,
    SCREENING_COLUMNS,
    ScreeningMoved,
    ScreeningStore,
)

CASE_TOPIC = get_topic(ScreeningCase) + "."
LIST_TOPIC = get_topic(SanctionsList) + "."
QUERY_LIMIT_MAX = 1000
MOVED_RETRIES_MAX = 8


@dataclass(frozen=True, slots=True)
class CaseState:
    """One case as projected (the ``scr_cases`` columns)."""

    case_id: str
    item_kind: str
    item_id: str
    subject_id: str
    party_name: str
    sealed_name: str
    list_version: str
    result: str
    match_count: int
    screened_by: str
    screened_at: str
    screened_position: int
    updated_position: int
    decision: str | None = None
    decided_by: str | None = None
    decided_at: str | None = None
    decision_reason: str | None = None
    decided_position: int | None = None
    superseded_by: str | None = None

    @property
    def status(self) -> str:
        if self.decision is not None:
            return self.decision
        if self.superseded_by is not None:
            return "superseded"
        return "clear" if self.result == "clear" else "pending"


def _name(event: LogEvent) -> str:
    return event.topic.rpartition(".")[2]


def name_columns(fields: dict[str, Any]) -> tuple[str, str, str]:
    """(subject_id, party_name, sealed_name as JSON text) of a screening event of
    either version: a subject's name sealed, an ad hoc one in the clear."""
    sealed = fields.get("sealed_name")
    sealed_text = "" if sealed is None else orjson.dumps(sealed).decode()
    return fields.get("subject_id") or "", fields["party_name"], sealed_text


def fold_case(state: CaseState | None, event: LogEvent) -> CaseState | None:
    """The case after ``event`` (a ScreeningCase event)."""
    name, fields, position = _name(event), event.state, event.position
    at = recorded_at_text(fields["timestamp"])
    if name == "ScreeningPerformed":
        subject_id, party_name, sealed_name = name_columns(fields)
        return CaseState(
            case_id=event.originator_id,
            item_kind=fields["item_kind"],
            item_id=fields["item_id"],
            subject_id=subject_id,
            party_name=party_name,
            sealed_name=sealed_name,
            list_version=fields["list_version"],
            result=fields["result"],
            match_count=len(fields["matches"]),
            screened_by=fields["actor"],
            screened_at=at,
            screened_position=position,
            updated_position=position,
        )
    assert state is not None, f"{name} at {position} before its case was opened"
    if name == "ScreeningRepeated":
        subject_id, party_name, sealed_name = name_columns(fields)
        return replace(
            state,
            subject_id=subject_id,
            party_name=party_name,
            sealed_name=sealed_name,
            result=fields["result"],
            match_count=len(fields["matches"]),
            screened_by=fields["actor"],
            screened_at=at,
            screened_position=position,
            updated_position=position,
            decision=None,
            decided_by=None,
            decided_at=None,
            decision_reason=None,
            decided_position=None,
        )
    if name in ("ScreeningCleared", "ScreeningRejected"):
        return replace(
            state,
            decision="cleared" if name == "ScreeningCleared" else "rejected",
            decided_by=fields["actor"],
            decided_at=at,
            decision_reason=fields["reason"],
            decided_position=position,
            updated_position=position,
        )
    if name == "ScreeningSuperseded":
        return replace(state, superseded_by=fields["by_case_id"], updated_position=position)
    return state  # an event type this projection does not know yet


def case_row(state: CaseState) -> tuple[Any, ...]:
    return (
        state.case_id,
        state.item_kind,
        state.item_id,
        state.subject_id,
        state.party_name,
        state.sealed_name,
        state.list_version,
        state.result,
        state.status,
        state.match_count,
        state.screened_by,
        state.screened_at,
        state.screened_position,
        state.decided_by,
        state.decided_at,
        state.decision_reason,
        state.decided_position,
        state.superseded_by,
        state.updated_position,
    )


def case_state(row: tuple[Any, ...]) -> CaseState:
    values = dict(zip(CASE_COLUMNS, row, strict=True))
    status = values["status"]
    return CaseState(
        case_id=values["case_id"],
        item_kind=values["item_kind"],
        item_id=values["item_id"],
        subject_id=values["subject_id"],
        party_name=values["party_name"],
        sealed_name=values["sealed_name"],
        list_version=values["list_version"],
        result=values["result"],
        match_count=int(values["match_count"]),
        screened_by=values["screened_by"],
        screened_at=values["screened_at"],
        screened_position=int(values["screened_position"]),
        updated_position=int(values["updated_position"]),
        decision=status if status in ("cleared", "rejected") else None,
        decided_by=values["decided_by"],
        decided_at=values["decided_at"],
        decision_reason=values["decision_reason"],
        decided_position=None
        if values["decided_position"] is None
        else int(values["decided_position"]),
        superseded_by=values["superseded_by"],
    )


def event_rows(
    event: LogEvent, case: CaseState | None = None
) -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]], list[tuple[Any, ...]]]:
    """The (lists, screenings, dispositions) rows of one event. ``case``: the case
    before the event (a repeated screening names neither item nor list version;
    they are the case's)."""
    name, fields, position = _name(event), event.state, event.position
    at = recorded_at_text(fields["timestamp"])
    if name == "SanctionsListLoaded":
        row = (
            fields["list_version"],
            fields["source"],
            fields["entry_count"],
            fields["alias_count"],
            fields["loaded_at"],
            fields["actor"],
            position,
        )
        return [row], [], []
    if name in ("ScreeningPerformed", "ScreeningRepeated"):
        subject_id, party_name, sealed_name = name_columns(fields)
        screening = (
            position,
            event.originator_id,
            event.originator_version,
            at,
            fields.get("item_kind") or (case.item_kind if case else None),
            fields.get("item_id") or (case.item_id if case else None),
            subject_id,
            party_name,
            sealed_name,
            fields.get("list_version") or (case.list_version if case else None),
            fields["threshold"],
            fields["result"],
            len(fields["matches"]),
            orjson.dumps(fields["matches"], option=orjson.OPT_SORT_KEYS).decode(),
            fields["actor"],
            fields["correlation_id"],
        )
        return [], [screening], []
    dispositions = {
        "ScreeningCleared": ("cleared", "reason"),
        "ScreeningRejected": ("rejected", "reason"),
        "ScreeningSuperseded": ("superseded", "by_case_id"),
    }
    if name in dispositions:
        disposition, reason_field = dispositions[name]
        row = (
            position,
            event.originator_id,
            disposition,
            fields[reason_field],
            fields["actor"],
            at,
            fields["correlation_id"],
        )
        return [], [], [row]
    return [], [], []


class ScreeningLog:
    """Folds the log's screening events into the ``scr_`` tables; answers queries."""

    def __init__(
        self,
        database: Database,
        *,
        catch_up_on_query: bool = True,
        page_size: int = PAGE_SIZE_DEFAULT,
        keys: SubjectKeys | None = None,
    ) -> None:
        self.database = database
        self.catch_up_on_query = catch_up_on_query
        self.page_size = page_size
        self._keys = keys
        self.store = ScreeningStore(database)
        self._reader = LogReader(database)
        self._tables_ready = False
        self._lock = threading.RLock()

    def close(self) -> None:
        with self._lock:
            self.store.close()
            self._reader.close()

    def _ensure_tables(self) -> None:
        if not self._tables_ready:
            _ensure_store_tables(self.store)
            self._tables_ready = True

    @property
    def keys(self) -> SubjectKeys:
        """The subjects' keys (built on first use: ad hoc rows need none)."""
        if self._keys is None:
            self._keys = SubjectKeyStore(self.database)
        return self._keys

    def _opened(self, views: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """``views`` with each subject's name opened (``[erased]`` without its key)
        in ``party_name``, ``subject_id`` None for ad hoc rows, no envelope."""
        subject_ids = {UUID(view["subject_id"]) for view in views if view["subject_id"]}
        keys = self.keys.keys_of(subject_ids) if subject_ids else {}
        for view in views:
            sealed = view.pop("sealed_name")
            if not view["subject_id"]:
                view["subject_id"] = None
                continue
            subject_id = UUID(view["subject_id"])
            key = keys.get(subject_id)
            view["party_name"] = (
                ERASED
                if key is None or not sealed
                else open_envelope(key, subject_id, SEALED_NAME_FIELD, orjson.loads(sealed))
            )
        return views

    # --- folding --------------------------------------------------------------

    def catch_up(self, up_to: int | None = None) -> int:
        """Fold the log up to ``up_to`` (default: its head); return the tracked position."""
        with self._lock:
            self._ensure_tables()
            for _attempt in range(MOVED_RETRIES_MAX):
                try:
                    return self._fold(up_to)
                except ScreeningMoved:
                    continue  # another process folded those events: go on from its position
            raise ScreeningMoved("the screening log kept moving under this process; retry")

    def rebuild(self) -> int:
        """Empty the ``scr_`` tables and fold the whole log again."""
        with self._lock:
            self._ensure_tables()
            self.store.reset()
            return self.catch_up()

    def _fold(self, up_to: int | None) -> int:
        position = self.store.tracked_position()
        if up_to is not None and up_to <= position:
            return position
        for page in self._reader.pages(position, self.page_size, up_to):
            events = [
                event
                for event in page
                if event.topic.startswith(CASE_TOPIC) or event.topic.startswith(LIST_TOPIC)
            ]
            case_ids = sorted(
                {event.originator_id for event in events if event.topic.startswith(CASE_TOPIC)}
            )
            with self.store.transaction():
                self.store.lock_tracking(position)
                states: dict[str, CaseState | None] = {
                    row[0]: case_state(row) for row in self.store.case_rows(case_ids)
                }
                lists: list[tuple[Any, ...]] = []
                screenings: list[tuple[Any, ...]] = []
                dispositions: list[tuple[Any, ...]] = []
                for event in events:
                    more_lists, more_screenings, more_dispositions = event_rows(
                        event, states.get(event.originator_id)
                    )
                    lists += more_lists
                    screenings += more_screenings
                    dispositions += more_dispositions
                    if event.topic.startswith(CASE_TOPIC):
                        states[event.originator_id] = fold_case(
                            states.get(event.originator_id), event
                        )
                self.store.append(lists, screenings, dispositions)
                self.store.replace_cases(
                    case_ids, [case_row(state) for state in states.values() if state is not None]
                )
                position = page[-1].position
                self.store.move_tracking(position)
        return position

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

    def cases(
        self,
        *,
        status: str | None = None,
        result: str | None = None,
        item_kind: str | None = None,
        item_id: str | None = None,
        list_version: str | None = None,
        screened_from: str | datetime | date | None = None,
        screened_to: str | datetime | date | None = None,
        after: int = 0,
        limit: int = 100,
    ) -> list[dict[str, Any]]:
        """Cases in the order of their latest screening, ``limit`` at a time after
        the ``screened_position`` ``after``."""
        if status is not None and status not in CASE_STATUSES:
            raise InvalidInput(f"status: one of {', '.join(CASE_STATUSES)}", field="status")
        filters = self._filters(
            result, item_kind, item_id, list_version, screened_from, screened_to, "screened_at"
        )
        if status is not None:
            filters.append(("status", "=", status))
        rows = self._select("cases", filters, "screened_position", after, limit)
        return self._opened([_case_view(row) for row in rows])

    def screenings(
        self,
        *,
        result: str | None = None,
        item_kind: str | None = None,
        item_id: str | None = None,
        list_version: str | None = None,
        case_id: str | None = None,
        recorded_from: str | datetime | date | None = None,
        recorded_to: str | datetime | date | None = None,
        after: int = 0,
        limit: int = 100,
    ) -> list[dict[str, Any]]:
        """Every screening performed, in log order (bounds inclusive)."""
        filters = self._filters(
            result, item_kind, item_id, list_version, recorded_from, recorded_to, "recorded_at"
        )
        if case_id is not None:
            filters.append(("case_id", "=", limits.bounded_text(case_id, "case_id", 64)))
        rows = self._select("screenings", filters, "position", after, limit)
        views = [dict(zip(SCREENING_COLUMNS, row, strict=True)) for row in rows]
        for view in views:
            view["matches"] = orjson.loads(view["matches"])
        return self._opened(views)

    def dispositions(
        self, *, case_id: str | None = None, after: int = 0, limit: int = 100
    ) -> list[dict[str, Any]]:
        """Decisions and supersessions, in log order."""
        filters: list[tuple[str, str, Any]] = []
        if case_id is not None:
            filters.append(("case_id", "=", limits.bounded_text(case_id, "case_id", 64)))
        rows = self._select("dispositions", filters, "position", after, limit)
        return [dict(zip(DISPOSITION_COLUMNS, row, strict=True)) for row in rows]

    def lists(self) -> list[dict[str, Any]]:
        """Every list version loaded, in log order."""
        rows = self._select("lists", [], "position", 0, QUERY_LIMIT_MAX)
        return [dict(zip(LIST_COLUMNS, row, strict=True)) for row in rows]

    def case(self, case_id: str) -> dict[str, Any]:
        """One case with its screenings and dispositions."""
        found = self.cases_by_id([case_id])
        if not found:
            raise UnknownScreeningCase(
                f"screening case {case_id} is not in the log", field="case_id"
            )
        view = found[0]
        view["screenings"] = self.screenings(case_id=case_id, limit=QUERY_LIMIT_MAX)
        view["dispositions"] = self.dispositions(case_id=case_id, limit=QUERY_LIMIT_MAX)
        return view

    def cases_by_id(self, case_ids: list[str]) -> list[dict[str, Any]]:
        with self._lock:
            self._fresh()
            rows = self.store.case_rows(case_ids)
        return self._opened([_case_view(row) for row in rows])

    def _select(
        self,
        name: str,
        filters: list[tuple[str, str, Any]],
        order_column: str,
        after: int,
        limit: int,
    ) -> list[tuple[Any, ...]]:
        if (
            isinstance(limit, bool)
            or not isinstance(limit, int)
            or not 1 <= limit <= QUERY_LIMIT_MAX
        ):
            raise InvalidInput(f"limit: an integer from 1 to {QUERY_LIMIT_MAX}", field="limit")
        if isinstance(after, bool) or not isinstance(after, int) or after < 0:
            raise InvalidInput("after: a log position, an integer >= 0", field="after")
        with self._lock:
            self._fresh()
            return self.store.select(name, filters, order_column, after, limit)

    @staticmethod
    def _filters(
        result: str | None,
        item_kind: str | None,
        item_id: str | None,
        list_version: str | None,
        time_from: str | datetime | date | None,
        time_to: str | datetime | date | None,
        time_column: str,
    ) -> list[tuple[str, str, Any]]:
        filters: list[tuple[str, str, Any]] = []
        if result is not None:
            if result not in RESULTS:
                raise InvalidInput(f"result: one of {', '.join(RESULTS)}", field="result")
            filters.append(("result", "=", result))
        if item_kind is not None:
            if item_kind not in ITEM_KINDS:
                raise InvalidInput(f"item_kind: one of {', '.join(ITEM_KINDS)}", field="item_kind")
            filters.append(("item_kind", "=", item_kind))
        if item_id is not None:
            filters.append(("item_id", "=", limits.bounded_text(item_id, "item_id", 128)))
        if list_version is not None:
            filters.append(
                ("list_version", "=", limits.bounded_text(list_version, "list_version", 64))
            )
        for operator, value, field in ((">=", time_from, "from"), ("<=", time_to, "to")):
            if value is not None:
                filters.append((time_column, operator, _moment(value, field)))
        return filters


def _case_view(row: tuple[Any, ...]) -> dict[str, Any]:
    view = dict(zip(CASE_COLUMNS, row, strict=True))
    for column in ("match_count", "screened_position", "updated_position"):
        view[column] = int(view[column])
    if view["decided_position"] is not None:
        view["decided_position"] = int(view["decided_position"])
    return view


def _moment(value: str | datetime | date, field: str) -> str:
    """An ISO 8601 date or date-time (no offset means UTC) as the stored UTC text."""
    if isinstance(value, str):
        if len(value) > 64:
            raise InvalidInput(f"{field}: an ISO 8601 date-time", field=field)
        try:
            moment = datetime.fromisoformat(value)
        except ValueError:
            raise InvalidInput(
                f"{field}: {value!r} is not an ISO 8601 date-time (e.g. 2026-03-10T12:00:00Z)",
                field=field,
            ) from None
    elif isinstance(value, datetime):
        moment = value
    else:
        moment = datetime(value.year, value.month, value.day)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).isoformat(timespec="microseconds")


def _ensure_store_tables(store: ScreeningStore) -> None:
    """Create the ``scr_`` tables if missing, or of an older layout (dropped first:
    the next catch-up folds the log again from the start)."""
    if store.tables_exist() and store.layout_current():
        return
    if store.tables_exist():
        store.drop_outdated_tables()
    store.create_tables()


def ensure_tables(database: Database) -> None:
    """Create the ``scr_`` tables if missing (for ``backoffice migrate``)."""
    store = ScreeningStore(database)
    try:
        _ensure_store_tables(store)
    finally:
        store.close()
