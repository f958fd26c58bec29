"""Fill a store with journal entries fast, for benchmarks of folds and replays.

Accounts are opened and one entry is posted through the real application;
that entry's stored state is the template for the rest, which are inserted
as raw rows (COPY on PostgreSQL, executemany on SQLite) in exactly the shape
the application writes: same topic, same sorted orjson state, entry ids
derived from the idempotency key, fingerprints over the canonical body. The
rows are what ``app.save`` would produce, a hundred times faster.

    python -m bench.generate --url sqlite:///bench.db --events 1000000 [--seed N]
"""

from __future__ import annotations

import argparse
import random
import sqlite3
import sys
import time
from datetime import UTC, datetime, timedelta
from typing import Any

import orjson

from backoffice.container import build_system
from backoffice.settings import Database, postgres_connect_kwargs
from domain.commands import Context, PostJournalEntry
from domain.journal import entry_id_for_key, fingerprint
from replay.log_reader import POSTGRES_EVENTS_TABLE, SQLITE_EVENTS_TABLE

ACCOUNTS = [
    ("Assets:Bank", "asset"), ("Assets:Receivables", "asset"), ("Liabilities:Payables", "liability"),
    ("Equity:Capital", "equity"), ("Income:Sales", "income"), ("Income:Fees", "income"),
    ("Expenses:Rent", "expense"), ("Expenses:Payroll", "expense"),
]  # fmt: skip
CHUNK_EVENTS = 50_000


def _template(system: Any, context: Context) -> tuple[str, dict[str, Any]]:
    """Open the accounts, post one real entry, and return its stored topic and state."""
    for code, account_type in ACCOUNTS:
        system.app.open_account(context, code, code, account_type, ["USD"])
    outcome = system.app.post_journal_entry(
        PostJournalEntry(
            context,
            "bench-template",
            "2024-01-01",
            [
                {"account": "Assets:Bank", "direction": "debit", "amount": "1.00", "asset": "USD"},
                {"account": "Income:Sales", "direction": "credit", "amount": "1.00", "asset": "USD"},
            ],
        )
    )
    stored = system.app.recorder.select_events(outcome.entry_id)[0]
    return stored.topic, orjson.loads(stored.state)


def _rows(
    topic: str, template: dict[str, Any], rng: random.Random, seed: int, start: int, count: int
) -> list[tuple[Any, ...]]:
    started_at = datetime(2024, 1, 1, tzinfo=UTC)
    rows = []
    for index in range(start, start + count):
        key = f"bench-{seed}-{index}"
        debit, credit = rng.sample(ACCOUNTS, 2)
        amount_minor = rng.randint(1, 1_000_000)
        effective_date = (started_at + timedelta(days=rng.randrange(366))).date().isoformat()
        postings = [[debit[0], "debit", amount_minor, "USD"], [credit[0], "credit", amount_minor, "USD"]]
        body = {
            "effective_date": effective_date, "description": "", "reference": "",
            "postings": postings, "pending": False, "metadata": {},
        }  # fmt: skip
        state = dict(template)
        state.update(
            idempotency_key=key,
            fingerprint=fingerprint(body),
            effective_date=effective_date,
            postings=postings,
            timestamp=(started_at + timedelta(microseconds=index)).isoformat(),
        )
        rows.append((entry_id_for_key(key), 1, topic, orjson.dumps(state, option=orjson.OPT_SORT_KEYS)))
    return rows


def _insert(database: Database, rows: list[tuple[Any, ...]]) -> None:
    if database.backend == "sqlite":
        with sqlite3.connect(database.sqlite_path, uri=True) as connection:
            connection.executemany(
                f"INSERT INTO {SQLITE_EVENTS_TABLE} VALUES (?, ?, ?, ?)",
                [(entry_id.hex, *rest) for entry_id, *rest in rows],
            )
        return
    import psycopg

    with psycopg.connect(**postgres_connect_kwargs(database)) as connection:  # type: ignore[arg-type]
        table = f'"{database.schema}".{POSTGRES_EVENTS_TABLE}'
        with connection.cursor() as cursor, cursor.copy(
            f"COPY {table} (originator_id, originator_version, topic, state) FROM STDIN"
        ) as copy:
            for row in rows:
                copy.write_row(row)


def generate(url: str, events: int, seed: int) -> None:
    """Append ``events`` two-posting entries (plus setup events) to the store at ``url``."""
    system = build_system(url)
    try:
        topic, template = _template(system, Context("bench", f"bench-{seed}"))
    finally:
        system.close()
    rng = random.Random(seed)
    for start in range(0, events, CHUNK_EVENTS):
        _insert(system.database, _rows(topic, template, rng, seed, start, min(CHUNK_EVENTS, events - start)))


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--url", required=True, help="BACKOFFICE_DATABASE_URL of the store to fill")
    parser.add_argument("--events", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=None, help="default: random, printed")
    args = parser.parse_args(argv)
    seed = args.seed if args.seed is not None else random.SystemRandom().randrange(2**32)
    print(f"seed={seed}", flush=True)
    started = time.perf_counter()
    generate(args.url, args.events, seed)
    print(f"generated {args.events} entries in {time.perf_counter() - started:.1f}s", file=sys.stderr)


if __name__ == "__main__":
    main()
