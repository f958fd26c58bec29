"""``python -m bench.chain``: what tamper evidence costs, each measure beside its reference.

On PostgreSQL (``BACKOFFICE_BENCH_DATABASE_URL``, else the test URL, else the
local server), in throwaway schemas dropped afterwards:

1. posting: entries/s from concurrent clients through the group committer
   WITH the hash chain (the default, chained recorder) and WITHOUT it (the
   same code with ``APPLICATION_RECORDER_TOPIC`` pointing at the library's
   plain ``PostgresApplicationRecorder``), alternating A/B/A/B in the same
   run, each measurement in a fresh schema; cost = 1 - with / without;
2. verification: events/s of ``verify_chain`` (recompute every leaf and
   link, the Merkle tree, and one signed checkpoint at the end) over
   ``--events`` entries generated with their chain rows, alternating with
   the raw read reference (bench/raw_read.py: keyset pages + orjson) of the
   same rows.

Prints JSON and writes ``bench/results/chain-latest.json``. These machines
are shared and noisy: read the ratios, not single absolute times. The run
is bounded: ``--max-seconds`` stops starting new measurements (the JSON
says what was cut).
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
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from unittest import mock

import orjson

from adapters.database import Database, parse_database_url, persistence_env, prepare_database
from bench.generate import generate
from bench.posting import measure_group_commit
from bench.raw_read import measure_raw_read

RESULTS = Path(__file__).parent / "results" / "chain-latest.json"
PLAIN_RECORDER_TOPIC = "eventsourcing.postgres:PostgresApplicationRecorder"
DEFAULT_URL = "postgresql://postgres@127.0.0.1:5432/test"
COST_TARGET = 0.15
VERIFY_TARGET_EVENTS_PER_S = 200_000


def _log(message: str) -> None:
    print(f"bench.chain: {message}", file=sys.stderr, flush=True)


def _schema_url(base: str, schema: str) -> str:
    return f"{base.split('?', 1)[0]}?schema={schema}"


def _connect(url: str) -> Any:
    import psycopg

    from adapters.database import postgres_connect_kwargs

    return psycopg.connect(**postgres_connect_kwargs(parse_database_url(url)), autocommit=True)  # type: ignore[arg-type]


def _drop(url: str) -> None:
    from psycopg import sql

    schema = parse_database_url(url).schema
    with _connect(url) as conn:
        conn.execute(sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(sql.Identifier(schema)))


@contextmanager
def _plain_recorder() -> Iterator[None]:
    """build_system with the library's plain recorder: no chain rows, no chain hook."""

    def plain_env(database: Database, **options: Any) -> dict[str, str]:
        env = persistence_env(database, **options)
        assert env["APPLICATION_RECORDER_TOPIC"].endswith("ChainedPostgresApplicationRecorder")
        return env | {"APPLICATION_RECORDER_TOPIC": PLAIN_RECORDER_TOPIC}

    with mock.patch("backoffice.container.persistence_env", plain_env):
        yield


def _posting_once(
    base_url: str, chained: bool, clients: int, entries_per_client: int
) -> dict[str, Any]:
    url = _schema_url(base_url, f"bench_chain_post_{uuid.uuid4().hex[:8]}")
    prepare_database(parse_database_url(url))
    try:
        if chained:
            result = measure_group_commit(url, clients, entries_per_client)
        else:
            with _plain_recorder():
                result = measure_group_commit(url, clients, entries_per_client)
        result["chain_rows"] = _count_chain_rows(url)
        return result
    finally:
        _drop(url)


def _count_chain_rows(url: str) -> int:
    database = parse_database_url(url)
    with _connect(url) as conn:
        found = conn.execute(
            "SELECT to_regclass(%s)", (f'"{database.schema}".backoffice_chain',)
        ).fetchone()
        if found is None or found[0] is None:
            return 0
        row = conn.execute(f'SELECT count(*) FROM "{database.schema}".backoffice_chain').fetchone()
        return int(row[0]) if row else 0


