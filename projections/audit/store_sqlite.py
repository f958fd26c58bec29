"""SQLite storage of the audit trail, in the same file as the log.

A page is one ``BEGIN IMMEDIATE`` transaction with one ``executemany``: the
write lock is taken up front, so the tracked position read at its start
cannot move before the commit.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import orjson

from adapters.database import LOCK_TIMEOUT_S, Database
from projections.audit.store import COLUMNS, PREFIX_LIVE, PROJECTION_NAME, AuditStore


class AuditUnavailable(RuntimeError):
    """The audit trail cannot run against this database; the message says why."""


class SQLiteAuditStore(AuditStore):
    """The audit tables in the SQLite file of the log."""

    def __init__(self, database: Database, prefix: str = PREFIX_LIVE) -> None:
        super().__init__(prefix)
        self.database = database
        self._connection: sqlite3.Connection | None = None
        self._depth = 0

    def _connect(self) -> sqlite3.Connection:
        if self._connection is None:
            path = self.database.sqlite_path
            if path == ":memory:" or ("mode=memory" in path and "cache=shared" not in path):
                # A second connection to a private in-memory database sees an empty one.
                raise AuditUnavailable(
                    "the audit trail needs a file (or shared-cache memory) SQLite database, "
                    f"not {self.database.url}"
                )
            self._connection = sqlite3.connect(
                path,
                uri=True,
                isolation_level=None,  # transactions are begun explicitly
                check_same_thread=False,
                timeout=LOCK_TIMEOUT_S * 5,
            )
            # The log's file is in WAL mode (the library sets it). NORMAL sync
            # may lose the last commits on power loss, never corrupts; rows and
            # position commit together, so the trail resumes where it left off.
            self._connection.execute("PRAGMA synchronous = NORMAL")
        return self._connection

    def close(self) -> None:
        if self._connection is not None:
            self._connection.close()
            self._connection = None

    def qualified(self, table_name: str) -> str:
        return table_name

    def tables_exist(self) -> bool:
        row = (
            self._connect()
            .execute(
                "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?",
                (self.table("tracking"),),
            )
            .fetchone()
        )
        return row is not None

    @contextmanager
    def _transaction(self, begin: str) -> Iterator[None]:
        connection = self._connect()
        if self._depth:  # already inside one: join it
            yield
            return
        connection.execute(begin)
        self._depth += 1
        try:
            yield
        except BaseException:
            connection.execute("ROLLBACK")
            raise
        else:
            connection.execute("COMMIT")
        finally:
            self._depth -= 1

    def write_transaction(self) -> Any:
        return self._transaction("BEGIN IMMEDIATE")

    def _rows(self, sql: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
        return self._connect().execute(sql, params).fetchall()

    def _execute(self, sql: str, params: tuple[Any, ...] = ()) -> None:
        self._connect().execute(sql, params)

    def insert_events(self, rows: list[tuple[Any, ...]]) -> None:
        if rows:
            marks = ", ".join("?" * len(COLUMNS))
            # The payload arrives as JSON bytes; TEXT keeps it readable in SQL.
            self._connect().executemany(
                f"INSERT INTO {self.table('events')} VALUES ({marks})",
                [(*row[:-1], row[-1].decode()) for row in rows],
            )

    def _lock_tracking(self) -> int:
        row = (
            self._connect()
            .execute(
                f"SELECT position FROM {self.table('tracking')} WHERE projection_name = ?",
                (PROJECTION_NAME,),
            )
            .fetchone()
        )
        assert row is not None, "create_tables inserts the tracking row"
        return int(row[0])

    def decode_payload(self, value: Any) -> dict[str, Any]:
        payload: dict[str, Any] = orjson.loads(value)
        return payload
