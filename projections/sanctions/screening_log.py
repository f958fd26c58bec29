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

from datetime import UTC, date, datetime
from typing import Any
from uuid import UUID

import orjson

from adapters.database import Database
from adapters.log_reader import PAGE_SIZE_DEFAULT, LogEvent
from adapters.subject_keys import SubjectKeyStore
from domain.kernel import limits
from domain.kernel.errors import InvalidInput
from domain.sanctions.errors import UnknownScreeningCase
from domain.sanctions.matching import RESULTS
from domain.sanctions.screening import (
    CASE_STATUSES,
    ITEM_KINDS,
    SEALED_NAME_FIELD,
)
from domain.subjects.sealing import open_envelope
from domain.subjects.service import SubjectKeys
from domain.subjects.subject import ERASED
from projections.sanctions.fold import (
    CASE_TOPIC,
    CaseState,
    ScreeningPage,
    apply_page,
    case_row,
    case_state,
    is_screening_event,
)
from projections.sanctions.store import (
    CASE_COLUMNS,
    DISPOSITION_COLUMNS,
    LIST_COLUMNS,
    PREFIX,
    PROJECTION_NAME,
    SCREENING_COLUMNS,
    ScreeningStore,
)
from projections.tracking.base import Finding, PageFold

QUERY_LIMIT_MAX = 1000


def invariant_findings(store: ScreeningStore, _state: object = None) -> list[Finding]:
    """Every screening and disposition belongs to a case of the log, and each
    case's status is one a case can have."""
    findings = []
    known = {row[0] for row in store.rows(f"SELECT case_id FROM {store.table('cases')}")}
    for name in ("screenings", "dispositions"):
        for position, case_id in store.rows(
            f"SELECT position, case_id FROM {store.table(name)} ORDER BY position"
        ):
            if case_id not in known:
                findings.append(
                    Finding("screening_case", int(position), f"{name} row of unknown case {case_id}")
                )
    for case_id, status in store.rows(f"SELECT case_id, status FROM {store.table('cases')}"):
        if status not in CASE_STATUSES:
            findings.append(Finding("case_status", None, f"case {case_id}: status {status!r}"))
    return findings


class ScreeningLog(PageFold[ScreeningStore, ScreeningPage]):
    """Folds the log's screening events into the ``scr_`` tables; answers queries."""

    name = PROJECTION_NAME
    label = "screening log"
    live_prefix = PREFIX
    tables = ("lists", "screenings", "dispositions", "cases", "tracking")

    def __init__(
        self,
        database: Database,
        *,
        prefix: str | None = None,
        catch_up_on_query: bool = True,
        page_size: int = PAGE_SIZE_DEFAULT,
        keys: SubjectKeys | None = None,
    ) -> None:
        super().__init__(
            database, prefix=prefix, page_size=page_size, catch_up_on_query=catch_up_on_query
        )
        self._keys = keys

    def open_store(self, prefix: str) -> ScreeningStore:
        return ScreeningStore(self.database, prefix)

    def ensure_tables(self) -> None:
        """Create the tables if missing, or of an older layout (dropped first:
        the next catch-up folds the log again from the start)."""
        if not self._tables_ready and self.store.tables_exist() and not self.store.layout_current():
            self.store.drop_outdated_tables()
        super().ensure_tables()

    _ensure_tables = ensure_tables

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

    def wanted(self, event: LogEvent) -> bool:
        return is_screening_event(event)

    def load(self, events: list[LogEvent], inputs: Any) -> ScreeningPage:
        case_ids = sorted(
            {event.originator_id for event in events if event.topic.startswith(CASE_TOPIC)}
        )
        cases: dict[str, CaseState | None] = dict.fromkeys(case_ids)
        cases.update((row[0], case_state(row)) for row in self.store.case_rows(case_ids))
        return ScreeningPage(cases)

    def apply(self, state: ScreeningPage, event: LogEvent) -> ScreeningPage:
        return apply_page(state, event)

    def save(self, state: ScreeningPage) -> None:
        self.store.append(state.lists, state.screenings, state.dispositions)
        self.store.replace_cases(
            sorted(state.cases),
            [case_row(case) for case in state.cases.values() if case is not None],
        )

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


def ensure_tables(database: Database) -> None:
    """Create the ``scr_`` tables if missing (for ``backoffice migrate``)."""
    log = ScreeningLog(database, catch_up_on_query=False)
    try:
        log.ensure_tables()
    finally:
        log.close()
