"""Worker processes for the payment concurrency test (spawned: imported fresh).

Each worker builds its own back office, waits at a barrier, then for every
payment (in its own order) approves it, submits it and settles it, as its
own approver. It reports the outcome of each step per payment: "accepted" or
the refusal's code; a ConcurrencyConflict is retried, as a client would.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from functools import partial
from typing import Any
from uuid import UUID

from backoffice.container import build_system
from domain.kernel.context import Context
from domain.kernel.errors import ConcurrencyConflict, DomainError
from tests.payments.support import desks

RETRIES_MAX = 50


def _attempt(action: Callable[[], Any]) -> str:
    for _attempt in range(RETRIES_MAX):
        try:
            action()
        except ConcurrencyConflict:
            continue
        except DomainError as refusal:
            return refusal.code
        return "accepted"
    return "gave_up"


def run_payment_job(
    database_url: str, approver: str, payment_ids: list[str], seed: int, barrier: Any, results: Any
) -> None:
    system = None
    outcomes: dict[str, dict[str, str]] = {}
    try:
        system = build_system(database_url)
        payments, _receipts, _port = desks(system)
        context = Context(approver, f"corr-{approver}")
        order = list(payment_ids)
        random.Random(seed).shuffle(order)
        barrier.wait(timeout=60)
        for text in order:
            payment_id = UUID(text)
            outcomes[text] = {
                "approve": _attempt(partial(payments.approve, context, payment_id)),
                "submit": _attempt(
                    partial(payments.submit, context, payment_id, f"REF-{text[:8]}")
                ),
                "settle": _attempt(partial(payments.settle, context, payment_id)),
            }
        results.put(("ok", outcomes))
    except BaseException as error:  # report to the parent instead of dying silently
        barrier.abort()
        results.put(("error", repr(error)))
    finally:
        if system is not None:
            system.close()
