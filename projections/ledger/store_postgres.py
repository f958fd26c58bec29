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
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack, contextmanager, suppress
from typing import Any

import psycopg
from psycopg.adapt import Transformer

from adapters.connections import ConnectionHolder, open_postgres
from adapters.database import Database
from adapters.log_reader import APPLICATION_NAME
from projections.ledger.schema import (
    COLUMNS,
    DEFERRABLE_KEYS,
    DELTAS,
    INTEGER_COLUMNS,
    KEYS,
    PREFIX_LIVE,
    key_clause,
    upsert_sql,
)
from projections.ledger.store import BalanceStore, _Held, _sums

try:  # psycopg's own row formatter (C in psycopg[binary]), fed without a Python call per row
    from psycopg._copy_base import format_row_binary as _format_row_binary
except ImportError:  # pragma: no cover - a psycopg that moved it: write_row per row
    _format_row_binary = None

SMALL_WRITE_ROWS_MAX = 64
"""Up to this many rows an upsert or update is an executemany; above, COPY and merge."""
COPY_CHUNK_ROWS = 2_000
"""Rows formatted per chunk of a COPY (a few hundred KiB): the server parses one
chunk while the next is formatted."""
_BINARY_SIGNATURE = b"PGCOPY\n\xff\r\n\x00" + b"\x00" * 8  # header: flags, extension length
_BINARY_TRAILER = b"\xff\xff"
_OIDS = {"int8": 20, "text": 25}


