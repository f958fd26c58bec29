"""``python -m bench.inventory``: stock movements with their postings, valuation as of a
date, and a back-dated receipt's corrections, each beside a raw baseline from the same run.

On PostgreSQL (``BACKOFFICE_BENCH_DATABASE_URL``, else the test URL, else the
local server), in throwaway schemas dropped afterwards:

1. movements/s: ``--clients`` threads (64), each recording receipts and issues
   of its own items one movement per call (``Inventory.record``: the movement
   event and its journal entry in one save), waiting for each; beside raw
   psycopg ``executemany`` inserts of as many event rows (1,000 per commit).
   Target >= 3,000 movements/s.
2. valuation: ``1,000 x scale`` items with ``1,000 x scale`` movements each
   (recorded in batches through ``Inventory.record_movements``), the
   ``inventory-valuation`` report (FIFO and moving average side by side) as of
   a date mid-year, rendered to the end of its JSON; beside a raw read of the
   whole log (keyset pages + orjson). Target < 2 s at 1,000 x 1,000.
3. back-dated receipt: one item with ``10,000 x scale`` movements after a date,
   then a receipt dated before them all (``Inventory.record``; the response lists
   the corrections); beside a raw read of that item's stock events by id. Target
   < 1 s at 10,000 later movements.

``--scale`` shrinks every size (stated in the JSON); targets are stated for
scale 1 and flagged when measured smaller. Prints JSON and writes
``bench/results/inventory-latest.json``.
"""

from __future__ import annotations

import argparse
import random
import threading
import time
import uuid
from datetime import date, timedelta
from typing import Any

from adapters.database import parse_database_url, prepare_database
from bench import targets as t
from bench.posting import measure_raw_inserts
from bench.raw_read import measure_raw_read

P = "bench.inventory"
TARGETS = [
    t.Target("movements/s from 64 clients with postings", "throughput.movements_per_s", ">=",
             3000, "/s"),
    t.Target("valuation of 1,000 items x 1,000 movements as of a date", "valuation.seconds",
             "<", 2.0, "s"),
    t.Target("back-dated receipt before 10,000 later movements corrected", "backdated.seconds",
             "<", 1.0, "s"),
]
SHARED_ACCOUNTS = [
    ("Expenses:COGS", "Cost of goods sold", "expense"),
    ("Liabilities:GRNI", "Goods received not invoiced", "liability"),
    ("Expenses:StockWriteOff", "Stock write-offs", "expense"),
    ("Income:StockCountGain", "Stock count gains", "income"),
    ("Expenses:PriceVariance", "Purchase price variance", "expense"),
    ("Assets:Inventory", "Inventory", "asset"),
]
ACCOUNTS = {
    "inventory": "Assets:Inventory",
    "cogs": "Expenses:COGS",
    "grni": "Liabilities:GRNI",
    "write_off": "Expenses:StockWriteOff",
    "count_gain": "Income:StockCountGain",
    "price_variance": "Expenses:PriceVariance",
}
YEAR_START = date(2026, 1, 1)


def _context(actor: str = "bench-inventory") -> Any:
    from domain.kernel.context import Context

    return Context(actor, f"bench-{uuid.uuid4().hex[:12]}")


def _warehouse(app: Any, skus: list[str], rng: random.Random) -> Any:
    from domain.inventory.service import Inventory

    context = _context()
    for code, name, kind in SHARED_ACCOUNTS:
        app.open_account(context, code, name, kind, ["USD"])
    inventory = Inventory(app)
    inventory.open_location(context, "MAIN", "Main warehouse")
    for sku in skus:
        inventory.open_item(
            context, sku=sku, name=f"{sku} item", unit="each", quantity_scale=0,
            costing_method=rng.choice(("fifo", "moving_average")), asset="USD",
            accounts=ACCOUNTS,
        )
    return inventory


