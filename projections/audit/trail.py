"""The audit trail: every event of the log as one queryable row.

A tracked projection (``projections.tracking.base``): ``catch_up`` reads the
log from the tracked position in pages and writes each page's rows with the
new position in one transaction, so the trail is exactly once and resumes
after a crash where its last commit left off. The fold is stateless (a row
depends on its event alone), so after another process moved the position
there is nothing to reload but the position itself.

Queries filter by entity (aggregate id), actor, event type, recorded time and
log position; every bound is inclusive; results come in log order, a page at
a time behind an opaque cursor. Exports stream the same rows as CSV or JSON
lines in keyset pages, in constant memory.
"""

from __future__ import annotations

import base64
import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any, Literal
from uuid import UUID

import orjson

from adapters.database import Database
from adapters.log_reader import LogEvent
from domain.kernel import limits
from domain.kernel.errors import InvalidInput
from projections.audit.store import (
    COLUMNS,
    PREFIX_LIVE,
    PROJECTION_NAME,
    AuditFilter,
    AuditStore,
)
from projections.tracking.base import Finding, PageFold

QUERY_LIMIT_MAX = 1000
QUERY_LIMIT_DEFAULT = 100
EXPORT_PAGE_ROWS = 1000
FINDINGS_SHOWN_MAX = 100
EVENT_TYPE_LENGTH_MAX = 128
BOOKKEEPING_FIELDS = frozenset({"originator_id", "originator_version", "timestamp"})
"""Event fields that are columns of their own, left out of the payload."""
EXPORT_FORMATS = ("csv", "jsonl")

_CURSOR_TAG = "a1:"
_UTC_TEXT_LENGTH = len("2026-01-31T12:00:00.000000+00:00")


@dataclass(frozen=True, slots=True)
class AuditPage:
    """``events``: JSON-ready rows (all columns, payload as a dict), in log order;
    ``next_cursor``: pass it back for the next page, None after the last."""

    events: list[dict[str, Any]]
    next_cursor: str | None


def open_audit_store(database: Database, prefix: str = PREFIX_LIVE) -> AuditStore:
    """The audit store of ``database`` (either backend)."""
    return AuditStore(database, prefix)


def apply(rows: list[tuple[Any, ...]], event: LogEvent) -> list[tuple[Any, ...]]:
    """The page's rows after ``event``: one row per event, from the event alone."""
    rows.append(audit_row(event))
    return rows


def invariant_findings(store: AuditStore, _state: object = None) -> list[Finding]:
    """Every aggregate's rows run from version 1 without a gap (a row missing
    from the trail, or one too many, breaks that)."""
    found = store.rows(
        f"SELECT aggregate_id, COUNT(*), MIN(aggregate_version), MAX(aggregate_version) "
        f"FROM {store.table('events')} GROUP BY aggregate_id "
        "HAVING MIN(aggregate_version) <> 1 OR MAX(aggregate_version) <> COUNT(*)"
    )
    return [
        Finding(
            "audit_versions",
            None,
            f"aggregate {aggregate_id}: {count} rows for versions {low}..{high}",
        )
        for aggregate_id, count, low, high in found[:FINDINGS_SHOWN_MAX]
    ]


