"""The chain in the database: reading it for checkpoints, proofs and verification.

Read-only: a verifier needs SELECT on the event, chain and checkpoint tables
and nothing else.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Iterator
from typing import Any

from adapters.auditkit.audit_verify import ChainVerifier, VerifyReport
from adapters.auditkit.checkpoint_note import Checkpoint, parse
from adapters.connections import ConnectionHolder
from adapters.database import Database
from adapters.log_reader import gc_paused

PAGE_SIZE = 10_000
PROCESS_TREE_MIN = 200_000
"""Chain length from which verify_chain builds the Merkle tree in a child process."""
# Verification reads bigger pages, fetched ahead by a thread while the
# previous page is hashed (the wait for the server releases the GIL).
VERIFY_PAGE_SIZE = 50_000
PAGES_AHEAD = 2


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
    """One read connection to the chain of ``database`` (one caller at a time)."""

    def __init__(self, database: Database) -> None:
        self.database = database
        self.events, self.chain, self.checkpoints_table = table_names(database)
        self.sqlite = database.backend == "sqlite"
        self.mark = "?" if self.sqlite else "%s"
        self._holder = ConnectionHolder(database, read_only=True)

    @property
    def connection(self) -> Any:
        """The reader's connection (checked, and replaced when the server dropped it)."""
        return self._holder.connection()

    def close(self) -> None:
        self._holder.close()

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
        rows = self._rows(
            f"SELECT position FROM {self.chain} WHERE notification_id = {self.mark}",
            (notification_id,),
        )
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

    def verification_pages(
        self,
    ) -> Iterator[tuple[list[tuple[Any, ...]], list[tuple[Any, ...] | None]]]:
        """Pages for ``ChainVerifier.feed_page`` in position order: chain rows (position,
        log id, leaf hash, link) and, for each, its event (log id, topic, originator id
        as canonical text, version, state) or None where the event is missing.

        PostgreSQL only (its column types guarantee the values ``walk`` would give).
        Each page reads the chain rows, then as many events from the page's first log id
        on: when their ids are exactly the ones the chain names, in the same order (an
        intact log), they pair up without a join; otherwise the page is read again with
        the join ``walk`` uses. Pages are fetched one ahead by a thread,
        while the previous one is hashed (waiting for the server releases the GIL).
        """
        assert not self.sqlite, "SQLite: verify with walk()"
        select_chain = (
            f"SELECT position, notification_id, leaf_hash, link FROM {self.chain} "
            f"WHERE position > %s ORDER BY position LIMIT {VERIFY_PAGE_SIZE}"
        )
        event_columns = (
            "e.notification_id, e.topic, e.originator_id::text, e.originator_version, e.state"
        )
        select_events = (
            f"SELECT {event_columns} FROM {self.events} e "
            f"WHERE e.notification_id >= %s ORDER BY e.notification_id LIMIT %s"
        )
        select_joined = (
            f"SELECT c.position, c.notification_id, c.leaf_hash, c.link, {event_columns} "
            f"FROM {self.chain} c LEFT JOIN {self.events} e ON e.notification_id = c.notification_id "
            f"WHERE c.position > %s ORDER BY c.position LIMIT {VERIFY_PAGE_SIZE}"
        )
        Page = tuple[list[tuple[Any, ...]], list[tuple[Any, ...] | None]]
        pages: queue.Queue[Page | BaseException | None] = queue.Queue(PAGES_AHEAD)
        stop = threading.Event()

        def put(item: Page | BaseException | None) -> bool:
            while not stop.is_set():
                try:
                    pages.put(item, timeout=0.1)
                    return True
                except queue.Full:
                    continue
            return False

        def read_page(cursor: Any, after: int) -> Page:
            chain_rows = cursor.execute(select_chain, (after,)).fetchall()
            if not chain_rows:
                return chain_rows, []
            # The events from the page's first log id on, as many as the page has rows:
            # when their ids are the chain's, in order, each row's event is the one named.
            events = cursor.execute(select_events, (chain_rows[0][1], len(chain_rows))).fetchall()
            if [row[0] for row in events] == [row[1] for row in chain_rows]:
                return chain_rows, events
            joined = cursor.execute(select_joined, (after,)).fetchall()
            return (
                [row[:4] for row in joined],
                [None if row[4] is None else row[4:] for row in joined],
            )

        def produce() -> None:
            try:
                after = 0
                with self.connection.cursor(binary=True) as cursor:
                    # Parallel workers only compete with the hashing for the CPUs.
                    cursor.execute("SET max_parallel_workers_per_gather = 0")
                    try:
                        while not stop.is_set():
                            page = read_page(cursor, after)
                            if not page[0]:
                                break
                            after = page[0][-1][0]
                            if not put(page):
                                return
                    finally:
                        cursor.execute("RESET max_parallel_workers_per_gather")
                put(None)
            except BaseException as error:  # handed to the consumer, raised there
                put(error)

        producer = threading.Thread(target=produce, name="chain-verify-reader", daemon=True)
        producer.start()
        try:
            while True:
                item = pages.get()
                if item is None:
                    return
                if isinstance(item, BaseException):
                    raise item
                yield item
        finally:
            stop.set()
            producer.join()

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
    """Recompute the whole chain and check every checkpoint (stored and given).

    On a long log the Merkle tree is built in a child process
    (``merkle_worker.ProcessTree``), beside the reading and hashing here.
    """
    with ChainReader(database) as probe:
        length = probe.length()
    tree: Any = None
    if length >= PROCESS_TREE_MIN:
        from adapters.merkle_worker import ProcessTree

        tree = ProcessTree()
    try:
        return _verify(database, ChainVerifier(public_keys, tree), list(extra_checkpoints))
    finally:
        if tree is not None:
            tree.close()


def _verify(
    database: Database, verifier: ChainVerifier, extra_checkpoints: list[Checkpoint]
) -> VerifyReport:
    # A million rows of small acyclic objects: reference counting frees them;
    # the cyclic collector would rescan the growing heap (about 9% of the time).
    with gc_paused(), ChainReader(database) as reader:
        if reader.sqlite:
            for position, notification_id, leaf, link, event in reader.walk():
                verifier.feed(position, notification_id, leaf, link, event)
        else:
            for chain_rows, events in reader.verification_pages():
                verifier.feed_page(chain_rows, events, canonical_ids=True)  # uuid::text
        for notification_id in reader.unchained_event_ids():
            verifier.unchained_event(notification_id)
        stored = reader.checkpoints()
    return verifier.finish([*stored, *extra_checkpoints])
