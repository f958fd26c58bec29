"""Bench (issue 16, item 4): what replication costs the writer, and what moving
readers to a standby buys it. ``python -m tests.replicas.bench_replicas``.

One run on throwaway clusters (fsync on, private loopback ports):

1. Posting through the group committer (16 clients, two-posting entries, the
   chain on) with no standby, an asynchronous standby and a synchronous one
   (``synchronous_commit=on``): entries/s and p99.
2. A log of entries, then posting again while a separate reader process runs
   reports (the trial balance folded from the whole log) and chain
   verifications back to back, once against the primary and once against
   the standby: the posting rate beside each, and the reader's events/s.

Both servers share this machine's cores, so (2) measures the database-side
load that moves, not a second machine's capacity. Figures go to
``build/bench/replicas.json``.
"""

from __future__ import annotations

import json
import multiprocessing
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.posting import measure_group_commit
from tests.replicas.standby import (
    Node,
    make_primary,
    make_standby,
    make_synchronous,
    stop,
    wait_replayed,
)

ROOT = Path(__file__).resolve().parents[2]
OUT = ROOT / "build" / "bench" / "replicas.json"
CLIENTS = 16
ENTRIES_PER_CLIENT = 400
READ_S = 12.0


def _url(node: Node, schema: str) -> str:
    return f"postgresql://postgres@127.0.0.1:{node.port}/postgres?schema={schema}"


def _reader(url: str, seconds: float, queue: Any) -> None:
    from adapters.chain_store import verify_chain
    from adapters.database import parse_database_url
    from projections.reports.framework import DatabaseLogSource
    from projections.reports.service import ReportService

    database = parse_database_url(url)
    service = ReportService(database, None, DatabaseLogSource(database, fast_paths=False))
    events = reports = verifies = 0
    started = time.perf_counter()
    while time.perf_counter() - started < seconds:
        prepared = service.prepare("trial-balance", {"period": "2026-12"})
        service.summary(prepared)
        events += prepared.as_of_position
        reports += 1
        report = verify_chain(database, [])
        events += report.chain_length
        verifies += 1
    elapsed = time.perf_counter() - started
    queue.put(
        {
            "reports": reports,
            "chain_verifications": verifies,
            "events_read_per_s": round(events / elapsed),
        }
    )


def _posting_with_reader(write_url: str, read_url: str | None, schema_note: str) -> dict[str, Any]:
    result: dict[str, Any] = {"readers_on": schema_note}
    queue: Any = multiprocessing.get_context("spawn").Queue()
    process = None
    if read_url is not None:
        process = multiprocessing.get_context("spawn").Process(
            target=_reader, args=(read_url, READ_S, queue)
        )
        process.start()
        time.sleep(1.0)  # the reader is at work before the clock starts
    result["posting"] = measure_group_commit(write_url, CLIENTS, ENTRIES_PER_CLIENT)
    if process is not None:
        process.join(READ_S + 60)
        result["reader"] = queue.get(timeout=5)
    return result


def main() -> int:
    root = Path(tempfile.mkdtemp(prefix="bo-bench-replicas-"))
    primary = make_primary(root)
    standby: Node | None = None
    figures: dict[str, Any] = {"clients": CLIENTS, "entries_per_client": ENTRIES_PER_CLIENT}
    try:
        # 1. The cost of replication on posting.
        figures["no_standby"] = measure_group_commit(
            _url(primary, "bench_plain"), CLIENTS, ENTRIES_PER_CLIENT
        )
        standby = make_standby(primary, root)
        figures["async_standby"] = measure_group_commit(
            _url(primary, "bench_async"), CLIENTS, ENTRIES_PER_CLIENT
        )
        make_synchronous(primary)
        figures["sync_standby"] = measure_group_commit(
            _url(primary, "bench_sync"), CLIENTS, ENTRIES_PER_CLIENT
        )
        print(json.dumps({k: figures[k] for k in ("no_standby", "async_standby", "sync_standby")}))
        # 2. Readers on the primary, then on the standby, while the primary posts
        # (asynchronous standby, as for a reporting replica).
        primary.sql("ALTER SYSTEM RESET synchronous_standby_names")
        primary.sql("ALTER SYSTEM RESET synchronous_commit")
        primary.sql("SELECT pg_reload_conf()")
        log = _url(primary, "bench_log")
        measure_group_commit(log, CLIENTS, 600)  # a log of ~10k entries for the readers
        wait_replayed(primary, standby)
        figures["posting_alone"] = _posting_with_reader(_url(primary, "bench_w0"), None, "none")
        figures["readers_on_primary"] = _posting_with_reader(
            _url(primary, "bench_w1"), log, "primary"
        )
        figures["readers_on_standby"] = _posting_with_reader(
            _url(primary, "bench_w2"), _url(standby, "bench_log"), "standby"
        )
        alone = figures["posting_alone"]["posting"]["entries_per_s"]
        for key in ("readers_on_primary", "readers_on_standby"):
            rate = figures[key]["posting"]["entries_per_s"]
            figures[key]["posting_rate_vs_alone"] = round(rate / alone, 3)
        OUT.parent.mkdir(parents=True, exist_ok=True)
        OUT.write_text(json.dumps(figures, indent=2, sort_keys=True))
        print(json.dumps(figures, indent=2, sort_keys=True))
        return 0
    finally:
        if standby is not None:
            stop(standby)
        stop(primary)
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
