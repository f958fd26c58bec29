"""The access log: append-only, hash-chained, apart from the business log.

Two tables beside the business log's, in the same database:

- ``access_log``: one row per access entry (``domain.access.access_entries``),
  with a gap-free position, the leaf hash SHA-256(0x00 || the entry's
  canonical JSON, position included) and the link SHA-256(previous link ||
  leaf) from ``GENESIS_LINK``; written by this module's one small writer
  under its own lock (not the business log's append lock), so a flood of
  denials never queues behind or in front of a posting;
- ``access_log_counts``: what the rate limit did not store, one counter row
  per (window, client address, actor, outcome, status).

The same kind of triggers as the business log's refuse to change history: no
UPDATE or DELETE (or TRUNCATE) on ``access_log``; a counter row may only grow.
``verify()`` recomputes every leaf and link and answers the findings.
"""

from __future__ import annotations

import hashlib
import threading
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from typing import Any

import orjson

from adapters.chained_store import APPEND_ONLY_MESSAGE, advisory_key
from adapters.connections import ConnectionHolder
from adapters.database import Database
from domain.access.access_entries import AccessEntry, AccessRateLimiter

LOG_TABLE = "access_log"
COUNTS_TABLE = "access_log_counts"
GENESIS_LINK = hashlib.sha256(b"backoffice access log v1").digest()
PAGE_SIZE_MAX = 1000
FINDINGS_MAX = 100
ENTRY_FIELDS = tuple(AccessEntry.__dataclass_fields__)
COUNT_KEY = ("window_start_utc", "client", "actor", "outcome", "status")


def leaf_of(position: int, entry: AccessEntry) -> bytes:
    canonical = orjson.dumps({"position": position, **asdict(entry)}, option=orjson.OPT_SORT_KEYS)
    return hashlib.sha256(b"\x00" + canonical).digest()


def link_of(previous: bytes, leaf: bytes) -> bytes:
    return hashlib.sha256(previous + leaf).digest()


@dataclass(frozen=True, slots=True)
class StoredAccess:
    position: int
    entry: AccessEntry
    leaf_hash: bytes
    link: bytes

    def as_view(self) -> dict[str, Any]:
        return {"position": self.position, **asdict(self.entry), "link": self.link.hex()}


def _column_type(name: str, integer: str, text: str) -> str:
    return integer if name in ("log_position", "status") else text


def _sqlite_schema() -> list[str]:
    statements = [
        f"CREATE TABLE IF NOT EXISTS {LOG_TABLE} (position INTEGER PRIMARY KEY, "
        + ", ".join(
            f"{name} {_column_type(name, 'INTEGER', 'TEXT')} NOT NULL" for name in ENTRY_FIELDS
        )
        + ", leaf_hash BLOB NOT NULL, link BLOB NOT NULL)",
        f"CREATE INDEX IF NOT EXISTS {LOG_TABLE}_log_position ON {LOG_TABLE} (log_position)",
        f"CREATE TABLE IF NOT EXISTS {COUNTS_TABLE} (window_start_utc TEXT NOT NULL, "
        "client TEXT NOT NULL, actor TEXT NOT NULL, outcome TEXT NOT NULL, "
        "status INTEGER NOT NULL, count INTEGER NOT NULL, "
        "PRIMARY KEY (window_start_utc, client, actor, outcome, status))",
    ]
    for operation in ("UPDATE", "DELETE"):
        statements.append(
            f"CREATE TRIGGER IF NOT EXISTS {LOG_TABLE}_append_only_{operation.lower()} "
            f"BEFORE {operation} ON {LOG_TABLE} "
            f"BEGIN SELECT RAISE(ABORT, '{APPEND_ONLY_MESSAGE}: {operation} on {LOG_TABLE}'); END"
        )
    statements += [
        f"CREATE TRIGGER IF NOT EXISTS {COUNTS_TABLE}_append_only_delete "
        f"BEFORE DELETE ON {COUNTS_TABLE} "
        f"BEGIN SELECT RAISE(ABORT, '{APPEND_ONLY_MESSAGE}: DELETE on {COUNTS_TABLE}'); END",
        f"CREATE TRIGGER IF NOT EXISTS {COUNTS_TABLE}_only_grows "
        f"BEFORE UPDATE ON {COUNTS_TABLE} WHEN NEW.count < OLD.count OR "
        + " OR ".join(f"NEW.{key} IS NOT OLD.{key}" for key in COUNT_KEY)
        + f" BEGIN SELECT RAISE(ABORT, '{APPEND_ONLY_MESSAGE}: a counter only grows'); END",
    ]
    return statements


