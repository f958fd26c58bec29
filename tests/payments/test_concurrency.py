"""Payments under contention: several OS processes approve, submit and settle
the same payments against one no-overdraft bank account.

The bank holds 3000.00; twelve payments of 150.00 and two of 1100.00 (these
need two distinct approvers) ask for 4000.00. Four processes, each its own
approver, work through every payment in their own (seeded) order. Whatever
the interleaving: the bank is never overdrawn at any version of its history,
each payment is reserved and settled at most once, what settled fits the
funds, and every payment left unsettled did not fit what was left.
"""

from __future__ import annotations

import multiprocessing
import queue
import time
from collections import Counter
from typing import Any
from uuid import UUID

import orjson
import pytest

from backoffice.container import build_system
from domain.ledger.accounts import Account, account_id
from tests.payments.support import bank_funds, desks, fund, open_chart, requested
from tests.payments.workers import run_payment_job

PROCESSES = 4
FUNDING_MINOR = 3000_00
AMOUNTS = ["150.00"] * 12 + ["1100.00"] * 2
TIMEOUT_S = 180
SEED = 20261123


def prepare(database_url: str) -> list[str]:
    system = build_system(database_url)
    try:
        open_chart(system)
        fund(system, "3000.00")
        payments, _receipts, _port = desks(system)
        return [str(requested(payments, amount)) for amount in AMOUNTS]
    finally:
        system.close()


def collect(workers: list[Any], results: Any) -> list[dict[str, dict[str, str]]]:
    for worker in workers:
        worker.start()
    reports: list[tuple[str, Any]] = []
    deadline = time.monotonic() + TIMEOUT_S
    while len(reports) < len(workers):
        try:
            reports.append(results.get(timeout=0.5))
        except queue.Empty:
            died = [w.exitcode for w in workers if w.exitcode not in (None, 0)]
            assert not died, f"a worker died without reporting (exit codes {died})"
            assert time.monotonic() < deadline, "workers did not report in time"
    for worker in workers:
        worker.join(timeout=TIMEOUT_S)
    errors = [detail for status, detail in reports if status != "ok"]
    assert errors == [], errors
    return [detail for _status, detail in reports]


@pytest.mark.postgres
def test_processes_approving_and_settling_payments_never_overdraw_and_settle_each_once(
    postgres_url: str,
) -> None:
    payment_ids = prepare(postgres_url)
    context = multiprocessing.get_context("spawn")
    barrier = context.Barrier(PROCESSES)
    results = context.Queue()
    workers = [
        context.Process(
            target=run_payment_job,
            args=(
                postgres_url,
                f"approver-p{n}@example.test",
                payment_ids,
                SEED + n,
                barrier,
                results,
            ),
        )
        for n in range(PROCESSES)
    ]
    reports = collect(workers, results)
    settles = Counter(r[pid]["settle"] for r in reports for pid in payment_ids)
    print(f"settle outcomes over {PROCESSES} processes: {dict(settles)}")
    assert "gave_up" not in {o for r in reports for steps in r.values() for o in steps.values()}

    system = build_system(postgres_url)
    try:
        payments, _receipts, _port = desks(system)
        final = {pid: payments.get(UUID(pid)) for pid in payment_ids}
        rows = system.app.recorder.select_notifications(start=1, limit=100_000)
        per_payment = Counter(
            str(row.originator_id) for row in rows if row.topic.endswith(".PaymentSettled")
        )
        reserved = Counter(
            str(row.originator_id) for row in rows if row.topic.endswith(".PaymentFundsReserved")
        )
        posted = Counter(
            str(row.originator_id) for row in rows if row.topic.endswith(".PendingEntryPosted")
        )
        assert max(per_payment.values()) == 1 and max(reserved.values()) == 1
        assert max(posted.values()) == 1
        settled = [p for p in final.values() if p.status == "settled"]
        assert set(per_payment) == {str(p.id) for p in settled}
        assert sum(r[str(p.id)]["settle"] == "accepted" for r in reports for p in settled) == len(
            settled
        )
        settled_minor = sum(p.amount_minor for p in settled)
        assert settled_minor <= FUNDING_MINOR
        left = FUNDING_MINOR - settled_minor
        for payment in final.values():
            if payment.status != "settled":
                assert payment.status == "awaiting_approval", payment.status
                if payment.approvals_required == 1 or len(payment.current_approvers()) == 1:
                    assert payment.amount_minor > left, "a payment that fitted was not approved"
        assert bank_funds(system) == (FUNDING_MINOR, settled_minor, 0, 0)
        # The account's history, version by version: never overdrawn, reservations included.
        available = 0
        for event in system.app.repository.event_store.get(account_id("Assets:Bank")):
            if isinstance(event, Account.PostingRecorded):
                available += event.debits_posted - event.credits_posted - event.credits_pending
                assert available >= 0, orjson.dumps(event.__dict__, default=str)
        assert len(settled) >= 6
    finally:
        system.close()
