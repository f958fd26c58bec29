"""``python -m bench.payroll``: a monthly payroll run calculated, approved and paid, the
calculator over HTTP and the payroll register, each beside a raw baseline from the same run.

On PostgreSQL (``BACKOFFICE_BENCH_DATABASE_URL``, else the test URL, else the
local server), in throwaway schemas dropped afterwards:

1. run steps: ``10,000 x scale`` US employees hired (monthly, salaried, W-4
   2020, personal data sealed as data subjects), one monthly run opened, then
   ``calculate``, ``approve`` (another actor) and ``pay`` (net pay as payments
   through the payments area, screened by the system's real screening port
   against a generated 20,000-entry list,
   and the run's entry) each timed; beside raw psycopg ``executemany`` inserts
   of as many event rows as there are employees (1,000 per commit). Target
   each step < 20 s at 10,000 employees.
2. register: ``--months`` (12) monthly runs of those employees paid; the
   ``payroll-register`` report of every run rendered to the end of its JSON
   through ``ReportService``, the 12 summed (and the last one alone); beside a
   raw read of the whole log (keyset pages + orjson). Target < 5 s (the sum).
3. calculator over HTTP: ``backoffice serve`` (2 workers) and ``--calc-samples``
   sequential ``POST /v1/payroll/calculations`` on one keep-alive connection,
   US and ID requests alternating; beside the same requests computed in
   process (parse + calculate + to dict). Target p99 < 20 ms.

Prints JSON and writes ``bench/results/payroll-latest.json``.
"""

from __future__ import annotations

import argparse
import http.client
import random
import statistics
import time
import uuid
from typing import Any

import orjson

from adapters.database import parse_database_url, prepare_database
from bench import targets as t
from bench.posting import measure_raw_inserts
from bench.raw_read import measure_raw_read

P = "bench.payroll"
TARGETS = [
    t.Target("monthly run of 10,000 employees: calculate", "run.calculate_seconds", "<", 20, "s"),
    t.Target("monthly run of 10,000 employees: approve", "run.approve_seconds", "<", 20, "s"),
    t.Target("monthly run of 10,000 employees: pay", "run.pay_seconds", "<", 20, "s"),
    t.Target("calculator p99 over HTTP", "calculator.http.latency_ms_p99", "<", 20, "ms"),
    t.Target("payroll register over 12 runs of 10,000 employees", "register.seconds_all_runs",
             "<", 5, "s"),
]
US_CODES = ("federal_income_tax", "social_security", "medicare", "additional_medicare",
            "social_security_employer", "medicare_employer", "futa")
ID_CODES = ("pph21", "bpjs_kesehatan", "jht", "jp", "bpjs_kesehatan_employer", "jht_employer",
            "jp_employer", "jkk_employer", "jkm_employer")
MONTH_DAYS = {1: 31, 2: 28, 3: 31, 4: 30, 5: 31, 6: 30, 7: 31, 8: 31, 9: 30, 10: 31, 11: 30,
              12: 31}
GROUP = "us-monthly"
SANCTIONS_ENTRIES = 20_000
YEAR = 2025


def _ctx(actor: str) -> Any:
    from domain.kernel.context import Context

    return Context(actor, f"bench-{uuid.uuid4().hex[:12]}")


