"""Recorders that chain every event in the transaction that inserts it, and
refuse changes at the database.

The library's application recorders are extended (selected with the
library's ``APPLICATION_RECORDER_TOPIC``):

- After the events of a commit are inserted, and inside the same
  transaction, one chain row per event is written: gap-free chain position,
  the event's notification id, its leaf hash and the link (adapters/auditkit/chain.py).
  Writers are serialised (one commit at a time), so the previous link read
  at that point is the last committed one.
- On PostgreSQL writers are serialised by a transaction-scoped advisory lock
  instead of the library's ``LOCK TABLE ... IN EXCLUSIVE MODE``: the same
  guarantee (commit order = id order) without the UPDATE privilege that
  table lock needs, so the application role can be INSERT and SELECT only.
- Triggers refuse UPDATE, DELETE and TRUNCATE on the event and chain tables
  (SQLite has no TRUNCATE).
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Sequence
from typing import Any

import orjson
from eventsourcing.persistence import StoredEvent
from eventsourcing.postgres import PostgresApplicationRecorder, PostgresDatastore
from eventsourcing.sqlite import SQLiteApplicationRecorder, SQLiteDatastore
from psycopg.sql import SQL, Identifier, Literal

from adapters.auditkit.chain import GENESIS_LINK, leaf_hash, next_link
from adapters.auditkit.checkpoint_note import Checkpoint
from domain.integrity.checkpoints import CHECKPOINT_TOPIC

APPEND_ONLY_MESSAGE = "the log is append-only: corrections are new events"


def chain_table_for(events_table_name: str) -> str:
    base = events_table_name.removesuffix("_events")
    return f"{base}_chain"


def checkpoints_table_for(events_table_name: str) -> str:
    base = events_table_name.removesuffix("_events")
    return f"{base}_checkpoints"


def checkpoint_notes(stored_events: Sequence[StoredEvent]) -> list[tuple[int, str]]:
    """(size, text) of the checkpoint events among ``stored_events``: mirrored into
    the checkpoint table, so deleting the log's tail cannot delete them."""
    notes = []
    for stored in stored_events:
        if stored.topic == CHECKPOINT_TOPIC:
            state = orjson.loads(stored.state)
            note = Checkpoint(
                log_id=state["log_id"],
                size=int(state["size"]),
                head=state["head"],
                root=state["root"],
                time=state["signed_at"],
                key_id=state["key_id"],
                signature=state["signature"],
            )
            notes.append((note.size, note.text()))
    return notes


def chain_rows(
    last: tuple[int, bytes] | None,
    notification_ids: Sequence[int],
    stored_events: Sequence[StoredEvent],
) -> list[tuple[int, int, bytes, bytes]]:
    """(position, notification id, leaf hash, link) for events appended after ``last``."""
    position, link = last if last is not None else (0, GENESIS_LINK)
    rows = []
    for notification_id, stored in zip(notification_ids, stored_events, strict=True):
        leaf = leaf_hash(
            stored.topic, stored.originator_id, stored.originator_version, stored.state
        )
        link = next_link(link, leaf)
        position += 1
        rows.append((position, int(notification_id), leaf, link))
    return rows


def chain_parameters(
    rows: Sequence[tuple[int, int, bytes, bytes]],
) -> tuple[int, bytes, bytes, str]:
    """The PostgreSQL insert's parameters for ``rows`` (consecutive positions, 32-byte
    hashes): the position before the first, the leaves and the links concatenated, and
    the log ids as an array literal."""
    before = rows[0][0] - 1
    for offset, (position, _id, leaf, link) in enumerate(rows, start=1):
        if position != before + offset or len(leaf) != 32 or len(link) != 32:
            raise ValueError(f"chain row at position {position} does not fit the insert")
    return (
        before,
        b"".join([row[2] for row in rows]),
        b"".join([row[3] for row in rows]),
        "{" + ",".join([str(int(row[1])) for row in rows]) + "}",
    )


APPEND_LOCK_SQLSTATE = "BOL01"
"""Raised when the append lock was not granted in time (a class of our own: see below)."""


def advisory_key(name: str) -> int:
    """A signed 64-bit advisory lock key for ``name``."""
    return int.from_bytes(hashlib.sha256(name.encode()).digest()[:8], "big", signed=True)


