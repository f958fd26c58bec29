"""The key store: one AES-256 key per data subject, outside the log.

Table ``subject_keys`` (next to the log: the same SQLite file or PostgreSQL
schema), an ordinary table that allows updates, unlike the log:

- ``subject_id`` (text, the key), ``key`` (blob/bytea; NULL once destroyed),
  ``created_at``, ``destroyed_at`` (NULL while the key lives).

Erasure overwrites the key with NULL and sets ``destroyed_at``; the row
stays as a tombstone, so a destroyed key is never silently created again
(the subject's envelopes would otherwise look decryptable to no one and a
new registration under the same id would be refused by the log anyway).

A key is created and committed before the subject's first event is saved:
if that save fails, the orphan key protects nothing and harms nothing, and a
retry uses it. SQLite writes the key with ``synchronous = FULL`` and
``secure_delete`` (destroyed bytes are zeroed in the file), then asks for a
WAL checkpoint so the old page leaves the write-ahead log; PostgreSQL gets a
``VACUUM`` of the table after a destruction. Copies outside the database
(backups, WAL archives) are beyond this store: wrapping the keys under a
master key (a KMS) is what would reach those, and is not built here.

One connection per store (``adapters.connections``), replaced when the
server dropped it; request threads take turns on it: key operations are
rare next to postings.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Iterator
from contextlib import contextmanager, suppress
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from adapters.connections import ConnectionHolder, open_sqlite
from adapters.database import Database
from domain.subjects.sealing import KEY_BYTES, new_key

TABLE_NAME = "subject_keys"
KEYS_PER_QUERY_MAX = 500


class KeyStoreUnavailable(RuntimeError):
    """The key store cannot run against this database; the message says why."""


def _now_text() -> str:
    return datetime.now(UTC).isoformat(timespec="microseconds")


class SubjectKeyStore:
    """Per-subject keys of one database (SQLite file or PostgreSQL schema)."""

    def __init__(self, database: Database) -> None:
        self.database = database
        self._table_ready = False
        self._holder = ConnectionHolder(database, configure=_configure)
        if database.backend == "sqlite":
            path = database.sqlite_path
            if path == ":memory:" or ("mode=memory" in path and "cache=shared" not in path):
                raise KeyStoreUnavailable(
                    "the key store needs a file (or shared-cache memory) SQLite database, "
                    f"not {database.url}"
                )

    @property
    def table(self) -> str:
        if self.database.backend == "sqlite":
            return TABLE_NAME
        return f'"{self.database.schema}".{TABLE_NAME}'

    # --- connections --------------------------------------------------------

    @contextmanager
    def _transaction(self) -> Iterator[Any]:
        """The store's connection inside one committed-on-success transaction
        (request threads share the store: one of them at a time)."""
        with self._holder.use() as connection:
            if self.database.backend == "sqlite":
                connection.execute("BEGIN IMMEDIATE")
                try:
                    yield connection
                except BaseException:
                    with suppress(sqlite3.Error):
                        connection.execute("ROLLBACK")
                    raise
                connection.execute("COMMIT")
                return
            with connection.transaction():
                yield connection

    def _sql(self, text: str) -> str:
        return text if self.database.backend == "sqlite" else text.replace("?", "%s")

    def ensure_table(self) -> None:
        if self._table_ready:
            return
        blob = "BLOB" if self.database.backend == "sqlite" else "bytea"
        moment = "TEXT" if self.database.backend == "sqlite" else "text"
        with self._transaction() as connection:
            if self.database.backend == "postgres":
                # Concurrent CREATE TABLE IF NOT EXISTS can still collide in the catalog.
                connection.execute(
                    "SELECT pg_advisory_xact_lock(hashtext(%s))",
                    (f"{self.database.schema}.{TABLE_NAME}",),
                )
            connection.execute(
                f"CREATE TABLE IF NOT EXISTS {self.table} ("
                "subject_id text PRIMARY KEY, "
                f"key {blob}, "
                f"created_at {moment} NOT NULL, "
                f"destroyed_at {moment})"
            )
        self._table_ready = True

    # --- keys ---------------------------------------------------------------

    def create_key(self, subject_id: UUID) -> bytes | None:
        """The subject's key, created (and committed) if it has none yet.

        None when the subject's key was destroyed: it is never created again.
        """
        self.ensure_table()
        with self._transaction() as connection:
            connection.execute(
                self._sql(
                    f"INSERT INTO {self.table} (subject_id, key, created_at, destroyed_at) "
                    "VALUES (?, ?, ?, NULL) ON CONFLICT (subject_id) DO NOTHING"
                ),
                (str(subject_id), new_key(), _now_text()),
            )
            row = connection.execute(
                self._sql(f"SELECT key FROM {self.table} WHERE subject_id = ?"),
                (str(subject_id),),
            ).fetchone()
        assert row is not None
        return _key_bytes(row[0])

    def key_of(self, subject_id: UUID) -> bytes | None:
        """The subject's key; None if it never had one or it was destroyed."""
        return self.keys_of([subject_id]).get(subject_id)

    def keys_of(self, subject_ids: Iterable[UUID]) -> dict[UUID, bytes]:
        """The live keys of these subjects (absent: none or destroyed)."""
        self.ensure_table()
        wanted = sorted({str(subject_id) for subject_id in subject_ids})
        found: dict[UUID, bytes] = {}
        if not wanted:
            return found
        with self._transaction() as connection:
            for start in range(0, len(wanted), KEYS_PER_QUERY_MAX):
                chunk = wanted[start : start + KEYS_PER_QUERY_MAX]
                marks = ", ".join("?" * len(chunk))
                rows = connection.execute(
                    self._sql(
                        f"SELECT subject_id, key FROM {self.table} "
                        f"WHERE subject_id IN ({marks}) AND key IS NOT NULL"
                    ),
                    tuple(chunk),
                ).fetchall()
                for subject_id, key in rows:
                    key_bytes = _key_bytes(key)
                    if key_bytes is not None:
                        found[UUID(subject_id)] = key_bytes
        return found

    def is_destroyed(self, subject_id: UUID) -> bool:
        self.ensure_table()
        with self._transaction() as connection:
            row = connection.execute(
                self._sql(f"SELECT destroyed_at FROM {self.table} WHERE subject_id = ?"),
                (str(subject_id),),
            ).fetchone()
        return row is not None and row[0] is not None

    def destroy(self, subject_id: UUID) -> bool:
        """Overwrite the subject's key with NULL (a tombstone row if it had none).

        Returns True when a live key was destroyed by this call.
        """
        self.ensure_table()
        now = _now_text()
        with self._transaction() as connection:
            row = connection.execute(
                self._sql(f"SELECT key FROM {self.table} WHERE subject_id = ?"),
                (str(subject_id),),
            ).fetchone()
            if row is not None and row[0] is None:
                return False  # destroyed before
            connection.execute(
                self._sql(
                    f"INSERT INTO {self.table} (subject_id, key, created_at, destroyed_at) "
                    "VALUES (?, NULL, ?, ?) ON CONFLICT (subject_id) DO UPDATE SET key = NULL, "
                    f"destroyed_at = COALESCE({TABLE_NAME}.destroyed_at, excluded.destroyed_at)"
                ),
                (str(subject_id), now, now),
            )
        destroyed = row is not None and row[0] is not None
        if destroyed:
            self._purge_old_versions()
        return destroyed

    def _purge_old_versions(self) -> None:
        """Best effort: push the overwritten key out of the WAL / dead tuples."""
        if self.database.backend == "sqlite":
            connection = open_sqlite(self.database)
            try:
                connection.execute("PRAGMA busy_timeout = 200")
                with suppress(sqlite3.Error):
                    connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            finally:
                connection.close()
            return
        import psycopg

        with suppress(psycopg.Error), self._holder.use() as connection:
            connection.execute(f"VACUUM {self.table}")

    def close(self) -> None:
        self._holder.close()


def _configure(connection: Any) -> None:
    if isinstance(connection, sqlite3.Connection):
        connection.execute("PRAGMA synchronous = FULL")
        connection.execute("PRAGMA secure_delete = ON")


def _key_bytes(value: Any) -> bytes | None:
    if value is None:
        return None
    key = bytes(value)
    assert len(key) == KEY_BYTES, "subject keys are 32 bytes"
    return key


def ensure_table(database: Database) -> None:
    """Create the ``subject_keys`` table if missing (``backoffice migrate``)."""
    SubjectKeyStore(database).ensure_table()
