"""SQLite storage of the balances projection, in the same file as the log.

A batch is one ``BEGIN IMMEDIATE`` transaction of ``executemany`` calls: the
write lock is taken up front, so the tracked position read at the start
cannot move before the commit.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from adapters.connections import ConnectionHolder, open_sqlite
from adapters.database import Database
from adapters.log_reader import APPLICATION_NAME
from projections.ledger.schema import COLUMNS, PREFIX_LIVE, upsert_sql
from projections.ledger.store import BalanceStore

CACHE_KIB = 65_536
"""Page cache of the projection's connection (the default 2 MiB thrashes on history)."""


class ProjectionUnavailable(RuntimeError):
    """The projection cannot run against this database; the message says why."""


class SQLiteBalanceStore(BalanceStore):
    """The balances tables in the SQLite file of the log, over one connection."""

    def __init__(self, database: Database, prefix: str = PREFIX_LIVE) -> None:
        super().__init__(database, prefix)
        self._holder = ConnectionHolder(database, configure=_configure, opener=self._open)
        self._depth = 0

    def _open(self) -> sqlite3.Connection:
        path = self.database.sqlite_path
        if path == ":memory:" or ("mode=memory" in path and "cache=shared" not in path):
            # A second connection to a private in-memory database sees an empty one.
            raise ProjectionUnavailable(
                "projections need a file (or shared-cache memory) SQLite database, "
                f"not {self.database.url}"
            )
        return open_sqlite(self.database)

    def _connect(self) -> sqlite3.Connection:
        connection: sqlite3.Connection = self._holder.connection(in_transaction=self._depth > 0)
        return connection

    def close(self) -> None:
        self._holder.close()

    def qualified(self, table_name: str) -> str:
        return table_name

    def table_suffix(self, name: str) -> str:
        # Rows clustered by their key, except entries: their random ids make
        # inserts into a clustered tree slow, a separate key index is cheaper.
        return "" if name == "entries" else " WITHOUT ROWID"

    def tables_exist(self) -> bool:
        row = self._connect().execute(
            "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?",
            (self.table("tracking"),),
        ).fetchone()
        return row is not None

    # --- transactions -----------------------------------------------------

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

    def read_snapshot(self) -> Any:
        # A deferred transaction in WAL mode reads one snapshot from its first read.
        return self._transaction("BEGIN")

    def write_transaction(self) -> Any:
        return self._transaction("BEGIN IMMEDIATE")

    # --- statements -------------------------------------------------------

    def _rows(self, sql: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
        return self._connect().execute(sql, params).fetchall()

    def _iter_rows(self, sql: str) -> Iterator[tuple[Any, ...]]:
        cursor = self._connect().execute(sql)
        while rows := cursor.fetchmany(10_000):
            yield from rows

    def _execute(self, sql: str, params: tuple[Any, ...] = ()) -> None:
        self._connect().execute(sql, params)

    def _execute_many(self, sql: str, rows: list[tuple[Any, ...]]) -> None:
        if rows:
            self._connect().executemany(sql, rows)

    def _insert_rows(self, name: str, rows: list[tuple[Any, ...]]) -> None:
        if rows:
            marks = ", ".join("?" * len(COLUMNS[name]))
            self._connect().executemany(f"INSERT INTO {self.table(name)} VALUES ({marks})", rows)

    def _upsert_rows(self, name: str, rows: list[tuple[Any, ...]], *, add: bool) -> None:
        if rows:
            self._connect().executemany(upsert_sql(self.table(name), name, add=add), rows)

    def _lock_tracking(self) -> int | None:
        row = self._connect().execute(
            f"SELECT position FROM {self.table('tracking')} "
            "WHERE projection_name = ? AND application_name = ?",
            (self.projection_name, APPLICATION_NAME),
        ).fetchone()
        return None if row is None else int(row[0])


def _configure(connection: sqlite3.Connection) -> None:
    # The log's file is in WAL mode (the library sets it). NORMAL sync can
    # lose the last commits on power loss but never corrupts; the projection
    # is rebuildable and its rows and position commit together, so it
    # resumes exactly where its last surviving commit left off.
    connection.execute("PRAGMA synchronous = NORMAL")
    connection.execute(f"PRAGMA cache_size = -{CACHE_KIB}")
