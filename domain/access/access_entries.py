"""Access entries and their rate limit: the records of who was refused at the
door or read the audit trail, kept apart from the business log.

An access entry is not a business fact: a stranger with a garbage token can
cause one per request. So entries go to an access log of their own (its own
table and hash chain, ``adapters.access_log``) and never take a position or
change a digest of the business log; a report reads them by the business
position they were recorded at (``log_position``: the business log's head
then), so a report at a position never changes (an entry joins the reports
once the business log has moved past its ``log_position``).

``AccessRateLimiter`` bounds what one client address or one token can make
the API record: beyond ``records_per_window`` in a window, the request is
answered 429 with ``Retry-After`` and only counted (one counter row per
window, client and outcome), not stored one by one.
"""

from __future__ import annotations

from dataclasses import dataclass

OUTCOMES = ("denied", "read", "refused")
"""``denied``: 401/403 at the door; ``read``: an audited read; ``refused``: a
four-eyes attempt the domain refused (self-approval, duplicate approver)."""
KEYS_PER_WINDOW_MAX = 100_000
"""Distinct client addresses and tokens one window tracks; past it, new ones are
limited at once (memory stays bounded whatever a flood of addresses does)."""


@dataclass(frozen=True, slots=True)
class AccessEntry:
    """One access worth keeping. ``actor`` is empty when the caller could not be
    identified; ``log_position`` is the business log's head when it was recorded."""

    recorded_at_utc: str
    log_position: int
    outcome: str
    status: int
    actor: str
    role: str
    method: str
    route: str
    query: str
    client: str
    detail: str
    correlation_id: str

    def __post_init__(self) -> None:
        assert self.outcome in OUTCOMES, self.outcome


@dataclass(frozen=True, slots=True)
class Admission:
    """The limiter's answer: admitted, or limited until ``retry_after_s`` passes."""

    admitted: bool
    retry_after_s: int
    window_start_s: int


class AccessRateLimiter:
    """Fixed windows of ``window_s`` seconds; at most ``records_per_window`` admitted
    per key (a client address, a token) in each. One per process: with several
    workers each limits on its own, so the bound is per worker."""

    def __init__(self, records_per_window: int, window_s: int = 60) -> None:
        assert records_per_window >= 1 and window_s >= 1
        self.records_per_window = records_per_window
        self.window_s = window_s
        self._window_start_s = -1
        self._counts: dict[str, int] = {}

    def admit(self, keys: tuple[str, ...], now_s: float) -> Admission:
        """Admit one record for every key in ``keys`` at ``now_s``, or none of them."""
        window_start_s = int(now_s) - int(now_s) % self.window_s
        if window_start_s != self._window_start_s:
            self._window_start_s, self._counts = window_start_s, {}
        retry_after_s = max(1, window_start_s + self.window_s - int(now_s))
        counts = self._counts
        full = len(counts) >= KEYS_PER_WINDOW_MAX
        for key in keys:
            used = counts.get(key)
            if (used is None and full) or (used or 0) >= self.records_per_window:
                return Admission(False, retry_after_s, window_start_s)
        for key in keys:
            counts[key] = counts.get(key, 0) + 1
        return Admission(True, retry_after_s, window_start_s)
