"""The tables of a page-folded projection and its tracked position, described
as data and kept by one store class on either backend.

Every table carries the projection's prefix (``audit_`` live, ``audit_rebuild_``
while a rebuild folds, ``audit_shadow_`` for verify), so a rebuild folds
beside the live tables and swaps them in, in one transaction, and verify
digests a shadow fold against the live rows. Tracking is
``{prefix}tracking (projection_name, position)``: the library's tracking
recorder keys its row by the upstream application alone and commits through
its own pool, where a page here must commit its rows and position through
one connection.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import orjson

from adapters.database import Database
from projections.tracking.backends import Backend, open_backend
from projections.tracking.base import ProjectionMoved

PREFIX_PATTERN = re.compile(r"^[a-z][a-z0-9_]{0,23}_\Z")
IN_LIST_MAX = 500
"""Keys per ``IN (...)`` (SQLite limits the parameters of one statement)."""


@dataclass(frozen=True, slots=True)
class Table:
    """One table: ``columns`` in row and digest order, its ``key``, the
    integer and nullable columns, indexes (name suffix -> columns), and
    per-backend types of special columns (column -> (SQLite, PostgreSQL))."""

    name: str
    columns: tuple[str, ...]
    key: tuple[str, ...]
    integer: frozenset[str] = frozenset()
    nullable: frozenset[str] = frozenset()
    indexes: dict[str, tuple[str, ...]] = field(default_factory=dict)
    types: dict[str, tuple[str, str]] = field(default_factory=dict)


class TableStore:
    """The tables of one page-folded projection under ``prefix``, over one connection."""

    projection_name: str
    schema: tuple[Table, ...]

    def __init__(self, database: Database, prefix: str) -> None:
        assert PREFIX_PATTERN.match(prefix), f"prefix {prefix!r}: lower-case, ends in _"
        self.database = database
        self.prefix = prefix
        self.backend: Backend = open_backend(database, self.on_connect)
        self.sqlite = self.backend.sqlite
        self._tables = {table.name: table for table in self.schema}

    def on_connect(self, connection: Any) -> None:
        """Configure a new connection (pragmas, adapters)."""

    def close(self) -> None:
        self.backend.close()

    # --- statements -----------------------------------------------------------

    def table(self, name: str) -> str:
        """The SQL name of this projection's table ``name``."""
        return self.backend.qualified(f"{self.prefix}{name}")

    def rows(self, sql: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
        return self.backend.rows(sql, params)

    def execute(self, sql: str, params: tuple[Any, ...] = ()) -> None:
        self.backend.execute(sql, params)

    def transaction(self) -> Any:
        return self.backend.transaction(write=True)

    def read_snapshot(self) -> Any:
        return self.backend.transaction(write=False)

    def insert(self, name: str, rows: list[tuple[Any, ...]]) -> None:
        if rows:
            columns = self._tables[name].columns
            self.backend.execute_many(
                f"INSERT INTO {self.table(name)} ({', '.join(columns)}) "
                f"VALUES ({', '.join('?' * len(columns))})",
                rows,
            )

    def select_in(
        self, name: str, column: str, values: list[str], order: str | None = None
    ) -> list[tuple[Any, ...]]:
        """Rows of ``name`` whose ``column`` is one of ``values``."""
        columns = ", ".join(self._tables[name].columns)
        found: list[tuple[Any, ...]] = []
        for chunk in _chunks(values):
            sql = (
                f"SELECT {columns} FROM {self.table(name)} "
                f"WHERE {column} IN ({', '.join('?' * len(chunk))})"
            )
            found += self.rows(sql + (f" ORDER BY {order}" if order else ""), tuple(chunk))
        if order and len(values) > IN_LIST_MAX:
            index = self._tables[name].columns.index(order)
            found.sort(key=lambda row: row[index])
        return found

    def delete_in(self, name: str, column: str, values: list[str]) -> None:
        for chunk in _chunks(values):
            self.execute(
                f"DELETE FROM {self.table(name)} WHERE {column} IN ({', '.join('?' * len(chunk))})",
                tuple(chunk),
            )

    # --- tables ---------------------------------------------------------------

    def tables_exist(self) -> bool:
        return self.backend.table_exists(f"{self.prefix}tracking")

    def layout_current(self) -> bool:
        """Whether the existing tables have every column this store writes."""
        return all(
            set(table.columns) <= self.backend.column_names(f"{self.prefix}{table.name}")
            for table in self.schema
        )

    def create_tables(self) -> None:
        with self.transaction():
            self.backend.lock_ddl(self.prefix)
            for table in self.schema:
                self.execute(self._create_sql(table))
                self._create_indexes(table, self.prefix)
            self.execute(
                f"CREATE TABLE IF NOT EXISTS {self.table('tracking')} "
                f"(projection_name {self.backend.text_type} PRIMARY KEY, "
                f"position {self.backend.integer_type} NOT NULL)"
            )
            self.execute(
                f"INSERT INTO {self.table('tracking')} VALUES (?, 0) ON CONFLICT DO NOTHING",
                (self.projection_name,),
            )

    def _create_sql(self, table: Table) -> str:
        declared = ", ".join(
            f"{column} {self._column_type(table, column)}"
            f"{'' if column in table.nullable else ' NOT NULL'}"
            for column in table.columns
        )
        # The key unnamed: PostgreSQL picks a free name, so a swapped-in
        # rebuild never collides with the names of the tables it replaced.
        return (
            f"CREATE TABLE IF NOT EXISTS {self.table(table.name)} "
            f"({declared}, PRIMARY KEY ({', '.join(table.key)}))"
        )

    def _column_type(self, table: Table, column: str) -> str:
        if column in table.types:
            return table.types[column][0 if self.sqlite else 1]
        return self.backend.integer_type if column in table.integer else self.backend.text_type

    def _create_indexes(self, table: Table, prefix: str) -> None:
        for suffix, columns in table.indexes.items():
            self.execute(
                f"CREATE INDEX IF NOT EXISTS {prefix}{suffix} "
                f"ON {self.backend.qualified(prefix + table.name)} ({', '.join(columns)})"
            )

    def _drop_indexes(self, table: Table, prefix: str) -> None:
        for suffix in table.indexes:
            self.execute(f"DROP INDEX IF EXISTS {self.backend.qualified(prefix + suffix)}")

    def _names(self) -> list[str]:
        return [*(table.name for table in self.schema), "tracking"]

    def drop_tables(self) -> None:
        with self.transaction():
            for name in self._names():
                self.execute(f"DROP TABLE IF EXISTS {self.table(name)}")

    def drop_outdated_tables(self) -> bool:
        """Drop the tables if their layout is older than this store's (the next
        catch-up folds the log again from the start); True if dropped."""
        with self.transaction():
            self.backend.lock_ddl(self.prefix)
            if self.layout_current():  # another process upgraded them meanwhile
                return False
            for name in self._names():
                self.execute(f"DROP TABLE IF EXISTS {self.table(name)}")
            return True

    def rename_tables(self, prefix: str) -> None:
        """Replace the tables of ``prefix`` with these, in one transaction (rebuild's swap)."""
        assert PREFIX_PATTERN.match(prefix)
        with self.transaction():
            self.backend.lock_ddl(prefix)
            for table in self.schema:
                # Index names are per schema (and per file): they follow the prefix.
                self._drop_indexes(table, prefix)
                self._drop_indexes(table, self.prefix)
            for name in self._names():
                self.execute(f"DROP TABLE IF EXISTS {self.backend.qualified(prefix + name)}")
                self.execute(f"ALTER TABLE {self.table(name)} RENAME TO {prefix}{name}")
            for table in self.schema:
                self._create_indexes(table, prefix)
        self.prefix = prefix

    # --- tracking -------------------------------------------------------------

    def tracked_position(self) -> int:
        found = self.rows(
            f"SELECT position FROM {self.table('tracking')} WHERE projection_name = ?",
            (self.projection_name,),
        )
        return int(found[0][0]) if found else 0

    @contextmanager
    def tracked_write(self, from_position: int, to_position: int) -> Iterator[None]:
        """One transaction: ProjectionMoved unless the position is
        ``from_position``; the position becomes ``to_position`` with the rows."""
        assert to_position >= from_position
        with self.transaction():
            found = self.rows(
                f"SELECT position FROM {self.table('tracking')} "
                f"WHERE projection_name = ?{self.backend.lock_clause}",
                (self.projection_name,),
            )
            assert found, "create_tables inserts the tracking row"
            if int(found[0][0]) != from_position:
                raise ProjectionMoved(
                    f"{self.prefix}tracking is at {found[0][0]}, this page starts at {from_position}"
                )
            yield
            self.execute(
                f"UPDATE {self.table('tracking')} SET position = ? WHERE projection_name = ?",
                (to_position, self.projection_name),
            )

    # --- digests --------------------------------------------------------------

    def table_digests(self) -> dict[str, str]:
        """SHA-256 per table over all rows in key order (call inside read_snapshot)."""
        digests = {}
        tracking = Table("tracking", ("projection_name", "position"), ("projection_name",))
        for table in (*self.schema, tracking):
            sha = hashlib.sha256()
            sql = (
                f"SELECT {', '.join(table.columns)} FROM {self.table(table.name)} "
                f"ORDER BY {', '.join(table.key)}"
            )
            for row in self.backend.iter_rows(sql):
                sha.update(orjson.dumps(row, default=str))
                sha.update(b"\n")
            digests[table.name] = sha.hexdigest()
        return digests


def _chunks(values: list[str]) -> Iterator[list[str]]:
    for start in range(0, len(values), IN_LIST_MAX):
        yield values[start : start + IN_LIST_MAX]

