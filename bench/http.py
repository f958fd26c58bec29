"""``python -m bench.http``: journal entries/s over HTTP against ``backoffice serve``.

On PostgreSQL, in a throwaway schema (``bench_http_<random>``, dropped at the
end): opens a few account pairs, issues a poster token, starts
``backoffice serve`` on a free loopback port (projections in ``worker`` mode,
log level warning) once per ``--workers`` value, and drives
``POST /v1/journal-entries`` from ``--connections`` keep-alive connections,
each waiting for its own response (closed loop). A warm-up is excluded from
the figures; every response must be a 201 (others are counted as errors).

The reference is the in-process posting rate through the group committer
(``bench.posting.measure_group_commit``) with the same concurrency, measured
in the same run before the server starts. When the closed-loop p99 is above
50 ms (or ``--rate`` is given), an open-loop run offers a fixed rate and
reports latency from each request's scheduled send time, so a stalled server
cannot hide its queueing delay (coordinated omission).

The client is a minimal asyncio HTTP/1.1 keep-alive client (an
``asyncio.Protocol`` per connection, request bytes built before the clock
starts): on 2 cores shared by client, server and PostgreSQL, a general
client (httpx) costs the server a large share of the CPU. The client's and
the server's CPU time per entry are reported beside the rate.

Prints JSON and writes ``bench/results/http-latest.json``.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import random
import socket
import subprocess
import sys
import time
import urllib.request
import uuid
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson

from adapters.database import parse_database_url, prepare_database

RESULTS = Path(__file__).parent / "results" / "http-latest.json"
DEFAULT_URL = "postgresql://postgres@127.0.0.1:5432/test"
PATH = "/v1/journal-entries"
ACCOUNT_PAIRS = 8
P99_TARGET_MS = 50.0
OPEN_LOOP_RATE_DEFAULT = 2000.0


def _schema_url(base: str, schema: str) -> str:
    return f"{base.split('?', 1)[0]}?schema={schema}"


def _drop(url: str) -> None:
    import psycopg
    from psycopg import sql

    from adapters.database import postgres_connect_kwargs

    database = parse_database_url(url)
    with psycopg.connect(**postgres_connect_kwargs(database), autocommit=True) as conn:  # type: ignore[arg-type]
        conn.execute(
            sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(sql.Identifier(database.schema))
        )


def _percentile(sorted_values: Sequence[float], fraction: float) -> float:
    if not sorted_values:
        return float("nan")
    index = min(len(sorted_values) - 1, max(0, round(fraction * len(sorted_values)) - 1))
    return sorted_values[index]


def _secret() -> bytes:
    from adapters.settings import Settings

    return Settings.from_environment().secret_bytes


def setup_ledger(url: str) -> str:
    """Open ``ACCOUNT_PAIRS`` bank/sales pairs; return a poster token's text."""
    from backoffice.container import build_system
    from domain.access.tokens import secret_digest
    from domain.kernel.context import Context

    secret = _secret()
    system = build_system(url)
    try:
        context = Context("bench-http", "bench-http-setup")
        for pair in range(ACCOUNT_PAIRS):
            system.app.open_account(context, f"Assets:Bank{pair}", f"Bank {pair}", "asset", ["USD"])
            system.app.open_account(
                context, f"Income:Sales{pair}", f"Sales {pair}", "income", ["USD"]
            )
        _token, text = system.app.issue_token(
            context,
            "bench-poster",
            "poster",
            lambda token_secret: secret_digest(secret, token_secret),
        )
        return str(text)
    finally:
        system.close()


def build_requests(count: int, rng: random.Random, host: str, token: str, run: str) -> list[bytes]:
    """Whole HTTP/1.1 requests, built before the clock starts (keys unique per run)."""
    head = (
        f"POST {PATH} HTTP/1.1\r\nHost: {host}\r\nAuthorization: Bearer {token}\r\n"
        "Content-Type: application/json\r\nAccept: application/json\r\n"
    ).encode()
    out = []
    for number in range(count):
        pair = rng.randrange(ACCOUNT_PAIRS)
        amount = f"{rng.randint(1, 99_999)}.{rng.randint(0, 99):02d}"
        body = orjson.dumps(
            {
                "effective_date": f"2026-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}",
                "postings": [
                    {
                        "account": f"Assets:Bank{pair}",
                        "direction": "debit",
                        "amount": amount,
                        "asset": "USD",
                    },
                    {
                        "account": f"Income:Sales{pair}",
                        "direction": "credit",
                        "amount": amount,
                        "asset": "USD",
                    },
                ],
            }
        )
        out.append(
            head
            + f"Idempotency-Key: {run}-{number}\r\nContent-Length: {len(body)}\r\n\r\n".encode()
            + body
        )
    return out


# --- a minimal HTTP/1.1 keep-alive client -------------------------------------


