"""Fill a store with journal entries fast, for benchmarks of folds and replays.

Accounts are opened and one entry is posted through the real application;
that entry's stored state is the template for the rest, which are inserted
as raw rows (COPY on PostgreSQL, executemany on SQLite) in exactly the shape
the application writes: same topic, same sorted orjson state, entry ids
derived from the idempotency key, fingerprints over the canonical body. The
rows are what ``app.save`` would produce, a hundred times faster.

The raw rows bypass the recorder, so they are not in the hash chain: with
``--chain`` (``generate(..., chain=True)``) each chunk's chain rows (leaf
hash and link, replay/chain.py, continuing from the last chain row) are
computed here and written in the same transaction as the events, exactly
as the chained recorder would have written them; the log then verifies.

    python -m bench.generate --url sqlite:///bench.db --events 1000000 [--seed N] [--chain]
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

from backoffice.chained_store import advisory_key, chain_table_for
from backoffice.container import build_system
from backoffice.settings import Database, postgres_connect_kwargs
from domain.commands import Context, PostJournalEntry
from domain.journal import entry_id_for_key, fingerprint
from replay.chain import GENESIS_LINK, leaf_hash, next_link
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
                {
                    "account": "Income:Sales",
                    "direction": "credit",
                    "amount": "1.00",
                    "asset": "USD",
                },
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
        postings = [
            [debit[0], "debit", amount_minor, "USD"],
            [credit[0], "credit", amount_minor, "USD"],
        ]
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
        rows.append(
            (entry_id_for_key(key), 1, topic, orjson.dumps(state, option=orjson.OPT_SORT_KEYS))
        )
    return rows


def _chain_rows(
    last: tuple[int, bytes] | None, notification_ids: list[int], rows: list[tuple[Any, ...]]
) -> list[tuple[int, int, bytes, bytes]]:
    """(position, notification id, leaf hash, link) of ``rows``, continuing after ``last``:
    what the chained recorder writes for events it inserts."""
    if len(notification_ids) != len(rows):
        raise RuntimeError(f"{len(rows)} rows inserted, {len(notification_ids)} ids found")
    position, link = last if last is not None else (0, GENESIS_LINK)
    chained = []
    for notification_id, (originator_id, version, topic, state) in zip(
        notification_ids, rows, strict=True
    ):
        leaf = leaf_hash(topic, originator_id, version, state)
        link = next_link(link, leaf)
        position += 1
        chained.append((position, notification_id, leaf, link))
    return chained


def _insert(database: Database, rows: list[tuple[Any, ...]], chain: bool = False) -> None:
    if database.backend == "sqlite":
        chain_table = chain_table_for(SQLITE_EVENTS_TABLE)
        with sqlite3.connect(database.sqlite_path, uri=True) as connection:
            if chain:
                connection.execute("BEGIN IMMEDIATE")  # one writer: ids and chain stay in step
                before = connection.execute(f"SELECT MAX(rowid) FROM {SQLITE_EVENTS_TABLE}")
                prior = before.fetchone()[0] or 0
            connection.executemany(
                f"INSERT INTO {SQLITE_EVENTS_TABLE} VALUES (?, ?, ?, ?)",
                [(entry_id.hex, *rest) for entry_id, *rest in rows],
            )
            if chain:
                ids = [
                    row[0]
                    for row in connection.execute(
                        f"SELECT rowid FROM {SQLITE_EVENTS_TABLE} WHERE rowid > ? ORDER BY rowid",
                        (prior,),
                    )
                ]
                last = connection.execute(
                    f"SELECT position, link FROM {chain_table} ORDER BY position DESC LIMIT 1"
                ).fetchone()
                connection.executemany(
                    f"INSERT INTO {chain_table} (position, notification_id, leaf_hash, link) "
                    "VALUES (?, ?, ?, ?)",
                    _chain_rows(None if last is None else (last[0], bytes(last[1])), ids, rows),
                )
        return
    import psycopg

    with psycopg.connect(**postgres_connect_kwargs(database)) as connection:  # type: ignore[arg-type]
        table = f'"{database.schema}".{POSTGRES_EVENTS_TABLE}'
        chain_table = f'"{database.schema}".{chain_table_for(POSTGRES_EVENTS_TABLE)}'
        with connection.cursor() as cursor:
            if chain:
                # The recorder's writer lock: commit order = id order = chain order.
                key = advisory_key(f"{database.schema}.{POSTGRES_EVENTS_TABLE}:insert")
                cursor.execute("SELECT pg_advisory_xact_lock(%s)", (key,))
                cursor.execute(f"SELECT COALESCE(MAX(notification_id), 0) FROM {table}")
                prior = cursor.fetchone()[0]  # type: ignore[index]
            with cursor.copy(
                f"COPY {table} (originator_id, originator_version, topic, state) FROM STDIN"
            ) as copy:
                for row in rows:
                    copy.write_row(row)
            if not chain:
                return
            cursor.execute(
                f"SELECT notification_id FROM {table} WHERE notification_id > %s "
                "ORDER BY notification_id",
                (prior,),
            )
            ids = [row[0] for row in cursor.fetchall()]
            cursor.execute(
                f"SELECT position, link FROM {chain_table} ORDER BY position DESC LIMIT 1"
            )
            last = cursor.fetchone()
            chained = _chain_rows(None if last is None else (last[0], bytes(last[1])), ids, rows)
            with cursor.copy(
                f"COPY {chain_table} (position, notification_id, leaf_hash, link) "
                "FROM STDIN (FORMAT BINARY)"
            ) as copy:
                copy.set_types(["int8", "int8", "bytea", "bytea"])
                for chain_row in chained:
                    copy.write_row(chain_row)


def generate(url: str, events: int, seed: int, *, chain: bool = False) -> None:
    """Append ``events`` two-posting entries (plus setup events) to the store at ``url``;
    with ``chain``, also their hash chain rows (the log verifies)."""
    system = build_system(url)
    try:
        topic, template = _template(system, Context("bench", f"bench-{seed}"))
    finally:
        system.close()
    rng = random.Random(seed)
    for start in range(0, events, CHUNK_EVENTS):
        rows = _rows(topic, template, rng, seed, start, min(CHUNK_EVENTS, events - start))
        _insert(system.database, rows, chain)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--url", required=True, help="BACKOFFICE_DATABASE_URL of the store to fill")
    parser.add_argument("--events", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=None, help="default: random, printed")
    parser.add_argument(
        "--chain", action="store_true", help="also write the hash chain rows of the events"
    )
    args = parser.parse_args(argv)
    seed = args.seed if args.seed is not None else random.SystemRandom().randrange(2**32)
    print(f"seed={seed}", flush=True)
    started = time.perf_counter()
    generate(args.url, args.events, seed, chain=args.chain)
    print(
        f"generated {args.events} entries in {time.perf_counter() - started:.1f}s", file=sys.stderr
    )


if __name__ == "__main__":
    main()
