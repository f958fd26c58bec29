"""Mutation testing of the rule modules: run mutmut, then write the report.

    python .ci/mutation.py run       (make mutation: resumable; mutmut keeps its results in mutants/)
    python .ci/mutation.py report    docs/mutation.md from mutmut's results

Why mutmut (3.x): it mutates one function at a time behind a trampoline and
runs only the tests that reach that function (it records which tests call
which function in a first pass), so a run over the rule modules takes
minutes, not hours; results are kept per mutant, so an interrupted run
resumes; it runs mutants in parallel (``--max-children``). cosmic-ray is the
other well-kept choice, but it runs the whole selected test command per
mutant, which is an order of magnitude slower on this suite.

mutmut copies the project into mutants/ and imports it from there; an
editable install of the project would shadow the copy, so make mutation uses
.venv-mutation, which holds the dependencies without the project itself.

Survivors are either killed by a new test or listed in
docs/mutation-equivalent.txt as ``<mutant name>  <one-line reason>``; the
report counts those as equivalent, not as survivors.
"""

from __future__ import annotations

import re
import subprocess
import sys
from collections import defaultdict
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
REPORT = ROOT / "docs" / "mutation.md"
EQUIVALENT = ROOT / "docs" / "mutation-equivalent.txt"
GOAL_PERCENT = 90
_RESULT = re.compile(r"^\s*(?P<name>\S+): (?P<status>.+)$")


def mutmut(*arguments: str) -> subprocess.CompletedProcess[str]:
    binary = Path(sys.executable).parent / "mutmut"
    return subprocess.run(
        [str(binary), *arguments], cwd=ROOT, capture_output=True, text=True, check=False
    )


def results() -> dict[str, str]:
    """Every mutant's name and status (killed, survived, no tests, timeout, ...)."""
    done = mutmut("results", "--all", "true")
    found = {}
    for line in done.stdout.splitlines():
        match = _RESULT.match(line)
        if match:
            found[match.group("name")] = match.group("status").strip()
    return found


def equivalents() -> dict[str, str]:
    if not EQUIVALENT.exists():
        return {}
    marked = {}
    for line in EQUIVALENT.read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            name, _, reason = line.partition("  ")
            marked[name.strip()] = reason.strip()
    return marked


def module_of(mutant: str) -> str:
    """``domain.kernel.money.x_parse_amount__mutmut_3`` -> ``domain.kernel.money``."""
    return mutant.split(".x", 1)[0].rsplit(".x\u01c1", 1)[0]


def report() -> int:
    statuses = results()
    marked = equivalents()
    per_module: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    survivors: dict[str, list[str]] = defaultdict(list)
    for name, status in sorted(statuses.items()):
        module = module_of(name)
        if status == "survived" and name in marked:
            status = "equivalent"
        per_module[module][status] += 1
        if status in ("survived", "no tests"):
            survivors[module].append(f"{name} ({status})")
    lines = [
        "# Mutation testing",
        "",
        f"mutmut over the rule modules ({datetime.now(UTC):%Y-%m-%d %H:%M} UTC); `make mutation`"
        " runs it (resumable; see .ci/mutation.py for why mutmut).",
        f"Score = killed / (all - equivalent); goal {GOAL_PERCENT}% on every module.",
        "",
        "| module | mutants | killed | survived | no tests | equivalent | timeout | score |",
        "|---|---|---|---|---|---|---|---|",
    ]
    below = 0
    for module, counts in sorted(per_module.items()):
        total = sum(counts.values())
        scored = total - counts["equivalent"]
        killed = counts["killed"] + counts["timeout"]
        score = 100.0 * killed / scored if scored else 100.0
        below += score < GOAL_PERCENT
        lines.append(
            f"| `{module}` | {total} | {counts['killed']} | {counts['survived']} |"
            f" {counts['no tests']} | {counts['equivalent']} | {counts['timeout']} | {score:.1f}% |"
        )
    lines += ["", "## Surviving mutants", ""]
    for module, names in sorted(survivors.items()):
        lines.append(f"- `{module}`: " + ", ".join(f"`{n}`" for n in names))
    REPORT.write_text("\n".join(lines) + "\n", encoding="utf-8")
    print(f"{REPORT.relative_to(ROOT)}: {len(per_module)} modules, {below} below {GOAL_PERCENT}%")
    return 0


def run() -> int:
    done = subprocess.run(
        [str(Path(sys.executable).parent / "mutmut"), "run", "--max-children", "2"],
        cwd=ROOT,
        check=False,
    )
    report()
    return done.returncode


if __name__ == "__main__":
    command = sys.argv[1] if len(sys.argv) > 1 else "run"
    sys.exit({"run": run, "report": report}[command]())
