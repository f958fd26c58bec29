"""A held connection that the server dropped is replaced before its next use.

Each store's own connection (``adapters.connections.ConnectionHolder``) is
terminated with ``pg_terminate_backend`` (only this test's own backends);
the next query must answer, not fail with "the connection is closed"; a
connection error maps to 503, a full disk to 507, a refused statement to
neither.
"""

from __future__ import annotations

import time

import psycopg
import pytest
from eventsourcing.persistence import OperationalError as StoreOperationalError

from adapters.connections import ConnectionHolder, database_fault
from adapters.database import parse_database_url
from backoffice.container import build_system
from domain.kernel.context import Context


def _terminate(url: str, pid: int) -> None:
    database = parse_database_url(url)
    with psycopg.connect(
        host=database.host,
        port=database.port,
        user=database.user,
        dbname=database.dbname,
        password=database.password or None,
        autocommit=True,
    ) as admin:
        admin.execute("SELECT pg_terminate_backend(%s)", (pid,))
        # The backend exits (and says so on its socket) just after the call returns.
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:
            gone = admin.execute("SELECT 1 FROM pg_stat_activity WHERE pid = %s", (pid,))
            if gone.fetchone() is None:
                return
            time.sleep(0.01)


@pytest.mark.postgres
def test_a_terminated_store_connection_is_replaced_before_the_next_query(postgres_url: str) -> None:
    system = build_system(postgres_url)
    try:
        context = Context("heal-test", "c")
        system.app.open_account(context, "Assets:Bank", "Bank", "asset", ["USD"])
        projection = system.projections
        assert projection.accounts()  # folds: the store and the log reader connect
        holders = [projection.store._holder, projection._reader._holder]  # type: ignore[attr-defined]
        for holder in holders:
            pid = holder.connection().execute("SELECT pg_backend_pid()").fetchone()[0]
            _terminate(postgres_url, pid)
        system.app.open_account(context, "Assets:Till", "Till", "asset", ["USD"])
        codes = {info.code for info in projection.accounts()}  # no "the connection is closed"
        assert {"Assets:Bank", "Assets:Till"} <= codes
        assert all(holder.replaced >= 1 for holder in holders)
    finally:
        system.close()


@pytest.mark.postgres
def test_a_holder_reopens_after_a_lost_connection(postgres_url: str) -> None:
    holder = ConnectionHolder(parse_database_url(postgres_url))
    try:
        first = holder.connection().execute("SELECT pg_backend_pid()").fetchone()[0]
        _terminate(postgres_url, first)
        second = holder.connection().execute("SELECT pg_backend_pid()").fetchone()[0]
        assert second != first and holder.replaced == 1
    finally:
        holder.close()


def test_database_errors_are_classified_by_what_a_client_can_do() -> None:
    lost = psycopg.OperationalError("server closed the connection unexpectedly")
    wrapped = StoreOperationalError("wrapped")
    wrapped.__cause__ = lost
    assert database_fault(lost) == "unavailable"
    assert database_fault(wrapped) == "unavailable"
    assert database_fault(psycopg.errors.DiskFull("could not extend file")) == "disk_full"
    assert database_fault(psycopg.errors.LockNotAvailable("lock timeout")) == "unavailable"
    assert database_fault(psycopg.errors.InsufficientPrivilege("permission denied")) is None
    assert database_fault(psycopg.errors.UndefinedTable("no such table")) is None