class AuditTrail(PageFold[AuditStore, list[tuple[Any, ...]]]):
    """The audit trail of one database: folds the log into rows, answers queries."""

    name = PROJECTION_NAME
    label = "audit trail"
    live_prefix = PREFIX_LIVE
    tables = ("events", "tracking")

    def open_store(self, prefix: str) -> AuditStore:
        return open_audit_store(self.database, prefix)

    def load(self, events: list[LogEvent], inputs: Any) -> list[tuple[Any, ...]]:
        return []  # stateless: a row depends on its event alone

    def apply(self, state: list[tuple[Any, ...]], event: LogEvent) -> list[tuple[Any, ...]]:
        return apply(state, event)

    def save(self, state: list[tuple[Any, ...]]) -> None:
        self.store.insert_events(state)

    # --- queries ----------------------------------------------------------

    def query(
        self,
        *,
        entity_id: str | None = None,
        actor: str | None = None,
        event_type: str | None = None,
        recorded_from: str | datetime | None = None,
        recorded_to: str | datetime | None = None,
        position_from: int | None = None,
        position_to: int | None = None,
        cursor: str | None = None,
        limit: int = QUERY_LIMIT_DEFAULT,
    ) -> AuditPage:
        """One page of matching events in log order (bounds inclusive)."""
        bounds = audit_filter(
            entity_id=entity_id,
            actor=actor,
            event_type=event_type,
            recorded_from=recorded_from,
            recorded_to=recorded_to,
            position_from=position_from,
            position_to=position_to,
        )
        if (
            isinstance(limit, bool)
            or not isinstance(limit, int)
            or not 1 <= limit <= QUERY_LIMIT_MAX
        ):
            raise InvalidInput(f"limit: an integer from 1 to {QUERY_LIMIT_MAX}", field="limit")
        after = 0 if cursor is None else decode_cursor(cursor)
        with self._lock:
            self._fresh()
            rows = self.store.select(bounds, after, limit + 1)
            events = [self._render(row) for row in rows[:limit]]
        next_cursor = encode_cursor(events[-1]["position"]) if len(rows) > limit else None
        return AuditPage(events, next_cursor)

    def export(
        self,
        format: Literal["csv", "jsonl"],
        **filters: Any,
    ) -> Iterator[bytes]:
        """The matching events as CSV (header row; payload a JSON column) or JSON
        lines, one chunk per page of rows. Bounded by the position at the start,
        so a log growing meanwhile does not make it endless."""
        if format not in EXPORT_FORMATS:
            raise InvalidInput(f"format: one of {', '.join(EXPORT_FORMATS)}", field="format")
        unknown = set(filters) - set(AuditFilter.__slots__)
        if unknown:
            raise InvalidInput(f"unknown filters {sorted(unknown)}", field=sorted(unknown)[0])
        bounds = audit_filter(**filters)
        # Checked and caught up now, not at the first next(): errors surface at the call.
        with self._lock:
            self._fresh()
            head = self.store.tracked_position()
        if bounds.position_to is None or bounds.position_to > head:
            bounds = _with_position_to(bounds, head)
        return self._export_pages(format, bounds)

    def _export_pages(self, format: str, bounds: AuditFilter) -> Iterator[bytes]:
        if format == "csv":
            yield _csv_chunk([list(COLUMNS)])
        after = 0
        while True:
            # The lock is held per page, never across a yield: a paused export
            # must not block other requests.
            with self._lock:
                rows = self.store.select(bounds, after, EXPORT_PAGE_ROWS)
                events = [self._render(row) for row in rows]
            if not events:
                return
            if format == "csv":
                yield _csv_chunk([_csv_fields(event) for event in events])
            else:
                yield b"".join(
                    orjson.dumps(event, option=orjson.OPT_SORT_KEYS) + b"\n" for event in events
                )
            if len(rows) < EXPORT_PAGE_ROWS:
                return
            after = events[-1]["position"]

    def history(self, entity_id: str) -> list[dict[str, Any]]:
        """Every event of one entity (aggregate), in version order."""
        canonical = _entity_id(entity_id)
        with self._lock:
            self._fresh()
            return [self._render(row) for row in self.store.entity_rows(canonical)]

    def _render(self, row: tuple[Any, ...]) -> dict[str, Any]:
        event = dict(zip(COLUMNS, row, strict=True))
        event["position"] = int(event["position"])
        event["aggregate_version"] = int(event["aggregate_version"])
        event["payload"] = self.store.decode_payload(event["payload"])
        return event


# --- rows ---------------------------------------------------------------


def audit_row(event: LogEvent) -> tuple[Any, ...]:
    """The row of one stored event (COLUMNS order; payload as JSON bytes)."""
    state = event.state
    qualname = event.topic.partition(":")[2] or event.topic
    names = qualname.split(".")
    if len(names) >= 2:
        aggregate_type = names[-2]
    else:  # an event class defined outside its aggregate
        aggregate_type = str(state.get("originator_topic", "")).rpartition(":")[2] or names[-1]
    payload = {key: value for key, value in state.items() if key not in BOOKKEEPING_FIELDS}
    return (
        event.position,
        recorded_at_text(state["timestamp"]),
        _text_or_none(state.get("effective_date")),
        aggregate_type,
        event.originator_id,
        event.originator_version,
        names[-1],
        _text_or_none(state.get("actor")),
        _text_or_none(state.get("correlation_id")),
        # The stored state is already key-sorted (the transcoder sorts).
        orjson.dumps(payload),
    )


