"""Gap-free numbers under concurrent issuing: several threads (each with its
own application, as separate API workers would be) on both backends, and
several OS processes on PostgreSQL. Every issued invoice gets a number, the
numbers run 1..n without a gap or a repeat, and each has its entry."""

from __future__ import annotations

import multiprocessing
import queue
import threading
import time
from collections.abc import Iterator
from typing import Any
from uuid import UUID, uuid4

import pytest

from backoffice.container import System, build_system
from domain.billing.numbering import parse_invoice_number
from tests.billing.support import CLERK, Books, balances, desks, line, open_books
from tests.billing.workers import issue_all, run_issuer

WORKERS = 4
INVOICES_PER_WORKER = 8
TIMEOUT_S = 120


@pytest.fixture
def books(system: System) -> Iterator[Books]:
    yield open_books(system)


def drafts(books: Books, count: int) -> list[str]:
    ids = []
    for _ in range(count):
        invoice_id = uuid4()
        books.billing.draft_invoice(
            CLERK, invoice_id=invoice_id, party_id=books.customer, lines=[line()]
        )
        ids.append(str(invoice_id))
    return ids


def assert_gap_free(books: Books, numbers: dict[str, str], count: int) -> None:
    assert len(numbers) == count
    sequences = sorted(parse_invoice_number(number).sequence for number in numbers.values())
    assert sequences == list(range(1, count + 1))
    assert books.billing.numbering_findings() == []
    for invoice_id, number in numbers.items():
        invoice = books.billing.get_invoice(UUID(invoice_id))
        assert invoice.number == number
        assert books.system.app.get_entry(UUID(invoice.entry_id)).reference == number
    assert books.billing.control_findings(balances(books.system)) == []


def test_threads_issuing_at_once_get_gap_free_numbers(books: Books, database_url: str) -> None:
    ids = drafts(books, WORKERS * INVOICES_PER_WORKER)
    barrier = threading.Barrier(WORKERS)
    results: list[tuple[dict[str, str], int]] = []
    errors: list[BaseException] = []

    def work(share: list[str]) -> None:
        try:
            results.append(issue_all(database_url, share, barrier))
        except BaseException as error:
            errors.append(error)

    threads = [
        threading.Thread(target=work, args=(ids[index::WORKERS],)) for index in range(WORKERS)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(TIMEOUT_S)
    assert errors == []
    numbers = {key: value for found, _retries in results for key, value in found.items()}
    assert_gap_free(books, numbers, len(ids))


@pytest.mark.postgres
def test_processes_issuing_at_once_on_postgres_get_gap_free_numbers(postgres_url: str) -> None:
    system = build_system(postgres_url)
    try:
        books = open_books(system)
        ids = drafts(books, WORKERS * INVOICES_PER_WORKER)
        context = multiprocessing.get_context("spawn")
        barrier = context.Barrier(WORKERS)
        results = context.Queue()
        workers = [
            context.Process(
                target=run_issuer, args=(postgres_url, ids[index::WORKERS], barrier, results)
            )
            for index in range(WORKERS)
        ]
        reports = collect(workers, results)
        numbers = {key: value for _, found, _ in reports for key, value in found.items()}
        billing, _, _ = desks(system)
        books.billing = billing
        assert_gap_free(books, numbers, len(ids))
    finally:
        system.close()


def collect(workers: list[Any], results: Any) -> list[tuple[str, Any, int]]:
    for worker in workers:
        worker.start()
    reports: list[tuple[str, Any, int]] = []
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
    errors = [detail for status, detail, _ in reports if status != "ok"]
    assert errors == [], errors
    return reports
