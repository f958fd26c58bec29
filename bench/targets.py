"""What every bench shares: its targets (met or missed, printed and in the JSON),
the machine it ran on, throwaway schemas, percentiles and the result file.

A target names a figure of the results by its path (``"payroll.calculate.seconds"``),
a comparison (``<`` or ``>=``) and a limit. ``check`` looks each one up, prints
``target met`` / ``target MISSED`` / ``target not measured`` lines on stderr and
returns them as a list for the JSON's ``targets`` key, so a missed target is never
silent. Scaled-down runs (``--scale`` below 1) are marked: a target measured at
a smaller size than it states is reported, but flagged ``at_scale``.
"""

from __future__ import annotations

import os
import platform
import sys
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson

RESULTS_DIR = Path(__file__).parent / "results"
DEFAULT_URL = "postgresql://postgres@127.0.0.1:5432/test"


@dataclass(frozen=True)
class Target:
    name: str
    path: str
    """Dotted path into the results (``"a.b.c"``)."""
    op: str
    """``"<"`` (below the limit) or ``">="`` (at least the limit)."""
    limit: float
    unit: str = ""

    def describe(self) -> str:
        return f"{self.name}: {self.op} {self.limit:g}{(' ' + self.unit) if self.unit else ''}"


def lookup(results: dict[str, Any], path: str) -> Any:
    found: Any = results
    for part in path.split("."):
        if not isinstance(found, dict) or part not in found:
            return None
        found = found[part]
    return found


def check(results: dict[str, Any], targets: list[Target], *, scale: float = 1.0,
          prefix: str = "bench") -> list[dict[str, Any]]:
    """Compare ``results`` with ``targets``; print one line per target; the list for the JSON."""
    verdicts: list[dict[str, Any]] = []
    for target in targets:
        value = lookup(results, target.path)
        if not isinstance(value, int | float) or isinstance(value, bool):
            status = "not measured"
            met = None
        else:
            met = value < target.limit if target.op == "<" else value >= target.limit
            status = "met" if met else "MISSED"
        verdict: dict[str, Any] = {
            "target": target.describe(),
            "path": target.path,
            "value": value,
            "limit": target.limit,
            "op": target.op,
            "met": met,
        }
        if scale != 1.0:
            verdict["at_scale"] = scale
        verdicts.append(verdict)
        shown = "-" if value is None else f"{value:g}" if isinstance(value, float) else str(value)
        note = f" (at scale {scale:g}, target stated for scale 1)" if scale != 1.0 else ""
        print(f"{prefix}: target {status}: {target.describe()} -> {shown}{note}",
              file=sys.stderr, flush=True)
    met_count = sum(1 for v in verdicts if v["met"] is True)
    missed = [v["target"] for v in verdicts if v["met"] is False]
    unmeasured = [v["target"] for v in verdicts if v["met"] is None]
    print(f"{prefix}: targets met {met_count}/{len(verdicts)}"
          + (f"; missed: {'; '.join(missed)}" if missed else "")
          + (f"; not measured: {'; '.join(unmeasured)}" if unmeasured else ""),
          file=sys.stderr, flush=True)
    return verdicts


def machine() -> dict[str, Any]:
    try:
        uname = platform.uname()
        node = {"system": uname.system, "release": uname.release, "machine": uname.machine}
    except Exception:  # pragma: no cover - informational only
        node = {}
    return {
        "cpus": os.cpu_count(),
        "python": platform.python_version(),
        "loadavg_at_start": [round(x, 2) for x in os.getloadavg()],
        **node,
    }


def started(seed: int, scale: float | None = None) -> dict[str, Any]:
    """The head of every bench's JSON: when, which seed, which machine, which scale."""
    head: dict[str, Any] = {
        "recorded_at_utc": datetime.now(UTC).isoformat(timespec="seconds"),
        "seed": seed,
        "machine": machine(),
    }
    if scale is not None:
        head["scale"] = scale
    return head


def finish(results: dict[str, Any], file_name: str) -> bytes:
    """Load average at the end, write ``bench/results/<file_name>``, print and return the JSON."""
    results.setdefault("machine", {})["loadavg_at_end"] = [round(x, 2) for x in os.getloadavg()]
    output = orjson.dumps(results, option=orjson.OPT_INDENT_2 | orjson.OPT_NON_STR_KEYS)
    path = RESULTS_DIR / file_name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(output + b"\n")
    print(output.decode())
    return output


def default_url() -> str:
    return (
        os.environ.get("BACKOFFICE_BENCH_DATABASE_URL")
        or os.environ.get("BACKOFFICE_TEST_DATABASE_URL")
        or DEFAULT_URL
    )


def schema_url(base: str, schema: str) -> str:
    return f"{base.split('?', 1)[0]}?schema={schema}"


def drop_schema(url: str) -> None:
    import psycopg
    from psycopg import sql

    from adapters.database import parse_database_url, postgres_connect_kwargs

    database = parse_database_url(url)
    with psycopg.connect(**postgres_connect_kwargs(database), autocommit=True) as conn:  # type: ignore[arg-type]
        conn.execute(
            sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(sql.Identifier(database.schema))
        )


def percentile(sorted_values: list[float], fraction: float) -> float:
    if not sorted_values:
        return float("nan")
    index = min(len(sorted_values) - 1, max(0, round(fraction * len(sorted_values)) - 1))
    return sorted_values[index]


def latency_summary(timings_ms: list[float]) -> dict[str, Any]:
    ordered = sorted(timings_ms)
    return {
        "samples": len(ordered),
        "latency_ms_p50": round(percentile(ordered, 0.50), 3),
        "latency_ms_p95": round(percentile(ordered, 0.95), 3),
        "latency_ms_p99": round(percentile(ordered, 0.99), 3),
        "latency_ms_max": round(ordered[-1], 3) if ordered else None,
    }


def log(prefix: str, message: str) -> None:
    print(f"{prefix}: {message}", file=sys.stderr, flush=True)