def _postgres_schema(schema: str) -> list[str]:
    log, counts = f'"{schema}".{LOG_TABLE}', f'"{schema}".{COUNTS_TABLE}'
    refuse, grows = f'"{schema}".{LOG_TABLE}_refuse_change', f'"{schema}".{COUNTS_TABLE}_only_grows'
    columns = ", ".join(
        f"{name} {_column_type(name, 'bigint', 'text')} NOT NULL" for name in ENTRY_FIELDS
    )
    statements = [
        f"CREATE TABLE IF NOT EXISTS {log} (position bigint PRIMARY KEY, {columns}, "
        "leaf_hash bytea NOT NULL, link bytea NOT NULL)",
        f"CREATE INDEX IF NOT EXISTS {LOG_TABLE}_log_position ON {log} (log_position)",
        f"CREATE TABLE IF NOT EXISTS {counts} (window_start_utc text NOT NULL, "
        "client text NOT NULL, actor text NOT NULL, outcome text NOT NULL, "
        "status bigint NOT NULL, count bigint NOT NULL, "
        "PRIMARY KEY (window_start_utc, client, actor, outcome, status))",
        f"CREATE OR REPLACE FUNCTION {refuse}() RETURNS trigger LANGUAGE plpgsql AS "
        f"$$BEGIN RAISE EXCEPTION '%: % on %', '{APPEND_ONLY_MESSAGE}', TG_OP, TG_TABLE_NAME "
        "USING ERRCODE = 'insufficient_privilege'; END$$",
        f"CREATE OR REPLACE FUNCTION {grows}() RETURNS trigger LANGUAGE plpgsql AS "
        "$$BEGIN IF NEW.count < OLD.count OR "
        + " OR ".join(f"NEW.{key} IS DISTINCT FROM OLD.{key}" for key in COUNT_KEY)
        + f" THEN RAISE EXCEPTION '{APPEND_ONLY_MESSAGE}: a counter only grows' "
        "USING ERRCODE = 'insufficient_privilege'; END IF; RETURN NEW; END$$",
    ]
    triggers = [
        (LOG_TABLE, "update_delete", "UPDATE OR DELETE", "FOR EACH ROW", refuse),
        (LOG_TABLE, "truncate", "TRUNCATE", "FOR EACH STATEMENT", refuse),
        (COUNTS_TABLE, "delete", "DELETE", "FOR EACH ROW", refuse),
        (COUNTS_TABLE, "truncate", "TRUNCATE", "FOR EACH STATEMENT", refuse),
        (COUNTS_TABLE, "update", "UPDATE", "FOR EACH ROW", grows),
    ]
    for table, kind, level, row_level, function in triggers:
        name = f"{table}_append_only_{kind}"
        statements.append(
            "DO $$BEGIN IF NOT EXISTS (SELECT 1 FROM pg_trigger WHERE tgname = "
            f"'{name}' AND tgrelid = '\"{schema}\".\"{table}\"'::regclass) THEN "
            f'CREATE TRIGGER {name} BEFORE {level} ON "{schema}".{table} {row_level} '
            f"EXECUTE FUNCTION {function}(); END IF; END$$"
        )
    return statements