class PostgresBalanceStore(BalanceStore):
    """The balances tables in the PostgreSQL schema of the log, over one connection."""

    integer_type = "bigint"
    # Byte order: sorting and digests do not depend on the server's locale.
    text_type = 'text COLLATE "C"'
    supports_deferred_keys = True

    def __init__(self, database: Database, prefix: str = PREFIX_LIVE) -> None:
        super().__init__(database, prefix)
        # Checked before use outside a transaction, replaced when the server dropped it.
        self._holder = ConnectionHolder(database)
        self._depth = 0
        self._streams: dict[str, _CopyStream] = {}
        self._may_create_temporary: bool | None = None

    def _connect(self) -> psycopg.Connection[Any]:
        connection: psycopg.Connection[Any] = self._holder.connection(in_transaction=self._depth > 0)
        return connection

    def close(self) -> None:
        self._close_streams(abort=True)  # a bulk load that did not finish
        self._holder.close()

    def _staging_allowed(self) -> bool:
        """Whether this role may create temporary tables (the deployed owner role
        need not: the compose database grants TEMPORARY to the application role
        alone); without, large merges go row by row."""
        if self._may_create_temporary is None:
            row = self._connect().execute(
                "SELECT has_database_privilege(current_database(), 'TEMPORARY')"
            ).fetchone()
            self._may_create_temporary = bool(row and row[0])
        return self._may_create_temporary

    def qualified(self, table_name: str) -> str:
        return f'"{self.database.schema}".{table_name}'

    def tables_exist(self) -> bool:
        row = (
            self._connect().execute("SELECT to_regclass(%s)", (self.table("tracking"),)).fetchone()
        )
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
        with (
            self._transaction("REPEATABLE READ"),
            self._connect().cursor(name="bal_rows") as cursor,
        ):
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
        with (
            self._connect().cursor() as cursor,
            cursor.copy(_copy_sql(table, columns)) as copy,
        ):
            writer = _BinaryRows(cursor, copy, columns)
            writer.write(rows)
            writer.end()

    def _insert_rows(self, name: str, rows: list[tuple[Any, ...]]) -> None:
        if not rows:
            return
        if self._held is not None and name in DEFERRABLE_KEYS:
            self._stream(name).write(rows)
            return
        self._copy(self.table(name), COLUMNS[name], rows)

    def _stream(self, name: str) -> _CopyStream:
        stream = self._streams.get(name)
        if stream is None:
            stream = self._streams[name] = _CopyStream(
                self.database, self.table(name), COLUMNS[name]
            )
        return stream

    def _close_streams(self, *, abort: bool) -> None:
        streams, self._streams = self._streams, {}
        try:
            for stream in streams.values():
                if abort:
                    stream.abort()
                else:
                    stream.close()
        finally:
            for stream in streams.values():
                stream.abort()  # no-op once closed; ends the others after a failed close

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
        if len(rows) <= SMALL_WRITE_ROWS_MAX or not self._staging_allowed():
            self._execute_many(upsert_sql(self.table(name), name, add=add), rows)
            return
        columns = COLUMNS[name]
        staging = self._staging(name, columns)
        self._copy(staging, columns, rows)
        merge = self._pg(upsert_sql(self.table(name), name, add=add))
        values = f"VALUES ({', '.join(['%s'] * len(columns))})"
        self._connect().execute(
            merge.replace(values, f"SELECT {', '.join(columns)} FROM {staging}")
        )

    def _update_rows(
        self, name: str, columns: tuple[str, ...], rows: list[tuple[Any, ...]]
    ) -> None:
        if len(rows) <= SMALL_WRITE_ROWS_MAX or not self._staging_allowed():
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

    # --- bulk load ----------------------------------------------------------

    def create_tables(self, *, bulk: bool = False) -> None:
        """With ``bulk``, the rows of history and entries go into one COPY per
        table, each on a connection of its own and committed by ``finish_bulk``.

        The server then parses and stores them on its own core while the fold
        goes on, where a COPY per batch would make every batch wait for it.
        Nobody reads the tables of a load from scratch before ``finish_bulk``
        (rebuild swaps them in later, verify digests them later), so the
        tracked position may run ahead of these rows meanwhile; a load that
        fails is dropped and started over, never resumed.
        """
        self._close_streams(abort=True)
        if bulk:
            # Nor need the batches wait for the WAL flush: the later
            # transaction that makes the tables count (the swap, the digests)
            # flushes everything before it with its own commit.
            self._connect().execute("SET synchronous_commit = off")
        super().create_tables(bulk=bulk)

    def finish_bulk(self) -> None:
        """The base class's steps, on three connections at once.

        Each step is its own transaction (the tables are nobody's until
        swapped in): the key of history is built beside the daily sums read
        from it (CREATE INDEX and a read share the table), while this
        connection keys the entries and writes the held rows; the history
        index becomes its primary key once both are done.
        """
        held, self._held = self._held, None
        if held is None:
            return
        self._close_streams(abort=False)  # commits the appended rows
        history = self.table("history")
        daily_sql = (
            f"INSERT INTO {self.table('daily')} ({', '.join(COLUMNS['daily'])}) "
            f"SELECT balance_id, effective_date, {_sums('h', DELTAS)} "
            f"FROM {history} h GROUP BY balance_id, effective_date"
        )
        steps: list[list[str]] = [
            # Unnamed, like every key here: PostgreSQL picks a name that is
            # free in the schema (the swapped-in tables keep theirs).
            [
                f"CREATE UNIQUE INDEX ON {history} ({', '.join(KEYS['history'])})",
                f"ANALYZE {history}",
            ],
            [daily_sql, f"ANALYZE {self.table('daily')}"],
        ]
        with ThreadPoolExecutor(len(steps), thread_name_prefix="finish_bulk") as pool:
            running = [pool.submit(self._run_alone, statements) for statements in steps]
            try:
                self._finish_entries(held)
            finally:
                for future in running:
                    future.result()  # re-raises a step's error
        (index,) = self._rows(
            "SELECT c.relname FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid "
            "WHERE i.indrelid = ?::regclass",
            (history,),
        )[0]
        self._execute(f'ALTER TABLE {history} ADD PRIMARY KEY USING INDEX "{index}"')

    def _finish_entries(self, held: _Held) -> None:
        with self.write_transaction():
            self._execute(f"ALTER TABLE {self.table('entries')} ADD {key_clause('entries')}")
            self._upsert_rows("balances", list(held.balances.values()), add=False)
            self._write_entry_updates(held.resolutions, held.reversals)
        for name in COLUMNS:
            if name not in ("history", "daily"):
                self._execute(f"ANALYZE {self.table(name)}")

    def _run_alone(self, statements: list[str]) -> None:
        """Run ``statements`` in order on a connection of their own, each committed."""
        with open_postgres(self.database) as connection:
            for statement in statements:
                connection.execute(statement)

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
        row = (
            self._connect()
            .execute(
                f"SELECT position FROM {self.table('tracking')} "
                "WHERE projection_name = %s AND application_name = %s FOR UPDATE",
                (self.projection_name, APPLICATION_NAME),
            )
            .fetchone()
        )
        return None if row is None else int(row[0])


