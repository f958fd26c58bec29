"""The one way this code holds a database connection of its own (outside the library's pool).

Projection stores, the log reader, the chain reader and the key store each
need one connection for a run of statements (a page's rows and its
position commit through one connection, in one transaction), so they do not
borrow from the library's pool. Each holds a ``ConnectionHolder``: the
connection is opened on first use, and before it is handed out again it is
checked and replaced when it is broken, so the request after a lost
connection (``pg_terminate_backend``, a server restart) runs on a new one
once the database is back instead of failing with "the connection is
closed" until the process restarts.

The check is cheap: a connection that psycopg marked broken is replaced;
an idle one whose socket has something to read (a server that hung up
sends a FATAL message and closes; nothing else arrives unasked on an idle
connection but the rare parameter report) is pinged, and replaced if the
ping fails. Inside a transaction nothing is replaced: the statements that
follow fail on the dead connection and the transaction's error reaches the
caller (a 503), never a half-transaction on a new connection.

One holder is one connection: callers that share it between threads hold
``lock`` around each use (``use()``), as the projections do.
"""

from __future__ import annotations

import select
import sqlite3
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from typing import Any

from adapters.database import LOCK_TIMEOUT_S, Database, postgres_connect_kwargs

Configure = Callable[[Any], None]


DISK_FULL_SQLSTATES = frozenset({"53100"})
"""disk_full: the server could not extend a file (the write is refused whole)."""
UNAVAILABLE_SQLSTATE_CLASSES = ("08", "53", "57", "55P03", "40", "BOL")
"""connection exception, insufficient resources, operator intervention (shutdown,
terminated, cannot connect now, query canceled by the lock/statement timeout),
lock not available, transaction rollback (serialization, deadlock), and our own
class for the append lock not granted in time (adapters.chained_store
APPEND_LOCK_SQLSTATE, raised so that the library does not retry it): retry later."""


def _chain(error: BaseException) -> Iterator[BaseException]:
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        yield current
        current = current.__cause__ or current.__context__


def database_fault(error: BaseException) -> str | None:
    """How a database error reads to a client: ``"disk_full"`` (507),
    ``"unavailable"`` (503: unreachable, restarting, dropped the connection,
    timed out on a lock, out of resources) or None (not a fault of the
    database's availability: a refusal of the statement, a bug)."""
    import psycopg
    from eventsourcing.persistence import InterfaceError, OperationalError

    from adapters.database import DatabaseUnavailable

    for cause in _chain(error):
        sqlstate = getattr(cause, "sqlstate", None)
        if sqlstate in DISK_FULL_SQLSTATES:
            return "disk_full"
        if isinstance(cause, sqlite3.Error) and "disk is full" in str(cause):
            return "disk_full"
        if "No space left on device" in str(cause):
            return "disk_full"
    for cause in _chain(error):
        sqlstate = getattr(cause, "sqlstate", None)
        if sqlstate and sqlstate.startswith(UNAVAILABLE_SQLSTATE_CLASSES):
            return "unavailable"
        if isinstance(cause, psycopg.OperationalError | psycopg.InterfaceError):
            return "unavailable"  # no SQLSTATE: the connection itself failed
        if isinstance(cause, OperationalError | InterfaceError | sqlite3.OperationalError):
            return "unavailable"
        if isinstance(cause, DatabaseUnavailable):
            return "unavailable"
    return None


def is_connection_error(error: BaseException) -> bool:
    """Whether ``error`` means the database is unreachable, restarting or dropped
    the connection (retry later), as opposed to a refusal of the statement."""
    return database_fault(error) is not None


def open_postgres(database: Database, *, lock_timeout_s: int = LOCK_TIMEOUT_S * 5) -> Any:
    """A new autocommit psycopg connection to ``database`` with a bounded lock wait."""
    import psycopg

    connection = psycopg.connect(
        **postgres_connect_kwargs(database),  # type: ignore[arg-type]
        autocommit=True,
    )
    connection.execute(f"SET lock_timeout = '{int(lock_timeout_s)}s'")
    return connection


def open_sqlite(database: Database, *, read_only: bool = False) -> sqlite3.Connection:
    """A new SQLite connection to ``database``'s file; transactions begun explicitly."""
    path = f"file:{database.sqlite_path}?mode=ro" if read_only else database.sqlite_path
    return sqlite3.connect(
        path,
        uri=True,
        isolation_level=None,
        check_same_thread=False,  # used by one thread at a time, under the holder's lock
        timeout=LOCK_TIMEOUT_S * 5,
    )


def open_connection(database: Database, *, read_only: bool = False) -> Any:
    if database.backend == "sqlite":
        return open_sqlite(database, read_only=read_only)
    return open_postgres(database)


class ConnectionHolder:
    """One connection to ``database``, opened on first use and replaced when broken."""

    def __init__(
        self,
        database: Database,
        *,
        configure: Configure | None = None,
        read_only: bool = False,
        opener: Callable[[], Any] | None = None,
    ) -> None:
        self.database = database
        self.configure = configure
        self._opener = opener or (lambda: open_connection(database, read_only=read_only))
        self._connection: Any = None
        self.lock = threading.RLock()
        self.replaced = 0
        """Connections replaced after they broke (a health figure; tests read it)."""

    @property
    def postgres(self) -> bool:
        return self.database.backend == "postgres"

    def connection(self, *, in_transaction: bool = False) -> Any:
        """The held connection, checked (and replaced) first unless ``in_transaction``."""
        current = self._connection
        if current is not None and not in_transaction and not self._usable(current):
            self.discard()
            self.replaced += 1
            current = None
        if current is None:
            current = self._opener()
            try:
                if self.configure is not None:
                    self.configure(current)
            except BaseException:
                with suppress(Exception):
                    current.close()
                raise
            self._connection = current
        return current

    def _usable(self, connection: Any) -> bool:
        if not self.postgres:
            return True
        from psycopg.pq import TransactionStatus

        if connection.closed or connection.broken:
            return False
        if connection.info.transaction_status != TransactionStatus.IDLE:
            # Not inside one of ours (we were told): left over from a failed
            # statement on a connection that may be dead. Start clean.
            return self._ping(connection, rollback=True)
        try:
            readable, _, _ = select.select([connection.fileno()], [], [], 0)
        except (OSError, ValueError):
            return False
        return not readable or self._ping(connection)

    @staticmethod
    def _ping(connection: Any, *, rollback: bool = False) -> bool:
        try:
            if rollback:
                connection.rollback()
            connection.execute("SELECT 1")
        except Exception:
            return False
        return True

    def discard(self) -> None:
        """Drop the connection (after an error that may have broken it)."""
        connection, self._connection = self._connection, None
        if connection is not None:
            with suppress(Exception):
                connection.close()

    def after_error(self, error: BaseException) -> None:
        """Drop the connection if ``error`` says it is lost, so the next use opens one."""
        connection = self._connection
        if connection is None:
            return
        broken = self.postgres and (connection.closed or connection.broken)
        if broken or (self.postgres and is_connection_error(error)):
            self.discard()
            self.replaced += 1

    @contextmanager
    def use(self) -> Iterator[Any]:
        """The connection, under the lock; dropped after an error that lost it."""
        with self.lock:
            try:
                yield self.connection()
            except BaseException as error:
                self.after_error(error)
                raise

    def close(self) -> None:
        with self.lock:
            self.discard()
