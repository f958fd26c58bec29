"""Time a rebuild of the balances projection and its as-of queries.

    python -m bench.generate --url URL --events 1000000 --seed 7
    python -m bench.projection_balances --url URL [--queries 200]

Prints one JSON line: rebuild events/s, and per query kind the median and
99th percentile latency in milliseconds (positions and dates drawn with a
fixed seed from the log's range).
"""

from __future__ import annotations

import argparse
import random
import statistics
import time
from collections.abc import Callable
from typing import Any

import orjson

from adapters.database import parse_database_url
from bench.generate import ACCOUNTS
from projections.ledger.runner import ProjectionService
from replay.rebuild import rebuild


def _latencies_ms(call: Callable[[], Any], repeat: int) -> dict[str, float]:
    samples = []
    for _ in range(repeat):
        started = time.perf_counter()
        call()
        samples.append((time.perf_counter() - started) * 1000)
    samples.sort()
    return {
        "p50_ms": round(statistics.median(samples), 3),
        "p99_ms": round(samples[min(len(samples) - 1, int(len(samples) * 0.99))], 3),
    }


def measure(url: str, queries: int, seed: int) -> dict[str, Any]:
    database = parse_database_url(url)
    stats = rebuild(database)
    service = ProjectionService(database, catch_up_on_query=False)
    rng = random.Random(seed)
    head = service.catch_up()
    accounts = [code for code, _type in ACCOUNTS]

    def day() -> str:
        return f"2024-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"

    kinds: dict[str, Callable[[], Any]] = {
        "balance_current": lambda: service.balance(rng.choice(accounts)),
        "balance_at_position": lambda: service.balance(rng.choice(accounts), at_position=rng.randint(1, head)),
        "balance_as_of_date": lambda: service.balance(rng.choice(accounts), as_of_date=day()),
        "balance_date_and_position": lambda: service.balance(
            rng.choice(accounts), as_of_date=day(), at_position=rng.randint(1, head)
        ),
        "trial_balance_at_position": lambda: service.trial_balance(at_position=rng.randint(1, head)),
        "trial_balance_as_of_date": lambda: service.trial_balance(as_of_date=day()),
    }
    try:
        timings = {
            name: _latencies_ms(call, queries if "position" not in name or "date" not in name else 5)
            for name, call in kinds.items()
        }
    finally:
        service.close()
    return {
        "backend": database.backend,
        "events": stats.events,
        "rebuild_seconds": round(stats.seconds, 2),
        "rebuild_events_per_s": round(stats.events_per_s),
        "queries": timings,
        "seed": seed,
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--url", required=True)
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)
    print(orjson.dumps(measure(args.url, args.queries, args.seed)).decode())


if __name__ == "__main__":
    main()
