"""Storage of the subjects projection: its own tables and tracked position.

Tables (prefix ``subj_``, next to the log; read models, rewritten freely):

- ``subj_subjects``: ``subject_id`` (key), ``kind``, ``status``
  (active | erased), one nullable text column per personal field (the
  plaintext, or ``[erased]``), ``holds_open`` (holds placed and not lifted),
  ``registered_position``, ``updated_position``, ``erased_position``.
- ``subj_holds``: (``subject_id``, ``hold_id``), ``reason``, ``until``,
  ``placed_by``, ``placed_position``, ``lifted_by``, ``lifted_position``.
- ``subj_tracking``: (``projection_name``, ``position``).

A page's rows and the new position commit in one transaction; the tracking
row is read (SQLite: under ``BEGIN IMMEDIATE``; PostgreSQL: ``FOR UPDATE``)
first, and a writer that finds it moved rolls back (``SubjectsMoved``).
SQLite runs with ``secure_delete`` so plaintext overwritten by an erasure is
zeroed in the file, not left in a free page.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from typing import Any

from adapters.database import LOCK_TIMEOUT_S, Database, postgres_connect_kwargs
from domain.subjects.subject import PERSONAL_FIELDS

PREFIX = "subj_"
PROJECTION_NAME = "subjects"
SUBJECT_COLUMNS = (
    "subject_id",
    "kind",
    "status",
    *PERSONAL_FIELDS,
    "holds_open",
    "registered_position",
    "updated_position",
    "erased_position",
)
HOLD_COLUMNS = (
    "subject_id",
    "hold_id",
    "reason",
    "until",
    "placed_by",
    "placed_position",
    "lifted_by",
    "lifted_position",
)
_INTEGER = frozenset(
    {
        "holds_open",
        "registered_position",
        "updated_position",
        "erased_position",
        "placed_position",
        "lifted_position",
    }
)
_REQUIRED = frozenset(
    {
        "subject_id",
        "kind",
        "status",
        "holds_open",
        "registered_position",
        "updated_position",
        "hold_id",
        "reason",
        "placed_by",
        "placed_position",
    }
)


class SubjectsMoved(RuntimeError):
    """Another writer advanced the subjects projection since this one read its position."""


class SubjectsStore:
    """The ``subj_`` tables of one database, over one connection."""

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
            connection.execute("PRAGMA secure_delete = ON")
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

    def purge_old_versions(self) -> None:
        """Best effort, after erased plaintext was overwritten: push the old row
        versions out of SQLite's WAL (into pages zeroed by ``secure_delete``) or
        out of PostgreSQL's dead tuples."""
        connection = self._connect()
        if self.sqlite:
            connection.execute("PRAGMA busy_timeout = 200")
            try:
                connection.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchall()
            except sqlite3.Error:
                pass
            finally:
                connection.execute(f"PRAGMA busy_timeout = {LOCK_TIMEOUT_S * 5 * 1000}")
            return
        import psycopg

        for name in ("subjects", "holds"):
            with suppress(psycopg.Error):
                connection.execute(f"VACUUM {self.table(name)}")

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

    def create_tables(self) -> None:
        integer = "INTEGER" if self.sqlite else "bigint"
        # Byte order on PostgreSQL: pages in the same order as on SQLite, whatever the locale.
        text = "TEXT" if self.sqlite else 'text COLLATE "C"'
        with self.transaction():
            if not self.sqlite:
                self.execute(
                    "SELECT pg_advisory_xact_lock(hashtext(?))",
                    (f"{self.database.schema}.{PREFIX}",),
                )
            for name, columns, key in (
                ("subjects", SUBJECT_COLUMNS, "subject_id"),
                ("holds", HOLD_COLUMNS, "subject_id, hold_id"),
            ):
                declared = ", ".join(
                    f"{column} {integer if column in _INTEGER else text}"
                    f"{' NOT NULL' if column in _REQUIRED else ''}"
                    for column in columns
                )
                self.execute(
                    f"CREATE TABLE IF NOT EXISTS {self.table(name)} ({declared}, PRIMARY KEY ({key}))"
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
            self.execute(f"DELETE FROM {self.table('holds')}")
            self.execute(f"DELETE FROM {self.table('subjects')}")
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
        """Inside a write transaction: SubjectsMoved unless the position is ``from_position``."""
        lock = "" if self.sqlite else " FOR UPDATE"
        found = self.rows(
            f"SELECT position FROM {self.table('tracking')} WHERE projection_name = ?{lock}",
            (PROJECTION_NAME,),
        )
        assert found, "create_tables inserts the tracking row"
        if int(found[0][0]) != from_position:
            raise SubjectsMoved(f"subj_tracking is at {found[0][0]}, expected {from_position}")

    def move_tracking(self, to_position: int) -> None:
        self.execute(
            f"UPDATE {self.table('tracking')} SET position = ? WHERE projection_name = ?",
            (to_position, PROJECTION_NAME),
        )

    # --- rows ---------------------------------------------------------------

    def subject_rows(self, subject_ids: list[str]) -> list[tuple[Any, ...]]:
        if not subject_ids:
            return []
        marks = ", ".join("?" * len(subject_ids))
        return self.rows(
            f"SELECT {', '.join(SUBJECT_COLUMNS)} FROM {self.table('subjects')} "
            f"WHERE subject_id IN ({marks})",
            tuple(subject_ids),
        )

    def hold_rows(self, subject_ids: list[str]) -> list[tuple[Any, ...]]:
        if not subject_ids:
            return []
        marks = ", ".join("?" * len(subject_ids))
        return self.rows(
            f"SELECT {', '.join(HOLD_COLUMNS)} FROM {self.table('holds')} "
            f"WHERE subject_id IN ({marks}) ORDER BY placed_position",
            tuple(subject_ids),
        )

    def replace(
        self, subject_ids: list[str], subjects: list[tuple[Any, ...]], holds: list[tuple[Any, ...]]
    ) -> None:
        """Inside a write transaction: the rows of these subjects become the given ones."""
        if not subject_ids:
            return
        marks = ", ".join("?" * len(subject_ids))
        for name in ("holds", "subjects"):
            self.execute(
                f"DELETE FROM {self.table(name)} WHERE subject_id IN ({marks})", tuple(subject_ids)
            )
        connection = self._connect()
        for name, columns, rows in (
            ("subjects", SUBJECT_COLUMNS, subjects),
            ("holds", HOLD_COLUMNS, holds),
        ):
            if rows:
                values = ", ".join("?" * len(columns))
                statement = self._sql(f"INSERT INTO {self.table(name)} VALUES ({values})")
                if self.sqlite:
                    connection.executemany(statement, rows)
                else:
                    with connection.cursor() as cursor:
                        cursor.executemany(statement, rows)

    def select_subjects(
        self, kind: str | None, status: str | None, after: str, limit: int
    ) -> list[tuple[Any, ...]]:
        clauses, params = ["subject_id > ?"], [after]
        for column, value in (("kind", kind), ("status", status)):
            if value is not None:
                clauses.append(f"{column} = ?")
                params.append(value)
        return self.rows(
            f"SELECT {', '.join(SUBJECT_COLUMNS)} FROM {self.table('subjects')} "
            f"WHERE {' AND '.join(clauses)} ORDER BY subject_id LIMIT ?",
            (*params, limit),
        )