class ChainedPostgresApplicationRecorder(PostgresApplicationRecorder):
    def __init__(
        self, datastore: PostgresDatastore, *, events_table_name: str = "stored_events"
    ) -> None:
        super().__init__(datastore, events_table_name=events_table_name)
        schema = Identifier(datastore.schema)
        self.chain_table_name = chain_table_for(events_table_name)
        self.checkpoints_table_name = checkpoints_table_for(events_table_name)
        chain = Identifier(self.chain_table_name)
        checkpoints = Identifier(self.checkpoints_table_name)
        refuse = Identifier(f"{events_table_name}_refuse_change")
        # The wait for the append lock is bounded in the database, and a lock
        # still held at the bound is raised with SQLSTATE APPEND_LOCK_SQLSTATE:
        # not an OperationalError, so the library's insert does not retry it
        # ten times (a lock timeout of 2 s became a 22 s wait). A held lock is
        # an answer for the caller (503, retry later), not a transient fault.
        # The lock taken inside the block's subtransaction stays with the
        # transaction when the block ends normally.
        self.lock_table_statements = [
            SQL("SET LOCAL lock_timeout = '{0}s'").format(datastore.lock_timeout),
            SQL(
                "DO $$ BEGIN PERFORM pg_advisory_xact_lock({key}); "
                "EXCEPTION WHEN lock_not_available THEN RAISE EXCEPTION USING "
                "ERRCODE = {code}, MESSAGE = {message}; END $$"
            ).format(
                key=Literal(advisory_key(f"{datastore.schema}.{events_table_name}:insert")),
                code=Literal(APPEND_LOCK_SQLSTATE),
                message=Literal(
                    f"the log's append lock was not granted within {datastore.lock_timeout} s"
                    " (another writer holds it); nothing was written, retry later"
                ),
            ),
        ]
        self.sql_create_statements += [
            SQL(
                "CREATE TABLE IF NOT EXISTS {schema}.{chain} ("
                "position bigint PRIMARY KEY, "
                "notification_id bigint NOT NULL UNIQUE, "
                "leaf_hash bytea NOT NULL, "
                "link bytea NOT NULL)"
            ).format(schema=schema, chain=chain),
            SQL(
                "CREATE TABLE IF NOT EXISTS {schema}.{checkpoints} (size bigint PRIMARY KEY, note text NOT NULL)"
            ).format(schema=schema, checkpoints=checkpoints),
            SQL(
                "CREATE OR REPLACE FUNCTION {schema}.{refuse}() RETURNS trigger LANGUAGE plpgsql AS "
                "$$BEGIN RAISE EXCEPTION '%: % on %', {message}, TG_OP, TG_TABLE_NAME "
                "USING ERRCODE = 'insufficient_privilege'; END$$"
            ).format(schema=schema, refuse=refuse, message=Literal(APPEND_ONLY_MESSAGE)),
        ]
        for table_name in (events_table_name, self.chain_table_name, self.checkpoints_table_name):
            for kind, level, row_level in (
                ("update_delete", "UPDATE OR DELETE", "FOR EACH ROW"),
                ("truncate", "TRUNCATE", "FOR EACH STATEMENT"),
            ):
                trigger_name = f"{table_name}_append_only_{kind}"
                self.sql_create_statements.append(
                    SQL(
                        "DO $$BEGIN "
                        "IF NOT EXISTS (SELECT 1 FROM pg_trigger WHERE tgname = {trigger_text} "
                        "AND tgrelid = {regclass}::regclass) THEN "
                        "CREATE TRIGGER {trigger} BEFORE {level} ON {schema}.{table} {row_level} "
                        "EXECUTE FUNCTION {schema}.{refuse}(); END IF; END$$"
                    ).format(
                        trigger_text=Literal(trigger_name),
                        regclass=Literal(f'"{datastore.schema}"."{table_name}"'),
                        trigger=Identifier(trigger_name),
                        level=SQL(level),
                        schema=schema,
                        table=Identifier(table_name),
                        row_level=SQL(row_level),
                        refuse=refuse,
                    )
                )
        self._select_last_link = SQL(
            "SELECT position, link FROM {schema}.{chain} ORDER BY position DESC LIMIT 1"
        ).format(schema=schema, chain=chain)
        # Row i (from 1) of a commit's chain rows: position (the one before the first) + i,
        # the i-th log id, and bytes 32(i-1)+1 .. 32i of the concatenated leaves and links.
        # Four scalar parameters: psycopg dumps them far faster than four arrays.
        self._insert_chain = SQL(
            "INSERT INTO {schema}.{chain} (position, notification_id, leaf_hash, link) "
            "SELECT %s::bigint + u.i, u.id, "
            "substring(%s::bytea FROM 32 * u.i::integer - 31 FOR 32), "
            "substring(%s::bytea FROM 32 * u.i::integer - 31 FOR 32) "
            "FROM unnest(%s::text::bigint[]) WITH ORDINALITY AS u(id, i)"
        ).format(schema=schema, chain=chain)
        self._insert_checkpoint = SQL(
            "INSERT INTO {schema}.{checkpoints} (size, note) VALUES (%s, %s) ON CONFLICT (size) DO NOTHING"
        ).format(schema=schema, checkpoints=checkpoints)
        # The query for the last link, queued right behind the writer lock, per thread.
        self._last_link_query = threading.local()

    def _lock_table(self, curs: Any) -> None:
        """Take the writer lock, then queue the read of the last link behind it: in the
        library's pipeline its answer arrives with the inserted ids, without a round
        trip of its own. Read after the lock, it is the last committed link."""
        super()._lock_table(curs)
        last_link_cursor = curs.connection.cursor()
        last_link_cursor.execute(self._select_last_link, prepare=True)
        self._last_link_query.cursor = last_link_cursor

    def _last_link(self, curs: Any) -> tuple[int, bytes] | None:
        last_link_cursor = self._last_link_query.__dict__.pop("cursor", None)
        if last_link_cursor is None or last_link_cursor.connection is not curs.connection:
            last_link_cursor = curs  # not queued in this transaction: ask now
            curs.execute(self._select_last_link, prepare=True)
        row = last_link_cursor.fetchone()
        if last_link_cursor is not curs:
            last_link_cursor.close()
        return None if row is None else (int(row["position"]), bytes(row["link"]))

    def _fetch_ids_after_insert_events(
        self, curs: Any, stored_events: Sequence[StoredEvent], **kwargs: Any
    ) -> Sequence[int] | None:
        notification_ids = super()._fetch_ids_after_insert_events(curs, stored_events, **kwargs)
        assert notification_ids is not None
        last = self._last_link(curs)
        rows = chain_rows(last, notification_ids, stored_events)
        if rows:
            curs.execute(self._insert_chain, chain_parameters(rows), prepare=True)
        for note in checkpoint_notes(stored_events):
            curs.execute(self._insert_checkpoint, note)
        return notification_ids


