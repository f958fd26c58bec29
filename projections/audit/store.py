"""Storage of the audit trail: one row per event, and a tracked position.

Tables (prefix ``audit_``, next to the log in the same SQLite file or
PostgreSQL schema):

- ``audit_events``: ``position`` (the log position, the key), ``recorded_at``
  (ISO 8601 UTC text of one fixed width, so text order is time order),
  ``effective_date`` (nullable), ``aggregate_type``, ``aggregate_id``,
  ``aggregate_version``, ``event_type``, ``actor`` and ``correlation_id``
  (nullable), ``payload`` (the event's fields as key-sorted JSON). Indexed
  for the filters a query takes: aggregate id, actor, event type (each with
  the position, so a keyset page walks one index range), recorded time.
- ``audit_tracking``: (``projection_name``, ``position``), kept by
  ``projections.tracking.sql``.

On PostgreSQL rows go in with binary COPY and the payload is ``json``: the
key-sorted text the fold already made goes in as it is (no second
serialisation), reads back in the same key order as on SQLite, and
``payload ->> 'field'`` works in SQL. ``jsonb`` was measured 30-50% slower to
write (it parses and rebuilds every document) and reorders keys.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import orjson

from adapters.database import Database
from projections.tracking.sql import Table, TableStore

PREFIX_LIVE = "audit_"
PROJECTION_NAME = "audit"
COLUMNS = (
    "position",
    "recorded_at",
    "effective_date",
    "aggregate_type",
    "aggregate_id",
    "aggregate_version",
    "event_type",
    "actor",
    "correlation_id",
    "payload",
)
INTEGER_COLUMNS = frozenset({"position", "aggregate_version"})
EVENTS = Table(
    "events",
    COLUMNS,
    ("position",),
    integer=INTEGER_COLUMNS,
    nullable=frozenset({"effective_date", "actor", "correlation_id"}),
    # Every filter pages in position order.
    indexes={
        "events_aggregate": ("aggregate_id", "position"),
        "events_actor": ("actor", "position"),
        "events_type": ("event_type", "position"),
        "events_recorded": ("recorded_at", "position"),
    },
    types={"payload": ("TEXT", "json")},
)


@dataclass(frozen=True, slots=True)
class AuditFilter:
    """Checked query bounds; every bound is inclusive, None means unbounded."""

    entity_id: str | None = None
    actor: str | None = None
    event_type: str | None = None
    recorded_from: str | None = None
    recorded_to: str | None = None
    position_from: int | None = None
    position_to: int | None = None


class AuditStore(TableStore):
    """The audit tables of one database, over one connection."""

    projection_name = PROJECTION_NAME
    schema = (EVENTS,)

    def __init__(self, database: Database, prefix: str = PREFIX_LIVE) -> None:
        super().__init__(database, prefix)

    def on_connect(self, connection: Any) -> None:
        if self.sqlite:
            return
        from psycopg.types.json import set_json_loads

        set_json_loads(orjson.loads, connection)
        json_oid = connection.adapters.types["json"].oid
        dumper = type("JsonFromBytes", (_json_from_bytes(),), {"oid": json_oid})
        connection.adapters.register_dumper(_JsonBytes, dumper)

    def insert_events(self, rows: list[tuple[Any, ...]]) -> None:
        """Append rows (COLUMNS order; payload as JSON bytes) in the open transaction."""
        if not rows:
            return
        if self.sqlite:
            # TEXT keeps the payload readable in SQL.
            self.insert("events", [(*row[:-1], row[-1].decode()) for row in rows])
            return
        types = ["int8" if column in INTEGER_COLUMNS else "text" for column in COLUMNS]
        types[-1] = "json"  # the payload: JSON bytes through the bytes dumper
        with (
            self.backend.connection().cursor() as cursor,
            cursor.copy(
                f"COPY {self.table('events')} ({', '.join(COLUMNS)}) FROM STDIN (FORMAT BINARY)"
            ) as copy,
        ):
            copy.set_types(types)
            write_row = copy.write_row
            for row in rows:
                write_row(row)

    def decode_payload(self, value: Any) -> dict[str, Any]:
        """The payload column as read back, as a dict (PostgreSQL decodes json itself)."""
        if isinstance(value, dict):
            return value
        payload: dict[str, Any] = orjson.loads(value)
        return payload

    # --- reading ----------------------------------------------------------

    def select(self, bounds: AuditFilter, after: int, limit: int) -> list[tuple[Any, ...]]:
        """Up to ``limit`` rows matching ``bounds`` with position > ``after``, in position order."""
        clauses = ["position > ?"]
        params: list[Any] = [after]
        for column, operator, value in (
            ("aggregate_id", "=", bounds.entity_id),
            ("actor", "=", bounds.actor),
            ("event_type", "=", bounds.event_type),
            ("recorded_at", ">=", bounds.recorded_from),
            ("recorded_at", "<=", bounds.recorded_to),
            ("position", ">=", bounds.position_from),
            ("position", "<=", bounds.position_to),
        ):
            if value is not None:
                clauses.append(f"{column} {operator} ?")
                params.append(value)
        params.append(limit)
        return self.rows(
            f"SELECT {', '.join(COLUMNS)} FROM {self.table('events')} "
            f"WHERE {' AND '.join(clauses)} ORDER BY position LIMIT ?",
            tuple(params),
        )

    def entity_rows(self, entity_id: str) -> list[tuple[Any, ...]]:
        """Every row of one aggregate, in version order."""
        return self.rows(
            f"SELECT {', '.join(COLUMNS)} FROM {self.table('events')} "
            "WHERE aggregate_id = ? ORDER BY aggregate_version",
            (entity_id,),
        )


class _JsonBytes:
    """Marker type: registering its dumper makes it the connection's json dumper."""


def _json_from_bytes() -> type:
    """A psycopg dumper of ready JSON bytes as binary json (its binary format is its text)."""
    from psycopg.adapt import Dumper
    from psycopg.pq import Format

    class JsonFromBytes(Dumper):
        format = Format.BINARY

        def dump(self, obj: Any) -> bytes:
            assert isinstance(obj, bytes)
            return obj

    return JsonFromBytes
