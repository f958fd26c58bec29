"""Reads on a hot standby (``BACKOFFICE_READ_DATABASE_URL``), on throwaway clusters.

A primary and a ``pg_basebackup -R`` standby on private loopback ports; the
API is built with the standby as its read database. What a reader gets from
the standby equals what the primary gives at the same log position (every
registered projection, a report's digest, the chain), and a read with
``min_position`` waits for the standby's replay or answers 503.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from adapters.chain_store import verify_chain
from adapters.database import parse_database_url
from adapters.replicas import replayed_position, sync_replica_refusals
from adapters.settings import Settings
from adapters.signing import generate
from api.app import create_app
from backoffice.container import build_system
from domain.access.tokens import ROLES
from projections.registry import REGISTRY
from projections.reports.framework import DatabaseLogSource
from projections.reports.service import ReportService
from tests.api.support import ApiHarness, entry_body, issue_token, open_usd_chart
from tests.pg_cluster import available
from tests.replicas.standby import (
    Node,
    make_primary,
    make_standby,
    make_synchronous,
    stop,
    wait_replayed,
)

pytestmark = [pytest.mark.slow]
SCHEMA = "bo"


@pytest.fixture(scope="module")
def pair() -> Iterator[tuple[Node, Node]]:
    reason = available()
    if reason is not None:
        pytest.skip(reason)
    root = Path(tempfile.mkdtemp(prefix="bo-replica-"))
    primary = make_primary(root)
    standby = None
    try:
        standby = make_standby(primary, root)
        yield primary, standby
    finally:
        if standby is not None:
            stop(standby)
        stop(primary)
        shutil.rmtree(root, ignore_errors=True)


def _url(node: Node) -> str:
    return f"postgresql://postgres@127.0.0.1:{node.port}/postgres?schema={SCHEMA}"


@pytest.fixture(scope="module")
def api(pair: tuple[Node, Node]) -> Iterator[ApiHarness]:
    primary, standby = pair
    settings = Settings(
        database_url=_url(primary),
        read_database_url=_url(standby),
        signing_key=generate().private_pem(),
        read_wait_s=2.0,
        checkpoint_interval_s=0,
    )
    system = build_system(settings=settings)
    tokens = {role: issue_token(system, settings, role, f"{role}-actor") for role in ROLES}
    app = create_app(settings, system=system)
    try:
        with TestClient(app, raise_server_exceptions=True) as client:
            harness = ApiHarness(system, client, settings, tokens)
            open_usd_chart(harness)
            yield harness
    finally:
        system.close()


def _post(api: ApiHarness, amount: str = "10.00") -> int:
    answer = api.post(
        "/v1/journal-entries", "poster", entry_body("Assets:Bank", "Equity:Capital", amount)
    )
    assert answer.status_code == 201, answer.text
    return int(answer.json()["position"])


def test_the_system_reads_the_log_from_the_standby(
    api: ApiHarness, pair: tuple[Node, Node]
) -> None:
    primary, standby = pair
    assert api.system.read_database is not None
    assert api.system.read_database.port == standby.port
    assert api.system.reader_database.port == standby.port
    assert api.system.database.port == primary.port  # writes stay on the primary
    assert standby.replayed()


def test_replica_reads_equal_primary_reads_at_the_same_position(
    api: ApiHarness, pair: tuple[Node, Node]
) -> None:
    primary, standby = pair
    for number in range(20):
        _post(api, f"{number + 1}.25")
    api.checkpoint()
    wait_replayed(primary, standby)
    head = int(api.system.app.recorder.max_notification_id() or 0)
    assert replayed_position(parse_database_url(_url(standby))) == head
    primary_db, standby_db = api.system.database, parse_database_url(_url(standby))

    # Every registered projection (balances, the audit trail, ...) folded once from the
    # primary's log and once from the standby's, into tables of their own, to one position.
    for number, registration in enumerate(REGISTRY):
        live = api.system.tracked[registration.name]
        from_primary = live.sibling(f"cmpp{number}_")
        from_standby = live.sibling(f"cmps{number}_")
        from_standby.read_log_from(standby_db)
        try:
            assert from_primary.catch_up(up_to=head) == head
            assert from_standby.catch_up(up_to=head) == head
            left = sorted(from_primary.store.table_digests().values())
            right = sorted(from_standby.store.table_digests().values())
            assert left == right, registration.name
        finally:
            from_primary.close()
            from_standby.close()

    # A report at the same position: the same digest from either log.
    parameters: dict[str, Any] = {"period": "2026-01"}
    on_primary = ReportService(primary_db, api.system.app)
    on_standby = ReportService(primary_db, api.system.app, DatabaseLogSource(standby_db))
    for name in ("trial-balance", "audit-extract"):
        report_left = on_primary.summary(on_primary.prepare(name, parameters, head))
        report_right = on_standby.summary(on_standby.prepare(name, parameters, head))
        assert report_left["digest"] == report_right["digest"], name
        assert report_right["as_of_position"] == head
    # The services' own report runs read the standby.
    assert isinstance(api.system.services.reports.source, DatabaseLogSource)
    assert api.system.services.reports.source.database.port == standby.port

    # The chain and the checkpoint verify on the standby as on the primary.
    keys = [api.settings.signer.public_raw] if api.settings.signer else []
    primary_report, standby_report = verify_chain(primary_db, keys), verify_chain(standby_db, keys)
    assert primary_report.ok and standby_report.ok, standby_report.problems
    assert standby_report.chain_length == primary_report.chain_length
    assert standby_report.checkpoints_checked == primary_report.checkpoints_checked >= 1
    verified = api.get("/v1/audit/verify")
    assert verified.status_code == 200 and verified.json()["ok"], verified.text

    # Through the API: the balance and the audit trail at that position, read via the standby.
    balance = api.get("/v1/accounts/Assets:Bank/balance", params={"min_position": head})
    assert balance.status_code == 200, balance.text
    at_head = api.get("/v1/accounts/Assets:Bank/balance", params={"at_position": head})
    # The answers state the position they reflect (audit reads append access records).
    assert balance.json()["position"] >= head
    assert {k: v for k, v in balance.json().items() if k != "position"} == {
        k: v for k, v in at_head.json().items() if k != "position"
    }


def test_min_position_waits_for_the_standby_to_replay(
    api: ApiHarness, pair: tuple[Node, Node]
) -> None:
    primary, standby = pair
    wait_replayed(primary, standby)
    standby.sql("SELECT pg_wal_replay_pause()")
    try:
        position = _post(api, "3.00")
        started = time.monotonic()
        refused = api.get("/v1/accounts/Assets:Bank/balance", params={"min_position": position})
        waited = time.monotonic() - started
        assert refused.status_code == 503, refused.text
        assert refused.headers["Retry-After"] == "1"
        assert waited >= api.settings.read_wait_s * 0.9
        # Reads that do not ask for the position answer from what the standby has.
        assert api.get("/v1/accounts/Assets:Bank/balance").status_code == 200
        resume = threading.Timer(0.5, lambda: standby.sql("SELECT pg_wal_replay_resume()"))
        resume.start()
        started = time.monotonic()
        answered = api.get("/v1/accounts/Assets:Bank/balance", params={"min_position": position})
        waited = time.monotonic() - started
        resume.join()
        assert answered.status_code == 200, answered.text
        assert 0.4 <= waited < api.settings.read_wait_s
        reached = api.system.projections.tracked_position()
        assert reached >= position
        trail = api.get("/v1/audit/events", params={"min_position": position})
        assert trail.status_code in (200, 404), trail.text
    finally:
        standby.sql("SELECT pg_wal_replay_resume()")


def test_closing_an_account_decides_on_the_primary_head(
    api: ApiHarness, pair: tuple[Node, Node]
) -> None:
    """With replay paused, the balance probe cannot see the last entry: it refuses
    (503) rather than close an account whose balance it has not seen."""
    primary, standby = pair
    created = api.post(
        "/v1/accounts",
        "admin",
        {"code": "Expenses:Probe", "name": "probe", "type": "expense", "assets": ["USD"]},
    )
    assert created.status_code == 201, created.text
    wait_replayed(primary, standby)
    standby.sql("SELECT pg_wal_replay_pause()")
    try:
        _ = api.post(
            "/v1/journal-entries", "poster", entry_body("Expenses:Probe", "Equity:Capital", "1.00")
        )
        closed = api.post("/v1/accounts/Expenses:Probe/close", "admin", {"reason": "test"})
        assert closed.status_code == 503, closed.text
    finally:
        standby.sql("SELECT pg_wal_replay_resume()")
    wait_replayed(primary, standby)
    closed = api.post("/v1/accounts/Expenses:Probe/close", "admin", {"reason": "test"})
    assert closed.status_code in (409, 422), closed.text  # a balance: refused, never closed


def test_sync_replica_check_refuses_an_asynchronous_standby(pair: tuple[Node, Node]) -> None:
    primary, _standby = pair
    database = parse_database_url(_url(primary))
    findings = sync_replica_refusals(database)
    assert any("synchronous_standby_names is empty" in line for line in findings), findings
    assert any("streams asynchronously" in line for line in findings), findings
    environment = {k: v for k, v in os.environ.items() if not k.startswith("BACKOFFICE_")}
    environment.update(
        BACKOFFICE_ENV="production",
        BACKOFFICE_SECRET="s" * 40,
        BACKOFFICE_SIGNING_KEY=os.urandom(32).hex(),
        BACKOFFICE_DATABASE_URL=_url(primary),
        BACKOFFICE_REQUIRE_SYNC_REPLICA="yes",
    )
    backoffice = str(Path(sys.executable).with_name("backoffice"))
    served = subprocess.run(
        [backoffice, "serve", "--host", "127.0.0.1", "--port", "1"],
        env=environment,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert served.returncode != 0
    assert "BACKOFFICE_REQUIRE_SYNC_REPLICA" in served.stderr, served.stderr
    make_synchronous(primary)
    try:
        assert sync_replica_refusals(database) == []
    finally:
        primary.sql("ALTER SYSTEM RESET synchronous_standby_names")
        primary.sql("ALTER SYSTEM RESET synchronous_commit")
        primary.sql("SELECT pg_reload_conf()")


def test_a_report_at_a_position_waits_for_the_standby(
    api: ApiHarness, pair: tuple[Node, Node], monkeypatch: pytest.MonkeyPatch
) -> None:
    from adapters.database import DatabaseUnavailable
    from projections.reports import service as report_service

    primary, standby = pair
    reports = api.system.services.reports
    parameters = {"period": "2026-01"}
    wait_replayed(primary, standby)
    standby.sql("SELECT pg_wal_replay_pause()")
    try:
        position = _post(api, "4.00")
        monkeypatch.setattr(report_service, "REPLICA_WAIT_S", 0.3)
        with pytest.raises(DatabaseUnavailable, match="not yet at"):
            reports.prepare("trial-balance", parameters, position)
        monkeypatch.setattr(report_service, "REPLICA_WAIT_S", 5.0)
        resume = threading.Timer(0.5, lambda: standby.sql("SELECT pg_wal_replay_resume()"))
        resume.start()
        prepared = reports.prepare("trial-balance", parameters, position)
        resume.join()
        assert prepared.as_of_position == position
        assert reports.summary(prepared)["as_of_position"] == position
    finally:
        standby.sql("SELECT pg_wal_replay_resume()")