def _company(system: Any) -> Any:
    """The chart, a funded bank, and the payroll desk with high approval thresholds
    (one approver per run and per payment) on the system's own screening port."""
    from domain.ledger.commands import PostJournalEntry
    from domain.payments.policy import PaymentPolicy
    from domain.payroll.policy import PayrollPolicy

    app = system.app
    setup = _ctx("setup@bench.test")
    chart = [("Assets:Bank", "asset"), ("Equity:Capital", "equity"),
             ("Assets:Payments:InFlight", "asset"), ("Assets:Receivables", "asset"),
             ("Assets:Cash", "asset"),
             ("Expenses:Payroll:Salaries", "expense"),
             ("Expenses:Payroll:EmployerTaxes", "expense"),
             ("Liabilities:Payroll:NetPay", "liability")]
    chart += [(f"Liabilities:Payroll:{code}", "liability") for code in (*US_CODES, *ID_CODES)]
    for code, kind in chart:
        app.open_account(setup, code, code, kind, ["USD", "IDR"])
    app.post_journal_entry(PostJournalEntry(
        context=setup, idempotency_key="funding", effective_date=f"{YEAR}-01-01",
        postings=[{"account": "Assets:Bank", "direction": "debit", "amount": "9000000000.00",
                   "asset": "USD"},
                  {"account": "Equity:Capital", "direction": "credit",
                   "amount": "9000000000.00", "asset": "USD"}]))
    # A made-up list in OFAC's format (bench.sanctions), so net pay is screened for real.
    from bench.sanctions import generate as generate_list
    from domain.sanctions.list_files import parse_list

    sdn, alt = generate_list(SANCTIONS_ENTRIES, 7)
    system.services.sanctions.load_parsed(setup, parse_list(sdn, alt), "bench-generated")
    high = {"USD": "900000000000.00", "IDR": "900000000000000.00"}
    return system.services.payroll_with(
        payment_policy=PaymentPolicy(dual_approval_above=high),
        policy=PayrollPolicy(dual_approval_above=high),
    )


def _hire_all(payroll: Any, employees: int, rng: random.Random) -> float:
    hr = _ctx("hr@bench.test")
    statuses = ("single", "married_filing_jointly", "head_of_household")
    began = time.perf_counter()
    for n in range(employees):
        payroll.hire(
            hr, reference=f"EMP-{n:06d}",
            person={"name": f"Person {n:06d}", "tax_id": f"123-45-{n % 10000:04d}",
                    "address": "1 Main Street, Springfield"},
            bank_account={"country": "US", "bank_code": "021000021",
                          "account_number": f"{10000000 + n}"},
            jurisdiction="US", pay_group=GROUP, pay_frequency="monthly",
            hire_date=f"{YEAR}-01-01",
            tax_profile={"filing_status": rng.choice(statuses), "w4": {"version": 2020}},
            pay={"basis": "salary", "amount": f"{rng.randint(2500, 25000)}.00"})
    return time.perf_counter() - began


def _open(payroll: Any, month: int) -> uuid.UUID:
    run_id = uuid.uuid4()
    end = f"{YEAR}-{month:02d}-{MONTH_DAYS[month]:02d}"
    payroll.open_run(
        _ctx("payroll-clerk@bench.test"), run_id=run_id, pay_group=GROUP, jurisdiction="US",
        pay_frequency="monthly", period_start=f"{YEAR}-{month:02d}-01", period_end=end,
        period_number=month, pay_date=end)
    return run_id


def _steps(payroll: Any, run_id: uuid.UUID) -> dict[str, float]:
    preparer = _ctx("payroll-clerk@bench.test")
    timings = {}
    began = time.perf_counter()
    payroll.calculate(preparer, run_id)
    timings["calculate_seconds"] = round(time.perf_counter() - began, 3)
    began = time.perf_counter()
    if payroll.run(run_id).status != "approved":
        payroll.approve(_ctx("controller@bench.test"), run_id)
    timings["approve_seconds"] = round(time.perf_counter() - began, 3)
    began = time.perf_counter()
    payroll.pay(preparer, run_id)
    timings["pay_seconds"] = round(time.perf_counter() - began, 3)
    return timings


