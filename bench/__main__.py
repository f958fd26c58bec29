"""``python -m bench``: the spine's benchmarks, each beside a raw baseline from the same run.

On PostgreSQL (``BACKOFFICE_BENCH_DATABASE_URL``, else the test URL, else the
local server), in throwaway schemas dropped afterwards:

1. posting: balanced two-posting entries/s from concurrent clients through
   the group committer, next to raw psycopg ``executemany`` inserts of
   equivalent rows (1,000 per commit);
2. rebuild: events/s folding the balance projection from position 0 over
   ``--events`` entries, next to a raw read of the same rows (keyset pages +
   orjson);
3. as-of balance queries at that size: p50/p99 latency.

Prints JSON and writes ``bench/results/latest.json``. These machines are
shared and noisy: read the ratios, not single absolute times.

Generating a million entries takes a while; ``--reuse-schema NAME`` keeps the
log in schema NAME between runs (generated there on the first run, or when
it holds a different number of entries; never dropped), and
``--skip-posting`` leaves out step 1.
"""

from __future__ import annotations

import argparse
import os
import platform
import random
import statistics
import sys
import time
import uuid
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import orjson
from eventsourcing.utils import get_topic

from adapters.database import parse_database_url, prepare_database
from adapters.log_reader import POSTGRES_EVENTS_TABLE
from bench.generate import ACCOUNTS, generate
from bench.posting import measure_group_commit, measure_raw_inserts
from bench.raw_read import measure_raw_read
from bench.targets import Target, check
from domain.ledger.journal import JournalEntry
from projections.ledger.runner import ProjectionService
from replay.rebuild import rebuild

ENTRY_POSTED_TOPIC = get_topic(JournalEntry.JournalEntryPosted)
RESULTS = Path(__file__).parent / "results" / "latest.json"
DEFAULT_URL = "postgresql://postgres@127.0.0.1:5432/test"


def _schema_url(base: str, schema: str) -> str:
    base = base.split("?", 1)[0]
    return f"{base}?schema={schema}"


def _drop(url: str) -> None:
    import psycopg
    from psycopg import sql

    from adapters.database import postgres_connect_kwargs

    database = parse_database_url(url)
    with psycopg.connect(**postgres_connect_kwargs(database), autocommit=True) as conn:  # type: ignore[arg-type]
        conn.execute(
            sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(sql.Identifier(database.schema))
        )


def _generated_entries(url: str) -> int:
    """Journal entries in the log at ``url`` (0 when it has no log yet)."""
    import psycopg
    from psycopg import sql

    from adapters.database import postgres_connect_kwargs

    database = parse_database_url(url)
    table = sql.Identifier(database.schema, POSTGRES_EVENTS_TABLE)
    with psycopg.connect(**postgres_connect_kwargs(database), autocommit=True) as conn:  # type: ignore[arg-type]
        if conn.execute(
            "SELECT to_regclass(%s)", (f"{database.schema}.{POSTGRES_EVENTS_TABLE}",)
        ).fetchone() == (None,):
            return 0
        row = conn.execute(
            sql.SQL("SELECT count(*) FROM {} WHERE topic = %s").format(table), (ENTRY_POSTED_TOPIC,)
        ).fetchone()
    # One entry of the log is the template generate() posts through the application.
    return int(row[0]) - 1 if row else 0


TARGETS = [
    Target("two-posting entries/s, 64 concurrent clients", "posting.entries_per_s", ">=", 5000,
           "/s"),
    Target("rebuild of the balance projection", "rebuild.events_per_s", ">=", 100_000, "/s"),
    Target("balance as of a log position p99", "as_of_balance.at_position.latency_ms_p99", "<",
           10, "ms"),
    Target("balance as of an effective date p99", "as_of_balance.as_of_date.latency_ms_p99",
           "<", 10, "ms"),
]


def _percentile(sorted_values: list[float], fraction: float) -> float:
    index = min(len(sorted_values) - 1, max(0, round(fraction * len(sorted_values)) - 1))
    return sorted_values[index]