def _copy_sql(table: str, columns: tuple[str, ...], *, freeze: bool = False) -> str:
    options = "FORMAT BINARY, FREEZE" if freeze else "FORMAT BINARY"
    return f"COPY {table} ({', '.join(columns)}) FROM STDIN ({options})"


class _BinaryRows:
    """Writes rows into an open binary COPY.

    Binary: psycopg formats rows in C and the server skips parsing text
    (measured: a third of the client time of text COPY). The stream
    (signature, rows, trailer) is written in chunks of formatted rows:
    ``copy.write_row`` costs two Python calls per row on top of the
    formatting (measured: half the client time of a rebuild's writes).
    """

    def __init__(self, context: Any, copy: psycopg.Copy, columns: tuple[str, ...]) -> None:
        self.copy = copy
        types = ["int8" if column in INTEGER_COLUMNS else "text" for column in columns]
        if _format_row_binary is None:
            copy.set_types(types)
            return
        self.transformer = Transformer(context)
        self.transformer.set_dumper_types([_OIDS[name] for name in types], psycopg.pq.Format.BINARY)
        self.buffer = bytearray(_BINARY_SIGNATURE)

    def write(self, rows: list[tuple[Any, ...]]) -> None:
        copy = self.copy
        if _format_row_binary is None:
            for row in rows:
                copy.write_row(row)
            return
        format_row, transformer = _format_row_binary, self.transformer
        for start in range(0, len(rows), COPY_CHUNK_ROWS):
            buffer = self.buffer
            for row in rows[start : start + COPY_CHUNK_ROWS]:
                format_row(row, transformer, buffer)
            copy.write(buffer)
            self.buffer = bytearray()

    def end(self) -> None:
        if _format_row_binary is not None:
            self.buffer += _BINARY_TRAILER
            self.copy.write(self.buffer)


class _CopyStream:
    """One COPY into ``table`` that stays open across batches, on a connection of its own."""

    def __init__(self, database: Database, table: str, columns: tuple[str, ...]) -> None:
        self._stack = ExitStack()
        try:
            connection = self._stack.enter_context(
                open_postgres(database)
            )
            self._stack.enter_context(connection.transaction())
            # FREEZE (allowed for a table emptied in the same transaction)
            # writes the rows frozen and all-visible: the index builds and
            # sums that read them next need not rewrite every page to set
            # hint bits. The table is this stream's alone until it commits.
            connection.execute("SET LOCAL synchronous_commit = off")
            connection.execute(f"TRUNCATE {table}")
            cursor = self._stack.enter_context(connection.cursor())
            copy = self._stack.enter_context(cursor.copy(_copy_sql(table, columns, freeze=True)))
        except BaseException:
            self._stack.close()
            raise
        self._rows = _BinaryRows(cursor, copy, columns)
        self._open = True

    def write(self, rows: list[tuple[Any, ...]]) -> None:
        self._rows.write(rows)

    def close(self) -> None:
        """End the COPY (its rows commit) and the connection; raises what the server refused."""
        if self._open:
            self._open = False
            self._rows.end()
            self._stack.close()

    def abort(self) -> None:
        """End the COPY without committing its rows (and the connection)."""
        if self._open:
            self._open = False
            with suppress(Exception):
                self._stack.__exit__(_Aborted, _Aborted("bulk load aborted"), None)


class _Aborted(Exception):
    """Tells the server why a bulk COPY ends without its rows."""
