"""Issuers for the numbering concurrency tests (spawned: imported fresh in each
child). Each builds its own back office from the URL, waits at a barrier, and
issues its share of the drafts, retrying a ConcurrencyConflict as a client
would; it reports the numbers it got and how often it had to retry."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from backoffice.container import build_system
from domain.kernel.errors import ConcurrencyConflict
from tests.billing.support import CLERK, ISSUE_DATE, desks

RETRIES_MAX = 50


def issue_all(
    database_url: str, invoice_ids: list[str], barrier: Any
) -> tuple[dict[str, str], int]:
    """Issue each draft; its number per invoice id, and the retries needed."""
    system = build_system(database_url)
    try:
        billing, _payments, _receipts = desks(system)
        barrier.wait(timeout=60)
        numbers: dict[str, str] = {}
        retries = 0
        for invoice_id in invoice_ids:
            for _attempt in range(RETRIES_MAX):
                try:
                    billing.issue_invoice(CLERK, UUID(invoice_id), issue_date=ISSUE_DATE)
                except ConcurrencyConflict:
                    retries += 1
                    continue
                break
            numbers[invoice_id] = billing.get_invoice(UUID(invoice_id)).number
        return numbers, retries
    finally:
        system.close()


def run_issuer(database_url: str, invoice_ids: list[str], barrier: Any, results: Any) -> None:
    try:
        numbers, retries = issue_all(database_url, invoice_ids, barrier)
        results.put(("ok", numbers, retries))
    except BaseException as error:  # reported to the parent, which fails the test
        results.put(("error", repr(error), 0))