def measure_posting(
    url: str, clients: int, entries_per_client: int, pairs: int, within_budget: Callable[[], bool]
) -> dict[str, Any]:
    """A/B/A/B: with and without the chain, alternating, each in a fresh schema."""
    _log("posting warm-up (not reported) ...")
    _posting_once(url, True, min(clients, 8), 20)
    runs: dict[str, list[dict[str, Any]]] = {"with_chain": [], "without_chain": []}
    for pair in range(pairs):
        if pair and not within_budget():
            _log("posting: time budget spent, fewer pairs")
            break
        # A/B then B/A: neither variant always runs first in a pair.
        order = (True, False) if pair % 2 == 0 else (False, True)
        for chained in order:
            name = "with_chain" if chained else "without_chain"
            _log(f"posting pair {pair + 1}/{pairs}: {name} ...")
            runs[name].append(_posting_once(url, chained, clients, entries_per_client))
    summary: dict[str, Any] = {
        "clients": clients,
        "entries_per_run": clients * entries_per_client,
        "pairs": len(runs["without_chain"]),
        "order": "A/B, B/A, ... (A = with chain), each run in a fresh schema",
    }
    for name, results in runs.items():
        rates = [r["entries_per_s"] for r in results]
        total_entries = sum(r["entries"] for r in results)
        total_seconds = sum(r["seconds"] for r in results)
        summary[name] = {
            "entries_per_s": round(total_entries / total_seconds),
            "entries_per_s_runs": rates,
            "entries_per_s_median": round(statistics.median(rates)),
            "latency_ms_p50_runs": [r["latency_ms_p50"] for r in results],
            "latency_ms_p99_runs": [r["latency_ms_p99"] for r in results],
            "entries_per_commit_mean_runs": [r["entries_per_commit_mean"] for r in results],
            "chain_rows_runs": [r["chain_rows"] for r in results],
        }
    with_rate = summary["with_chain"]["entries_per_s"]
    without_rate = summary["without_chain"]["entries_per_s"]
    pair_costs = [
        round(1 - a["entries_per_s"] / b["entries_per_s"], 3)
        for a, b in zip(runs["with_chain"], runs["without_chain"], strict=False)
    ]
    cost = round(1 - with_rate / without_rate, 3)
    summary |= {
        "cost": cost,
        "cost_per_pair": pair_costs,
        "cost_median_of_pairs": round(statistics.median(pair_costs), 3),
        "cost_target": COST_TARGET,
        "cost_target_met": cost < COST_TARGET,
    }
    return summary


def _write_checkpoint(url: str) -> tuple[bytes, dict[str, Any]]:
    """One signed checkpoint at the end of the log; returns the public key and its summary."""
    from adapters.signing import generate as generate_key
    from backoffice.container import build_system
    from domain.kernel.context import Context
    from replay.checkpointing import LogWitness

    signer = generate_key()
    system = build_system(url)
    try:
        started = time.perf_counter()
        checkpoint = LogWitness(system.database).write_checkpoint(
            system.app, signer, Context("bench", "bench-chain-checkpoint")
        )
        seconds = time.perf_counter() - started
    finally:
        system.close()
    return signer.public_raw, {
        "size": checkpoint.size,
        "key_id": checkpoint.key_id,
        "seconds_to_write": round(seconds, 3),
    }


def _verify_once(url: str, public_key: bytes) -> dict[str, Any]:
    from adapters.chain_store import verify_chain

    started = time.perf_counter()
    report = verify_chain(parse_database_url(url), [public_key])
    seconds = time.perf_counter() - started
    if not report.ok:
        raise RuntimeError(f"the generated log does not verify: {report.problems[:3]}")
    return {
        "events": report.events_checked,
        "chain_length": report.chain_length,
        "checkpoints_checked": report.checkpoints_checked,
        "seconds": round(seconds, 3),
        "events_per_s": round(report.events_checked / seconds),
    }


def _read_only_once(url: str) -> dict[str, Any]:
    """The reads verification makes, with nothing hashed: its floor on this machine."""
    from adapters.chain_store import ChainReader

    events = 0
    started = time.perf_counter()
    with ChainReader(parse_database_url(url)) as reader:
        for chain_rows, _events in reader.verification_pages():
            events += len(chain_rows)
    seconds = time.perf_counter() - started
    return {"events": events, "seconds": round(seconds, 3), "events_per_s": round(events / seconds)}