def measure_as_of(url: str, samples: int, seed: int) -> dict[str, Any]:
    """Latency of balance queries as of a random log position and a random effective date."""
    rng = random.Random(seed)
    service = ProjectionService(parse_database_url(url))
    try:
        head = service.catch_up()
        accounts = [code for code, _type in ACCOUNTS]
        results: dict[str, Any] = {}
        day_zero = date(2026, 1, 1)
        for kind in ("at_position", "as_of_date"):
            timings_ms = []
            for _ in range(samples):
                account = rng.choice(accounts)
                started = time.perf_counter()
                if kind == "at_position":
                    service.balance(account, at_position=rng.randint(1, head))
                else:
                    day = day_zero + timedelta(days=rng.randint(0, 364))
                    service.balance(account, as_of_date=day.isoformat())
                timings_ms.append((time.perf_counter() - started) * 1000)
            timings_ms.sort()
            results[kind] = {
                "samples": samples,
                "latency_ms_p50": round(statistics.median(timings_ms), 3),
                "latency_ms_p99": round(_percentile(timings_ms, 0.99), 3),
            }
        results["log_events"] = head
        return results
    finally:
        service.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--url",
        default=os.environ.get("BACKOFFICE_BENCH_DATABASE_URL")
        or os.environ.get("BACKOFFICE_TEST_DATABASE_URL")
        or DEFAULT_URL,
    )
    parser.add_argument(
        "--events", type=int, default=1_000_000, help="log size for rebuild and queries"
    )
    parser.add_argument("--clients", type=int, default=64)
    parser.add_argument("--entries-per-client", type=int, default=200)
    parser.add_argument("--query-samples", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=None, help="default: random, printed")
    parser.add_argument(
        "--reuse-schema",
        metavar="NAME",
        help="keep the generated log in schema NAME and reuse it on later runs with the same "
        "--events (generated when missing or of another size; never dropped: drop it yourself)",
    )
    parser.add_argument(
        "--skip-posting", action="store_true", help="leave out the posting benchmark (step 1)"
    )
    args = parser.parse_args(argv)
    if not args.url.startswith("postgres"):
        parser.error("the benchmarks run on PostgreSQL: pass --url postgresql://...")
    seed = args.seed if args.seed is not None else random.SystemRandom().randrange(2**32)
    print(
        f"bench: seed={seed} url={parse_database_url(args.url).display}",
        file=sys.stderr,
        flush=True,
    )
    tag = uuid.uuid4().hex[:8]
    posting_url = _schema_url(args.url, f"bench_post_{tag}")
    log_url = _schema_url(args.url, args.reuse_schema or f"bench_log_{tag}")
    throwaway = [posting_url] if args.reuse_schema else [posting_url, log_url]
    results: dict[str, Any] = {
        "recorded_at_utc": datetime.now(UTC).isoformat(timespec="seconds"),
        "seed": seed,
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version(),
                    "loadavg_at_start": [round(x, 2) for x in os.getloadavg()]},
    }
    try:
        for url in (posting_url, log_url):
            prepare_database(parse_database_url(url))
        if not args.skip_posting:
            print("bench: posting through the group committer ...", file=sys.stderr, flush=True)
            posting = measure_group_commit(posting_url, args.clients, args.entries_per_client)
            raw_insert = measure_raw_inserts(posting_url, posting["entries"])
            results["posting"] = posting | {
                "raw_insert_reference": raw_insert,
                "ratio_to_raw_insert": round(
                    posting["entries_per_s"] / raw_insert["rows_per_s"], 3
                ),
            }
        if args.reuse_schema and _generated_entries(log_url) == args.events:
            print(
                f"bench: reusing the log in schema {args.reuse_schema}", file=sys.stderr, flush=True
            )
            results["log_reused_from_schema"] = args.reuse_schema
        else:
            if args.reuse_schema:
                _drop(log_url)
                prepare_database(parse_database_url(log_url))
            print(f"bench: generating {args.events} entries ...", file=sys.stderr, flush=True)
            started = time.perf_counter()
            generate(log_url, args.events, seed)
            results["generate_seconds"] = round(time.perf_counter() - started, 1)
        print("bench: raw read and rebuild ...", file=sys.stderr, flush=True)
        raw_read = measure_raw_read(log_url)
        stats = rebuild(parse_database_url(log_url))
        rebuild_per_s = round(stats.events_per_s)
        results["rebuild"] = {
            "events": stats.events,
            "seconds": round(stats.seconds, 3),
            "events_per_s": rebuild_per_s,
            "raw_read_reference": raw_read,
            "ratio_to_raw_read": round(rebuild_per_s / raw_read["events_per_s"], 3),
        }
        print("bench: as-of balance queries ...", file=sys.stderr, flush=True)
        results["as_of_balance"] = measure_as_of(log_url, args.query_samples, seed)
    finally:
        for url in throwaway:
            _drop(url)
    results["machine"]["loadavg_at_end"] = [round(x, 2) for x in os.getloadavg()]
    results["targets"] = check(results, TARGETS, scale=args.events / 1_000_000)
    output = orjson.dumps(results, option=orjson.OPT_INDENT_2)
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_bytes(output + b"\n")
    print(output.decode())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
