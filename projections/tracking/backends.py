"""The per-backend half of a tracked projection's storage: one connection,
transactions, placeholders, DDL types and the catalog.

A store (``projections.tracking.sql``) writes its SQL once with ``?``
placeholders; the backend runs it. Each store holds one connection of its
own (not the library's pool): a page's rows and its tracked position must
commit through one connection, in one transaction. It is held by an
``adapters.connections.ConnectionHolder``: checked before use outside a
transaction and replaced when the server dropped it.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from adapters.connections import ConnectionHolder, open_postgres, open_sqlite
from adapters.database import Database

DIGEST_FETCH_ROWS = 10_000


class ProjectionUnavailable(RuntimeError):
    """The projection cannot run against this database; the message says why."""


class Backend:
    """One connection to the database of the log, opened on first use."""

    sqlite: bool
    integer_type: str
    text_type: str
    lock_clause: str
    """Appended to the tracking read of a write: serialises two writers."""

    def __init__(self, database: Database, on_connect: Callable[[Any], None] | None = None) -> None:
        self.database = database
        self.on_connect = on_connect
        self._holder = ConnectionHolder(database, configure=self._configure, opener=self._open)
        self._depth = 0

    def _open(self) -> Any:
        raise NotImplementedError

    def _configure(self, connection: Any) -> None:
        if self.on_connect is not None:
            self.on_connect(connection)

    def connection(self) -> Any:
        """The connection, checked and replaced when broken (never inside a transaction)."""
        return self._holder.connection(in_transaction=self._depth > 0)

    def close(self) -> None:
        self._holder.close()

    def qualified(self, table_name: str) -> str:
        raise NotImplementedError

    def sql(self, text: str) -> str:
        return text

    def rows(self, sql: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
        return list(self.connection().execute(self.sql(sql), params).fetchall())

    def execute(self, sql: str, params: tuple[Any, ...] = ()) -> None:
        self.connection().execute(self.sql(sql), params)

    def execute_many(self, sql: str, rows: list[tuple[Any, ...]]) -> None:
        raise NotImplementedError

    def transaction(self, *, write: bool) -> Any:
        raise NotImplementedError

    def iter_rows(self, sql: str) -> Iterator[tuple[Any, ...]]:
        raise NotImplementedError

    def table_exists(self, table_name: str) -> bool:
        raise NotImplementedError

    def column_names(self, table_name: str) -> set[str]:
        raise NotImplementedError

    def lock_ddl(self, key: str) -> None:
        """Inside a write transaction: wait for other processes changing these tables."""


class SQLiteBackend(Backend):
    """The SQLite file of the log; a write is ``BEGIN IMMEDIATE``, so the
    tracked position read at its start cannot move before the commit."""

    sqlite = True
    integer_type = "INTEGER"
    text_type = "TEXT"
    lock_clause = ""

    def _open(self) -> sqlite3.Connection:
        path = self.database.sqlite_path
        if path == ":memory:" or ("mode=memory" in path and "cache=shared" not in path):
            # A second connection to a private in-memory database sees an empty one.
            raise ProjectionUnavailable(
                "projections need a file (or shared-cache memory) SQLite database, "
                f"not {self.database.url}"
            )
        connection = open_sqlite(self.database)
        # The log's file is in WAL mode (the library sets it). NORMAL sync may
        # lose the last commits on power loss, never corrupts; rows and
        # position commit together, so the projection resumes where it left off.
        connection.execute("PRAGMA synchronous = NORMAL")
        return connection

    def qualified(self, table_name: str) -> str:
        return table_name

    def execute_many(self, sql: str, rows: list[tuple[Any, ...]]) -> None:
        if rows:
            self.connection().executemany(sql, rows)

    @contextmanager
    def transaction(self, *, write: bool) -> Iterator[None]:
        connection = self.connection()
        if self._depth:  # already inside one: join it
            yield
            return
        # A deferred transaction in WAL mode reads one snapshot from its first read.
        connection.execute("BEGIN IMMEDIATE" if write else "BEGIN")
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

    def iter_rows(self, sql: str) -> Iterator[tuple[Any, ...]]:
        cursor = self.connection().execute(sql)
        while rows := cursor.fetchmany(DIGEST_FETCH_ROWS):
            yield from rows

    def table_exists(self, table_name: str) -> bool:
        found = self.rows(
            "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", (table_name,)
        )
        return bool(found)

    def column_names(self, table_name: str) -> set[str]:
        return {row[1] for row in self.rows(f"PRAGMA table_info({table_name})")}


class PostgresBackend(Backend):
    """The PostgreSQL schema of the log; the tracking row is read ``FOR UPDATE``."""

    sqlite = False
    integer_type = "bigint"
    # Byte order: sorting and digests do not depend on the server's locale.
    text_type = 'text COLLATE "C"'
    lock_clause = " FOR UPDATE"

    def _open(self) -> Any:
        return open_postgres(self.database)

    def qualified(self, table_name: str) -> str:
        return f'"{self.database.schema}".{table_name}'

    def sql(self, text: str) -> str:
        return text.replace("?", "%s")

    def execute_many(self, sql: str, rows: list[tuple[Any, ...]]) -> None:
        if rows:
            with self.connection().cursor() as cursor:
                cursor.executemany(self.sql(sql), rows)

    @contextmanager
    def transaction(self, *, write: bool) -> Iterator[None]:
        if self._depth:  # already inside one: join it
            yield
            return
        connection = self.connection()
        self._depth += 1
        try:
            with connection.transaction():
                if not write:
                    connection.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
                yield
        finally:
            self._depth -= 1

    def iter_rows(self, sql: str) -> Iterator[tuple[Any, ...]]:
        # A server-side cursor needs a transaction; callers hold read_snapshot.
        with (
            self.transaction(write=False),
            self.connection().cursor(name="tracked_rows") as cursor,
        ):
            cursor.itersize = DIGEST_FETCH_ROWS
            cursor.execute(self.sql(sql))
            yield from cursor

    def table_exists(self, table_name: str) -> bool:
        found = self.rows("SELECT to_regclass(?)", (self.qualified(table_name),))
        return bool(found) and found[0][0] is not None

    def column_names(self, table_name: str) -> set[str]:
        found = self.rows(
            "SELECT column_name FROM information_schema.columns "
            "WHERE table_schema = ? AND table_name = ?",
            (self.database.schema, table_name),
        )
        return {row[0] for row in found}

    def lock_ddl(self, key: str) -> None:
        # Concurrent CREATE TABLE IF NOT EXISTS can still collide in the catalog.
        self.execute(
            "SELECT pg_advisory_xact_lock(hashtext(?))", (f"{self.database.schema}.{key}",)
        )


def open_backend(database: Database, on_connect: Callable[[Any], None] | None = None) -> Backend:
    if database.backend == "sqlite":
        return SQLiteBackend(database, on_connect)
    return PostgresBackend(database, on_connect)
