"""What ``.ci/run`` needs from pytest: which tests ran, which skipped, and why.

As a pytest plugin (``-p skip_audit --skip-audit=PATH``, with ``.ci`` on
PYTHONPATH) it writes, at the end of the session::

    {"passed": N, "failed": N, "xfailed": N,
     "skipped": [{"nodeid": ..., "reason": ..., "postgres_marked": bool,
                  "browser_marked": bool}, ...]}

A test counts once: failed if any phase (setup, call, teardown) failed, else
skipped if it was skipped, else passed once its body ran.

As a script (``python3 .ci/skip_audit.py judge PATH MAKE_STATUS``) it judges a
run: it fails when the audit is missing, when no test ran, when make failed,
or when a test CI must run was skipped:

- a PostgreSQL test: marked ``postgres``, or its skip reason mentions PostgreSQL;
- a test of the shared samples: its skip reason names ``../shared`` (where the
  samples live, next to the repository) or a ``shared/samples`` path;
- a browser test: marked ``browser`` (or in a ``browser`` test package).

It ends with one ``ci: N passed, N failed, N skipped`` line. The judge needs
only the standard library (pytest is imported lazily).
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pytest

_RANK = {"passed": 0, "xfailed": 1, "skipped": 2, "failed": 3}
SKIPS_LISTED_MAX = 20
_MENTIONS_POSTGRES = re.compile(r"postgres", re.IGNORECASE)
_NEEDS_SHARED = re.compile(r"\.\./shared\b|\bshared/samples\b")
_outcomes: dict[str, str] = {}
_skips: dict[str, dict[str, Any]] = {}


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--skip-audit", metavar="PATH", help="write test outcomes and skips as JSON")


def _record(nodeid: str, outcome: str) -> None:
    if _RANK[outcome] >= _RANK[_outcomes.get(nodeid, "passed")]:
        _outcomes[nodeid] = outcome


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    if report.failed:
        _record(report.nodeid, "failed")
    elif hasattr(report, "wasxfail"):
        _record(report.nodeid, "xfailed")
    elif report.skipped:
        _record(report.nodeid, "skipped")
        longrepr = report.longrepr
        reason = longrepr[2] if isinstance(longrepr, tuple) else str(longrepr)
        reason = reason.removeprefix("Skipped: ")
        _skips[report.nodeid] = {
            "nodeid": report.nodeid,
            "reason": reason,
            "postgres_marked": "postgres" in report.keywords,
            "browser_marked": "browser" in report.keywords,
        }
    elif report.when == "call":
        _record(report.nodeid, "passed")


def pytest_sessionfinish(session: pytest.Session) -> None:
    path = session.config.getoption("--skip-audit")
    if not path:
        return
    counts = dict.fromkeys(_RANK, 0)
    for outcome in _outcomes.values():
        counts[outcome] += 1
    audit = {
        "passed": counts["passed"],
        "failed": counts["failed"],
        "xfailed": counts["xfailed"],
        "skipped": [_skips[nodeid] for nodeid in sorted(_skips) if _outcomes[nodeid] == "skipped"],
    }
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    Path(path).write_text(json.dumps(audit, indent=2) + "\n", encoding="utf-8")


def _postgres(skip: dict[str, Any]) -> bool:
    return bool(skip["postgres_marked"]) or bool(_MENTIONS_POSTGRES.search(skip["reason"]))


def _shared_samples(skip: dict[str, Any]) -> bool:
    return bool(_NEEDS_SHARED.search(skip["reason"]))


def _browser(skip: dict[str, Any]) -> bool:
    return bool(skip.get("browser_marked", False))  # audits written before the field: False


_MUST_RUN = (
    ("PostgreSQL test", _postgres, "CI needs both backends"),
    ("shared-samples test", _shared_samples, "CI needs the samples in ../shared"),
    ("browser test", _browser, "CI runs the browser tests"),
)
"""(kind, which skips are of that kind, why CI fails on them): tests CI must run."""


def judge(audit_path: Path, make_status: int) -> int:
    """Print the verdict on one CI run; 0 when it may pass."""
    if not audit_path.exists():
        print(f"ci: FAILED: pytest did not finish a session (no {audit_path})")
        if make_status != 0:
            print(f"ci: FAILED: make test exited {make_status} (see above)")
        print("ci: 0 passed, 0 failed")
        return 1
    audit = json.loads(audit_path.read_text(encoding="utf-8"))
    problems = []
    for kind, needs, why in _MUST_RUN:
        skipped = [skip for skip in audit["skipped"] if needs(skip)]
        for skip in skipped[:SKIPS_LISTED_MAX]:
            print(f"ci: {kind} skipped: {skip['nodeid']}: {skip['reason']}")
        if len(skipped) > SKIPS_LISTED_MAX:
            print(f"ci: ... and {len(skipped) - SKIPS_LISTED_MAX} more")
        if skipped:
            problems.append(f"{len(skipped)} {kind}(s) skipped; {why}")
    if audit["passed"] + audit["failed"] == 0:
        problems.append("no test ran")
    if make_status != 0:
        problems.append(f"make test exited {make_status} (lint or tests failed, see above)")
    for problem in problems:
        print(f"ci: FAILED: {problem}")
    passed, failed, skipped = audit["passed"], audit["failed"], len(audit["skipped"])
    print(f"ci: {passed} passed, {failed} failed, {skipped} skipped")
    return 1 if problems else 0


if __name__ == "__main__":
    if len(sys.argv) != 4 or sys.argv[1] != "judge":
        sys.exit("usage: skip_audit.py judge AUDIT_JSON MAKE_STATUS")
    sys.exit(judge(Path(sys.argv[2]), int(sys.argv[3])))
