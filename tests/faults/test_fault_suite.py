"""The seeded fault suite: the real server as the application role, under
retrying load, through every fault, and the history checked after each.

Per scenario: a throwaway cluster (fsync on) with the compose roles, the log
migrated by the owner, ``backoffice serve --workers 2`` as the application
role; four writers posting with an Idempotency-Key each (retrying with the
same key on no answer, 409 and 5xx) and two readers; the fault mid-burst;
then the load drained, and ``tests.faults.history`` over every request, plus
``backoffice verify`` and ``verify --chain`` as the owner. The time to
healthy is from the fault's end to the first ``/health/ready`` 200 followed
by an acknowledged posting begun after the fault; it must stay under
``HEALTHY_WITHIN_S``. The seed is printed (``BACKOFFICE_FAULT_SEED`` replays
it); a failing scenario keeps its logs under ``build/faults/<scenario>/``.
Figures of each run go to ``build/faults/figures.json``.
"""

from __future__ import annotations

import json
import os
import random
import statistics
import time
from contextlib import ExitStack, suppress
from typing import Any

import httpx
import pytest

from adapters.settings import Settings
from backoffice.container import build_system
from domain.kernel.context import Context
from tests.api.support import issue_token
from tests.faults import faults
from tests.faults.deployment import ROOT, Deployment, deployment
from tests.faults.history import check, log_entries
from tests.faults.load import CREDIT, DEBIT, Load
from tests.pg_cluster import available

pytestmark = [pytest.mark.faults, pytest.mark.slow]

HEALTHY_WITHIN_S = 20.0
"""The bound on the time to healthy after any fault (measured: see README)."""
BURST_S = 1.5
AFTER_S = 2.0
FIGURES = ROOT / "build" / "faults" / "figures.json"


def _seed() -> int:
    given = os.environ.get("BACKOFFICE_FAULT_SEED")
    return int(given) if given else random.SystemRandom().randrange(2**31)


def _setup(where: Deployment) -> str:
    """The two accounts and a poster token (as the owner, before the server starts)."""
    settings = Settings.from_environment(where.environment(where.owner_url))
    system = build_system(settings=settings)
    try:
        context = Context("fault-suite", "setup")
        system.app.open_account(context, DEBIT, "Rent", "expense", ["USD"])
        system.app.open_account(context, CREDIT, "Capital", "equity", ["USD"])
        return issue_token(system, settings, "poster", "fault-load")
    finally:
        system.close()


def _healthy_after(where: Deployment, load: Load, moment: float) -> float:
    """Seconds from ``moment`` until ready and a posting begun after it was acknowledged."""
    deadline = moment + HEALTHY_WITHIN_S * 3
    while time.monotonic() < deadline:
        ready = False
        with suppress(httpx.HTTPError):
            ready = httpx.get(f"{where.base}/health/ready", timeout=2).status_code == 200
        if ready and load.acknowledged_since(moment):
            return time.monotonic() - moment
        time.sleep(0.05)
    return float("inf")


def _wait_projected(where: Deployment, token: str) -> None:
    """Until the accounts are in the balances (a worker folds them in its own time)."""
    headers = {"Authorization": f"Bearer {token}"}
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        with suppress(httpx.HTTPError):
            url = f"{where.base}/v1/accounts/{DEBIT}/balance"
            if httpx.get(url, headers=headers, timeout=5).status_code == 200:
                return
        time.sleep(0.1)
    raise AssertionError("the accounts never reached the balances")


def _final_balance(where: Deployment, token: str, position: int) -> dict[str, Any] | None:
    headers = {"Authorization": f"Bearer {token}"}
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            answer = httpx.get(
                f"{where.base}/v1/accounts/{DEBIT}/balance",
                params={"min_position": position},
                headers=headers,
                timeout=10,
            )
            if answer.status_code == 200:
                body: dict[str, Any] = answer.json()
                return body
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    return None