class ChainedSQLiteApplicationRecorder(SQLiteApplicationRecorder):
    def __init__(
        self, datastore: SQLiteDatastore, *, events_table_name: str = "stored_events"
    ) -> None:
        super().__init__(datastore, events_table_name=events_table_name)
        self.chain_table_name = chain_table_for(events_table_name)
        self.checkpoints_table_name = checkpoints_table_for(events_table_name)
        chain = self.chain_table_name
        self.create_table_statements += [
            f"CREATE TABLE IF NOT EXISTS {self.checkpoints_table_name} (size INTEGER PRIMARY KEY, note TEXT NOT NULL)",
            f"CREATE TABLE IF NOT EXISTS {chain} ("
            "position INTEGER PRIMARY KEY, "
            "notification_id INTEGER NOT NULL UNIQUE, "
            "leaf_hash BLOB NOT NULL, "
            "link BLOB NOT NULL)",
        ]
        for table in (events_table_name, chain, self.checkpoints_table_name):
            for operation in ("UPDATE", "DELETE"):
                self.create_table_statements.append(
                    f"CREATE TRIGGER IF NOT EXISTS {table}_append_only_{operation.lower()} "
                    f"BEFORE {operation} ON {table} "
                    f"BEGIN SELECT RAISE(ABORT, '{APPEND_ONLY_MESSAGE}: {operation} on {table}'); END"
                )

    def _insert_events(
        self, c: Any, stored_events: Sequence[StoredEvent], **kwargs: Any
    ) -> Sequence[int] | None:
        notification_ids = super()._insert_events(c, stored_events, **kwargs)
        assert notification_ids is not None
        c.execute(
            f"SELECT position, link FROM {self.chain_table_name} ORDER BY position DESC LIMIT 1"
        )
        row = c.fetchone()
        last = None if row is None else (int(row[0]), bytes(row[1]))
        c.executemany(
            f"INSERT INTO {self.chain_table_name} (position, notification_id, leaf_hash, link) VALUES (?, ?, ?, ?)",
            chain_rows(last, notification_ids, stored_events),
        )
        for note in checkpoint_notes(stored_events):
            c.execute(
                f"INSERT OR IGNORE INTO {self.checkpoints_table_name} (size, note) VALUES (?, ?)",
                note,
            )
        return notification_ids
