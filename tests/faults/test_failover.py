"""Failover: kill -9 of the primary mid-burst, ``pg_ctl promote`` of its standby.

A primary and a ``pg_basebackup -R`` standby (throwaway clusters, fsync on,
private loopback ports, the compose roles); ``backoffice serve`` connects
with the multi-host URL ``postgresql://...@primary,standby/backoffice?
target_session_attrs=read-write``. Four retrying writers post under load; a
checkpoint is signed before the burst; the primary's postmaster and every
backend get SIGKILL together and the standby is promoted. The server finds
the new primary by itself. Then: the history checker over every request
(every acknowledged entry present exactly once, no key with two effects),
a checkpoint signed on the new primary, ``verify`` and ``verify --chain``
(the chain unbroken across the promotion, both checkpoints verify). The
time from the kill to the first acknowledged write is printed.

With a synchronous standby nothing acknowledged may be lost. With an
asynchronous one the test prints how many acknowledged entries the new
primary lacks (zero is not required: on loopback the window is small).
"""

from __future__ import annotations

import json
import os
import random
import shutil
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.faults.deployment import DBNAME, INITDB_SQL, Deployment, psql
from tests.faults.history import check, log_entries
from tests.faults.load import Load
from tests.faults.test_fault_suite import _final_balance, _record, _seed, _setup, _wait_projected
from tests.pg_cluster import available
from tests.replicas.standby import Node, make_primary, make_standby, make_synchronous, stop

pytestmark = [pytest.mark.faults, pytest.mark.slow]

BURST_S = 1.5
AFTER_S = 3.0
WRITE_WITHIN_S = 30.0


@dataclass
class FailoverDeployment(Deployment):
    standby: Node | None = None

    @property
    def where(self) -> str:
        assert self.standby is not None
        hosts = f"127.0.0.1:{self.cluster.port},127.0.0.1:{self.standby.port}"
        return f"{hosts}/{DBNAME}?schema=backoffice&target_session_attrs=read-write"


@contextmanager
def failover_deployment(synchronous: bool) -> Iterator[FailoverDeployment]:
    root = Path(tempfile.mkdtemp(prefix="bo-failover-"))
    primary = make_primary(root)
    setup = FailoverDeployment(primary, root, signing_key=os.urandom(32).hex())  # type: ignore[arg-type]
    try:
        psql(primary, f"CREATE DATABASE {DBNAME}")
        for script in sorted(INITDB_SQL.glob("*.sql")):
            psql(primary, str(script), dbname=DBNAME)
        setup.standby = make_standby(primary, root)
        if synchronous:
            make_synchronous(primary)
        migrated = setup.cli("migrate", "--app-role", "backoffice_app")
        assert migrated.returncode == 0, migrated.stdout + migrated.stderr
        yield setup
    finally:
        setup.close()
        if setup.standby is not None:
            stop(setup.standby)
        stop(primary)
        shutil.rmtree(root, ignore_errors=True)


def _first_write_after(load: Load, moment: float) -> float:
    """Seconds from ``moment`` to the first acknowledgement of an attempt begun after it."""
    deadline = moment + WRITE_WITHIN_S * 2
    while time.monotonic() < deadline:
        with load._lock:
            intents = list(load.intents)
        ends = [
            attempt.ended
            for intent in intents
            for attempt in list(intent.attempts)
            if attempt.started >= moment and attempt.status in (200, 201)
        ]
        if ends:
            return min(ends) - moment
        time.sleep(0.02)
    return float("inf")


def _checkpoint(where: Deployment) -> None:
    signed = where.cli("checkpoint")
    assert signed.returncode == 0, signed.stdout + signed.stderr


def run_failover(name: str, *, synchronous: bool) -> dict[str, Any]:
    reason = available()
    if reason is not None:
        pytest.fail(f"cannot make a throwaway cluster: {reason}")
    seed = _seed()
    print(f"failover scenario {name}: seed={seed} (BACKOFFICE_FAULT_SEED={seed} replays it)")
    random.seed(seed)
    with failover_deployment(synchronous) as where:
        assert where.standby is not None
        try:
            token = _setup(where)
            _checkpoint(where)  # signed on the old primary
            where.start_server()
            where.wait_ready()
            _wait_projected(where, token)
            load = Load(where.base, token, seed).start()
            time.sleep(BURST_S)
            killed = time.monotonic()
            where.cluster.kill_9()  # type: ignore[attr-defined]
            where.standby.promote()
            promoted_s = time.monotonic() - killed
            first_write_s = _first_write_after(load, killed)
            time.sleep(AFTER_S)
            load.drain()
            entries = log_entries(where.owner_url, f"s{seed}-")
            head = max((e.position for found in entries.values() for e in found), default=0)
            verdict = check(load.intents, load.reads, entries, _final_balance(where, token, head))
            _checkpoint(where)  # signed on the new primary
            verified = where.cli("verify")
            chain = where.cli("verify", "--chain", "--json")
            report = json.loads(chain.stdout) if chain.returncode == 0 else {}
            figures = {
                "synchronous": synchronous,
                "acknowledged": verdict.acknowledged,
                "lost": verdict.lost,
                "duplicated": verdict.duplicated,
                "unknown_seen": verdict.unknown_seen,
                "unresolved": verdict.unresolved,
                "write_statuses": verdict.statuses,
                "promote_s": round(promoted_s, 3),
                "kill_to_first_write_s": round(first_write_s, 3),
                "checkpoints_checked": report.get("checkpoints_checked"),
                "chain_length": report.get("chain_length"),
            }
            print(json.dumps({name: figures}, sort_keys=True))
            _record(name, seed, figures)
            assert verdict.acknowledged > 0
            assert verdict.duplicated == 0, verdict.problems
            others = [p for p in verdict.problems if "acknowledged" not in p and "lost" not in p]
            if synchronous:
                assert verdict.problems == [], verdict.problems
                assert verdict.lost == 0
                assert verdict.unresolved == 0, "every intent was answered after the promotion"
            else:
                assert others == [], others
            assert first_write_s < WRITE_WITHIN_S, first_write_s
            assert verified.returncode == 0, verified.stdout + verified.stderr
            assert chain.returncode == 0, chain.stdout + chain.stderr
            assert report["ok"] and report["checkpoints_checked"] >= 2, report
            # The server writes to the promoted standby now.
            with suppress(httpx.HTTPError):
                assert httpx.get(f"{where.base}/health/ready", timeout=5).status_code == 200
            return figures
        except BaseException:
            kept = where.keep_logs(name)
            print(f"logs kept in {kept}")
            raise


def test_failover_to_a_synchronous_standby_loses_nothing() -> None:
    figures = run_failover("failover_sync", synchronous=True)
    print(
        f"synchronous failover: {figures['acknowledged']} acknowledged, lost {figures['lost']}, "
        f"kill to first write {figures['kill_to_first_write_s']} s"
    )


def test_failover_to_an_asynchronous_standby_shows_what_can_be_lost() -> None:
    figures = run_failover("failover_async", synchronous=False)
    print(
        f"asynchronous failover: {figures['acknowledged']} acknowledged, "
        f"LOST {figures['lost']} acknowledged entries, "
        f"kill to first write {figures['kill_to_first_write_s']} s"
    )