class _Connection(asyncio.Protocol):
    """One keep-alive connection, one request in flight; answers (status, body)."""

    def __init__(self) -> None:
        self.transport: asyncio.Transport | None = None
        self.buffer = bytearray()
        self.waiter: asyncio.Future[tuple[int, bytes]] | None = None
        self.closed = False

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]  # uvloop's is not an asyncio.Transport
        sock = transport.get_extra_info("socket")
        if sock is not None:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed = True
        if self.waiter is not None and not self.waiter.done():
            self.waiter.set_exception(exc or ConnectionError("connection closed by the server"))

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        end = self.buffer.find(b"\r\n\r\n")
        if end < 0:
            return
        head = bytes(self.buffer[:end]).lower()
        start = head.find(b"\r\ncontent-length:")
        length = 0
        if start >= 0:
            stop = head.find(b"\r\n", start + 2)
            length = int(head[start + 17 : stop if stop >= 0 else len(head)])
        if len(self.buffer) < end + 4 + length:
            return
        status = int(head[9:12])
        body = bytes(self.buffer[end + 4 : end + 4 + length])
        del self.buffer[: end + 4 + length]
        if self.waiter is not None and not self.waiter.done():
            self.waiter.set_result((status, body))

    def request(self, data: bytes) -> asyncio.Future[tuple[int, bytes]]:
        assert self.transport is not None
        self.waiter = asyncio.get_running_loop().create_future()
        self.transport.write(data)
        return self.waiter

    def close(self) -> None:
        if self.transport is not None:
            self.transport.close()


async def _connect(port: int) -> _Connection:
    _transport, protocol = await asyncio.get_running_loop().create_connection(
        _Connection, "127.0.0.1", port
    )
    return protocol


class _Tally:
    def __init__(self) -> None:
        self.latencies_ms: list[float] = []
        self.errors = 0
        self.error_samples: list[str] = []

    def failed(self, what: str) -> None:
        self.errors += 1
        if len(self.error_samples) < 5:
            self.error_samples.append(what[:300])


async def _send(
    connections: list[_Connection], slot: int, port: int, data: bytes, tally: _Tally
) -> bool:
    """Send one request on ``connections[slot]``; True if it was a 201."""
    connection = connections[slot]
    try:
        if connection.closed:
            connection = connections[slot] = await _connect(port)
        status, body = await connection.request(data)
    except (OSError, ConnectionError) as error:
        tally.failed(f"connection: {error!r}")
        connections[slot] = await _connect(port)
        return False
    if status != 201:
        tally.failed(f"HTTP {status}: {body[:200].decode(errors='replace')}")
        return False
    return True


async def closed_loop(
    port: int, requests: list[bytes], connection_count: int, duration_max_s: float
) -> tuple[_Tally, float]:
    """Each connection sends its next request when its previous answer arrived."""
    connections = [await _connect(port) for _ in range(connection_count)]
    tally = _Tally()
    cursor = iter(range(len(requests)))
    deadline = time.perf_counter() + duration_max_s
    perf = time.perf_counter

    async def worker(slot: int) -> None:
        latencies = tally.latencies_ms
        for index in cursor:
            if perf() > deadline:
                return
            started = perf()
            if await _send(connections, slot, port, requests[index], tally):
                latencies.append((perf() - started) * 1000)

    started = perf()
    await asyncio.gather(*(worker(slot) for slot in range(connection_count)))
    seconds = perf() - started
    for connection in connections:
        connection.close()
    return tally, seconds


async def open_loop(
    port: int, requests: list[bytes], connection_count: int, rate: float
) -> tuple[_Tally, float]:
    """Request i is due at start + i/rate; latency counts from when it was due."""
    connections = [await _connect(port) for _ in range(connection_count)]
    tally = _Tally()
    due: asyncio.Queue[tuple[int, float] | None] = asyncio.Queue()
    perf = time.perf_counter

    async def dispatcher(start: float) -> None:
        for index in range(len(requests)):
            scheduled = start + index / rate
            delay = scheduled - perf()
            if delay > 0.0005:
                await asyncio.sleep(delay)
            due.put_nowait((index, scheduled))
        for _ in range(connection_count):
            due.put_nowait(None)

    async def worker(slot: int) -> None:
        while (item := await due.get()) is not None:
            index, scheduled = item
            if await _send(connections, slot, port, requests[index], tally):
                tally.latencies_ms.append((perf() - scheduled) * 1000)

    started = perf()
    await asyncio.gather(dispatcher(started), *(worker(slot) for slot in range(connection_count)))
    seconds = perf() - started
    for connection in connections:
        connection.close()
    return tally, seconds


def _run(coroutine: Any) -> Any:
    try:
        import uvloop
    except ImportError:  # pragma: no cover - uvicorn[standard] brings it
        return asyncio.run(coroutine)
    return uvloop.run(coroutine)


