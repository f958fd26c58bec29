"""A projection worker killed with SIGKILL mid-batch resumes without double counting.

The worker is a separate process folding in pages of 20 events, so nearly
every moment is inside a transaction; it is killed at seeded random moments
(the seed is printed), restarted, killed again, and finally a fresh service
catches up. The result must equal an independent sum of what was posted,
and ``verify`` must find no difference from a rebuild.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

from backoffice.container import build_system
from domain.ledger.commands import PostJournalEntry
from projections.ledger.runner import ProjectionService
from replay.verify import verify
from tests.ledger.support import CLERK, entry, transfer

ROOT = Path(__file__).resolve().parents[2]
ENTRIES_PER_ROUND = 1_500
KILLS = 5
PAGE_SIZE = 20
PAUSE_S = 0.003  # between pages: a round (75 pages) outlasts the longest kill delay


def _post_many(app: object, first: int, count: int) -> int:
    """Post ``count`` entries of 1.00 to 9.00; returns their total in cents."""
    commands: list[PostJournalEntry] = []
    total_minor = 0
    for number in range(first, first + count):
        amount_minor = 100 * (1 + number % 9)
        total_minor += amount_minor
        amount = f"{amount_minor // 100}.00"
        commands.append(
            entry(
                f"crash-{number}",
                transfer("Expenses:Rent", "Assets:Bank", amount),
                f"2026-{1 + number % 12:02d}-10",
            )
        )
    for start in range(0, count, 500):
        outcomes = app.post_entries(commands[start : start + 500])  # type: ignore[attr-defined]
        assert all(not isinstance(outcome, Exception) for outcome in outcomes)
    return total_minor


def _start_worker(url: str) -> subprocess.Popen[str]:
    worker = subprocess.Popen(
        [sys.executable, "-m", "tests.faults.projection_worker", url, str(PAGE_SIZE), str(PAUSE_S)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    assert worker.stdout is not None and worker.stdout.readline().strip() == "ready"
    return worker


def test_a_worker_killed_mid_batch_resumes_without_double_counting(database_url: str) -> None:
    seed = random.SystemRandom().randrange(2**32)
    print(f"seed={seed}")
    rng = random.Random(seed)
    system = build_system(database_url)
    # Reads the tracked position without catching up itself.
    observer = ProjectionService(system.database, catch_up_on_query=False)
    try:
        app = system.app
        app.open_account(CLERK, "Assets:Bank", "Bank", "asset", ["USD"])
        app.open_account(CLERK, "Expenses:Rent", "Rent", "expense", ["USD"])
        total_minor = 0
        positions_at_kill = []
        killed_mid_work = 0
        for round_number in range(KILLS):
            total_minor += _post_many(app, round_number * ENTRIES_PER_ROUND, ENTRIES_PER_ROUND)
            head = app.recorder.max_notification_id()
            worker = _start_worker(database_url)
            time.sleep(rng.uniform(0.0, 0.15))
            worker.send_signal(signal.SIGKILL)
            worker.wait(timeout=10)
            positions_at_kill.append(observer.position())
            killed_mid_work += positions_at_kill[-1] < head
        # Progress is kept across kills, and kills landed while work was left.
        assert positions_at_kill == sorted(positions_at_kill)
        assert killed_mid_work >= 1, (
            f"every kill came after the worker had finished: {positions_at_kill}"
        )
        head = app.recorder.max_notification_id()

        assert system.projections.catch_up() == head
        bank = system.projections.balance("Assets:Bank").lines[0]
        rent = system.projections.balance("Expenses:Rent").lines[0]
        assert (bank.debits_posted, bank.credits_posted) == (0, total_minor)
        assert (rent.debits_posted, rent.credits_posted) == (total_minor, 0)
        report = verify(system.database)
        assert report.findings == [], report.summary_lines()
    finally:
        observer.close()
        system.close()
