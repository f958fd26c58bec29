"""``python -m bench.console``: console pages and the account ledger API over a large log,
over HTTP, each beside raw baselines from the same run.

On PostgreSQL (``BACKOFFICE_BENCH_DATABASE_URL``, else the test URL, else the
local server), in a throwaway schema dropped afterwards:

1. ``1,000,000 x scale`` two-posting entries over 8 accounts
   (bench/generate.py), ``VACUUM (ANALYZE)``, every tracked projection
   caught up (balances, account ledger, ...) before the clock starts;
2. ``backoffice serve`` (2 workers, projections in worker mode) and an auditor
   and a compliance officer signed in to the console through its form (CSRF token,
   session cookie); each page GET ``--page-samples`` times on one keep-alive
   connection, round robin; target every page p95 < 200 ms;
3. ``GET /v1/accounts/{code}/ledger`` (50-row pages, following the cursor
   from the start and from random later pages) for the account with the most
   postings; target p99 < 20 ms (stated for 100,000 postings at 1,000,000
   events).

Baselines, same run: ``GET /health/live`` over the same connection (the HTTP
floor) and a raw psycopg keyset read of 50 of the account's posting rows from
the events table (``LIKE`` on nothing: by notification id, the newest 50).

Prints JSON and writes ``bench/results/console-latest.json``.
"""

from __future__ import annotations

import argparse
import http.client
import os
import random
import re
import time
import urllib.parse
import uuid
from typing import Any

import orjson

from adapters.database import parse_database_url, prepare_database
from bench import targets as t

P = "bench.console"
HIDDEN = re.compile(r'<input type="hidden" name="([a-z_]+)" value="([^"]*)">')
PAGES = [
    "/console",
    "/console/accounts",
    "/console/ledger?account={account}",
    "/console/reports",
    "/console/audit",
    "/console/compliance",
    "/console/entities",
]


def _ctx() -> Any:
    from domain.kernel.context import Context

    return Context("bench-console", f"bench-{uuid.uuid4().hex[:12]}")


def _vacuum(url: str) -> None:
    import psycopg

    from adapters.database import postgres_connect_kwargs

    database = parse_database_url(url)
    with psycopg.connect(**postgres_connect_kwargs(database), autocommit=True) as conn:  # type: ignore[arg-type]
        for (table,) in conn.execute(
            "SELECT tablename FROM pg_tables WHERE schemaname = %s", (database.schema,)
        ).fetchall():
            conn.execute(f'VACUUM (ANALYZE) "{database.schema}"."{table}"')


def _prepare(url: str, entries: int, seed: int) -> dict[str, Any]:
    from backoffice.container import build_system
    from bench.generate import generate
    from bench.http import _secret
    from domain.access.tokens import secret_digest

    info: dict[str, Any] = {}
    began = time.perf_counter()
    generate(url, entries, seed)
    info["generate_seconds"] = round(time.perf_counter() - began, 1)
    _vacuum(url)
    secret = _secret()
    system = build_system(url)
    try:
        began = time.perf_counter()
        caught = {}
        for name, projection in system.tracked.items():
            t.log(P, f"catching up {name} ...")
            caught[name] = projection.catch_up()
        info["catch_up_seconds"] = round(time.perf_counter() - began, 1)
        info["projections"] = caught
        info["log_events"] = int(system.app.recorder.max_notification_id() or 0)
        tokens = {}
        for role in ("auditor", "compliance"):
            _token, text = system.app.issue_token(
                _ctx(), f"bench-{role}", role, lambda s: secret_digest(secret, s))
            tokens[role] = str(text)
        info["tokens"] = tokens
    finally:
        system.close()
    _vacuum(url)
    return info


