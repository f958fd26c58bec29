"""How an item's owner (a payment, a receipt) saves what it does after a re-screening.

``save_retrying`` (``domain.ledger.steps``) always commits; following a new
screening case often has nothing to do (the owner already follows that case,
or is no longer pending), and then nothing is saved: no empty commit, and no
API request's rider spent on it.
"""

from __future__ import annotations

from collections.abc import Callable

from eventsourcing.domain import Aggregate
from eventsourcing.persistence import IntegrityError

from domain.application import CONFLICT_RETRIES_MAX, BackOffice
from domain.kernel.errors import ConcurrencyConflict


def save_if_changed(app: BackOffice, attempt: Callable[[], list[Aggregate]]) -> int | None:
    """Decide (``attempt`` loads and triggers) and save in one commit under the write
    lock, retried after a collision; None, and nothing saved, when ``attempt``
    changed nothing. Otherwise the log position of the commit's last event."""
    for _attempt in range(CONFLICT_RETRIES_MAX):
        with app.write_lock:
            changed = attempt()
            if not changed:
                return None
            try:
                recordings = app.save(*changed)
            except IntegrityError:
                continue
            return int(recordings[-1].notification.id)
    raise ConcurrencyConflict("changed concurrently by other writers too often; retry")