def measure_runs(url: str, employees: int, months: int, seed: int) -> dict[str, Any]:
    from backoffice.container import build_system
    from projections.reports.service import ReportService

    rng = random.Random(seed)
    system = build_system(url, pool_size=4)
    results: dict[str, Any] = {}
    run_ids = []
    try:
        payroll = _company(system)
        t.log(P, f"hiring {employees} employees ...")
        hire_s = _hire_all(payroll, employees, rng)
        t.log(P, f"hired in {hire_s:.1f} s; month 1: calculate, approve, pay ...")
        run_ids.append(_open(payroll, 1))
        steps = _steps(payroll, run_ids[0])
        run = payroll.run(run_ids[0])
        results["run"] = {"employees": employees, "hire_seconds": round(hire_s, 1),
                          "payslips": len(run.payslips), "status": run.status, **steps}
        others = []
        for month in range(2, months + 1):
            t.log(P, f"month {month} ...")
            run_ids.append(_open(payroll, month))
            others.append(_steps(payroll, run_ids[-1]))
        results["run"]["later_months"] = others
        head = int(system.app.recorder.max_notification_id() or 0)
    finally:
        system.close()
    raw = measure_raw_inserts(url, employees)
    slowest = max(results["run"][k] for k in ("calculate_seconds", "approve_seconds",
                                              "pay_seconds"))
    results["run"]["raw_insert_reference"] = raw
    results["run"]["ratio_slowest_step_to_raw_insert"] = round(slowest / raw["seconds"], 2)
    t.log(P, f"register over {len(run_ids)} runs ...")
    service = ReportService(parse_database_url(url))
    raws = [measure_raw_read(url)]
    per_run: list[dict[str, Any]] = []
    for run_id in run_ids:
        began = time.perf_counter()
        output = service.start(service.prepare("payroll-register", {"run_id": str(run_id)}))
        size = sum(len(chunk) for chunk in output.json_chunks())
        seconds = time.perf_counter() - began
        rows = output.provenance.row_count if output.provenance is not None else None
        per_run.append({"seconds": round(seconds, 3), "rows": rows, "json_bytes": size})
    raws.append(measure_raw_read(url))
    total = sum(run["seconds"] for run in per_run)
    raw_s = min(r["seconds"] for r in raws)
    results["register"] = {
        "runs": len(run_ids), "employees": employees, "log_events": head,
        "per_run": per_run, "seconds_all_runs": round(total, 3),
        "seconds_last_run": per_run[-1]["seconds"],
        "raw_read_reference": raws, "raw_read_seconds": raw_s,
        "ratio_all_runs_to_raw_read": round(total / raw_s, 3),
    }
    return results


def _calc_bodies(count: int, rng: random.Random) -> list[dict[str, Any]]:
    bodies = []
    for n in range(count):
        if n % 2 == 0:
            bodies.append({
                "jurisdiction": "US", "tax_year": 2025, "pay_frequency": "biweekly",
                "period_number": 1 + n % 26,
                "tax_profile": {"filing_status": rng.choice(("single", "married_filing_jointly",
                                                              "head_of_household")),
                                "w4": {"version": 2020, "step2_checkbox": False,
                                       "step3_credits": "0.00", "step4a_other_income": "0.00",
                                       "step4b_deductions": "0.00",
                                       "step4c_extra_withholding": "0.00"}},
                "earnings": [{"code": "regular", "amount": f"{rng.randint(800, 9000)}.61"}],
                "year_to_date": {"wages": "0.00", "supplemental_wages": "0.00",
                                 "social_security_wages": "0.00", "medicare_wages": "0.00",
                                 "futa_wages": "0.00"},
            })
        else:
            bodies.append({
                "jurisdiction": "ID", "tax_year": 2025, "month": 1 + n % 11,
                "jkk_rate_percent": "0.24", "tax_profile": {"ptkp_status": "TK/0"},
                "earnings": [{"code": "regular", "amount": str(rng.randint(4, 40) * 1_000_000)}],
                "year_to_date": {"taxable_gross": "0", "pph21_withheld": "0",
                                 "employee_jht_jp": "0"},
            })
    return bodies