# --- the server -------------------------------------------------------------


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _process_tree_cpu_s(root: int) -> float:
    """User + system CPU seconds of ``root`` and its descendants (Linux /proc)."""
    ticks = os.sysconf("SC_CLK_TCK")
    parents: dict[int, int] = {}
    times: dict[int, float] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", "rb") as handle:
                fields = handle.read().rsplit(b")", 1)[1].split()
        except OSError:
            continue
        parents[int(entry)] = int(fields[1])
        times[int(entry)] = (int(fields[11]) + int(fields[12])) / ticks
    total, todo = 0.0, [root]
    while todo:
        pid = todo.pop()
        total += times.get(pid, 0.0)
        todo.extend(child for child, parent in parents.items() if parent == pid)
    return total


class Server:
    """``backoffice serve`` in a subprocess on a free loopback port."""

    def __init__(self, url: str, workers: int) -> None:
        self.port = _free_port()
        env = dict(os.environ)
        env.update(
            {
                "BACKOFFICE_DATABASE_URL": url,
                "BACKOFFICE_PROJECTIONS": "worker",
                "PYTHONUNBUFFERED": "1",
            }
        )
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "backoffice.cli.main",
                "serve",
                "--host",
                "127.0.0.1",
                "--port",
                str(self.port),
                "--workers",
                str(workers),
                "--log-level",
                "warning",
            ],
            env=env,
            stdin=subprocess.DEVNULL,
        )
        self.workers = workers

    def wait_ready(self, timeout_s: float = 60.0) -> None:
        deadline = time.monotonic() + timeout_s
        url = f"http://127.0.0.1:{self.port}/health/ready"
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"backoffice serve exited with {self.process.returncode}")
            try:
                with urllib.request.urlopen(url, timeout=2) as answer:
                    if answer.status == 200:
                        break
            except OSError:
                pass
            time.sleep(0.2)
        else:
            raise RuntimeError(f"backoffice serve was not ready within {timeout_s:g} s")
        # With several workers each must have started its lifespan before the clock starts.
        for _ in range(4 * self.workers):
            with urllib.request.urlopen(url, timeout=5) as answer:
                answer.read()

    def cpu_s(self) -> float:
        return _process_tree_cpu_s(self.process.pid)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


# --- one measurement --------------------------------------------------------


def _cpu(server: Server) -> tuple[float, float]:
    """CPU seconds so far: this client, the server's processes."""
    return time.process_time(), server.cpu_s()


def _summary(
    tally: _Tally, seconds: float, cpu_before: tuple[float, float], server: Server
) -> dict[str, Any]:
    latencies = sorted(tally.latencies_ms)
    done = len(latencies)
    client_cpu_s, server_cpu_s = (
        after - before for after, before in zip(_cpu(server), cpu_before, strict=True)
    )
    out: dict[str, Any] = {
        "entries": done,
        "errors": tally.errors,
        "seconds": round(seconds, 3),
        "entries_per_s": round(done / seconds) if seconds else 0,
        "p50_ms": round(_percentile(latencies, 0.50), 2),
        "p99_ms": round(_percentile(latencies, 0.99), 2),
        "client_cpu_ms_per_entry": round(client_cpu_s * 1000 / max(done, 1), 3),
        "server_cpu_ms_per_entry": round(server_cpu_s * 1000 / max(done, 1), 3),
    }
    if tally.error_samples:
        out["error_samples"] = tally.error_samples
    return out


