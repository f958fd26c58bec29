"""Worker processes for the concurrency tests (spawned: imported fresh in each child).

Each worker builds its own back office from the database URL, waits at a
barrier so that all start spending together, and reports one outcome per
idempotency key: "accepted" or the refusal's code. A ConcurrencyConflict
is the application saying "retry": the worker retries the same command
(same key), as a client would, and counts how often it had to.

Contention is made certain, not left to timing: each worker's first commit
waits at a second barrier until every worker has loaded the guarded account
and decided its first spend against the same version of it, so all but one
of those first commits collide. Every collision the application saw (its
save raising ``IntegrityError``, which it resolves by loading and deciding
again) is counted and reported.
"""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from eventsourcing.persistence import IntegrityError

from adapters.group_commit import GroupCommitter
from backoffice.container import build_system
from domain.kernel.context import Context
from domain.kernel.errors import ConcurrencyConflict, DomainError
from domain.ledger.commands import PostJournalEntry

RETRIES_MAX = 50
FIRST_COMMIT_WAIT_S = 60
SPENDER = Context(actor="spender@example.test", correlation_id="corr-concurrency")


@dataclass(frozen=True)
class SpendJob:
    database_url: str
    keys: list[str]
    bank: str
    expense: str
    amount: str
    committer_threads: int = 0  # 0: post directly, one command at a time


def spend_command(job: SpendJob, key: str) -> PostJournalEntry:
    return PostJournalEntry(
        context=SPENDER,
        idempotency_key=key,
        effective_date="2026-03-10",
        postings=[
            {"account": job.expense, "direction": "debit", "amount": job.amount, "asset": "USD"},
            {"account": job.bank, "direction": "credit", "amount": job.amount, "asset": "USD"},
        ],
    )


def _retrying(post: Any, command: PostJournalEntry, retries: list[int]) -> str:
    for _attempt in range(RETRIES_MAX):
        try:
            post(command)
        except ConcurrencyConflict:
            retries.append(1)
            continue
        except DomainError as refusal:
            return refusal.code
        return "accepted"
    return "gave_up"


def count_collisions(app: Any, first_commit_barrier: Any, collisions: list[int]) -> None:
    """Instrument ``app.save``: the first call waits at ``first_commit_barrier``; every
    ``IntegrityError`` (a collision with another writer) is counted, then re-raised."""
    save = app.save
    first = [True]

    def counting_save(*aggregates: Any, **kwargs: Any) -> Any:
        if first[0]:
            first[0] = False
            first_commit_barrier.wait(timeout=FIRST_COMMIT_WAIT_S)
        try:
            return save(*aggregates, **kwargs)
        except IntegrityError:
            collisions.append(1)
            raise

    app.save = counting_save


def run_spend_job(job: SpendJob, barrier: Any, first_commit_barrier: Any, results: Any) -> None:
    retries: list[int] = []
    collisions: list[int] = []
    outcomes: dict[str, str] = {}
    system = None
    try:
        system = build_system(job.database_url)
        count_collisions(system.app, first_commit_barrier, collisions)
        barrier.wait(timeout=60)
        if job.committer_threads == 0:
            for key in job.keys:
                outcomes[key] = _retrying(system.app.post_journal_entry, spend_command(job, key), retries)
        else:
            lock = threading.Lock()
            with GroupCommitter(system.app) as committer, ThreadPoolExecutor(job.committer_threads) as pool:
                def one(key: str) -> None:
                    outcome = _retrying(committer.post, spend_command(job, key), retries)
                    with lock:
                        outcomes[key] = outcome

                list(pool.map(one, job.keys))
        results.put(("ok", outcomes, len(retries), len(collisions)))
    except BaseException as error:  # report to the parent instead of dying silently
        barrier.abort()
        first_commit_barrier.abort()
        results.put(("error", repr(error), len(retries), len(collisions)))
    finally:
        if system is not None:
            system.close()


def run_startup(database_url: str, barrier: Any, results: Any) -> None:
    """Start a back office at the same moment as the other workers."""
    try:
        barrier.wait(timeout=60)
        build_system(database_url).close()
        results.put(("ok", {}, 0, 0))
    except BaseException as error:
        results.put(("error", repr(error), 0, 0))
