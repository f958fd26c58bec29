"""PostgreSQL storage of the audit trail, in the schema of the log.

Rows go in with binary COPY. The payload is stored as ``json``: the
key-sorted text the fold already made goes in as it is (no second
serialisation), reads back in the same key order as on SQLite, and
``payload ->> 'field'`` works in SQL. ``jsonb`` was measured 30-50% slower to
write (it parses and rebuilds every document) and reorders keys.

The tracking row is locked (SELECT ... FOR UPDATE) first in each page's
transaction, so two workers folding the same log serialise there and the
second finds the position moved and rolls back.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import orjson
import psycopg
from psycopg.adapt import Dumper
from psycopg.pq import Format
from psycopg.types.json import set_json_loads

from adapters.database import LOCK_TIMEOUT_S, Database, postgres_connect_kwargs
from projections.audit.store import (
    COLUMNS,
    INTEGER_COLUMNS,
    PREFIX_LIVE,
    PROJECTION_NAME,
    AuditStore,
)


class _JsonBytes:
    """Marker type: registering its dumper makes it the connection's json dumper."""


class _JsonFromBytes(Dumper):
    """Binary json from ready JSON bytes (json's binary format is its text)."""

    format = Format.BINARY

    def dump(self, obj: Any) -> bytes:
        assert isinstance(obj, bytes)
        return obj


class PostgresAuditStore(AuditStore):
    """The audit tables in the PostgreSQL schema of the log."""

    integer_type = "bigint"
    # Byte order: sorting does not depend on the server's locale.
    text_type = 'text COLLATE "C"'
    payload_type = "json"

    def __init__(self, database: Database, prefix: str = PREFIX_LIVE) -> None:
        super().__init__(prefix)
        self.database = database
        self._connection: psycopg.Connection[Any] | None = None
        self._depth = 0

    def _connect(self) -> psycopg.Connection[Any]:
        if self._connection is None or self._connection.closed:
            connection = psycopg.connect(
                **postgres_connect_kwargs(self.database),  # type: ignore[arg-type]
                autocommit=True,
            )
            connection.execute(f"SET lock_timeout = '{LOCK_TIMEOUT_S * 5}s'")
            set_json_loads(orjson.loads, connection)
            json_oid = connection.adapters.types["json"].oid
            dumper = type("JsonFromBytes", (_JsonFromBytes,), {"oid": json_oid})
            connection.adapters.register_dumper(_JsonBytes, dumper)
            self._connection = connection
        return self._connection

    def close(self) -> None:
        if self._connection is not None:
            self._connection.close()
            self._connection = None

    def qualified(self, table_name: str) -> str:
        return f'"{self.database.schema}".{table_name}'

    def tables_exist(self) -> bool:
        row = (
            self._connect().execute("SELECT to_regclass(%s)", (self.table("tracking"),)).fetchone()
        )
        return row is not None and row[0] is not None

    @contextmanager
    def _transaction(self) -> Iterator[None]:
        if self._depth:  # already inside one: join it
            yield
            return
        connection = self._connect()
        self._depth += 1
        try:
            with connection.transaction():
                yield
        finally:
            self._depth -= 1

    def write_transaction(self) -> Any:
        return self._transaction()

    @staticmethod
    def _pg(sql: str) -> str:
        return sql.replace("?", "%s")

    def _rows(self, sql: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
        return self._connect().execute(self._pg(sql), params).fetchall()

    def _execute(self, sql: str, params: tuple[Any, ...] = ()) -> None:
        self._connect().execute(self._pg(sql), params)

    def insert_events(self, rows: list[tuple[Any, ...]]) -> None:
        if not rows:
            return
        types = ["int8" if column in INTEGER_COLUMNS else "text" for column in COLUMNS]
        types[-1] = "json"  # the payload: JSON bytes through _JsonFromBytes
        with (
            self._connect().cursor() as cursor,
            cursor.copy(
                f"COPY {self.table('events')} ({', '.join(COLUMNS)}) FROM STDIN (FORMAT BINARY)"
            ) as copy,
        ):
            copy.set_types(types)
            write_row = copy.write_row
            for row in rows:
                write_row(row)

    def _serialise_ddl(self) -> None:
        # Concurrent CREATE TABLE IF NOT EXISTS can still collide in the catalog.
        self._connect().execute(
            "SELECT pg_advisory_xact_lock(hashtext(%s))", (f"{self.database.schema}.{self.prefix}",)
        )

    def _lock_tracking(self) -> int:
        row = (
            self._connect()
            .execute(
                f"SELECT position FROM {self.table('tracking')} "
                "WHERE projection_name = %s FOR UPDATE",
                (PROJECTION_NAME,),
            )
            .fetchone()
        )
        assert row is not None, "create_tables inserts the tracking row"
        return int(row[0])

    def decode_payload(self, value: Any) -> dict[str, Any]:
        # json arrives decoded (orjson, set on the connection).
        assert isinstance(value, dict)
        return value
