"""Fill a store with journal entries fast, for benchmarks of folds and replays.

Accounts are opened and one entry is posted through the real application;
that entry's stored state is the template for the rest, which are inserted
as raw rows (COPY on PostgreSQL, executemany on SQLite) in exactly the shape
the application writes: same topic, same sorted orjson state, entry ids
derived from the idempotency key, fingerprints over the canonical body. The
rows are what ``app.save`` would produce, a hundred times faster.

The raw rows bypass the recorder, so they are not in the hash chain: with
``--chain`` (``generate(..., chain=True)``) each chunk's chain rows (leaf
hash and link, adapters/auditkit/chain.py, continuing from the last chain row) are
computed here and written in the same transaction as the events, exactly
as the chained recorder would have written them; the log then verifies.

With ``--cash-receipts N`` (``generate(..., cash_receipts=N)``) N receipts
are mixed in among the entries, each a ``ReceiptRecorded`` and its
``ReceiptPosted`` (two events, the stored shape of ``domain/receipts/receipt.py``,
built through the application's mapper once and varied per row): most are
cash (``cash: true``) in USD or IDR from a pool of payers, the rest wire
receipts, for the large-cash and structuring reports. The entries' random
stream is the same with or without them.

    python -m bench.generate --url sqlite:///bench.db --events 1000000 [--seed N] [--chain]
        [--cash-receipts N]
"""

from __future__ import annotations

import argparse
import random
import sqlite3
import sys
import time
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import orjson
from eventsourcing.utils import get_topic

from adapters.auditkit.chain import GENESIS_LINK, leaf_hash, next_link
from adapters.chained_store import advisory_key, chain_table_for
from adapters.database import Database, postgres_connect_kwargs
from adapters.log_reader import POSTGRES_EVENTS_TABLE, SQLITE_EVENTS_TABLE
from backoffice.container import build_system
from domain.kernel.context import Context
from domain.ledger.commands import PostJournalEntry
from domain.ledger.journal import entry_id_for_key, fingerprint
from domain.receipts.receipt import Receipt

ACCOUNTS = [
    ("Assets:Bank", "asset"), ("Assets:Receivables", "asset"), ("Liabilities:Payables", "liability"),
    ("Equity:Capital", "equity"), ("Income:Sales", "income"), ("Income:Fees", "income"),
    ("Expenses:Rent", "expense"), ("Expenses:Payroll", "expense"),
]  # fmt: skip
CHUNK_EVENTS = 50_000
RECEIPT_PAYERS = 5_000
RECEIPT_CASH_SHARE = 0.9
RECEIPT_IDR_SHARE = 0.15
RECEIPT_USD_MINOR_MAX = 1_200_000  # 12,000.00 USD: about one in six over the US threshold
RECEIPT_IDR_MINOR_MAX = 60_000_000_000  # 600,000,000.00 IDR


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


def _receipt_templates(
    system: Any,
) -> tuple[tuple[str, dict[str, Any]], tuple[str, dict[str, Any]]]:
    """The stored (topic, state) of a receipt's ``ReceiptRecorded`` and ``ReceiptPosted``."""
    receipt_id = uuid.UUID(int=0)
    moment = datetime(2024, 1, 1, tzinfo=UTC)
    common = {"actor": "bench", "correlation_id": "bench-receipts", "timestamp": moment}
    # The event classes take their fields as keywords, which mypy cannot see.
    recorded_class: Any = Receipt.ReceiptRecorded
    posted_class: Any = Receipt.ReceiptPosted
    recorded = recorded_class(
        originator_id=receipt_id, originator_version=1, originator_topic=get_topic(Receipt),
        payer_subject_id="", method="cash", cash=True, amount_minor=1, asset="USD",
        reference="", value_date="2024-01-01", business_date="2024-01-01",
        debit_account="Assets:Cash", credit_account="Assets:Receivables", **common,
    )  # fmt: skip
    posted = posted_class(
        originator_id=receipt_id, originator_version=2, entry_id="", cash=True,
        payer_subject_id="", business_date="2024-01-01", amount_minor=1, asset="USD", **common,
    )  # fmt: skip
    templates = []
    for event in (recorded, posted):
        stored = system.app.mapper.to_stored_event(event)
        templates.append((stored.topic, orjson.loads(stored.state)))
    return templates[0], templates[1]


