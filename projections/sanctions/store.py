"""Storage of the screening log: its own tables and tracked position.

Tables (prefix ``scr_``, next to the log; read models, rewritten freely):

- ``scr_lists``: each list version loaded: ``list_version`` (key), ``source``,
  ``entry_count``, ``alias_count``, ``loaded_at``, ``loaded_by``, ``position``.
- ``scr_screenings``: each screening performed, one row per event:
  ``position`` (key), ``case_id``, ``case_version``, ``recorded_at``,
  ``item_kind``, ``item_id``, ``subject_id``, ``party_name``,
  ``sealed_name``, ``list_version``, ``threshold``, ``result``,
  ``match_count``, ``matches`` (JSON text), ``actor``, ``correlation_id``.
- ``scr_dispositions``: each decision or supersession: ``position`` (key),
  ``case_id``, ``disposition`` (cleared | rejected | superseded), ``reason``
  (the successor case for a supersession), ``actor``, ``recorded_at``,
  ``correlation_id``.
- ``scr_cases``: each case as it stands: ``case_id`` (key), item, name, list
  version, latest ``result``, ``status`` (clear | pending | cleared |
  rejected | superseded), who screened and decided, when, and positions.
- ``scr_tracking``: (``projection_name``, ``position``).

A data subject's name is never here in the clear: ``subject_id`` and
``sealed_name`` (the envelope as JSON text) with ``party_name`` empty; the
reader opens it with the subject's key (``projections.sanctions.screening_log``). An ad
hoc screening has ``subject_id`` and ``sealed_name`` empty and
``party_name`` in the clear. Tables of the layout before these columns are
dropped and folded again from the log (``layout_current``).

Times are fixed-width ISO 8601 UTC text, so text order is time order. A
page's rows and the new position commit in one transaction; the tracking row
is read first (SQLite: under ``BEGIN IMMEDIATE``; PostgreSQL: ``FOR
UPDATE``), and a writer that finds it moved rolls back (``ScreeningMoved``).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from adapters.database import LOCK_TIMEOUT_S, Database, postgres_connect_kwargs

PREFIX = "scr_"
PROJECTION_NAME = "screening"
LIST_COLUMNS = (
    "list_version",
    "source",
    "entry_count",
    "alias_count",
    "loaded_at",
    "loaded_by",
    "position",
)
SCREENING_COLUMNS = (
    "position",
    "case_id",
    "case_version",
    "recorded_at",
    "item_kind",
    "item_id",
    "subject_id",
    "party_name",
    "sealed_name",
    "list_version",
    "threshold",
    "result",
    "match_count",
    "matches",
    "actor",
    "correlation_id",
)
DISPOSITION_COLUMNS = (
    "position",
    "case_id",
    "disposition",
    "reason",
    "actor",
    "recorded_at",
    "correlation_id",
)
CASE_COLUMNS = (
    "case_id",
    "item_kind",
    "item_id",
    "subject_id",
    "party_name",
    "sealed_name",
    "list_version",
    "result",
    "status",
    "match_count",
    "screened_by",
    "screened_at",
    "screened_position",
    "decided_by",
    "decided_at",
    "decision_reason",
    "decided_position",
    "superseded_by",
    "updated_position",
)
TABLES: dict[str, tuple[tuple[str, ...], str]] = {
    "lists": (LIST_COLUMNS, "list_version"),
    "screenings": (SCREENING_COLUMNS, "position"),
    "dispositions": (DISPOSITION_COLUMNS, "position"),
    "cases": (CASE_COLUMNS, "case_id"),
}
INDEXES: dict[str, tuple[str, tuple[str, ...]]] = {
    "screenings_case": ("screenings", ("case_id", "position")),
    "screenings_item": ("screenings", ("item_kind", "item_id", "position")),
    "screenings_recorded": ("screenings", ("recorded_at", "position")),
    "cases_status": ("cases", ("status", "screened_position")),
    "cases_item": ("cases", ("item_kind", "item_id", "screened_position")),
    "dispositions_case": ("dispositions", ("case_id", "position")),
}
_INTEGER = frozenset(
    {
        "entry_count",
        "alias_count",
        "position",
        "case_version",
        "threshold",
        "match_count",
        "screened_position",
        "decided_position",
        "updated_position",
    }
)
_NULLABLE = frozenset(
    {"decided_by", "decided_at", "decision_reason", "decided_position", "superseded_by"}
)


class ScreeningMoved(RuntimeError):
    """Another writer advanced the screening log since this one read its position."""


class ScreeningStore:
    """The ``scr_`` tables of one database, over one connection."""

    def __init__(self, database: Database) -> None:
        self.database = database
        self.sqlite = database.backend == "sqlite"
        self._connection: Any = None
        self._depth = 0

    def _connect(self) -> Any:
        if self._connection is not None:
            return self._connection
        connection: Any
        if self.sqlite:
            connection = sqlite3.connect(
                self.database.sqlite_path,
                uri=True,
                isolation_level=None,
                check_same_thread=False,
                timeout=LOCK_TIMEOUT_S * 5,
            )
        else:
            import psycopg

            connection = psycopg.connect(
                **postgres_connect_kwargs(self.database),  # type: ignore[arg-type]
                autocommit=True,
            )
            connection.execute(f"SET lock_timeout = '{LOCK_TIMEOUT_S * 5}s'")
        self._connection = connection
        return connection

    def close(self) -> None:
        if self._connection is not None:
            self._connection.close()
            self._connection = None

    def table(self, name: str) -> str:
        if self.sqlite:
            return f"{PREFIX}{name}"
        return f'"{self.database.schema}".{PREFIX}{name}'

    def _sql(self, text: str) -> str:
        return text if self.sqlite else text.replace("?", "%s")

    def rows(self, sql: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
        return list(self._connect().execute(self._sql(sql), params).fetchall())

    def execute(self, sql: str, params: tuple[Any, ...] = ()) -> None:
        self._connect().execute(self._sql(sql), params)

    def _insert(self, name: str, rows: list[tuple[Any, ...]]) -> None:
        if not rows:
            return
        columns = TABLES[name][0]
        statement = self._sql(
            f"INSERT INTO {self.table(name)} ({', '.join(columns)}) "
            f"VALUES ({', '.join('?' * len(columns))})"
        )
        connection = self._connect()
        if self.sqlite:
            connection.executemany(statement, rows)
        else:
            with connection.cursor() as cursor:
                cursor.executemany(statement, rows)

    @contextmanager
    def transaction(self) -> Iterator[None]:
        if self._depth:
            yield
            return
        connection = self._connect()
        self._depth += 1
        try:
            if self.sqlite:
                connection.execute("BEGIN IMMEDIATE")
                try:
                    yield
                except BaseException:
                    connection.execute("ROLLBACK")
                    raise
                connection.execute("COMMIT")
            else:
                with connection.transaction():
                    yield
        finally:
            self._depth -= 1

    # --- tables -------------------------------------------------------------

    def tables_exist(self) -> bool:
        if self.sqlite:
            found = self.rows(
                "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?",
                (f"{PREFIX}tracking",),
            )
            return bool(found)
        found = self.rows("SELECT to_regclass(?)", (self.table("tracking"),))
        return bool(found) and found[0][0] is not None

    def layout_current(self) -> bool:
        """Whether the existing tables have every column this module writes."""
        for name, (columns, _key) in TABLES.items():
            if self.sqlite:
                found = {row[1] for row in self.rows(f"PRAGMA table_info({self.table(name)})")}
            else:
                found = {
                    row[0]
                    for row in self.rows(
                        "SELECT column_name FROM information_schema.columns "
                        "WHERE table_schema = ? AND table_name = ?",
                        (self.database.schema, f"{PREFIX}{name}"),
                    )
                }
            if not set(columns) <= found:
                return False
        return True

    def drop_outdated_tables(self) -> bool:
        """Drop the read model if its layout is older than this module's (it is
        folded again from the log); True if it was dropped."""
        with self.transaction():
            self._lock_layout()
            if self.layout_current():  # another process upgraded it meanwhile
                return False
            for name in (*TABLES, "tracking"):
                self.execute(f"DROP TABLE IF EXISTS {self.table(name)}")
            return True

    def _lock_layout(self) -> None:
        if not self.sqlite:  # SQLite: BEGIN IMMEDIATE already serialises
            self.execute(
                "SELECT pg_advisory_xact_lock(hashtext(?))",
                (f"{self.database.schema}.{PREFIX}",),
            )

    def create_tables(self) -> None:
        integer = "INTEGER" if self.sqlite else "bigint"
        text = "TEXT" if self.sqlite else 'text COLLATE "C"'
        with self.transaction():
            self._lock_layout()
            for name, (columns, key) in TABLES.items():
                declared = ", ".join(
                    f"{column} {integer if column in _INTEGER else text}"
                    f"{'' if column in _NULLABLE else ' NOT NULL'}"
                    for column in columns
                )
                self.execute(
                    f"CREATE TABLE IF NOT EXISTS {self.table(name)} ({declared}, PRIMARY KEY ({key}))"
                )
            for suffix, (name, columns) in INDEXES.items():
                self.execute(
                    f"CREATE INDEX IF NOT EXISTS {PREFIX}{suffix} "
                    f"ON {self.table(name)} ({', '.join(columns)})"
                )
            self.execute(
                f"CREATE TABLE IF NOT EXISTS {self.table('tracking')} "
                f"(projection_name {text} PRIMARY KEY, position {integer} NOT NULL)"
            )
            self.execute(
                f"INSERT INTO {self.table('tracking')} VALUES (?, 0) ON CONFLICT DO NOTHING",
                (PROJECTION_NAME,),
            )

    def reset(self) -> None:
        """Empty the read model and move its position back to 0 (for a rebuild)."""
        with self.transaction():
            for name in TABLES:
                self.execute(f"DELETE FROM {self.table(name)}")
            self.execute(
                f"UPDATE {self.table('tracking')} SET position = 0 WHERE projection_name = ?",
                (PROJECTION_NAME,),
            )

    # --- tracking -----------------------------------------------------------

    def tracked_position(self) -> int:
        found = self.rows(
            f"SELECT position FROM {self.table('tracking')} WHERE projection_name = ?",
            (PROJECTION_NAME,),
        )
        return int(found[0][0]) if found else 0

    def lock_tracking(self, from_position: int) -> None:
        """Inside a write transaction: ScreeningMoved unless the position is ``from_position``."""
        lock = "" if self.sqlite else " FOR UPDATE"
        found = self.rows(
            f"SELECT position FROM {self.table('tracking')} WHERE projection_name = ?{lock}",
            (PROJECTION_NAME,),
        )
        assert found, "create_tables inserts the tracking row"
        if int(found[0][0]) != from_position:
            raise ScreeningMoved(f"scr_tracking is at {found[0][0]}, expected {from_position}")

    def move_tracking(self, to_position: int) -> None:
        self.execute(
            f"UPDATE {self.table('tracking')} SET position = ? WHERE projection_name = ?",
            (to_position, PROJECTION_NAME),
        )

    # --- writing (inside a transaction) ---------------------------------------

    def append(
        self,
        lists: list[tuple[Any, ...]],
        screenings: list[tuple[Any, ...]],
        dispositions: list[tuple[Any, ...]],
    ) -> None:
        self._insert("lists", lists)
        self._insert("screenings", screenings)
        self._insert("dispositions", dispositions)

    def replace_cases(self, case_ids: list[str], cases: list[tuple[Any, ...]]) -> None:
        if not case_ids:
            return
        marks = ", ".join("?" * len(case_ids))
        self.execute(
            f"DELETE FROM {self.table('cases')} WHERE case_id IN ({marks})", tuple(case_ids)
        )
        self._insert("cases", cases)

    # --- reading --------------------------------------------------------------

    def case_rows(self, case_ids: list[str]) -> list[tuple[Any, ...]]:
        if not case_ids:
            return []
        marks = ", ".join("?" * len(case_ids))
        return self.rows(
            f"SELECT {', '.join(CASE_COLUMNS)} FROM {self.table('cases')} "
            f"WHERE case_id IN ({marks})",
            tuple(case_ids),
        )

    def select(
        self,
        name: str,
        filters: list[tuple[str, str, Any]],
        order_column: str,
        after: int,
        limit: int,
    ) -> list[tuple[Any, ...]]:
        """Rows of table ``name`` matching every (column, operator, value) with
        ``order_column`` > ``after``, in that column's order."""
        columns = TABLES[name][0]
        clauses = [f"{order_column} > ?"]
        params: list[Any] = [after]
        for column, operator, value in filters:
            assert column in columns and operator in ("=", ">=", "<=")
            clauses.append(f"{column} {operator} ?")
            params.append(value)
        return self.rows(
            f"SELECT {', '.join(columns)} FROM {self.table(name)} "
            f"WHERE {' AND '.join(clauses)} ORDER BY {order_column} LIMIT ?",
            (*params, limit),
        )