def measure_verification(
    url: str, events: int, seed: int, repeats: int, within_budget: Callable[[], bool]
) -> dict[str, Any]:
    _log(f"generating {events} entries with their chain rows ...")
    started = time.perf_counter()
    generate(url, events, seed, chain=True)
    generate_seconds = time.perf_counter() - started
    # What autovacuum would do to a log of this age: statistics and hint bits, so that
    # neither the first reader pays for them nor the planner guesses at a fresh table.
    _log("vacuum analyze of the generated tables ...")
    started = time.perf_counter()
    schema = parse_database_url(url).schema
    with _connect(url) as conn:
        for table in ("backoffice_events", "backoffice_chain"):
            conn.execute(f'VACUUM (ANALYZE) "{schema}".{table}')
    vacuum_seconds = time.perf_counter() - started
    _log("writing one signed checkpoint ...")
    public_key, checkpoint = _write_checkpoint(url)
    verify_runs: list[dict[str, Any]] = []
    raw_runs: list[dict[str, Any]] = []
    read_only_runs: list[dict[str, Any]] = []
    for repeat in range(repeats):
        if repeat and not within_budget():
            _log("verification: time budget spent, fewer repeats")
            break
        # Alternate which goes first, so neither always reads a warmer cache.
        steps = ("verify", "raw", "read") if repeat % 2 == 0 else ("read", "raw", "verify")
        for step in steps:
            _log(f"verification repeat {repeat + 1}/{repeats}: {step} ...")
            if step == "verify":
                verify_runs.append(_verify_once(url, public_key))
            elif step == "raw":
                raw_runs.append(measure_raw_read(url))
            else:
                read_only_runs.append(_read_only_once(url))
    best_verify = max(run["events_per_s"] for run in verify_runs)
    best_raw = max(run["events_per_s"] for run in raw_runs)
    median_verify = round(statistics.median(run["events_per_s"] for run in verify_runs))
    median_raw = round(statistics.median(run["events_per_s"] for run in raw_runs))
    return {
        "generated_entries": events,
        "generate_seconds": round(generate_seconds, 1),
        "vacuum_analyze_seconds": round(vacuum_seconds, 1),
        "checkpoint": checkpoint,
        "verify_runs": verify_runs,
        "raw_read_reference_runs": raw_runs,
        "verification_reads_only_runs": read_only_runs,
        "events_per_s_median": median_verify,
        "events_per_s_best": best_verify,
        "raw_read_events_per_s_median": median_raw,
        "ratio_to_raw_read_median": round(median_verify / median_raw, 3),
        "ratio_to_raw_read_best": round(best_verify / best_raw, 3),
        "target_events_per_s": VERIFY_TARGET_EVENTS_PER_S,
        "target_met": median_verify >= VERIFY_TARGET_EVENTS_PER_S,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench.chain", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument(
        "--url",
        default=os.environ.get("BACKOFFICE_BENCH_DATABASE_URL")
        or os.environ.get("BACKOFFICE_TEST_DATABASE_URL")
        or DEFAULT_URL,
    )
    parser.add_argument("--events", type=int, default=1_000_000, help="log size to verify")
    parser.add_argument("--clients", type=int, default=64)
    parser.add_argument("--entries-per-client", type=int, default=100)
    parser.add_argument(
        "--pairs",
        type=int,
        default=4,
        help="posting: with/without pairs (A/B, B/A, ...); short alternating runs average "
        "out the other load of a shared machine better than a few long ones",
    )
    parser.add_argument(
        "--verify-repeats", type=int, default=2, help="verification and raw read, alternating"
    )
    parser.add_argument("--seed", type=int, default=None, help="default: random, printed")
    parser.add_argument(
        "--max-seconds",
        type=float,
        default=1200,
        help="no new repeat starts after this (the first of each kind always runs)",
    )
    parser.add_argument(
        "--keep-schema",
        action="store_true",
        help="keep the verified log's schema (its name is printed; drop it yourself)",
    )
    parser.add_argument("--skip-posting", action="store_true")
    parser.add_argument("--skip-verify", action="store_true")
    args = parser.parse_args(argv)
    if not args.url.startswith("postgres"):
        parser.error("the benchmarks run on PostgreSQL: pass --url postgresql://...")
    seed = args.seed if args.seed is not None else random.SystemRandom().randrange(2**32)
    _log(f"seed={seed} url={parse_database_url(args.url).display}")
    random.seed(seed)
    started = time.monotonic()
    max_seconds = float(args.max_seconds)

    def within_budget() -> bool:
        return time.monotonic() - started < max_seconds

    results: dict[str, Any] = {
        "recorded_at_utc": datetime.now(UTC).isoformat(timespec="seconds"),
        "seed": seed,
        "machine": {
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "loadavg_at_start": list(os.getloadavg()),
        },
    }
    if not args.skip_posting:
        results["posting"] = measure_posting(
            args.url, args.clients, args.entries_per_client, args.pairs, within_budget
        )
    if not args.skip_verify:
        log_url = _schema_url(args.url, f"bench_chain_log_{uuid.uuid4().hex[:8]}")
        prepare_database(parse_database_url(log_url))
        try:
            results["verification"] = measure_verification(
                log_url, args.events, seed, args.verify_repeats, within_budget
            )
        finally:
            if args.keep_schema:
                schema = parse_database_url(log_url).schema
                _log(f"kept schema {schema}")
                results["kept_schema"] = schema
            else:
                _drop(log_url)
    results["seconds_total"] = round(time.monotonic() - started, 1)
    results["machine"]["loadavg_at_end"] = list(os.getloadavg())
    from bench.targets import Target, check

    results["targets"] = check(results, [
        Target("cost of the hash chain on posting", "posting.cost", "<", COST_TARGET),
        Target("chain verification events/s (median)", "verification.events_per_s_median",
               ">=", VERIFY_TARGET_EVENTS_PER_S, "/s"),
    ], prefix="bench.chain")
    output = orjson.dumps(results, option=orjson.OPT_INDENT_2)
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_bytes(output + b"\n")
    print(output.decode())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
