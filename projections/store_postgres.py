"""PostgreSQL storage of the balances projection, in the schema of the log.

Rows go in with binary COPY (history and entries are append-only); large
upserts (daily sums, current balances) and updates (entry statuses) COPY
into a temporary table and merge with one statement. The tracking row is locked (SELECT ... FOR
UPDATE) first in each batch transaction, so two workers folding the same
log serialise there and the second one finds the position moved and rolls
back instead of counting a batch twice.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import psycopg

from backoffice.settings import Database, postgres_connect_kwargs
from projections.schema import COLUMNS, INTEGER_COLUMNS, KEYS, PREFIX_LIVE, upsert_sql
from projections.store import BalanceStore
from replay.log_reader import APPLICATION_NAME

SMALL_WRITE_ROWS_MAX = 64
"""Up to this many rows an upsert or update is an executemany; above, COPY and merge."""


class PostgresBalanceStore(BalanceStore):
    """The balances tables in the PostgreSQL schema of the log, over one connection."""

    integer_type = "bigint"
    # Byte order: sorting and digests do not depend on the server's locale.
    text_type = 'text COLLATE "C"'
    supports_deferred_keys = True

    def __init__(self, database: Database, prefix: str = PREFIX_LIVE) -> None:
        super().__init__(database, prefix)
        self._connection: psycopg.Connection[Any] | None = None
        self._depth = 0

    def _connect(self) -> psycopg.Connection[Any]:
        if self._connection is None or self._connection.closed:
            self._connection = psycopg.connect(
                **postgres_connect_kwargs(self.database),  # type: ignore[arg-type]
                autocommit=True,
            )
        return self._connection

    def close(self) -> None:
        if self._connection is not None:
            self._connection.close()
            self._connection = None

    def qualified(self, table_name: str) -> str:
        return f'"{self.database.schema}".{table_name}'

    def tables_exist(self) -> bool:
        row = self._connect().execute("SELECT to_regclass(%s)", (self.table("tracking"),)).fetchone()
        return row is not None and row[0] is not None

    # --- transactions -----------------------------------------------------

    @contextmanager
    def _transaction(self, isolation: str | None) -> Iterator[None]:
        if self._depth:  # already inside one: join it
            yield
            return
        connection = self._connect()
        self._depth += 1
        try:
            with connection.transaction():
                if isolation:
                    connection.execute(f"SET TRANSACTION ISOLATION LEVEL {isolation}")
                yield
        finally:
            self._depth -= 1

    def read_snapshot(self) -> Any:
        return self._transaction("REPEATABLE READ")

    def write_transaction(self) -> Any:
        return self._transaction(None)

    # --- statements -------------------------------------------------------

    @staticmethod
    def _pg(sql: str) -> str:
        return sql.replace("?", "%s")

    def _rows(self, sql: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
        return self._connect().execute(self._pg(sql), params).fetchall()

    def _iter_rows(self, sql: str) -> Iterator[tuple[Any, ...]]:
        # A server-side cursor needs a transaction; callers hold read_snapshot.
        with self._transaction("REPEATABLE READ"), self._connect().cursor(name="bal_rows") as cursor:
            cursor.itersize = 20_000
            cursor.execute(self._pg(sql))
            yield from cursor

    def _execute(self, sql: str, params: tuple[Any, ...] = ()) -> None:
        self._connect().execute(self._pg(sql), params)

    def _execute_many(self, sql: str, rows: list[tuple[Any, ...]]) -> None:
        if rows:
            with self._connect().cursor() as cursor:
                cursor.executemany(self._pg(sql), rows)

    def _copy(self, table: str, columns: tuple[str, ...], rows: list[tuple[Any, ...]]) -> None:
        # Binary COPY: psycopg formats rows in C and the server skips parsing
        # text (measured: a third of the client time of text COPY).
        types = ["int8" if column in INTEGER_COLUMNS else "text" for column in columns]
        with self._connect().cursor() as cursor, cursor.copy(
            f"COPY {table} ({', '.join(columns)}) FROM STDIN (FORMAT BINARY)"
        ) as copy:
            copy.set_types(types)
            write_row = copy.write_row
            for row in rows:
                write_row(row)

    def _insert_rows(self, name: str, rows: list[tuple[Any, ...]]) -> None:
        if rows:
            self._copy(self.table(name), COLUMNS[name], rows)

    def _staging(self, name: str, columns: tuple[str, ...]) -> str:
        """A session-local table for COPY-then-merge; emptied at each commit."""
        staging = f"staging_{self.prefix}{name}_{columns[0]}"
        typed = ", ".join(f"{column} {self.column_type(column)}" for column in columns)
        connection = self._connect()
        connection.execute(
            f"CREATE TEMPORARY TABLE IF NOT EXISTS {staging} ({typed}) ON COMMIT DELETE ROWS"
        )
        connection.execute(f"TRUNCATE {staging}")  # in case it served earlier in this transaction
        return staging

    def _upsert_rows(self, name: str, rows: list[tuple[Any, ...]], *, add: bool) -> None:
        if not rows:
            return
        if len(rows) <= SMALL_WRITE_ROWS_MAX:
            self._execute_many(upsert_sql(self.table(name), name, add=add), rows)
            return
        columns = COLUMNS[name]
        staging = self._staging(name, columns)
        self._copy(staging, columns, rows)
        merge = self._pg(upsert_sql(self.table(name), name, add=add))
        values = f"VALUES ({', '.join(['%s'] * len(columns))})"
        self._connect().execute(merge.replace(values, f"SELECT {', '.join(columns)} FROM {staging}"))

    def _update_rows(self, name: str, columns: tuple[str, ...], rows: list[tuple[Any, ...]]) -> None:
        if len(rows) <= SMALL_WRITE_ROWS_MAX:
            super()._update_rows(name, columns, rows)
            return
        key = KEYS[name][0]
        staging = self._staging(f"{name}_update", (*columns, key))
        self._copy(staging, (*columns, key), rows)
        assignments = ", ".join(f"{column} = s.{column}" for column in columns)
        self._connect().execute(
            f"UPDATE {self.table(name)} AS t SET {assignments} FROM {staging} AS s "
            f"WHERE t.{key} = s.{key}"
        )

    def _analyze(self) -> None:
        # Without statistics of the freshly loaded tables the planner takes
        # the open-entries reload for a scan of every entry.
        for name in COLUMNS:
            self._connect().execute(f"ANALYZE {self.table(name)}")

    def _serialise_ddl(self) -> None:
        # Concurrent CREATE TABLE IF NOT EXISTS can still collide in the catalog.
        self._connect().execute(
            "SELECT pg_advisory_xact_lock(hashtext(%s))", (f"{self.database.schema}.{self.prefix}",)
        )

    def _lock_tracking(self) -> int | None:
        row = self._connect().execute(
            f"SELECT position FROM {self.table('tracking')} "
            "WHERE projection_name = %s AND application_name = %s FOR UPDATE",
            (self.projection_name, APPLICATION_NAME),
        ).fetchone()
        return None if row is None else int(row[0])

