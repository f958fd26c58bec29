"""Ledger rule 2 under contention: several OS processes spend from one account
flagged against overdraft, and it never crosses zero.

The account holds 100.00 USD; 50 payments of 3.00 are spread over 4
processes (each with its own application, connection pool and caches).
Exactly 33 fit. The account's own history is checked event by event: the
running available balance never goes below zero at any version.

Contention is certain (tests/ledger/concurrency_workers.py: every process
decides its first spend against the same version of the account before any
commits), so each run also shows that collisions happened and that the
application's retries resolved every one: no command is left conflicted.
"""

from __future__ import annotations

import multiprocessing
import queue
import time
from collections import Counter
from dataclasses import dataclass
from typing import Any

import pytest

from backoffice.container import build_system
from domain.application import BackOffice
from domain.ledger.accounts import Account, account_id
from tests.ledger.concurrency_workers import SpendJob, run_spend_job, run_startup, spend_command
from tests.ledger.support import available_minor, fund_bank, open_chart

PROCESSES = 4
SPENDS = 50
SPEND_AMOUNT = "3.00"
FUNDING = "100.00"
SPENDS_THAT_FIT = 33
LEFT_OVER_MINOR = 1_00
TIMEOUT_S = 120


def prepare_books(database_url: str) -> None:
    system = build_system(database_url)
    open_chart(system.app)
    fund_bank(system.app, FUNDING)
    system.close()


Report = tuple[str, Any, int, int]  # status, outcomes per key (or the error), retries, collisions


@dataclass(frozen=True)
class Contention:
    collisions: int  # commits that collided with another process's (IntegrityError)
    retries: int  # commands the application gave back as conflicted, retried by the worker


def run_workers(workers: list[Any], results: Any) -> list[Report]:
    """Start the workers and collect one report from each; fail fast if one dies."""
    for worker in workers:
        worker.start()
    reports: list[Report] = []
    deadline = time.monotonic() + TIMEOUT_S
    while len(reports) < len(workers):
        try:
            reports.append(results.get(timeout=0.5))
        except queue.Empty:
            died = [worker.exitcode for worker in workers if worker.exitcode not in (None, 0)]
            assert not died, f"a worker died without reporting (exit codes {died})"
            assert time.monotonic() < deadline, "workers did not report in time"
    for worker in workers:
        worker.join(timeout=TIMEOUT_S)
    errors = [detail for status, detail, _retries, _collisions in reports if status != "ok"]
    assert errors == [], errors
    return reports


def spend_from_many_processes(
    database_url: str, committer_threads: int = 0
) -> tuple[Counter[str], Contention]:
    """Run the 50 spends over 4 spawned processes; return outcome counts and contention."""
    context = multiprocessing.get_context("spawn")
    barrier = context.Barrier(PROCESSES)
    first_commit_barrier = context.Barrier(PROCESSES)
    results = context.Queue()
    keys = [f"spend-{n:02d}" for n in range(SPENDS)]
    workers = [
        context.Process(
            target=run_spend_job,
            args=(
                SpendJob(database_url, keys[index::PROCESSES], "Assets:Bank", "Expenses:Rent",
                         SPEND_AMOUNT, committer_threads),
                barrier,
                first_commit_barrier,
                results,
            ),
        )
        for index in range(PROCESSES)
    ]
    reports = run_workers(workers, results)
    outcomes: Counter[str] = Counter()
    seen: set[str] = set()
    for _, per_key, _retries, _collisions in reports:
        assert seen.isdisjoint(per_key)
        seen.update(per_key)
        outcomes.update(per_key.values())
    assert seen == set(keys)
    contention = Contention(
        collisions=sum(report[3] for report in reports),
        retries=sum(report[2] for report in reports),
    )
    return outcomes, contention


def assert_the_processes_collided_and_every_collision_was_resolved(
    outcomes: Counter[str], contention: Contention
) -> None:
    # The first commits of all processes were decided against one version of the
    # account: all but one collided, at least.
    assert contention.collisions >= PROCESSES - 1, contention
    # Every command ended accepted or refused for funds: none gave up conflicted.
    assert set(outcomes) <= {"accepted", "insufficient_funds"}, outcomes


