"""``python -m bench.reports``: how long the large-cash and trial-balance reports take
over a million events, beside a raw read of the same events in the same run.

On PostgreSQL (``BACKOFFICE_BENCH_DATABASE_URL``, else the test URL, else the
local server), in a throwaway schema dropped afterwards:

1. generate ``--entries`` two-posting entries with ``--cash-receipts``
   receipts mixed in (two events each, mostly cash; bench/generate.py), then
   ``VACUUM (ANALYZE)`` as autovacuum would;
2. bring the balances projection up to the head (``ProjectionService``),
   timed on its own: it is kept current by its worker, not by a report;
3. ``--repeats`` times, alternating the order: the raw read reference
   (bench/raw_read.py: keyset pages + orjson of every event), the
   large-cash report (US rule) and the trial-balance report (all dates),
   each rendered to the end of its JSON (rows, provenance, digest) through
   ``ReportService``, both as served (trial balance from the balances
   projection, large cash from the cash topics only) and, for reference,
   folded from the whole log as before; the digests of the two must match.

Prints JSON and writes ``bench/results/reports-latest.json``. These machines
are shared and noisy: read the ratios, not single absolute times.
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
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson

from adapters.database import parse_database_url, prepare_database
from bench.generate import generate
from bench.raw_read import measure_raw_read
from bench.targets import Target, check
from projections.ledger.runner import ProjectionService
from projections.reports.service import ReportService

RESULTS = Path(__file__).parent / "results" / "reports-latest.json"
DEFAULT_URL = "postgresql://postgres@127.0.0.1:5432/test"
TARGET_SECONDS = 5.0
REPORTS: dict[str, tuple[str, dict[str, str]]] = {
    "large_cash": ("large-cash", {"jurisdiction": "US"}),
    "trial_balance": ("trial-balance", {}),
}


def _log(message: str) -> None:
    print(f"bench.reports: {message}", file=sys.stderr, flush=True)


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


def _vacuum(url: str) -> None:
    schema = parse_database_url(url).schema
    with _connect(url) as conn:
        tables = conn.execute(
            "SELECT tablename FROM pg_tables WHERE schemaname = %s", (schema,)
        ).fetchall()
        for (table,) in tables:
            conn.execute(f'VACUUM (ANALYZE) "{schema}"."{table}"')


def _report_once(service: ReportService, name: str, parameters: dict[str, str]) -> dict[str, Any]:
    started = time.perf_counter()
    output = service.start(service.prepare(name, parameters))
    size = sum(len(chunk) for chunk in output.json_chunks())
    seconds = time.perf_counter() - started
    provenance = output.provenance
    assert provenance is not None
    return {
        "seconds": round(seconds, 3),
        "as_of_position": output.prepared.as_of_position,
        "row_count": provenance.row_count,
        "generated_from_ranges": len(provenance.generated_from),
        "json_bytes": size,
        "digest": provenance.digest,
    }


def _services(url: str) -> dict[str, ReportService]:
    from projections.reports.framework import DatabaseLogSource

    database = parse_database_url(url)
    return {
        "served": ReportService(database),
        "log_fold": ReportService(database, source=DatabaseLogSource(database, fast_paths=False)),
    }


def measure_reports(url: str, repeats: int, within_budget: Callable[[], bool]) -> dict[str, Any]:
    services = _services(url)
    raw_runs: list[dict[str, Any]] = []
    runs: dict[str, dict[str, list[dict[str, Any]]]] = {
        report: {path: [] for path in services} for report in REPORTS
    }
    for repeat in range(repeats):
        if repeat and not within_budget():
            _log("time budget spent, fewer repeats")
            break
        steps: list[tuple[str, str]] = [("raw", "")]
        steps += [(report, path) for report in REPORTS for path in services]
        if repeat % 2:
            steps.reverse()  # neither always reads the warmer cache
        for report, path in steps:
            _log(f"repeat {repeat + 1}/{repeats}: {report} {path} ...".replace("  ", " "))
            if report == "raw":
                raw_runs.append(measure_raw_read(url))
            else:
                name, parameters = REPORTS[report]
                runs[report][path].append(_report_once(services[path], name, parameters))
    raw_median = statistics.median(run["seconds"] for run in raw_runs)
    results: dict[str, Any] = {
        "raw_read_reference_runs": raw_runs,
        "raw_read_seconds_median": raw_median,
    }
    for report, by_path in runs.items():
        summary: dict[str, Any] = {"report": REPORTS[report][0], "parameters": REPORTS[report][1]}
        digests = {run["digest"] for path_runs in by_path.values() for run in path_runs}
        for path, path_runs in by_path.items():
            median = statistics.median(run["seconds"] for run in path_runs)
            summary[path] = {
                "runs": path_runs,
                "seconds_median": median,
                "ratio_to_raw_read": round(median / raw_median, 3),
            }
        summary["digests_agree"] = len(digests) == 1
        summary["target_seconds"] = TARGET_SECONDS
        summary["target_met"] = summary["served"]["seconds_median"] < TARGET_SECONDS
        results[report] = summary
    return results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench.reports", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument(
        "--url",
        default=os.environ.get("BACKOFFICE_BENCH_DATABASE_URL")
        or os.environ.get("BACKOFFICE_TEST_DATABASE_URL")
        or DEFAULT_URL,
    )
    parser.add_argument("--entries", type=int, default=600_000)
    parser.add_argument(
        "--cash-receipts", type=int, default=200_000, help="receipts, two events each"
    )
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--seed", type=int, default=None, help="default: random, printed")
    parser.add_argument("--max-seconds", type=float, default=900)
    args = parser.parse_args(argv)
    if not args.url.startswith("postgres"):
        parser.error("the benchmarks run on PostgreSQL: pass --url postgresql://...")
    seed = args.seed if args.seed is not None else random.SystemRandom().randrange(2**32)
    _log(f"seed={seed} url={parse_database_url(args.url).display}")
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
    url = _schema_url(args.url, f"bench_reports_{uuid.uuid4().hex[:8]}")
    prepare_database(parse_database_url(url))
    try:
        _log(f"generating {args.entries} entries and {args.cash_receipts} receipts ...")
        began = time.perf_counter()
        generate(url, args.entries, seed, cash_receipts=args.cash_receipts)
        results["generate_seconds"] = round(time.perf_counter() - began, 1)
        began = time.perf_counter()
        _vacuum(url)
        results["vacuum_analyze_seconds"] = round(time.perf_counter() - began, 1)
        _log("bringing the balances projection to the head ...")
        began = time.perf_counter()
        projection = ProjectionService(parse_database_url(url))
        try:
            head = projection.catch_up()
        finally:
            projection.close()
        _vacuum(url)
        results["log_events"] = head
        results["projection_catch_up_seconds"] = round(time.perf_counter() - began, 1)
        results |= measure_reports(url, args.repeats, within_budget)
    finally:
        _drop(url)
    results["seconds_total"] = round(time.monotonic() - started, 1)
    results["machine"]["loadavg_at_end"] = list(os.getloadavg())
    results["targets"] = check(results, [
        Target(f"{report} report over 1M events (served, median)", f"{report}.served.seconds_median",
               "<", TARGET_SECONDS, "s") for report in REPORTS
    ], scale=(args.entries + 2 * args.cash_receipts) / 1_000_000, prefix="bench.reports")
    output = orjson.dumps(results, option=orjson.OPT_INDENT_2)
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_bytes(output + b"\n")
    print(output.decode())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
