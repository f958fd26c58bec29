"""Storage of the audit trail: one row per event, and a tracked position.

Tables (prefix ``audit_``, next to the log in the same SQLite file or
PostgreSQL schema):

- ``audit_events``: ``position`` (the log position, the key), ``recorded_at``
  (ISO 8601 UTC text of one fixed width, so text order is time order),
  ``effective_date`` (nullable), ``aggregate_type``, ``aggregate_id``,
  ``aggregate_version``, ``event_type``, ``actor`` and ``correlation_id``
  (nullable), ``payload`` (the event's fields as key-sorted JSON: json
  on PostgreSQL, text on SQLite). Indexed for the filters a query takes: aggregate id,
  actor, event type (each with the position, so a keyset page walks one
  index range), recorded time.
- ``audit_tracking``: (``projection_name``, ``position``).

The balances store's tracking semantics, in a table of our own: a page's
rows and the new position commit in one transaction, and a writer that finds
the position moved under it (another process folded the same events first)
rolls back and reloads instead of writing a row twice.

Subclasses supply the connection, the bulk insert and the DDL types.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import Any

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
NULLABLE_COLUMNS = frozenset({"effective_date", "actor", "correlation_id"})
# name suffix -> indexed columns; every filter pages in position order.
INDEXES: dict[str, tuple[str, ...]] = {
    "aggregate": ("aggregate_id", "position"),
    "actor": ("actor", "position"),
    "type": ("event_type", "position"),
    "recorded": ("recorded_at", "position"),
}


class AuditMoved(RuntimeError):
    """Another writer advanced the audit trail since this one read its position."""


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


class AuditStore(ABC):
    """The audit tables of one database, over one connection."""

    integer_type = "INTEGER"
    text_type = "TEXT"
    payload_type = "TEXT"

    def __init__(self, prefix: str = PREFIX_LIVE) -> None:
        self.prefix = prefix

    # --- backend hooks ----------------------------------------------------

    @abstractmethod
    def qualified(self, table_name: str) -> str:
        """``table_name`` as SQL names it (with the schema on PostgreSQL)."""

    @abstractmethod
    def tables_exist(self) -> bool: ...

    @abstractmethod
    def write_transaction(self) -> AbstractContextManager[None]:
        """One transaction; rows and the tracked position commit together."""

    @abstractmethod
    def _rows(self, sql: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
        """Run a query written with ``?`` placeholders; return all rows."""

    @abstractmethod
    def _execute(self, sql: str, params: tuple[Any, ...] = ()) -> None: ...

    @abstractmethod
    def insert_events(self, rows: list[tuple[Any, ...]]) -> None:
        """Append rows (COLUMNS order; payload as JSON bytes) in the open transaction."""

    @abstractmethod
    def _lock_tracking(self) -> int:
        """Inside a write transaction: lock and return the tracked position."""

    @abstractmethod
    def decode_payload(self, value: Any) -> dict[str, Any]:
        """The payload column as read back, as a dict."""

    @abstractmethod
    def close(self) -> None: ...

    def _serialise_ddl(self) -> None:  # noqa: B027 - SQLite's BEGIN IMMEDIATE serialises already
        """Inside a write transaction: wait for other processes creating these tables."""

    def table(self, name: str) -> str:
        return self.qualified(f"{self.prefix}{name}")

    # --- tables -----------------------------------------------------------

    def create_tables(self) -> None:
        with self.write_transaction():
            self._serialise_ddl()
            columns = ", ".join(
                f"{column} {self._column_type(column)}"
                f"{'' if column in NULLABLE_COLUMNS else ' NOT NULL'}"
                for column in COLUMNS
            )
            self._execute(
                f"CREATE TABLE IF NOT EXISTS {self.table('events')} "
                f"({columns}, PRIMARY KEY (position))"
            )
            for suffix, indexed in INDEXES.items():
                self._execute(
                    f"CREATE INDEX IF NOT EXISTS {self.prefix}events_{suffix} "
                    f"ON {self.table('events')} ({', '.join(indexed)})"
                )
            self._execute(
                f"CREATE TABLE IF NOT EXISTS {self.table('tracking')} "
                f"(projection_name {self.text_type} PRIMARY KEY, "
                f"position {self.integer_type} NOT NULL)"
            )
            self._execute(
                f"INSERT INTO {self.table('tracking')} VALUES (?, 0) ON CONFLICT DO NOTHING",
                (PROJECTION_NAME,),
            )

    def drop_tables(self) -> None:
        with self.write_transaction():
            for name in ("events", "tracking"):
                self._execute(f"DROP TABLE IF EXISTS {self.table(name)}")

    def _column_type(self, column: str) -> str:
        if column == "payload":
            return self.payload_type
        return self.integer_type if column in INTEGER_COLUMNS else self.text_type

    # --- writing ----------------------------------------------------------

    def write_page(self, rows: list[tuple[Any, ...]], from_position: int, to_position: int) -> None:
        """Append ``rows`` and move the tracked position from ``from_position``
        to ``to_position``, in one transaction; AuditMoved if it is elsewhere."""
        assert to_position >= from_position
        with self.write_transaction():
            tracked = self._lock_tracking()
            if tracked != from_position:
                raise AuditMoved(
                    f"{self.prefix}tracking is at {tracked}, this page starts at {from_position}"
                )
            self.insert_events(rows)
            self._execute(
                f"UPDATE {self.table('tracking')} SET position = ? WHERE projection_name = ?",
                (to_position, PROJECTION_NAME),
            )

    # --- reading ----------------------------------------------------------

    def tracked_position(self) -> int:
        rows = self._rows(
            f"SELECT position FROM {self.table('tracking')} WHERE projection_name = ?",
            (PROJECTION_NAME,),
        )
        return int(rows[0][0]) if rows else 0

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
        return self._rows(
            f"SELECT {', '.join(COLUMNS)} FROM {self.table('events')} "
            f"WHERE {' AND '.join(clauses)} ORDER BY position LIMIT ?",
            tuple(params),
        )

    def entity_rows(self, entity_id: str) -> list[tuple[Any, ...]]:
        """Every row of one aggregate, in version order."""
        return self._rows(
            f"SELECT {', '.join(COLUMNS)} FROM {self.table('events')} "
            "WHERE aggregate_id = ? ORDER BY aggregate_version",
            (entity_id,),
        )