def _record(name: str, seed: int, figures: dict[str, Any]) -> None:
    FIGURES.parent.mkdir(parents=True, exist_ok=True)
    known = json.loads(FIGURES.read_text()) if FIGURES.exists() else {}
    known[name] = {"seed": seed, **figures}
    FIGURES.write_text(json.dumps(known, indent=2, sort_keys=True))


def run_scenario(
    name: str, fault: faults.Fault | None, *, projections: str = "inline", small_disk: bool = False
) -> None:
    reason = available()
    if reason is not None:
        pytest.fail(f"cannot make a throwaway cluster: {reason}")
    seed = _seed()
    print(f"fault scenario {name}: seed={seed} (BACKOFFICE_FAULT_SEED={seed} replays it)")
    rng = random.Random(seed)
    with ExitStack() as stack:
        where = stack.enter_context(deployment(projections))
        holder: list[Load] = []
        if small_disk:
            disk = stack.enter_context(faults.SmallDisk(where.root))
            faults.move_log_to(where, disk)
            fault = faults.fill_disk(disk, lambda: holder[0].refused(507))
        assert fault is not None
        try:
            token = _setup(where)
            if projections == "worker":
                where.start_worker()
            where.start_server()
            where.wait_ready()
            _wait_projected(where, token)
            load = Load(where.base, token, seed).start()
            holder.append(load)
            time.sleep(BURST_S)
            healthy_s = fault(where, rng, lambda moment: _healthy_after(where, load, moment))
            time.sleep(AFTER_S)
            load.drain()
            entries = log_entries(where.owner_url, f"s{seed}-")
            head = max((e.position for found in entries.values() for e in found), default=0)
            verdict = check(load.intents, load.reads, entries, _final_balance(where, token, head))
            verified = where.cli("verify")
            chain = where.cli("verify", "--chain")
            figures = {
                "acknowledged": verdict.acknowledged,
                "lost": verdict.lost,
                "duplicated": verdict.duplicated,
                "unknown_seen": verdict.unknown_seen,
                "unknown_resolved": verdict.unknown_resolved,
                "unresolved": verdict.unresolved,
                "write_statuses": verdict.statuses,
                "read_statuses": verdict.read_statuses,
                "healthy_s": [round(s, 2) for s in healthy_s],
                "healthy_median_s": round(statistics.median(healthy_s), 2),
                "healthy_max_s": round(max(healthy_s), 2),
            }
            print(json.dumps({name: figures}, sort_keys=True))
            _record(name, seed, figures)
            assert verdict.problems == [], verdict.problems
            assert verdict.acknowledged > 0
            if small_disk:
                assert verdict.statuses.get("507", 0) > 0, "the full disk refused writes"
            assert verdict.unresolved == 0, "every intent was answered once the service was back"
            assert max(healthy_s) < HEALTHY_WITHIN_S, healthy_s
            assert verified.returncode == 0, verified.stdout + verified.stderr
            assert chain.returncode == 0, chain.stdout + chain.stderr
        except BaseException:
            kept = where.keep_logs(name)
            print(f"logs kept in {kept}")
            raise
        finally:
            where.close()


def test_kill_9_of_the_server_process_group_mid_burst() -> None:
    run_scenario("kill_server", faults.kill_server)


def test_immediate_stop_of_the_database_mid_burst() -> None:
    run_scenario("stop_database", faults.stop_database)


def test_terminating_the_servers_connections_several_times() -> None:
    run_scenario("terminate_backends", faults.terminate_backends)


def test_the_projection_worker_killed_at_random_points() -> None:
    run_scenario("kill_projection_worker", faults.kill_projection_worker, projections="worker")


def test_the_append_lock_holder_stopped_past_the_lock_timeout() -> None:
    run_scenario("stop_lock_holder", faults.stop_lock_holder)


def test_the_disk_under_the_log_full_then_freed() -> None:
    if os.geteuid() != 0:
        pytest.skip("mounting the small tmpfs tablespace needs root")
    run_scenario("disk_full", None, small_disk=True)