class AccessLog:
    """The access log of ``database``: one writer connection, used one caller at a time."""

    def __init__(self, database: Database, *, create_tables: bool = True) -> None:
        self.database = database
        self.sqlite = database.backend == "sqlite"
        self.mark = "?" if self.sqlite else "%s"
        prefix = "" if self.sqlite else f'"{database.schema}".'
        self.log_table, self.counts_table = prefix + LOG_TABLE, prefix + COUNTS_TABLE
        self._holder = ConnectionHolder(database)
        self._create = create_tables
        self._exists: bool | None = None  # known after the first use

    def close(self) -> None:
        self._holder.close()

    def _ready(self, connection: Any) -> None:
        """Create the tables (``create_tables``), else find out whether they exist: a
        reader (a standby, a report run) reads an access log not yet made as empty."""
        if self._exists is not None:
            return
        if not self._create:
            if self.sqlite:
                found = connection.execute(
                    "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", (LOG_TABLE,)
                ).fetchone()
            else:
                found = connection.execute(
                    "SELECT to_regclass(%s)", (f'"{self.database.schema}".{LOG_TABLE}',)
                ).fetchone()[0]
            self._exists = bool(found)
            return
        statements = _sqlite_schema() if self.sqlite else _postgres_schema(self.database.schema)
        if self.sqlite:
            for statement in statements:
                connection.execute(statement)
        else:
            with connection.transaction():
                connection.execute(
                    "SELECT pg_advisory_xact_lock(%s)",
                    (advisory_key(f"{self.database.schema}.{LOG_TABLE}:schema"),),
                )
                for statement in statements:
                    connection.execute(statement)
        self._exists = True

    def _in_transaction(self, work: Callable[[Any], Any]) -> Any:
        with self._holder.use() as connection:
            self._ready(connection)
            if self.sqlite:
                connection.execute("BEGIN IMMEDIATE")
                try:
                    result = work(connection)
                except BaseException:
                    connection.execute("ROLLBACK")
                    raise
                connection.execute("COMMIT")
                return result
            with connection.transaction():
                connection.execute(
                    "SELECT pg_advisory_xact_lock(%s)",
                    (advisory_key(f"{self.database.schema}.{LOG_TABLE}:insert"),),
                )
                return work(connection)

    # --- writing ------------------------------------------------------------------

    def append(self, entry: AccessEntry) -> int:
        """Append ``entry`` after the last row, chained to it; its position."""
        names = ("position", *ENTRY_FIELDS, "leaf_hash", "link")
        insert = (
            f"INSERT INTO {self.log_table} ({', '.join(names)}) "
            f"VALUES ({', '.join([self.mark] * len(names))})"
        )

        def work(connection: Any) -> int:
            last = connection.execute(
                f"SELECT position, link FROM {self.log_table} ORDER BY position DESC LIMIT 1"
            ).fetchone()
            position, previous = (1, GENESIS_LINK) if last is None else (
                int(last[0]) + 1, bytes(last[1]))  # fmt: skip
            leaf = leaf_of(position, entry)
            values = (position, *asdict(entry).values(), leaf, link_of(previous, leaf))
            connection.execute(insert, values)
            return position

        return int(self._in_transaction(work))

    def count(self, window_start_utc: str, entry: AccessEntry) -> None:
        """One more access the rate limit did not store, in its window's counter row."""
        m = self.mark
        upsert = (
            f"INSERT INTO {self.counts_table} ({', '.join(COUNT_KEY)}, count) "
            f"VALUES ({m}, {m}, {m}, {m}, {m}, 1) ON CONFLICT ({', '.join(COUNT_KEY)}) "
            f"DO UPDATE SET count = {self.counts_table.split('.')[-1]}.count + 1"
        )
        key = (window_start_utc, entry.client, entry.actor, entry.outcome, entry.status)
        self._in_transaction(lambda connection: connection.execute(upsert, key))

    # --- reading ------------------------------------------------------------------

    def _rows(self, sql: str, params: tuple[Any, ...] = ()) -> list[Any]:
        with self._holder.use() as connection:
            self._ready(connection)
            if not self._exists:
                return []
            return list(connection.execute(sql, params).fetchall())

    def head(self) -> int:
        rows = self._rows(f"SELECT max(position) FROM {self.log_table}")
        return int(rows[0][0] or 0) if rows else 0

    def entries(
        self,
        *,
        after: int = 0,
        limit: int = PAGE_SIZE_MAX,
        outcome: str | None = None,
        log_position_before: int | None = None,
    ) -> list[StoredAccess]:
        """Entries after position ``after`` in order; ``log_position_before``: only those
        recorded while the business log's head was below it (a report at a position)."""
        assert 1 <= limit <= PAGE_SIZE_MAX
        m = self.mark
        where, params = [f"position > {m}"], [after]
        if outcome is not None:
            where.append(f"outcome = {m}")
            params.append(outcome)  # type: ignore[arg-type]
        if log_position_before is not None:
            where.append(f"log_position < {m}")
            params.append(log_position_before)
        rows = self._rows(
            f"SELECT position, {', '.join(ENTRY_FIELDS)}, leaf_hash, link FROM {self.log_table} "
            f"WHERE {' AND '.join(where)} ORDER BY position LIMIT {int(limit)}",
            tuple(params),
        )
        return [_stored(row) for row in rows]

    def all_entries(self, **filters: Any) -> list[StoredAccess]:
        found: list[StoredAccess] = []
        while True:
            page = self.entries(after=found[-1].position if found else 0, **filters)
            found += page
            if len(page) < PAGE_SIZE_MAX:
                return found

    def counts(self, *, limit: int = PAGE_SIZE_MAX) -> list[dict[str, Any]]:
        rows = self._rows(
            f"SELECT {', '.join(COUNT_KEY)}, count FROM {self.counts_table} "
            f"ORDER BY window_start_utc DESC, client LIMIT {int(limit)}"
        )
        return [dict(zip((*COUNT_KEY, "count"), row, strict=True)) for row in rows]

    def verify(self) -> tuple[int, list[str]]:
        """(entries checked, findings): every leaf and link recomputed from the rows."""
        findings: list[str] = []
        previous, checked, expected = GENESIS_LINK, 0, 1
        for stored in self.all_entries():
            if stored.position != expected:
                findings.append(f"access log position {expected} is missing")
            leaf = leaf_of(stored.position, stored.entry)
            if leaf != stored.leaf_hash:
                findings.append(f"access log position {stored.position}: the entry was changed")
            previous = link_of(previous, leaf)
            if previous != stored.link:
                findings.append(f"access log position {stored.position}: the link does not follow")
            checked, expected = checked + 1, stored.position + 1
            if len(findings) >= FINDINGS_MAX:
                break
        return checked, findings