def measure_calculator(url: str, samples: int, seed: int, workers: int) -> dict[str, Any]:
    from backoffice.container import build_system
    from bench.http import Server, _secret
    from domain.access.tokens import secret_digest
    from domain.payroll.calculator import calculate, parse_calculation_request, payslip_to_dict

    rng = random.Random(seed)
    bodies = _calc_bodies(samples, rng)
    warmup = _calc_bodies(200, random.Random(seed + 1))
    in_process = []
    for body in warmup + bodies:
        began = time.perf_counter()
        orjson.dumps(payslip_to_dict(calculate(parse_calculation_request(body))))
        in_process.append((time.perf_counter() - began) * 1000)
    in_process = in_process[len(warmup):]
    secret = _secret()
    system = build_system(url)
    try:
        _token, token = system.app.issue_token(
            _ctx("bench-payroll"), "bench-payroll", "payroll",
            lambda token_secret: secret_digest(secret, token_secret))
    finally:
        system.close()
    server = Server(url, workers)
    try:
        server.wait_ready()
        conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=30)
        headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json",
                   "Accept": "application/json"}
        statuses: dict[int, int] = {}

        def post(body: dict[str, Any]) -> float:
            payload = orjson.dumps(body)
            began = time.perf_counter()
            conn.request("POST", "/v1/payroll/calculations", body=payload, headers=headers)
            answer = conn.getresponse()
            answer.read()
            elapsed = (time.perf_counter() - began) * 1000
            statuses[answer.status] = statuses.get(answer.status, 0) + 1
            return elapsed

        for body in warmup:
            post(body)
        statuses.clear()
        over_http = [post(body) for body in bodies]
        conn.close()
    finally:
        server.stop()
    if set(statuses) != {200}:
        t.log(P, f"calculator: statuses {statuses}")
    http_summary = t.latency_summary(over_http) | {"statuses": statuses, "workers": workers,
                                                    "connections": 1}
    local = t.latency_summary(in_process)
    return {
        "samples": samples,
        "http": http_summary,
        "in_process_reference": local,
        "ratio_p99_http_to_in_process": round(
            http_summary["latency_ms_p99"] / max(local["latency_ms_p99"], 1e-6), 1),
        "median_http_overhead_ms": round(
            statistics.median(over_http) - statistics.median(in_process), 3),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.payroll",
                                     description=__doc__.split("\n\n")[0])
    parser.add_argument("--url", default=t.default_url())
    parser.add_argument("--seed", type=int, default=None, help="default: random, printed")
    parser.add_argument("--scale", type=float, default=1.0,
                        help="employees = 10,000 x scale (targets are stated for 1)")
    parser.add_argument("--months", type=int, default=12, help="runs for the register")
    parser.add_argument("--calc-samples", type=int, default=2000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--only", choices=("runs", "calculator"), action="append")
    parser.add_argument("--results-file", default="payroll-latest.json",
                        help="file name under bench/results/")
    args = parser.parse_args(argv)
    if not args.url.startswith("postgres"):
        parser.error("the benchmarks run on PostgreSQL: pass --url postgresql://...")
    seed = args.seed if args.seed is not None else random.SystemRandom().randrange(2**32)
    t.log(P, f"seed={seed} scale={args.scale:g} url={parse_database_url(args.url).display}")
    results = t.started(seed, args.scale)
    employees = max(10, round(10_000 * args.scale))
    results["sizes"] = {"employees": employees, "months": args.months,
                        "calc_samples": args.calc_samples}
    only = set(args.only or ("runs", "calculator"))
    tag = uuid.uuid4().hex[:8]
    began = time.monotonic()
    if "calculator" in only:
        url = t.schema_url(args.url, f"bench_payc_{tag}")
        prepare_database(parse_database_url(url))
        try:
            t.log(P, "calculator over HTTP ...")
            results["calculator"] = measure_calculator(url, args.calc_samples, seed, args.workers)
        finally:
            t.drop_schema(url)
    if "runs" in only:
        url = t.schema_url(args.url, f"bench_payr_{tag}")
        prepare_database(parse_database_url(url))
        try:
            results |= measure_runs(url, employees, args.months, seed)
        finally:
            t.drop_schema(url)
    results["seconds_total"] = round(time.monotonic() - began, 1)
    results["targets"] = t.check(results, TARGETS, scale=args.scale, prefix=P)
    t.finish(results, args.results_file)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