def recorded_at_text(timestamp: str) -> str:
    """The event's timestamp as fixed-width ISO 8601 UTC text (text order = time order).

    The library's timestamps are UTC with microseconds, already in this form
    (orjson drops the microseconds when they are zero, hence the fallback).
    """
    if len(timestamp) == _UTC_TEXT_LENGTH and timestamp.endswith("+00:00"):
        return timestamp
    return _utc_text(datetime.fromisoformat(timestamp))


def _utc_text(moment: datetime) -> str:
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).isoformat(timespec="microseconds")


def _text_or_none(value: Any) -> str | None:
    return value if isinstance(value, str) else None


# --- filters and cursors ------------------------------------------------


def audit_filter(
    *,
    entity_id: Any = None,
    actor: Any = None,
    event_type: Any = None,
    recorded_from: Any = None,
    recorded_to: Any = None,
    position_from: Any = None,
    position_to: Any = None,
) -> AuditFilter:
    """Checked query bounds; InvalidInput names the field at fault."""
    return AuditFilter(
        entity_id=None if entity_id is None else _entity_id(entity_id),
        actor=None
        if actor is None
        else limits.bounded_text(actor, "actor", limits.ACTOR_LENGTH_MAX),
        event_type=None
        if event_type is None
        else limits.bounded_text(event_type, "event_type", EVENT_TYPE_LENGTH_MAX),
        recorded_from=_moment(recorded_from, "recorded_from"),
        recorded_to=_moment(recorded_to, "recorded_to"),
        position_from=_position(position_from, "position_from"),
        position_to=_position(position_to, "position_to"),
    )


def _entity_id(value: Any) -> str:
    try:
        return str(UUID(str(value)))
    except ValueError:
        raise InvalidInput(
            f"entity_id: {str(value)[:64]!r} is not a UUID", field="entity_id"
        ) from None


def _moment(value: Any, field: str) -> str | None:
    """An ISO 8601 date or date-time (no offset means UTC) as the stored text."""
    if value is None:
        return None
    if isinstance(value, datetime):
        return _utc_text(value)
    if isinstance(value, date):
        return _utc_text(datetime(value.year, value.month, value.day))
    if not isinstance(value, str) or len(value) > 64:
        raise InvalidInput(
            f"{field}: an ISO 8601 date-time, e.g. 2026-03-10T12:00:00Z", field=field
        )
    try:
        return _utc_text(datetime.fromisoformat(value))
    except ValueError:
        raise InvalidInput(
            f"{field}: {value!r} is not an ISO 8601 date-time (e.g. 2026-03-10T12:00:00Z)",
            field=field,
        ) from None


def _position(value: Any, field: str) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise InvalidInput(f"{field}: a log position, an integer >= 0", field=field)
    return int(value)


def _with_position_to(bounds: AuditFilter, position_to: int) -> AuditFilter:
    return AuditFilter(
        bounds.entity_id,
        bounds.actor,
        bounds.event_type,
        bounds.recorded_from,
        bounds.recorded_to,
        bounds.position_from,
        position_to,
    )


def encode_cursor(position: int) -> str:
    """An opaque cursor: the last position returned."""
    return base64.urlsafe_b64encode(f"{_CURSOR_TAG}{position}".encode()).decode().rstrip("=")


def decode_cursor(cursor: Any) -> int:
    refused = InvalidInput("cursor: not a cursor this service returned", field="cursor")
    if not isinstance(cursor, str) or not 0 < len(cursor) <= 64:
        raise refused
    try:
        text = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
    except ValueError:
        raise refused from None
    digits = text.removeprefix(_CURSOR_TAG)
    if not text.startswith(_CURSOR_TAG) or not digits.isdigit() or not digits.isascii():
        raise refused
    return int(digits)


# --- export formats -----------------------------------------------------


def _csv_fields(event: dict[str, Any]) -> list[Any]:
    fields = [event[column] for column in COLUMNS]
    fields[-1] = orjson.dumps(event["payload"], option=orjson.OPT_SORT_KEYS).decode()
    return fields


def _csv_chunk(rows: list[list[Any]]) -> bytes:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\r\n").writerows(rows)
    return buffer.getvalue().encode()


# Re-exported: the timeline pairs rows with the aggregate's state.
from projections.audit.timeline import entity_timeline  # noqa: E402

__all__ = [
    "AuditPage",
    "AuditTrail",
    "audit_filter",
    "decode_cursor",
    "encode_cursor",
    "entity_timeline",
]
