"""A locked database is an error within seconds, never a hang (README, adapters/database.py).

Another connection holds a real lock while a journal entry is posted: the
recorder's append lock (the transaction-scoped advisory lock every commit
takes, adapters/chained_store.py), or an ACCESS EXCLUSIVE lock on the event
table (what a migration or a VACUUM FULL would hold). The posting must fail
well within ``FAIL_WITHIN_S`` with an error that says the database is locked,
write nothing, and go through once the lock is released. On SQLite the lock
is a write transaction held open by another connection.
"""

from __future__ import annotations

import re
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from typing import Any

import pytest

from adapters.chain_store import table_names
from adapters.chained_store import advisory_key
from adapters.database import postgres_connect_kwargs
from backoffice.container import System, build_system
from domain.ledger.commands import PostingOutcome
from tests.ledger.support import entry, fund_bank, head, open_chart, transfer

FAIL_WITHIN_S = 15.0
"""A posting against a locked database must have failed by then (the lock timeout is
a few seconds; a hang is anything longer)."""
LOCKED = r"(?i)lock"


@contextmanager
def append_lock_held(system: System) -> Iterator[None]:
    """Another session holds the recorder's append lock in an open transaction."""
    import psycopg

    database = system.database
    key = advisory_key(f"{database.schema}.{system.app.recorder.events_table_name}:insert")
    with psycopg.connect(**postgres_connect_kwargs(database)) as holder:  # type: ignore[arg-type]
        holder.execute("SELECT pg_advisory_xact_lock(%s)", (key,))
        (held,) = holder.execute(
            "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND granted "
            "AND pid = pg_backend_pid()"
        ).fetchone()
        assert held == 1
        yield
        holder.rollback()


@contextmanager
def event_table_locked(system: System) -> Iterator[None]:
    """Another session holds ACCESS EXCLUSIVE on the event table: not even a read passes."""
    import psycopg

    events = table_names(system.database)[0]
    with psycopg.connect(**postgres_connect_kwargs(system.database)) as holder:  # type: ignore[arg-type]
        holder.execute(f"LOCK TABLE {events} IN ACCESS EXCLUSIVE MODE")
        yield
        holder.rollback()


@contextmanager
def sqlite_write_lock_held(system: System) -> Iterator[None]:
    holder = sqlite3.connect(system.database.sqlite_path, isolation_level=None)
    try:
        holder.execute("BEGIN EXCLUSIVE")
        yield
        holder.execute("ROLLBACK")
    finally:
        holder.close()


def start_posting(system: System, key: str) -> tuple[threading.Thread, list[Any]]:
    """Post one entry in a thread; the list gets its outcome or its error."""
    answer: list[Any] = []

    def post() -> None:
        try:
            answer.append(system.app.post_journal_entry(rent(key)))
        except BaseException as error:  # the answer under test
            answer.append(error)

    poster = threading.Thread(target=post, name="locked-poster", daemon=True)
    poster.start()
    return poster, answer


def rent(key: str) -> Any:
    return entry(key, transfer("Expenses:Rent", "Assets:Bank", "10.00"))


def assert_refused_in_seconds_then_accepted(
    system: System, lock: Callable[[System], AbstractContextManager[None]]
) -> None:
    before = head(system.app)
    with lock(system):
        started = time.monotonic()
        poster, answer = start_posting(system, "rent-while-locked")
        poster.join(FAIL_WITHIN_S)
        waited_s = time.monotonic() - started
    poster.join(60)  # the lock is gone: a posting still waiting goes on now
    assert waited_s < FAIL_WITHIN_S, (
        f"the posting still waited for the lock after {waited_s:.1f} s "
        f"(once the lock was released it answered {answer})"
    )
    (refusal,) = answer
    assert isinstance(refusal, Exception), f"posted while the database was locked: {refusal}"
    assert head(system.app) == before, "something was written"
    # The refusal says why, in words an operator can act on.
    message = f"{type(refusal).__name__}: {refusal} {refusal.__cause__ or ''}"
    assert re.search(LOCKED, message), message
    # Nothing half-done stays behind: the same command goes through once the lock is gone.
    outcome = system.app.post_journal_entry(rent("rent-while-locked"))
    assert isinstance(outcome, PostingOutcome) and not outcome.replayed


@pytest.mark.postgres
def test_a_posting_while_another_session_holds_the_append_lock_fails_in_seconds(
    postgres_url: str,
) -> None:
    system = build_system(postgres_url)
    try:
        open_chart(system.app)
        fund_bank(system.app, "100.00", key="funding")
        assert_refused_in_seconds_then_accepted(system, append_lock_held)
    finally:
        system.close()


@pytest.mark.postgres
def test_a_posting_while_the_event_table_is_locked_exclusively_fails_in_seconds(
    postgres_url: str,
) -> None:
    system = build_system(postgres_url)
    try:
        open_chart(system.app)
        fund_bank(system.app, "100.00", key="funding")
        assert_refused_in_seconds_then_accepted(system, event_table_locked)
    finally:
        system.close()


def test_a_posting_while_another_connection_holds_the_sqlite_write_lock_fails_in_seconds(
    sqlite_url: str,
) -> None:
    system = build_system(sqlite_url)
    try:
        open_chart(system.app)
        fund_bank(system.app, "100.00", key="funding")
        assert_refused_in_seconds_then_accepted(system, sqlite_write_lock_held)
    finally:
        system.close()
