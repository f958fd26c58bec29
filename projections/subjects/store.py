"""Storage of the subjects projection: its own tables and tracked position.

Tables (prefix ``subj_``, next to the log; read models, rewritten freely):

- ``subj_subjects``: ``subject_id`` (key), ``kind``, ``status``
  (active | erased), one nullable text column per personal field (the
  plaintext, or ``[erased]``), ``holds_open`` (holds placed and not lifted),
  ``registered_position``, ``updated_position``, ``erased_position``.
- ``subj_holds``: (``subject_id``, ``hold_id``), ``reason``, ``until``,
  ``placed_by``, ``placed_position``, ``lifted_by``, ``lifted_position``.
- ``subj_tracking``: (``projection_name``, ``position``), kept by
  ``projections.tracking.sql`` (a page's rows and position in one transaction).

SQLite runs with ``secure_delete`` so plaintext overwritten by an erasure is
zeroed in the file, not left in a free page.
"""

from __future__ import annotations

import sqlite3
from contextlib import suppress
from typing import Any

from adapters.database import LOCK_TIMEOUT_S, Database
from domain.subjects.subject import PERSONAL_FIELDS
from projections.tracking.sql import Table, TableStore

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
_NULLABLE_SUBJECT = frozenset(SUBJECT_COLUMNS) - _REQUIRED
_NULLABLE_HOLD = frozenset(HOLD_COLUMNS) - _REQUIRED


SUBJECTS = Table("subjects", SUBJECT_COLUMNS, ("subject_id",), _INTEGER, _NULLABLE_SUBJECT)
HOLDS = Table("holds", HOLD_COLUMNS, ("subject_id", "hold_id"), _INTEGER, _NULLABLE_HOLD)


class SubjectsStore(TableStore):
    """The ``subj_`` tables of one database, over one connection."""

    projection_name = PROJECTION_NAME
    schema = (SUBJECTS, HOLDS)

    def __init__(self, database: Database, prefix: str = PREFIX) -> None:
        super().__init__(database, prefix)

    def on_connect(self, connection: Any) -> None:
        if self.sqlite:
            # Plaintext overwritten by an erasure is zeroed in the file, not left in a free page.
            connection.execute("PRAGMA secure_delete = ON")

    def purge_old_versions(self) -> None:
        """Best effort, after erased plaintext was overwritten: push the old row
        versions out of SQLite's WAL (into pages zeroed by ``secure_delete``) or
        out of PostgreSQL's dead tuples."""
        connection = self.backend.connection()
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

    # --- rows ---------------------------------------------------------------

    def subject_rows(self, subject_ids: list[str]) -> list[tuple[Any, ...]]:
        return self.select_in("subjects", "subject_id", subject_ids)

    def hold_rows(self, subject_ids: list[str]) -> list[tuple[Any, ...]]:
        return self.select_in("holds", "subject_id", subject_ids, order="placed_position")

    def replace(
        self, subject_ids: list[str], subjects: list[tuple[Any, ...]], holds: list[tuple[Any, ...]]
    ) -> None:
        """Inside a write transaction: the rows of these subjects become the given ones."""
        for name in ("holds", "subjects"):
            self.delete_in(name, "subject_id", subject_ids)
        self.insert("subjects", subjects)
        self.insert("holds", holds)

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