def measure_http(
    url: str, token: str, workers: int, args: argparse.Namespace, rng: random.Random
) -> dict[str, Any]:
    server = Server(url, workers)
    try:
        server.wait_ready()
        host = f"127.0.0.1:{server.port}"
        run = f"w{workers}-{uuid.uuid4().hex[:6]}"
        warmup = build_requests(args.warmup, rng, host, token, f"{run}-warm")
        measured = build_requests(args.entries, rng, host, token, run)
        print(
            f"bench.http: {workers} worker(s): warm-up {len(warmup)} ...",
            file=sys.stderr,
            flush=True,
        )
        warm_tally, _ = _run(closed_loop(server.port, warmup, args.connections, args.duration_max))
        print(
            f"bench.http: {workers} worker(s): {len(measured)} entries, {args.connections} connections ...",
            file=sys.stderr,
            flush=True,
        )
        cpu_before = _cpu(server)
        tally, seconds = _run(
            closed_loop(server.port, measured, args.connections, args.duration_max)
        )
        result = {
            "workers": workers,
            "connections": args.connections,
            "mode": "closed_loop",
        } | _summary(tally, seconds, cpu_before, server)
        result["warmup_entries"] = len(warm_tally.latencies_ms)
        result["warmup_errors"] = warm_tally.errors
        rate = args.rate
        if rate is None and result["p99_ms"] > P99_TARGET_MS:
            rate = OPEN_LOOP_RATE_DEFAULT
        if rate:
            count = min(args.entries, max(1, int(rate * args.duration_max)))
            offered = build_requests(count, rng, host, token, f"{run}-open")
            print(
                f"bench.http: {workers} worker(s): open loop at {rate:g}/s, {count} entries ...",
                file=sys.stderr,
                flush=True,
            )
            cpu_before = _cpu(server)
            tally, seconds = _run(open_loop(server.port, offered, args.connections, rate))
            result["open_loop"] = {"offered_per_s": rate} | _summary(
                tally, seconds, cpu_before, server
            )
        return result
    finally:
        server.stop()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench.http", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument(
        "--url",
        default=os.environ.get("BACKOFFICE_BENCH_DATABASE_URL")
        or os.environ.get("BACKOFFICE_TEST_DATABASE_URL")
        or DEFAULT_URL,
    )
    parser.add_argument(
        "--workers",
        type=int,
        nargs="+",
        default=[1, 2],
        help="server worker processes; one measurement per value (default: 1 2)",
    )
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--entries", type=int, default=20_000, help="measured entries per run")
    parser.add_argument(
        "--warmup", type=int, default=2_000, help="entries sent first, not measured"
    )
    parser.add_argument(
        "--duration-max", type=float, default=60.0, help="seconds per measured run, at most"
    )
    parser.add_argument(
        "--rate",
        type=float,
        default=None,
        help="also run open loop at this rate (default: 2000/s when closed-loop p99 > 50 ms)",
    )
    parser.add_argument(
        "--skip-in-process", action="store_true", help="skip the in-process reference"
    )
    parser.add_argument("--seed", type=int, default=None, help="default: random, printed")
    args = parser.parse_args(argv)
    if not args.url.startswith("postgres"):
        parser.error("the HTTP benchmark runs on PostgreSQL: pass --url postgresql://...")
    if args.connections < 1 or args.entries < 1 or args.warmup < 0:
        parser.error("--connections and --entries at least 1, --warmup at least 0")
    seed = args.seed if args.seed is not None else random.SystemRandom().randrange(2**32)
    rng = random.Random(seed)
    print(
        f"bench.http: seed={seed} url={parse_database_url(args.url).display}",
        file=sys.stderr,
        flush=True,
    )
    url = _schema_url(args.url, f"bench_http_{uuid.uuid4().hex[:8]}")
    results: dict[str, Any] = {
        "recorded_at_utc": datetime.now(UTC).isoformat(timespec="seconds"),
        "seed": seed,
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version()},
    }
    try:
        prepare_database(parse_database_url(url))
        token = setup_ledger(url)
        if not args.skip_in_process:
            from bench.posting import measure_group_commit

            print(
                f"bench.http: in-process reference, {args.connections} clients ...",
                file=sys.stderr,
                flush=True,
            )
            client_cpu = time.process_time()
            per_client = max(1, args.entries // args.connections)
            in_process = measure_group_commit(url, args.connections, per_client)
            cpu_s = time.process_time() - client_cpu
            results["in_process"] = {
                "entries_per_s": in_process["entries_per_s"],
                "p50_ms": in_process["latency_ms_p50"],
                "p99_ms": in_process["latency_ms_p99"],
                "clients": in_process["clients"],
                "entries": in_process["entries"],
                "errors": 0,  # measure_group_commit raises on any failure
                "entries_per_commit_mean": in_process["entries_per_commit_mean"],
                "cpu_ms_per_entry": round(cpu_s * 1000 / in_process["entries"], 3),
            }
        runs = [measure_http(url, token, workers, args, rng) for workers in args.workers]
    finally:
        _drop(url)
    best = max(runs, key=lambda run: run["entries_per_s"])
    results["http"] = best
    if len(runs) > 1:
        results["http_runs"] = runs
    if "in_process" in results:
        results["ratio"] = round(best["entries_per_s"] / results["in_process"]["entries_per_s"], 3)
    from bench.targets import Target, check

    results["machine"]["loadavg_at_end"] = [round(x, 2) for x in os.getloadavg()]
    results["targets"] = check(results, [
        Target("HTTP entries/s, closed loop (best worker count)", "http.entries_per_s", ">=",
               2000, "/s"),
        Target("HTTP p99, closed loop", "http.p99_ms", "<", P99_TARGET_MS, "ms"),
        Target("HTTP p99, open loop at the offered rate", "http.open_loop.p99_ms", "<",
               P99_TARGET_MS, "ms"),
    ], prefix="bench.http")
    output = orjson.dumps(results, option=orjson.OPT_INDENT_2)
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_bytes(output + b"\n")
    print(output.decode())
    return 1 if any(run["errors"] for run in runs) else 0


if __name__ == "__main__":
    raise SystemExit(main())
