"""Posting throughput: balanced two-posting entries from concurrent clients.

Each client is a thread that submits one entry at a time and waits for its
own acknowledgement (the entry is committed when the answer arrives); the
group committer gathers what is queued into shared commits. The reference
is raw psycopg: the same number of rows of the same size inserted with
``executemany``, 1,000 rows per commit, in the same run.
"""

from __future__ import annotations

import os
import statistics
import threading
import time
from typing import Any

import orjson
import psycopg

from adapters.database import parse_database_url, postgres_connect_kwargs
from adapters.group_commit import GroupCommitter
from backoffice.container import build_system
from domain.kernel.context import Context
from domain.ledger.commands import PostJournalEntry

EXPENSE_ACCOUNTS = 20


def _open_chart(app: Any) -> None:
    context = Context("bench", "bench-setup")
    app.open_account(context, "Assets:Bank", "Bank", "asset", ["USD"])
    for number in range(EXPENSE_ACCOUNTS):
        app.open_account(context, f"Expenses:E{number}", f"Expense {number}", "expense", ["USD"])


def _command(client: int, number: int) -> PostJournalEntry:
    return PostJournalEntry(
        context=Context(f"client-{client}", f"bench-{client}-{number}"),
        idempotency_key=f"bench-{client}-{number}",
        effective_date=f"2026-{1 + number % 12:02d}-15",
        postings=[
            {"account": f"Expenses:E{number % EXPENSE_ACCOUNTS}", "direction": "debit",
             "amount": f"{1 + number % 500}.25", "asset": "USD"},
            {"account": "Assets:Bank", "direction": "credit",
             "amount": f"{1 + number % 500}.25", "asset": "USD"},
        ],
        description="bench entry",
    )


WARMUP_ENTRIES_PER_CLIENT = 5
"""Posted by every client before the clock starts (connections, prepared statements,
caches), then all clients start together; the warm-up is not measured."""


def measure_group_commit(database_url: str, clients: int, entries_per_client: int) -> dict[str, Any]:
    system = build_system(database_url, pool_size=4)
    try:
        _open_chart(system.app)
        latencies_ms: list[float] = []
        lock = threading.Lock()
        failures: list[BaseException] = []
        ready = threading.Barrier(clients + 1)

        with GroupCommitter(system.app) as committer:
            def client(number: int) -> None:
                mine = []
                try:
                    for sequence in range(WARMUP_ENTRIES_PER_CLIENT):
                        committer.post(_command(number, entries_per_client + sequence))
                except BaseException as error:
                    failures.append(error)
                ready.wait()
                try:
                    for sequence in range(entries_per_client):
                        command = _command(number, sequence)
                        started = time.perf_counter()
                        committer.post(command)
                        mine.append((time.perf_counter() - started) * 1000)
                except BaseException as error:  # reported below, the bench fails loudly
                    failures.append(error)
                with lock:
                    latencies_ms.extend(mine)

            threads = [threading.Thread(target=client, args=(n,)) for n in range(clients)]
            for thread in threads:
                thread.start()
            ready.wait()
            started = time.perf_counter()
            batches_before = committer.batches_committed
            for thread in threads:
                thread.join()
            seconds = time.perf_counter() - started
            batches = committer.batches_committed - batches_before
        if failures:
            raise RuntimeError(f"{len(failures)} clients failed: {failures[0]!r}")
        total = clients * entries_per_client
        latencies_ms.sort()
        return {
            "clients": clients,
            "entries": total,
            "warmup_entries": clients * WARMUP_ENTRIES_PER_CLIENT,
            "seconds": round(seconds, 3),
            "entries_per_s": round(total / seconds),
            "commits": batches,
            "entries_per_commit_mean": round(total / max(batches, 1), 1),
            "latency_ms_p50": round(statistics.median(latencies_ms), 2),
            "latency_ms_p99": round(latencies_ms[int(len(latencies_ms) * 0.99) - 1], 2),
        }
    finally:
        system.close()


def measure_raw_inserts(database_url: str, rows: int) -> dict[str, Any]:
    """Raw psycopg reference: rows shaped like stored entry events, 1,000 per commit."""
    database = parse_database_url(database_url)
    state = orjson.dumps({
        "actor": "client-1", "correlation_id": "bench-1-1", "description": "bench entry",
        "effective_date": "2026-01-15", "fingerprint": "f" * 64, "idempotency_key": "bench-1-1",
        "metadata": {}, "originator_topic": "domain.journal:JournalEntry",
        "postings": [["Expenses:E1", "debit", 125, "USD"], ["Assets:Bank", "credit", 125, "USD"]],
        "reference": "", "reverses": None, "timestamp": "2026-11-23T10:00:00+00:00",
        "class_version": 2,
    })
    with psycopg.connect(**postgres_connect_kwargs(database)) as conn:  # type: ignore[arg-type]
        conn.execute(f'SET search_path TO "{database.schema}"')
        conn.execute(
            "CREATE TABLE raw_bench_events (originator_id uuid NOT NULL, originator_version bigint "
            "NOT NULL, topic text, state bytea, notification_id bigserial, "
            "PRIMARY KEY (originator_id, originator_version))"
        )
        conn.commit()
        started = time.perf_counter()
        with conn.cursor() as cursor:
            for start in range(0, rows, 1000):
                cursor.executemany(
                    "INSERT INTO raw_bench_events (originator_id, originator_version, topic, state) "
                    "VALUES (%s, 1, 'domain.journal:JournalEntry.JournalEntryPosted', %s)",
                    [(os.urandom(16).hex(), state) for _ in range(min(1000, rows - start))],
                )
                conn.commit()
        seconds = time.perf_counter() - started
        conn.execute("DROP TABLE raw_bench_events")
        conn.commit()
    return {"rows": rows, "rows_per_commit": 1000, "seconds": round(seconds, 3),
            "rows_per_s": round(rows / seconds)}