class Client:
    """One keep-alive connection with a cookie jar of one cookie."""

    def __init__(self, port: int) -> None:
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        self.cookies: dict[str, str] = {}
        self.headers: dict[str, str] = {}

    def request(self, method: str, path: str, body: bytes | None = None,
                headers: dict[str, str] | None = None) -> tuple[int, bytes, float]:
        sent = dict(self.headers)
        if self.cookies:
            sent["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        sent |= headers or {}
        began = time.perf_counter()
        self.conn.request(method, path, body=body, headers=sent)
        answer = self.conn.getresponse()
        data = answer.read()
        elapsed = (time.perf_counter() - began) * 1000
        for header, value in answer.getheaders():
            if header.lower() == "set-cookie":
                name, _, rest = value.partition("=")
                self.cookies[name.strip()] = rest.split(";", 1)[0]
        return answer.status, data, elapsed

    def sign_in(self, token: str) -> None:
        status, page, _ = self.request("GET", "/console/sign-in")
        if status != 200:
            raise RuntimeError(f"sign-in form: {status}")
        fields = dict(HIDDEN.findall(page.decode()))
        form = urllib.parse.urlencode(
            {"csrf_token": fields.get("csrf_token", ""), "next": "/console", "token": token})
        status, page, _ = self.request(
            "POST", "/console/sign-in", form.encode(),
            {"Content-Type": "application/x-www-form-urlencoded"})
        if status != 303:
            raise RuntimeError(f"sign-in: {status} {page[:300]!r}")


def _busiest_account(url: str) -> tuple[str, int]:
    """The account with the most postings in the account ledger projection
    (``aled_postings``), and how many."""
    import psycopg

    from adapters.database import postgres_connect_kwargs

    database = parse_database_url(url)
    with psycopg.connect(**postgres_connect_kwargs(database), autocommit=True) as conn:  # type: ignore[arg-type]
        row = conn.execute(
            f'SELECT account, count(*) FROM "{database.schema}".aled_postings '
            "WHERE asset = 'USD' GROUP BY account ORDER BY 2 DESC LIMIT 1").fetchone()
    if row is None:
        raise RuntimeError("the account ledger projection holds no postings")
    return str(row[0]), int(row[1])


def _raw_page_read(url: str, samples: int) -> dict[str, Any]:
    """The floor under a ledger page: 50 event rows by keyset from the events table."""
    import psycopg

    from adapters.database import postgres_connect_kwargs

    database = parse_database_url(url)
    rng = random.Random(1)
    timings = []
    with psycopg.connect(**postgres_connect_kwargs(database), autocommit=True) as conn:  # type: ignore[arg-type]
        found = conn.execute(
            f'SELECT max(notification_id) FROM "{database.schema}".backoffice_events'
        ).fetchone()
        head = int(found[0]) if found and found[0] is not None else 0
        statement = (f'SELECT notification_id, state FROM "{database.schema}".backoffice_events '
                     "WHERE notification_id > %s ORDER BY notification_id LIMIT 50")
        for _ in range(samples):
            start = rng.randint(0, max(head - 50, 0))
            began = time.perf_counter()
            for _position, state in conn.execute(statement, (start,)).fetchall():
                orjson.loads(state)
            timings.append((time.perf_counter() - began) * 1000)
    return t.latency_summary(timings)


def measure(url: str, info: dict[str, Any], page_samples: int, ledger_samples: int,
            workers: int, seed: int) -> dict[str, Any]:
    from bench.http import Server

    rng = random.Random(seed)
    account, postings = _busiest_account(url)
    results: dict[str, Any] = {"account": account, "account_postings": postings}
    # Every page view is an audited read, rate limited per client address (120 a
    # minute by default): one bench client would be answered 429 within seconds.
    # Raised for the served process only; the records are still written.
    os.environ["BACKOFFICE_ACCESS_RECORDS_PER_MINUTE"] = "1000000"
    results["served_with"] = {"BACKOFFICE_ACCESS_RECORDS_PER_MINUTE": "1000000"}
    server = Server(url, workers)
    try:
        server.wait_ready(timeout_s=120)
        # HTTP floor
        floor = Client(server.port)
        for _ in range(20):
            floor.request("GET", "/health/live")
        results["http_floor_health_live"] = t.latency_summary(
            [floor.request("GET", "/health/live")[2] for _ in range(page_samples)])
        # console pages
        pages: dict[str, Any] = {}
        for role in ("auditor", "compliance"):
            client = Client(server.port)
            client.sign_in(info["tokens"][role])
            paths = [page.format(account=urllib.parse.quote(account)) for page in PAGES]
            timings: dict[str, list[float]] = {path: [] for path in paths}
            statuses: dict[str, dict[int, int]] = {path: {} for path in paths}
            for path in paths:  # warm-up
                client.request("GET", path)
            for _ in range(page_samples):
                for path in paths:
                    status, _body, elapsed = client.request("GET", path)
                    timings[path].append(elapsed)
                    statuses[path][status] = statuses[path].get(status, 0) + 1
            for path in paths:
                summary = t.latency_summary(timings[path]) | {"statuses": statuses[path]}
                if set(statuses[path]) == {200}:
                    pages[f"{path} ({role})"] = summary
                else:
                    pages[f"{path} ({role}, not 200)"] = summary
        results["pages"] = pages
        ok = [v["latency_ms_p95"] for k, v in pages.items() if "not 200" not in k]
        results["pages_p95_max_ms"] = max(ok) if ok else None
        results["pages_slowest"] = max(
            ((k, v["latency_ms_p95"]) for k, v in pages.items() if "not 200" not in k),
            key=lambda kv: kv[1], default=(None, None))[0]
        # account ledger API
        api = Client(server.port)
        api.headers = {"Authorization": f"Bearer {info['tokens']['auditor']}",
                       "Accept": "application/json"}
        base = f"/v1/accounts/{urllib.parse.quote(account)}/ledger?asset=USD"
        cursors: list[str | None] = [None]
        ledger_timings: list[float] = []
        ledger_status: dict[int, int] = {}
        first_rows = None
        for n in range(ledger_samples + 10):
            cursor = rng.choice(cursors) if n % 4 == 0 else cursors[-1]
            path = base + (f"&cursor={urllib.parse.quote(cursor)}" if cursor else "")
            status, body, elapsed = api.request("GET", path)
            if n >= 10:
                ledger_timings.append(elapsed)
                ledger_status[status] = ledger_status.get(status, 0) + 1
            if status == 200:
                page = orjson.loads(body)
                if first_rows is None:
                    first_rows = len(page.get("postings", []))
                following = page.get("next_cursor") or page.get("cursor")
                if following:
                    cursors.append(following)
                else:
                    cursors.append(None)
        results["account_ledger_api"] = t.latency_summary(ledger_timings) | {
            "statuses": ledger_status, "rows_per_page": first_rows,
            "distinct_pages_reached": len(set(cursors)),
        }
    finally:
        server.stop()
    results["raw_page_read_reference"] = _raw_page_read(url, ledger_samples)
    floor_p99 = results["http_floor_health_live"]["latency_ms_p99"]
    results["ratio_ledger_p99_to_http_floor_p99"] = round(
        results["account_ledger_api"]["latency_ms_p99"] / max(floor_p99, 1e-6), 2)
    if results["pages_p95_max_ms"] is not None:
        results["ratio_pages_p95_max_to_http_floor_p95"] = round(
            results["pages_p95_max_ms"]
            / max(results["http_floor_health_live"]["latency_ms_p95"], 1e-6), 2)
    return results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.console",
                                     description=__doc__.split("\n\n")[0])
    parser.add_argument("--url", default=t.default_url())
    parser.add_argument("--seed", type=int, default=None, help="default: random, printed")
    parser.add_argument("--scale", type=float, default=1.0,
                        help="entries = 1,000,000 x scale (targets are stated for 1)")
    parser.add_argument("--page-samples", type=int, default=40)
    parser.add_argument("--ledger-samples", type=int, default=1000)
    parser.add_argument("--results-file", default="console-latest.json",
                        help="file name under bench/results/")
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args(argv)
    if not args.url.startswith("postgres"):
        parser.error("the benchmarks run on PostgreSQL: pass --url postgresql://...")
    seed = args.seed if args.seed is not None else random.SystemRandom().randrange(2**32)
    t.log(P, f"seed={seed} scale={args.scale:g} url={parse_database_url(args.url).display}")
    results = t.started(seed, args.scale)
    entries = max(1000, round(1_000_000 * args.scale))
    results["sizes"] = {"entries": entries, "page_samples": args.page_samples,
                        "ledger_samples": args.ledger_samples, "workers": args.workers}
    began = time.monotonic()
    url = t.schema_url(args.url, f"bench_console_{uuid.uuid4().hex[:8]}")
    prepare_database(parse_database_url(url))
    try:
        t.log(P, f"generating {entries} entries ...")
        info = _prepare(url, entries, seed)
        results["log"] = {k: v for k, v in info.items() if k != "tokens"}
        t.log(P, "measuring pages and the ledger API ...")
        results |= measure(url, info, args.page_samples, args.ledger_samples, args.workers, seed)
    finally:
        t.drop_schema(url)
    results["seconds_total"] = round(time.monotonic() - began, 1)
    results["targets"] = t.check(results, TARGETS, scale=args.scale, prefix=P)
    t.finish(results, args.results_file)
    return 0


TARGETS = [
    t.Target("every console page p95 (slowest page) over a 1,000,000-event log",
             "pages_p95_max_ms", "<", 200, "ms"),
    t.Target("account ledger page p99 (100,000 postings, 1,000,000 events)",
             "account_ledger_api.latency_ms_p99", "<", 20, "ms"),
]

if __name__ == "__main__":
    raise SystemExit(main())