def _stored(row: Any) -> StoredAccess:
    values = dict(zip(ENTRY_FIELDS, row[1 : 1 + len(ENTRY_FIELDS)], strict=True))
    values["status"], values["log_position"] = int(values["status"]), int(values["log_position"])
    return StoredAccess(int(row[0]), AccessEntry(**values), bytes(row[-2]), bytes(row[-1]))


@dataclass(frozen=True, slots=True)
class Recorded:
    """What became of an access: stored (``position``) or only counted (``retry_after_s``)."""

    position: int | None
    retry_after_s: int


class AccessRecorder:
    """The one writer of access entries: the rate limit, then the access log."""

    def __init__(
        self,
        access_log: AccessLog,
        limiter: AccessRateLimiter,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.access_log = access_log
        self.limiter = limiter
        self.clock = clock
        self._lock = threading.Lock()

    def record(self, entry: AccessEntry, *, token_key: str) -> Recorded:
        """Store ``entry`` if its client address and token are within the limit, else
        count it in the window's counter row."""
        keys = (f"client:{entry.client}",) + ((f"token:{token_key}",) if token_key else ())
        with self._lock:
            admission = self.limiter.admit(keys, self.clock())
        if admission.admitted:
            return Recorded(self.access_log.append(entry), admission.retry_after_s)
        window = datetime.fromtimestamp(admission.window_start_s, UTC)
        self.access_log.count(window.strftime("%Y-%m-%dT%H:%M:%SZ"), entry)
        return Recorded(None, admission.retry_after_s)

    def close(self) -> None:
        self.access_log.close()


def now_utc_text(now_s: float) -> str:
    return datetime.fromtimestamp(now_s, UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