def assert_never_overdrawn(app: BackOffice, code: str) -> list[int]:
    """Replay the account's own events in version order; return the running available balance."""
    running: list[int] = []
    available = 0
    for event in app.repository.event_store.get(account_id(code)):
        if isinstance(event, Account.PostingRecorded):
            available += event.debits_posted - event.credits_posted - event.credits_pending
            running.append(available)
    assert min(running) >= 0, f"overdrawn at some version: {running}"
    return running


def assert_exactly_what_fits_was_spent(database_url: str, outcomes: Counter[str]) -> None:
    assert outcomes == Counter(accepted=SPENDS_THAT_FIT, insufficient_funds=SPENDS - SPENDS_THAT_FIT)
    system = build_system(database_url)
    try:
        assert available_minor(system.app, "Assets:Bank") == LEFT_OVER_MINOR
        running = assert_never_overdrawn(system.app, "Assets:Bank")
        assert len(running) == 1 + SPENDS_THAT_FIT
        assert running[-1] == LEFT_OVER_MINOR
    finally:
        system.close()


@pytest.mark.postgres
def test_processes_spending_one_guarded_account_on_postgres_never_overdraw_it(
    postgres_url: str,
) -> None:
    prepare_books(postgres_url)
    outcomes, contention = spend_from_many_processes(postgres_url)
    print(f"postgres, direct: {dict(outcomes)}, {contention}")
    assert_the_processes_collided_and_every_collision_was_resolved(outcomes, contention)
    assert_exactly_what_fits_was_spent(postgres_url, outcomes)


@pytest.mark.postgres
def test_processes_spending_through_group_committers_on_postgres_never_overdraw_it(
    postgres_url: str,
) -> None:
    prepare_books(postgres_url)
    outcomes, contention = spend_from_many_processes(postgres_url, committer_threads=4)
    print(f"postgres, group commit: {dict(outcomes)}, {contention}")
    assert_the_processes_collided_and_every_collision_was_resolved(outcomes, contention)
    assert_exactly_what_fits_was_spent(postgres_url, outcomes)


def test_processes_spending_one_guarded_account_on_sqlite_never_overdraw_it(
    sqlite_url: str,
) -> None:
    prepare_books(sqlite_url)
    outcomes, contention = spend_from_many_processes(sqlite_url)
    print(f"sqlite, direct: {dict(outcomes)}, {contention}")
    assert_the_processes_collided_and_every_collision_was_resolved(outcomes, contention)
    assert_exactly_what_fits_was_spent(sqlite_url, outcomes)


def test_processes_spending_through_group_committers_on_sqlite_never_overdraw_it(
    sqlite_url: str,
) -> None:
    prepare_books(sqlite_url)
    outcomes, contention = spend_from_many_processes(sqlite_url, committer_threads=4)
    print(f"sqlite, group commit: {dict(outcomes)}, {contention}")
    assert_the_processes_collided_and_every_collision_was_resolved(outcomes, contention)
    assert_exactly_what_fits_was_spent(sqlite_url, outcomes)


def test_one_process_alone_fits_exactly_33_spends_into_the_account(sqlite_url: str) -> None:
    # The split the multi-process tests expect is the ledger's arithmetic,
    # not an artefact of contention.
    prepare_books(sqlite_url)
    job = SpendJob(sqlite_url, [], "Assets:Bank", "Expenses:Rent", SPEND_AMOUNT)
    system = build_system(sqlite_url)
    try:
        outcomes = system.app.post_entries([spend_command(job, f"solo-{n}") for n in range(SPENDS)])
    finally:
        system.close()
    codes = Counter(getattr(outcome, "code", "accepted") for outcome in outcomes)
    assert codes == Counter(accepted=SPENDS_THAT_FIT, insufficient_funds=SPENDS - SPENDS_THAT_FIT)


@pytest.mark.postgres
def test_processes_starting_together_on_one_postgres_schema_all_start(postgres_url: str) -> None:
    # The library (re)creates its tables and insert function at every start;
    # without a lock, simultaneous starts fail with "tuple concurrently updated".
    prepare_books(postgres_url)
    context = multiprocessing.get_context("spawn")
    starters = 6
    barrier = context.Barrier(starters)
    results = context.Queue()
    workers = [context.Process(target=run_startup, args=(postgres_url, barrier, results))
               for _ in range(starters)]
    run_workers(workers, results)
