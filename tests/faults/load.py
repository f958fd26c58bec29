"""A load client that behaves like a careful finance system.

Writers post journal entries, each under an Idempotency-Key of its own;
on a connection error, a timeout, a 409 (the same key still in flight) or
a 5xx they retry with the same key and body until an answer comes or the
drain deadline passes. Readers poll a balance and ``/health/ready``. Every
attempt is recorded, with its times and status (None: no answer), for
``tests.faults.history``.
"""

from __future__ import annotations

import random
import threading
import time
from dataclasses import dataclass, field
from typing import Any

import httpx

DEBIT, CREDIT = "Expenses:Rent", "Equity:Capital"
REQUEST_TIMEOUT_S = 15.0
RETRY_PAUSE_S = 0.1
RETRY_STATUSES = frozenset({409, 500, 502, 503, 504, 507})


@dataclass
class Attempt:
    started: float
    ended: float
    status: int | None  # None: no answer (connection refused or dropped, timeout)
    body: dict[str, Any] | None
    error: str = ""


@dataclass
class Intent:
    """One intended posting: its key, amount and every attempt to make it."""

    key: str
    amount_minor: int
    attempts: list[Attempt] = field(default_factory=list)

    @property
    def request(self) -> dict[str, Any]:
        amount = f"{self.amount_minor // 100}.{self.amount_minor % 100:02d}"
        return {
            "effective_date": "2026-01-15",
            "reference": self.key,
            "postings": [
                {"account": DEBIT, "direction": "debit", "amount": amount, "asset": "USD"},
                {"account": CREDIT, "direction": "credit", "amount": amount, "asset": "USD"},
            ],
        }

    @property
    def final(self) -> Attempt | None:
        return self.attempts[-1] if self.attempts else None

    @property
    def acknowledged(self) -> bool:
        final = self.final
        return final is not None and final.status is not None and 200 <= final.status < 300


@dataclass
class Read:
    path: str
    started: float
    status: int | None
    error: str = ""


class Load:
    """``writers`` posting threads and ``readers`` polling threads against ``base``."""

    def __init__(self, base: str, token: str, seed: int, writers: int = 4, readers: int = 2):
        self.base = base
        self.headers = {"Authorization": f"Bearer {token}"}
        self.random = random.Random(seed)
        self.seed = seed
        self.writers, self.readers = writers, readers
        self.intents: list[Intent] = []
        self.reads: list[Read] = []
        self._lock = threading.Lock()
        self._stop_new = threading.Event()
        self._drain_deadline = float("inf")
        self._threads: list[threading.Thread] = []
        self._stop_reads = threading.Event()

    def start(self) -> Load:
        for number in range(self.writers):
            self._spawn(self._write_loop, number)
        for number in range(self.readers):
            self._spawn(self._read_loop, number)
        return self

    def _spawn(self, target: Any, number: int) -> None:
        thread = threading.Thread(target=target, args=(number,), daemon=True)
        thread.start()
        self._threads.append(thread)

    def _write_loop(self, number: int) -> None:
        with httpx.Client(base_url=self.base, timeout=REQUEST_TIMEOUT_S) as client:
            count = 0
            while not self._stop_new.is_set():
                with self._lock:
                    amount = self.random.randrange(1, 10_000)
                    intent = Intent(f"s{self.seed}-w{number}-{count}", amount)
                    self.intents.append(intent)
                count += 1
                self._settle(client, intent)

    def _settle(self, client: httpx.Client, intent: Intent) -> None:
        while True:
            attempt = self._post(client, intent)
            intent.attempts.append(attempt)
            if attempt.status is not None and attempt.status not in RETRY_STATUSES:
                return
            if time.monotonic() > self._drain_deadline:
                return  # unresolved: the checker counts it as unknown
            time.sleep(RETRY_PAUSE_S)

    def _post(self, client: httpx.Client, intent: Intent) -> Attempt:
        started = time.monotonic()
        try:
            response = client.post(
                "/v1/journal-entries",
                json=intent.request,
                headers={**self.headers, "Idempotency-Key": intent.key},
            )
        except httpx.HTTPError as error:
            return Attempt(started, time.monotonic(), None, None, type(error).__name__)
        try:
            body = response.json()
        except ValueError:
            body = {"text": response.text[:200]}
        return Attempt(started, time.monotonic(), response.status_code, body)

    def _read_loop(self, number: int) -> None:
        paths = [f"/v1/accounts/{DEBIT}/balance", "/health/ready", "/metrics", "/v1/trial-balance"]
        with httpx.Client(base_url=self.base, timeout=REQUEST_TIMEOUT_S) as client:
            while not self._stop_reads.is_set():
                path = paths[(number + len(self.reads)) % len(paths)]
                started = time.monotonic()
                try:
                    status: int | None = client.get(path, headers=self.headers).status_code
                    error = ""
                except httpx.HTTPError as exc:
                    status, error = None, type(exc).__name__
                with self._lock:
                    self.reads.append(Read(path, started, status, error))
                time.sleep(0.02)

    def drain(self, deadline_s: float = 90.0) -> None:
        """No new intents; the open ones retry until answered or ``deadline_s`` passes."""
        self._drain_deadline = time.monotonic() + deadline_s
        self._stop_new.set()
        for thread in self._threads[: self.writers]:
            thread.join(timeout=deadline_s + REQUEST_TIMEOUT_S + 5)
        self._stop_reads.set()
        for thread in self._threads[self.writers :]:
            thread.join(timeout=REQUEST_TIMEOUT_S + 5)

    def refused(self, status: int) -> bool:
        """Whether some attempt was answered ``status``."""
        with self._lock:
            intents = list(self.intents)
        return any(a.status == status for intent in intents for a in list(intent.attempts))

    def acknowledged_since(self, moment: float) -> bool:
        """Whether a posting was acknowledged by a request that started after ``moment``."""
        with self._lock:
            intents = list(self.intents)
        return any(
            attempt.started >= moment and attempt.status in (200, 201)
            for intent in intents
            for attempt in list(intent.attempts)
        )