def _stream(sku: str, count: int, rng: random.Random, start: date, days: int,
            prefix: str) -> list[Any]:
    """``count`` movements of ``sku`` in date order: receipts, and issues that never
    take the stock below zero."""
    from domain.inventory.commands import IssueGoods, ReceiveGoods

    context = _context()
    on_hand = 0
    commands: list[Any] = []
    for n in range(count):
        on = (start + timedelta(days=n * days // max(count, 1))).isoformat()
        if on_hand >= 5 and rng.random() < 0.5:
            qty = rng.randint(1, min(on_hand, 20))
            on_hand -= qty
            commands.append(IssueGoods(context, f"{prefix}-{sku}-{n}", sku, "MAIN", str(qty),
                                       "sale", on))
        else:
            qty = rng.randint(5, 40)
            on_hand += qty
            cost = f"{rng.randint(100, 5000) / 100:.2f}"
            commands.append(ReceiveGoods(context, f"{prefix}-{sku}-{n}", sku, "MAIN", str(qty),
                                         cost, on, supplier_ref="PO-bench"))
    return commands


def _record_all(inventory: Any, commands: list[Any], batch: int = 500) -> None:
    from domain.kernel.errors import DomainError

    for start in range(0, len(commands), batch):
        for outcome in inventory.record_movements(commands[start:start + batch]):
            if isinstance(outcome, DomainError):
                raise RuntimeError(f"generation refused: {outcome!r}")


def measure_throughput(url: str, clients: int, per_client: int, seed: int) -> dict[str, Any]:
    from backoffice.container import build_system

    rng = random.Random(seed)
    system = build_system(url, pool_size=4)
    try:
        skus = [f"T{n:03d}" for n in range(clients)]
        inventory = _warehouse(system.app, skus, rng)
        streams = {sku: _stream(sku, per_client + 3, random.Random(seed + n), YEAR_START, 300,
                                "tp") for n, sku in enumerate(skus)}
        latencies: list[float] = []
        failures: list[BaseException] = []
        lock = threading.Lock()
        ready = threading.Barrier(clients + 1)

        def client(sku: str) -> None:
            mine: list[float] = []
            commands = streams[sku]
            try:
                for command in commands[:3]:  # warm-up, not measured
                    inventory.record(command)
            except BaseException as error:
                failures.append(error)
            ready.wait()
            try:
                for command in commands[3:]:
                    began = time.perf_counter()
                    inventory.record(command)
                    mine.append((time.perf_counter() - began) * 1000)
            except BaseException as error:
                failures.append(error)
            with lock:
                latencies.extend(mine)

        threads = [threading.Thread(target=client, args=(sku,)) for sku in skus]
        for thread in threads:
            thread.start()
        ready.wait()
        began = time.perf_counter()
        for thread in threads:
            thread.join()
        seconds = time.perf_counter() - began
        if failures:
            raise RuntimeError(f"{len(failures)} clients failed: {failures[0]!r}")
        total = clients * per_client
        result: dict[str, Any] = {"clients": clients, "movements": total, "warmup_movements": clients * 3,
                  "seconds": round(seconds, 3), "movements_per_s": round(total / seconds)}
        result |= t.latency_summary(latencies)
    finally:
        system.close()
    raw = measure_raw_inserts(url, total)
    result["raw_insert_reference"] = raw
    result["ratio_to_raw_insert"] = round(result["movements_per_s"] / raw["rows_per_s"], 4)
    return result


def measure_valuation(url: str, items: int, movements: int, seed: int) -> dict[str, Any]:
    from backoffice.container import build_system
    from projections.reports.service import ReportService

    rng = random.Random(seed)
    system = build_system(url, pool_size=4)
    try:
        skus = [f"V{n:05d}" for n in range(items)]
        inventory = _warehouse(system.app, skus, rng)
        began = time.perf_counter()
        for n, sku in enumerate(skus):
            _record_all(inventory, _stream(sku, movements, random.Random(seed + n), YEAR_START,
                                           360, "v"))
        generate_s = time.perf_counter() - began
        head = int(system.app.recorder.max_notification_id() or 0)
    finally:
        system.close()
    as_of = (YEAR_START + timedelta(days=180)).isoformat()
    service = ReportService(parse_database_url(url))
    runs: list[dict[str, Any]] = []
    raws: list[dict[str, Any]] = []
    for repeat in range(2):
        order = ("raw", "report") if repeat % 2 == 0 else ("report", "raw")
        for step in order:
            if step == "raw":
                raws.append(measure_raw_read(url))
                continue
            began = time.perf_counter()
            output = service.start(service.prepare("inventory-valuation", {"as_of_date": as_of}))
            size = sum(len(chunk) for chunk in output.json_chunks())
            seconds = time.perf_counter() - began
            rows = output.provenance.row_count if output.provenance is not None else None
            runs.append({"seconds": round(seconds, 3), "rows": rows, "json_bytes": size})
    best = min(run["seconds"] for run in runs)
    raw_best = min(raw["seconds"] for raw in raws)
    return {
        "items": items, "movements_per_item": movements, "log_events": head,
        "generate_seconds": round(generate_s, 1), "as_of_date": as_of,
        "runs": runs, "seconds": best, "raw_read_reference": raws,
        "raw_read_seconds": raw_best, "ratio_to_raw_read": round(best / raw_best, 3),
    }


def _raw_item_read(url: str, stock_id: uuid.UUID) -> dict[str, Any]:
    import orjson
    import psycopg
    from psycopg import sql

    from adapters.database import postgres_connect_kwargs

    database = parse_database_url(url)
    statement = sql.SQL(
        "SELECT state FROM {}.backoffice_events WHERE originator_id = %s "
        "ORDER BY originator_version"
    ).format(sql.Identifier(database.schema))
    with psycopg.connect(**postgres_connect_kwargs(database)) as conn:  # type: ignore[arg-type]
        began = time.perf_counter()
        rows = conn.execute(statement, (stock_id,)).fetchall()
        for (state,) in rows:
            orjson.loads(state)
        seconds = time.perf_counter() - began
    return {"events": len(rows), "seconds": round(seconds, 4)}


def measure_backdated(url: str, later: int, seed: int) -> dict[str, Any]:
    from backoffice.container import build_system
    from domain.inventory.commands import ReceiveGoods

    rng = random.Random(seed)
    system = build_system(url, pool_size=4)
    try:
        results: dict[str, Any] = {"later_movements": later}
        for method in ("fifo", "moving_average"):
            sku = f"B-{method}"
            inventory = _warehouse_one(system.app, sku, method, first=method == "fifo")
            began = time.perf_counter()
            _record_all(inventory, _stream(sku, later, rng, date(2026, 2, 1), 300, "b"))
            generate_s = time.perf_counter() - began
            command = ReceiveGoods(_context(), f"backdated-{sku}", sku, "MAIN", "10", "0.01",
                                   "2026-01-15", supplier_ref="PO-late")
            began = time.perf_counter()
            outcome = inventory.record(command)
            seconds = time.perf_counter() - began
            from domain.inventory.stock import stock_id as stock_id_of

            raw = _raw_item_read(url, stock_id_of(sku))
            results[method] = {
                "generate_seconds": round(generate_s, 1),
                "seconds": round(seconds, 3),
                "corrections": len(outcome.corrections),
                "raw_item_read_reference": raw,
                "ratio_to_raw_item_read": round(seconds / max(raw["seconds"], 1e-6), 2),
            }
        results["seconds"] = max(results["fifo"]["seconds"], results["moving_average"]["seconds"])
        return results
    finally:
        system.close()


def _warehouse_one(app: Any, sku: str, method: str, *, first: bool) -> Any:
    from domain.inventory.service import Inventory

    context = _context()
    if first:
        for code, name, kind in SHARED_ACCOUNTS:
            app.open_account(context, code, name, kind, ["USD"])
    inventory = Inventory(app)
    if first:
        inventory.open_location(context, "MAIN", "Main warehouse")
    inventory.open_item(context, sku=sku, name=sku, unit="each", quantity_scale=0,
                        costing_method=method, asset="USD", accounts=ACCOUNTS)
    return inventory


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.inventory",
                                     description=__doc__.split("\n\n")[0])
    parser.add_argument("--url", default=t.default_url())
    parser.add_argument("--seed", type=int, default=None, help="default: random, printed")
    parser.add_argument("--scale", type=float, default=1.0,
                        help="shrink every size by this factor (targets are stated for 1)")
    parser.add_argument("--clients", type=int, default=64)
    parser.add_argument("--movements-per-client", type=int, default=100)
    parser.add_argument("--items", type=int, default=None, help="default 1,000 x scale")
    parser.add_argument("--movements-per-item", type=int, default=None,
                        help="default 1,000 x scale")
    parser.add_argument("--later-movements", type=int, default=None,
                        help="default 10,000 x scale")
    parser.add_argument("--results-file", default="inventory-latest.json",
                        help="file name under bench/results/")
    parser.add_argument("--only", choices=("throughput", "valuation", "backdated"),
                        action="append")
    args = parser.parse_args(argv)
    if not args.url.startswith("postgres"):
        parser.error("the benchmarks run on PostgreSQL: pass --url postgresql://...")
    seed = args.seed if args.seed is not None else random.SystemRandom().randrange(2**32)
    t.log(P, f"seed={seed} scale={args.scale:g} url={parse_database_url(args.url).display}")
    results = t.started(seed, args.scale)
    only = set(args.only or ("throughput", "valuation", "backdated"))
    tag = uuid.uuid4().hex[:8]
    began = time.monotonic()
    items = args.items or max(1, round(1000 * args.scale))
    per_item = args.movements_per_item or max(10, round(1000 * args.scale))
    later = args.later_movements or max(100, round(10_000 * args.scale))
    results["sizes"] = {"items": items, "movements_per_item": per_item,
                        "later_movements": later, "clients": args.clients,
                        "movements_per_client": args.movements_per_client}
    for step in ("throughput", "valuation", "backdated"):
        if step not in only:
            continue
        url = t.schema_url(args.url, f"bench_inv_{step[:4]}_{tag}")
        prepare_database(parse_database_url(url))
        try:
            t.log(P, f"{step} ...")
            if step == "throughput":
                results[step] = measure_throughput(url, args.clients, args.movements_per_client,
                                                   seed)
            elif step == "valuation":
                results[step] = measure_valuation(url, items, per_item, seed)
            else:
                results[step] = measure_backdated(url, later, seed)
        finally:
            t.drop_schema(url)
    results["seconds_total"] = round(time.monotonic() - began, 1)
    results["targets"] = t.check(results, TARGETS, scale=args.scale, prefix=P)
    t.finish(results, args.results_file)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