def _receipt_units(
    templates: tuple[tuple[str, dict[str, Any]], tuple[str, dict[str, Any]]],
    rng: random.Random,
    seed: int,
    start: int,
    count: int,
) -> list[list[tuple[Any, ...]]]:
    """``count`` receipts, each [ReceiptRecorded row, ReceiptPosted row]."""
    (recorded_topic, recorded_template), (posted_topic, posted_template) = templates
    started_at = datetime(2026, 1, 1, tzinfo=UTC)  # a year with both holiday lists
    payers = [str(uuid.UUID(int=rng.getrandbits(128))) for _ in range(RECEIPT_PAYERS)]
    units = []
    for index in range(start, start + count):
        receipt_id = uuid.uuid5(uuid.NAMESPACE_URL, f"urn:bench:{seed}:receipt:{index}")
        cash = rng.random() < RECEIPT_CASH_SHARE
        idr = rng.random() < RECEIPT_IDR_SHARE
        asset = "IDR" if idr else "USD"
        amount_minor = rng.randint(1, RECEIPT_IDR_MINOR_MAX if idr else RECEIPT_USD_MINOR_MAX)
        business_date = (started_at + timedelta(days=rng.randrange(366))).date().isoformat()
        timestamp = (started_at + timedelta(microseconds=index)).isoformat()
        fields = {
            "cash": cash, "payer_subject_id": rng.choice(payers), "amount_minor": amount_minor,
            "asset": asset, "business_date": business_date, "timestamp": timestamp,
        }  # fmt: skip
        recorded = recorded_template | fields
        recorded.update(
            method="cash" if cash else "wire",
            value_date=business_date,
            reference=f"bench-{index}",
            debit_account="Assets:Cash" if cash else "Assets:Bank",
        )
        posted = posted_template | fields
        posted["entry_id"] = str(uuid.uuid5(receipt_id, "entry"))
        units.append(
            [
                (
                    receipt_id,
                    1,
                    recorded_topic,
                    orjson.dumps(recorded, option=orjson.OPT_SORT_KEYS),
                ),
                (receipt_id, 2, posted_topic, orjson.dumps(posted, option=orjson.OPT_SORT_KEYS)),
            ]
        )
    return units


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


def generate(
    url: str, events: int, seed: int, *, chain: bool = False, cash_receipts: int = 0
) -> None:
    """Append ``events`` two-posting entries (plus setup events) to the store at ``url``;
    with ``chain``, also their hash chain rows (the log verifies); with
    ``cash_receipts``, that many receipts (two events each) mixed in among them."""
    system = build_system(url)
    try:
        topic, template = _template(system, Context("bench", f"bench-{seed}"))
        receipt_templates = _receipt_templates(system)
    finally:
        system.close()
    rng = random.Random(seed)
    receipt_rng = random.Random(f"{seed}-receipts")  # the entries' stream stays as it was
    chunks = max(1, -(-events // CHUNK_EVENTS))
    receipts_done = 0
    for chunk, start in enumerate(range(0, max(events, 1), CHUNK_EVENTS)):
        rows = _rows(topic, template, rng, seed, start, min(CHUNK_EVENTS, events - start))
        receipts = cash_receipts * (chunk + 1) // chunks - receipts_done
        if receipts:
            units = [[row] for row in rows]
            units += _receipt_units(receipt_templates, receipt_rng, seed, receipts_done, receipts)
            receipt_rng.shuffle(units)
            rows = [row for unit in units for row in unit]
            receipts_done += receipts
        if rows:
            _insert(system.database, rows, chain)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--url", required=True, help="BACKOFFICE_DATABASE_URL of the store to fill")
    parser.add_argument("--events", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=None, help="default: random, printed")
    parser.add_argument(
        "--chain", action="store_true", help="also write the hash chain rows of the events"
    )
    parser.add_argument(
        "--cash-receipts",
        type=int,
        default=0,
        help="also this many receipts (ReceiptRecorded + ReceiptPosted, mostly cash)",
    )
    args = parser.parse_args(argv)
    seed = args.seed if args.seed is not None else random.SystemRandom().randrange(2**32)
    print(f"seed={seed}", flush=True)
    started = time.perf_counter()
    generate(args.url, args.events, seed, chain=args.chain, cash_receipts=args.cash_receipts)
    print(
        f"generated {args.events} entries in {time.perf_counter() - started:.1f}s", file=sys.stderr
    )


if __name__ == "__main__":
    main()
