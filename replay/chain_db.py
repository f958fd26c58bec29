"""The chain in the database: reading it for checkpoints, proofs and verification.

Read-only: a verifier needs SELECT on the event, chain and checkpoint tables
and nothing else.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from typing import Any

from backoffice.settings import LOCK_TIMEOUT_S, Database, postgres_connect_kwargs
from replay.audit_verify import ChainVerifier, VerifyReport
from replay.checkpoint_note import Checkpoint, parse

PAGE_SIZE = 10_000


def table_names(database: Database) -> tuple[str, str, str]:
    """(events, chain, checkpoints) table names, schema-qualified on PostgreSQL."""
    if database.backend == "sqlite":
        return "stored_events", "stored_chain", "stored_checkpoints"
    schema = f'"{database.schema}"'
    return (
        f"{schema}.backoffice_events",
        f"{schema}.backoffice_chain",
        f"{schema}.backoffice_checkpoints",
    )


class ChainReader:
    """One read connection to the chain of ``database``."""

    def __init__(self, database: Database) -> None:
        self.database = database
        self.events, self.chain, self.checkpoints_table = table_names(database)
        self.sqlite = database.backend == "sqlite"
        self.mark = "?" if self.sqlite else "%s"
        if self.sqlite:
            self.connection: Any = sqlite3.connect(
                f"file:{database.sqlite_path}?mode=ro", uri=True, timeout=LOCK_TIMEOUT_S * 5
            )
        else:
            import psycopg

            self.connection = psycopg.connect(**postgres_connect_kwargs(database), autocommit=True)  # type: ignore[arg-type]

    def close(self) -> None:
        self.connection.close()

    def __enter__(self) -> ChainReader:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _rows(self, sql: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
        if self.sqlite:
            return list(self.connection.execute(sql, params).fetchall())
        with self.connection.cursor(binary=True) as cursor:
            return list(cursor.execute(sql, params).fetchall())

    def length(self) -> int:
        rows = self._rows(f"SELECT MAX(position) FROM {self.chain}")
        return int(rows[0][0] or 0)

    def link_at(self, position: int) -> bytes | None:
        rows = self._rows(
            f"SELECT link FROM {self.chain} WHERE position = {self.mark}", (position,)
        )
        return bytes(rows[0][0]) if rows else None

    def chain_position_of(self, notification_id: int) -> int | None:
        rows = self._rows(f"SELECT position FROM {self.chain} WHERE notification_id = {self.mark}", (notification_id,))
        return int(rows[0][0]) if rows else None

    def leaf_hashes(self, after: int, up_to: int) -> Iterator[bytes]:
        """Stored leaf hashes of positions ``after+1 .. up_to``, in order."""
        while after < up_to:
            rows = self._rows(
                f"SELECT position, leaf_hash FROM {self.chain} WHERE position > {self.mark} "
                f"AND position <= {self.mark} ORDER BY position LIMIT {PAGE_SIZE}",
                (after, up_to),
            )
            if not rows:
                return
            for row in rows:
                yield bytes(row[1])
            after = int(rows[-1][0])

    def event_at(self, position: int) -> tuple[int, tuple[str, Any, int, bytes]] | None:
        """(log id, (topic, originator id, version, state)) of a chain position."""
        rows = self._rows(
            f"SELECT c.notification_id, e.topic, e.originator_id, e.originator_version, e.state "
            f"FROM {self.chain} c JOIN {self.events} e ON e.{self._event_id} = c.notification_id "
            f"WHERE c.position = {self.mark}",
            (position,),
        )
        if not rows:
            return None
        row = rows[0]
        return int(row[0]), (str(row[1]), row[2], int(row[3]), bytes(row[4]))

    @property
    def _event_id(self) -> str:
        return "rowid" if self.sqlite else "notification_id"

    def walk(self) -> Iterator[tuple[int, int, bytes, bytes, tuple[str, Any, int, bytes] | None]]:
        """Chain rows in position order, each with its event (None where it is missing)."""
        after = 0
        while True:
            rows = self._rows(
                f"SELECT c.position, c.notification_id, c.leaf_hash, c.link, "
                f"e.topic, e.originator_id, e.originator_version, e.state "
                f"FROM {self.chain} c LEFT JOIN {self.events} e ON e.{self._event_id} = c.notification_id "
                f"WHERE c.position > {self.mark} ORDER BY c.position LIMIT {PAGE_SIZE}",
                (after,),
            )
            if not rows:
                return
            for row in rows:
                event = (
                    None
                    if row[4] is None
                    else (_text(row[4]), row[5], _integer(row[6]), _bytes(row[7]))
                )
                yield int(row[0]), int(row[1]), _bytes(row[2]), _bytes(row[3]), event
            after = int(rows[-1][0])

    def unchained_event_ids(self, limit: int = 10) -> list[int]:
        rows = self._rows(
            f"SELECT e.{self._event_id} FROM {self.events} e LEFT JOIN {self.chain} c "
            f"ON c.notification_id = e.{self._event_id} WHERE c.position IS NULL "
            f"ORDER BY e.{self._event_id} LIMIT {int(limit)}"
        )
        return [int(row[0]) for row in rows]

    def checkpoints(self) -> list[Checkpoint]:
        """The checkpoints mirrored into the checkpoint table (in size order)."""
        rows = self._rows(f"SELECT note FROM {self.checkpoints_table} ORDER BY size")
        return [parse(str(row[0])) for row in rows]


def _bytes(value: Any) -> bytes:
    """Stored bytes; a tampered SQLite row may hold text or a number instead."""
    if isinstance(value, bytes | bytearray | memoryview):
        return bytes(value)
    return str(value).encode("utf-8")


def _text(value: Any) -> str:
    return value.decode("utf-8", "replace") if isinstance(value, bytes | bytearray) else str(value)


def _integer(value: Any) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return -1


def verify_chain(
    database: Database,
    public_keys: list[bytes],
    extra_checkpoints: list[Checkpoint] = (),  # type: ignore[assignment]
) -> VerifyReport:
    """Recompute the whole chain and check every checkpoint (stored and given)."""
    verifier = ChainVerifier(public_keys)
    with ChainReader(database) as reader:
        for position, notification_id, leaf, link, event in reader.walk():
            verifier.feed(position, notification_id, leaf, link, event)
        for notification_id in reader.unchained_event_ids():
            verifier.unchained_event(notification_id)
        stored = reader.checkpoints()
    return verifier.finish([*stored, *extra_checkpoints])
