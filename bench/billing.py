"""``python -m bench.billing``: customer invoices issued per second with their entries, and
receivables aging over many open items, each beside a raw baseline from the same run.

On PostgreSQL (``BACKOFFICE_BENCH_DATABASE_URL``, else the test URL, else the
local server), in throwaway schemas dropped afterwards:

1. issuing: ``--clients`` threads (64), each issuing its own drafted invoices
   one at a time (``Billing.issue_invoice``: the gap-free number, the invoice's
   issue and its entry, debit receivables and credit income and output tax, in
   one save), waiting for each; the drafts are recorded before the clock starts.
   Beside raw psycopg ``executemany`` inserts of as many event rows (1,000 per
   commit). Target: none stated in the issue (the rate is reported).
2. aging: ``100,000 x scale`` open invoices of 1,000 x scale customers (two
   lines each, VAT standard; issue dates over the year before the as-of date,
   net 30) issued; then the ``billing-ar-aging`` report as of a date rendered
   to the end of its JSON through ``ReportService``; beside a raw read of the
   whole log (keyset pages + orjson). Target < 2 s at 100,000 open items.

Prints JSON and writes ``bench/results/billing-latest.json``.
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

P = "bench.billing"
TARGETS = [
    t.Target("aging over 100,000 open items as of a date", "aging.seconds", "<", 2.0, "s"),
]
CURRENCIES = ["USD", "EUR", "IDR"]
CHART: list[tuple[str, str, list[str], list[str]]] = [
    ("Assets:Bank", "asset", CURRENCIES, ["no_overdraft"]),
    ("Assets:Cash", "asset", CURRENCIES, ["no_overdraft"]),
    ("Assets:Payments:InFlight", "asset", CURRENCIES, []),
    ("Assets:Receivables", "asset", CURRENCIES, []),
    ("Assets:Tax:VAT-Input", "asset", CURRENCIES, []),
    ("Assets:Tax:PPN-Masukan", "asset", ["IDR"], []),
    ("Liabilities:Payables", "liability", CURRENCIES, []),
    ("Liabilities:GoodsReceivedNotInvoiced", "liability", CURRENCIES, []),
    ("Liabilities:Tax:VAT-Output", "liability", CURRENCIES, []),
    ("Liabilities:Tax:PPN-Keluaran", "liability", ["IDR"], []),
    ("Income:Sales", "income", CURRENCIES, []),
    ("Income:Services", "income", CURRENCIES, []),
    ("Expenses:Supplies", "expense", CURRENCIES, []),
    ("Expenses:BadDebts", "expense", CURRENCIES, []),
    ("Equity:Capital", "equity", CURRENCIES, []),
]
AS_OF = date(2026, 12, 31)


def _ctx(actor: str = "billing-clerk@bench.test") -> Any:
    from domain.kernel.context import Context

    return Context(actor, f"bench-{uuid.uuid4().hex[:12]}")


def _books(system: Any, customers: int) -> tuple[Any, list[uuid.UUID]]:
    setup = _ctx("setup@bench.test")
    for code, kind, assets, flags in CHART:
        system.app.open_account(setup, code, code, kind, assets, flags)
    billing = system.services.billing
    parties = []
    for n in range(customers):
        party_id, _ = billing.open_party(
            setup, roles=["customer"], currency="USD", payment_terms_days=30,
            details={"name": f"Customer {n:05d}", "tax_id": f"DE 811 {n:06d}",
                     "reference": f"CUST-{n:05d}"})
        parties.append(party_id)
    return billing, parties


def _lines(rng: random.Random) -> list[dict[str, str]]:
    return [
        {"description": "Consulting", "quantity": str(rng.randint(1, 20)),
         "unit_price": f"{rng.randint(10, 900)}.{rng.randint(0, 99):02d}", "tax_code": "VAT-STD",
         "income_account": "Income:Services"},
        {"description": "Goods", "quantity": str(rng.randint(1, 5)),
         "unit_price": f"{rng.randint(1, 300)}.00", "tax_code": "VAT-STD",
         "income_account": "Income:Sales"},
    ]


def measure_issuing(url: str, clients: int, per_client: int, seed: int) -> dict[str, Any]:
    from backoffice.container import build_system

    rng = random.Random(seed)
    system = build_system(url, pool_size=4)
    try:
        billing, parties = _books(system, clients)
        drafts: dict[int, list[uuid.UUID]] = {}
        t.log(P, f"drafting {clients * (per_client + 2)} invoices (not timed) ...")
        for owner in range(clients):
            drafts[owner] = []
            for _ in range(per_client + 2):
                invoice_id = uuid.uuid4()
                billing.draft_invoice(_ctx(), invoice_id=invoice_id, party_id=parties[owner],
                                      lines=_lines(rng))
                drafts[owner].append(invoice_id)
        from domain.kernel.errors import DomainError

        latencies: list[float] = []
        refusals: list[Exception] = []
        failures: list[BaseException] = []
        lock = threading.Lock()
        ready = threading.Barrier(clients + 1)

        def client(number: int) -> None:
            mine: list[float] = []
            context = _ctx(f"clerk-{number}@bench.test")
            try:
                for invoice_id in drafts[number][:2]:  # warm-up, not measured
                    billing.issue_invoice(context, invoice_id, issue_date="2026-03-10")
            except BaseException as error:
                failures.append(error)
            ready.wait()
            refused = []
            try:
                for invoice_id in drafts[number][2:]:
                    began = time.perf_counter()
                    try:
                        billing.issue_invoice(context, invoice_id, issue_date="2026-03-10")
                    except DomainError as refusal:  # e.g. the series stayed busy: counted
                        refused.append(refusal)
                        continue
                    mine.append((time.perf_counter() - began) * 1000)
            except BaseException as error:
                failures.append(error)
            with lock:
                latencies.extend(mine)
                refusals.extend(refused)

        threads = [threading.Thread(target=client, args=(n,)) for n in range(clients)]
        for thread in threads:
            thread.start()
        ready.wait()
        began = time.perf_counter()
        for thread in threads:
            thread.join()
        seconds = time.perf_counter() - began
        if failures:
            raise RuntimeError(f"{len(failures)} clients failed: {failures[0]!r}")
        numbering = billing.numbering_findings()
    finally:
        system.close()
    total = clients * per_client - len(refusals)
    result: dict[str, Any] = {
        "clients": clients, "invoices": total, "warmup_invoices": clients * 2,
        "refused": len(refusals),
        "refusal_samples": sorted({str(r)[:160] for r in refusals})[:3],
        "seconds": round(seconds, 3), "invoices_per_s": round(total / seconds),
        "numbering_findings": numbering,
    } | t.latency_summary(latencies)
    raw = measure_raw_inserts(url, total)
    result["raw_insert_reference"] = raw
    result["ratio_to_raw_insert"] = round(result["invoices_per_s"] / raw["rows_per_s"], 4)
    return result


def measure_aging(url: str, open_items: int, customers: int, seed: int) -> dict[str, Any]:
    from backoffice.container import build_system
    from projections.reports.service import ReportService

    rng = random.Random(seed)
    system = build_system(url, pool_size=4)
    try:
        billing, parties = _books(system, customers)
        context = _ctx()
        # Numbers follow the order of the dates: issue in date order.
        dates = sorted(AS_OF - timedelta(days=rng.randint(0, 200)) for _ in range(open_items))
        chunk_marks: list[float] = []
        began = time.perf_counter()
        for n in range(open_items):
            invoice_id = uuid.uuid4()
            billing.draft_invoice(context, invoice_id=invoice_id,
                                  party_id=parties[n % customers], lines=_lines(rng))
            billing.issue_invoice(context, invoice_id, issue_date=dates[n].isoformat())
            if (n + 1) % 500 == 0:
                chunk_marks.append(round(time.perf_counter() - began, 2))
                t.log(P, f"  {n + 1} invoices issued in {chunk_marks[-1]} s")
        generate_s = time.perf_counter() - began
        head = int(system.app.recorder.max_notification_id() or 0)
    finally:
        system.close()
    service = ReportService(parse_database_url(url))
    runs: list[dict[str, Any]] = []
    raws: list[dict[str, Any]] = []
    for repeat in range(2):
        for step in (("raw", "report") if repeat == 0 else ("report", "raw")):
            if step == "raw":
                raws.append(measure_raw_read(url))
                continue
            began = time.perf_counter()
            output = service.start(service.prepare("billing-ar-aging",
                                                   {"as_of_date": AS_OF.isoformat()}))
            size = sum(len(chunk) for chunk in output.json_chunks())
            seconds = time.perf_counter() - began
            rows = output.provenance.row_count if output.provenance is not None else None
            runs.append({"seconds": round(seconds, 3), "rows": rows, "json_bytes": size})
    best = min(run["seconds"] for run in runs)
    raw_s = min(raw["seconds"] for raw in raws)
    return {
        "open_items": open_items, "customers": customers, "log_events": head,
        "generate_seconds": round(generate_s, 1),
        "generate_seconds_per_500": [
            round(b - a, 2) for a, b in zip([0.0, *chunk_marks], chunk_marks, strict=False)],
        "as_of_date": AS_OF.isoformat(),
        "runs": runs, "seconds": best, "raw_read_reference": raws, "raw_read_seconds": raw_s,
        "ratio_to_raw_read": round(best / raw_s, 3),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.billing",
                                     description=__doc__.split("\n\n")[0])
    parser.add_argument("--url", default=t.default_url())
    parser.add_argument("--seed", type=int, default=None, help="default: random, printed")
    parser.add_argument("--scale", type=float, default=1.0,
                        help="open items = 100,000 x scale (targets are stated for 1)")
    parser.add_argument("--clients", type=int, default=64)
    parser.add_argument("--invoices-per-client", type=int, default=30)
    parser.add_argument("--results-file", default="billing-latest.json",
                        help="file name under bench/results/")
    parser.add_argument("--only", choices=("issuing", "aging"), action="append")
    args = parser.parse_args(argv)
    if not args.url.startswith("postgres"):
        parser.error("the benchmarks run on PostgreSQL: pass --url postgresql://...")
    seed = args.seed if args.seed is not None else random.SystemRandom().randrange(2**32)
    t.log(P, f"seed={seed} scale={args.scale:g} url={parse_database_url(args.url).display}")
    results = t.started(seed, args.scale)
    open_items = max(100, round(100_000 * args.scale))
    customers = max(10, round(1_000 * args.scale))
    results["sizes"] = {"open_items": open_items, "customers": customers,
                        "clients": args.clients, "invoices_per_client": args.invoices_per_client}
    only = set(args.only or ("issuing", "aging"))
    tag = uuid.uuid4().hex[:8]
    began = time.monotonic()
    for step in ("issuing", "aging"):
        if step not in only:
            continue
        url = t.schema_url(args.url, f"bench_bill_{step[:4]}_{tag}")
        prepare_database(parse_database_url(url))
        try:
            t.log(P, f"{step} ...")
            if step == "issuing":
                results[step] = measure_issuing(url, args.clients, args.invoices_per_client, seed)
            else:
                results[step] = measure_aging(url, open_items, customers, seed)
        finally:
            t.drop_schema(url)
    results["seconds_total"] = round(time.monotonic() - began, 1)
    results["targets"] = t.check(results, TARGETS, scale=args.scale, prefix=P)
    t.finish(results, args.results_file)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
