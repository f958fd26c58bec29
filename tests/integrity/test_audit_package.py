"""The offline audit package verifies in a virtual environment with only ``cryptography``,
and names the first bad position of every kind of tampering, on both backends.

The verifier runs as an auditor would run it: ``python -I verify_audit_package.py DIR``
in its own venv (created once per test run), never importing this repository.
"""

from __future__ import annotations

import base64
import importlib.metadata
import json
import os
import random
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from adapters.auditkit.audit_balance import COUNTERS, trial_balance_digest
from adapters.auditkit.checkpoint_note import Checkpoint, parse_many
from adapters.auditkit.verify_audit_package import main as verify_in_process
from adapters.chain_store import ChainReader
from adapters.signing import Signer, generate
from backoffice.cli.main import app as cli
from backoffice.container import System, build_system
from domain.kernel.context import Context
from replay.audit_package import write_manifest
from replay.checkpointing import LogWitness
from tests.ledger.support import entry, fund_bank, open_chart, spend_from_bank, transfer
from tests.replay.test_upcasting import store_version_1_entry

CONTEXT = Context("auditor-tests", "audit-package")


# --- the auditor's virtual environment ------------------------------------------


@pytest.fixture(scope="session")
def verifier_python(tmp_path_factory: pytest.TempPathFactory, pytestconfig: pytest.Config) -> Path:
    """A venv with only ``cryptography`` (the version this repository uses), from a wheel
    cache kept between runs, so only the first run needs the package index."""
    version = importlib.metadata.version("cryptography")
    wheels = (
        Path(pytestconfig.cache.mkdir("audit-package-wheels"))
        if getattr(pytestconfig, "cache", None) is not None
        else (tmp_path_factory.mktemp("wheels"))
    )
    started = time.perf_counter()
    if not list(wheels.glob(f"cryptography-{version}-*.whl")):
        _run([sys.executable, "-m", "pip", "download", "--quiet", "--only-binary=:all:",
              "--disable-pip-version-check", "-d", str(wheels), f"cryptography=={version}"])  # fmt: skip
    venv = tmp_path_factory.mktemp("auditor") / "v"
    _run([sys.executable, "-m", "venv", str(venv)])
    python = venv / "bin" / "python"
    _run([str(python), "-m", "pip", "install", "--quiet", "--no-index", "--find-links",
          str(wheels), "--disable-pip-version-check", f"cryptography=={version}"])  # fmt: skip
    print(f"auditor venv ready in {time.perf_counter() - started:.1f}s")
    return python


def _run(command: list[str]) -> None:
    done = subprocess.run(command, capture_output=True, text=True, timeout=240, check=False)
    assert done.returncode == 0, f"{' '.join(command)}:\n{done.stdout}\n{done.stderr}"


@dataclass
class Verdict:
    exit_code: int
    stdout: str
    stderr: str

    @property
    def report(self) -> dict[str, Any]:
        return dict(json.loads(self.stdout))


def run_verifier(python: Path, package: Path, *options: str) -> Verdict:
    environment = {key: value for key, value in os.environ.items() if not key.startswith("PYTHON")}
    done = subprocess.run(
        [str(python), "-I", str(package / "verify_audit_package.py"), str(package), *options],
        capture_output=True, text=True, timeout=120, check=False, cwd=package.parent,
        env=environment,
    )  # fmt: skip
    assert "Traceback" not in done.stderr, done.stderr
    return Verdict(done.returncode, done.stdout, done.stderr)


# --- a small ledger, exported -------------------------------------------------------


@dataclass
class Ledger:
    system: System
    signer: Signer
    public_key_file: Path
    checkpoints: list[Checkpoint]
    slow_pending_recorded_at: int  # chain positions of a pending entry posted much later
    slow_pending_posted_at: int
    url: str

    def export(self, directory: Path, *options: str) -> Path:
        arguments = ["audit-export", "--to", str(directory), "--database", self.url,
                     "--public-key", str(self.public_key_file), *options]  # fmt: skip
        result = CliRunner().invoke(cli, arguments)
        assert result.exit_code == 0, result.output
        return directory

    def live_digest(self, directory: Path) -> str:
        document = json.loads((directory / "trial_balance.json").read_text())
        return str(document["closing"]["sha256"])


@pytest.fixture
def ledger(database_url: str, tmp_path: Path) -> Iterator[Ledger]:
    system = build_system(database_url)
    app = system.app
    open_chart(app)
    fund_bank(app, "100.00")
    app.post_journal_entry(
        entry("euros", transfer("Assets:Bank:EUR", "Equity:Capital", "50.00", "EUR"))
    )
    store_version_1_entry(app, "legacy", [["Expenses:Rent", "debit", 700, "USD"],
                                          ["Income:Sales", "credit", 700, "USD"]])  # fmt: skip
    rent = spend_from_bank(app, "rent", "10.00")
    to_post = app.post_journal_entry(
        entry("invoice", transfer("Assets:Receivables", "Income:Sales", "30.00"), pending=True)
    )
    to_void = app.post_journal_entry(
        entry("hold", transfer("Expenses:Rent", "Assets:Bank", "20.00"), pending=True)
    )
    long_open = app.post_journal_entry(
        entry("slow", transfer("Assets:Receivables", "Income:Sales", "5.00"), pending=True)
    )
    app.post_pending(CONTEXT, to_post.entry_id)
    app.void_pending(CONTEXT, to_void.entry_id, "not needed")
    app.reverse_entry(CONTEXT, rent.entry_id, "booked twice")
    signer = generate()
    witness = LogWitness(system.database)
    first = witness.write_checkpoint(app, signer, CONTEXT)
    for index in range(3):
        spend_from_bank(app, f"later-{index}", "1.00")
    posted_at = app.post_pending(CONTEXT, long_open.entry_id)
    second = witness.write_checkpoint(app, signer, CONTEXT)
    spend_from_bank(app, "after-the-last-checkpoint", "2.00")
    key_file = tmp_path / "public.pem"
    key_file.write_text(signer.public_pem())
    with ChainReader(system.database) as reader:
        recorded_at = reader.chain_position_of(long_open.position or 0)
        resolved_at = reader.chain_position_of(posted_at)
    assert recorded_at is not None and resolved_at is not None
    yield Ledger(system, signer, key_file, [first, second], recorded_at, resolved_at, database_url)
    system.close()


@pytest.fixture
def package(ledger: Ledger, tmp_path: Path) -> Path:
    return ledger.export(tmp_path / "package")


def copy_of(package: Path, name: str) -> Path:
    target = package.parent / name
    shutil.copytree(package, target, ignore=shutil.ignore_patterns("__pycache__"))
    return target


def event_lines(package: Path) -> list[str]:
    return (package / "events.jsonl").read_text().splitlines(keepends=True)


def write_event_lines(package: Path, lines: list[str], *, as_attacker: bool = True) -> None:
    """Rewrite events.jsonl; an attacker also brings the MANIFEST up to date."""
    (package / "events.jsonl").write_text("".join(lines))
    if as_attacker:
        write_manifest(package)


def failed(verdict: Verdict) -> dict[str, Any]:
    assert verdict.exit_code == 1, (verdict.stdout, verdict.stderr)
    report = verdict.report
    assert report["ok"] is False
    return report


# --- an untouched package ---------------------------------------------------------------


def test_an_untouched_package_verifies_with_only_cryptography_installed(
    ledger: Ledger, package: Path, verifier_python: Path
) -> None:
    # The ledger's last events lie after its last checkpoint: accepted here, named below.
    verdict = run_verifier(verifier_python, package, "--accept-unsigned-tail")
    assert verdict.exit_code == 0, verdict.stdout + verdict.stderr
    live = ledger.system.projections.trial_balance()
    assert f"trial balance sha256 {ledger.live_digest(package)}" in verdict.stdout
    assert "OK: the package verifies" in verdict.stdout
    report = run_verifier(verifier_python, package, "--json", "--accept-unsigned-tail").report
    assert report["ok"] and report["problems"] == []
    with ChainReader(ledger.system.database) as reader:
        assert report["chain_length"] == report["events_checked"] == reader.length()
    assert report["checkpoints_checked"] == 2
    assert report["trial_balance_sha256"] == ledger.live_digest(package)
    document = json.loads((package / "trial_balance.json").read_text())
    assert document["closing"]["live"] == live.as_dict()


def test_the_package_holds_the_exact_stored_bytes_and_a_manifest_of_every_file(
    ledger: Ledger, package: Path
) -> None:
    with ChainReader(ledger.system.database) as reader:
        rows = list(reader.walk())
    lines = [json.loads(line) for line in event_lines(package)]
    assert [line["position"] for line in lines] == [row[0] for row in rows]
    for line, (_position, notification_id, leaf, link, event) in zip(lines, rows, strict=True):
        assert event is not None
        assert base64.b64decode(line["state"]) == event[3]
        assert (line["notification_id"], line["leaf_hash"], line["link"]) == (
            notification_id, leaf.hex(), link.hex())  # fmt: skip
    assert parse_many((package / "checkpoints.txt").read_text()) == ledger.checkpoints
    listed = {line.split("  ", 1)[1] for line in (package / "MANIFEST").read_text().splitlines()}
    assert listed == {
        "README.txt", "checkpoints.txt", "context.jsonl", "events.jsonl", "leaves.txt",
        "package.json", "public_key.pem", "trial_balance.json", "verify_audit_package.py",
        "auditkit/__init__.py", "auditkit/audit_balance.py", "auditkit/audit_verify.py",
        "auditkit/chain.py", "auditkit/checkpoint_note.py", "auditkit/merkle.py",
        "auditkit/verify_audit_package.py",
    }  # fmt: skip


def test_a_partial_range_verifies_from_the_link_before_it(
    ledger: Ledger, tmp_path: Path, verifier_python: Path
) -> None:
    # All three pending entries are open where the range starts: one is posted, one
    # voided and the slow one posted inside it.
    start = ledger.slow_pending_recorded_at + 1
    end = ledger.slow_pending_posted_at  # the last checkpoint signs the log up to here
    package = ledger.export(
        tmp_path / "partial", "--from-position", str(start), "--to-position", str(end)
    )
    assert len((package / "context.jsonl").read_text().splitlines()) == 3
    assert len(event_lines(package)) == end - start + 1
    verdict = run_verifier(verifier_python, package, "--json")
    assert verdict.exit_code == 0, verdict.stdout + verdict.stderr
    report = verdict.report
    assert report["checkpoints_checked"] == 2  # both end at or before the range end
    assert report["coverage"]["signed"] == [start, end]
    live = ledger.system.projections
    with ChainReader(ledger.system.database) as reader:
        log_end = reader.walk()
        notification_id = next(row[1] for row in log_end if row[0] == end)
    assert report["trial_balance_sha256"] == ledger.live_digest(package)
    assert json.loads((package / "trial_balance.json").read_text())["closing"]["live"] == (
        live.trial_balance(at_position=notification_id).as_dict()
    )


def test_a_range_ending_before_a_checkpoint_is_signed_by_it(
    ledger: Ledger, tmp_path: Path, verifier_python: Path
) -> None:
    # leaves.txt runs on to the first checkpoint, whose Merkle root commits to the range;
    # the later checkpoint is beyond it and checked for its signature only.
    first = ledger.checkpoints[0]
    package = ledger.export(tmp_path / "early", "--to-position", "5")
    verdict = run_verifier(verifier_python, package, "--json")
    assert verdict.exit_code == 0, verdict.stdout
    report = verdict.report
    assert report["ok"], report["problems"]
    assert report["checkpoints_checked"] == 1
    assert any("1 beyond this range, signature only" in note for note in report["notes"])
    assert report["coverage"]["statement"] == (
        f"positions 1-5 signed by the checkpoint at size {first.size} ({first.time})"
    )
    assert report["coverage"]["unsigned"] is None


def test_positions_after_the_last_checkpoint_are_named_and_fail_unless_accepted(
    ledger: Ledger, package: Path, verifier_python: Path
) -> None:
    last = ledger.checkpoints[-1]
    with ChainReader(ledger.system.database) as reader:
        length = reader.length()
    assert length > last.size
    verdict = run_verifier(verifier_python, package, "--json")
    report = failed(verdict)
    assert report["problems"] == []  # nothing is wrong with the chain; it is not all signed
    assert report["coverage"]["statement"] == (
        f"positions 1-{last.size} signed by the checkpoint at size {last.size} ({last.time}); "
        f"{last.size + 1}-{length} not covered by any signature"
    )
    text = run_verifier(verifier_python, package)
    assert text.exit_code == 1
    assert f"FAILED: positions {last.size + 1}-{length} are not covered by any signature" in (
        text.stdout
    )
    accepted = run_verifier(verifier_python, package, "--json", "--accept-unsigned-tail")
    assert accepted.exit_code == 0 and accepted.report["coverage"]["unsigned_accepted"]


def test_a_partial_range_bound_by_no_checkpoint_fails_unless_accepted(
    ledger: Ledger, tmp_path: Path, verifier_python: Path
) -> None:
    last = ledger.checkpoints[-1]
    with ChainReader(ledger.system.database) as reader:
        length = reader.length()
    start = last.size + 2  # after the last checkpoint's own event
    package = ledger.export(
        tmp_path / "unsigned", "--from-position", str(start), "--to-position", str(length)
    )
    report = failed(run_verifier(verifier_python, package, "--json"))
    assert report["problems"] == []
    assert report["coverage"]["signed"] is None
    assert report["coverage"]["statement"] == (
        f"positions {start}-{length} not covered by any signature"
    )
    assert run_verifier(verifier_python, package, "--accept-unsigned-tail").exit_code == 0


# --- tampering ---------------------------------------------------------------------------


def test_a_changed_byte_in_an_events_state_names_its_position(
    package: Path, verifier_python: Path
) -> None:
    lines = event_lines(package)
    index = len(lines) // 2
    document = json.loads(lines[index])
    state = base64.b64decode(document["state"])
    document["state"] = base64.b64encode(state.replace(b'"', b"'", 1)).decode()
    lines[index] = json.dumps(document) + "\n"
    write_event_lines(package, lines)
    report = failed(run_verifier(verifier_python, package, "--json"))
    assert report["first_bad_position"] == index + 1
    assert f"chain position {index + 1}: the event (log id" in report["problems"][0]
    # Reported once, with a count of what follows: not a line per later link.
    later = [problem for problem in report["problems"] if "more problems" in problem]
    assert len(later) == 1 and f"after the first bad position {index + 1}" in later[0]
    positioned = [p for p in report["problems"] if p.startswith("chain position")]
    assert all(p.startswith(f"chain position {index + 1}:") for p in positioned)
    assert len(report["problems"]) <= 6, "\n".join(report["problems"])


def test_a_trial_balance_that_does_not_follow_from_the_events_is_caught(
    ledger: Ledger, package: Path, verifier_python: Path
) -> None:
    live_digest = ledger.live_digest(package)
    document = json.loads((package / "trial_balance.json").read_text())
    closing = document["closing"]
    closing["lines"][0]["debits_posted"] += 1
    # A careful forger also brings the stated digest in line with the lines.
    closing["sha256"] = trial_balance_digest(
        {(line["account"], line["asset"]): [line[name] for name in COUNTERS]
         for line in closing["lines"]}
    )  # fmt: skip
    (package / "trial_balance.json").write_text(json.dumps(document))
    write_manifest(package)
    report = failed(run_verifier(verifier_python, package, "--json"))
    assert report["first_bad_position"] is None
    assert report["problems"][0].startswith("trial balance: recomputed")
    assert report["trial_balance_sha256"] == live_digest


def test_a_deleted_line_in_the_middle_names_its_position(
    package: Path, verifier_python: Path
) -> None:
    lines = event_lines(package)
    del lines[9]
    write_event_lines(package, lines)
    report = failed(run_verifier(verifier_python, package, "--json"))
    assert report["first_bad_position"] == 10
    assert "chain position 10 is missing" in report["problems"][0]


def test_a_truncated_tail_is_caught(ledger: Ledger, package: Path, verifier_python: Path) -> None:
    lines = event_lines(package)
    write_event_lines(package, lines[:-4])
    report = failed(run_verifier(verifier_python, package, "--json"))
    assert report["first_bad_position"] == len(lines) - 3


def test_a_tail_cut_with_every_file_made_to_agree_is_caught_by_the_checkpoint(
    ledger: Ledger, package: Path, verifier_python: Path
) -> None:
    last = ledger.checkpoints[-1].size
    keep = last - 2
    lines = event_lines(package)[:keep]
    write_event_lines(package, lines, as_attacker=False)
    leaves = (package / "leaves.txt").read_text().splitlines(keepends=True)[:keep]
    (package / "leaves.txt").write_text("".join(leaves))
    info = json.loads((package / "package.json").read_text())
    info.update(
        to_position=keep,
        chain_length=keep,
        leaves_to_position=keep,
        head_link=json.loads(lines[-1])["link"],
    )
    (package / "package.json").write_text(json.dumps(info))
    write_manifest(package)
    report = failed(run_verifier(verifier_python, package, "--json"))
    assert report["first_bad_position"] == keep + 1
    assert any("(events were removed)" in problem for problem in report["problems"])


def test_a_flipped_signature_byte_is_caught(package: Path, verifier_python: Path) -> None:
    text = (package / "checkpoints.txt").read_text()
    first = parse_many(text)[0]
    raw = bytearray(base64.b64decode(first.signature))
    raw[10] ^= 0x01
    flipped = base64.b64encode(bytes(raw)).decode()
    (package / "checkpoints.txt").write_text(text.replace(first.signature, flipped, 1))
    write_manifest(package)
    report = failed(run_verifier(verifier_python, package, "--json"))
    assert report["problems"] == [
        f"checkpoint at size {first.size} ({first.time}): the signature does not verify"
    ]


def test_a_swapped_public_key_is_caught(package: Path, verifier_python: Path) -> None:
    (package / "public_key.pem").write_text(generate().public_pem())
    write_manifest(package)
    report = failed(run_verifier(verifier_python, package, "--json"))
    assert all("signed by unknown key" in problem for problem in report["problems"])
    assert len(report["problems"]) == 2


def test_a_damaged_file_fails_the_manifest(package: Path, verifier_python: Path) -> None:
    with (package / "README.txt").open("a") as handle:
        handle.write("edited\n")
    report = failed(run_verifier(verifier_python, package, "--json"))
    assert report["problems"] == [
        "MANIFEST: README.txt does not have the SHA-256 the manifest lists"
    ]


# --- malformed packages -------------------------------------------------------------------


def _replace_in_line(package: Path, name: str, index: int, old: str, new: str) -> None:
    lines = (package / name).read_text().splitlines(keepends=True)
    assert old in lines[index]
    lines[index] = lines[index].replace(old, new, 1)
    (package / name).write_text("".join(lines))


MALFORMATIONS = {
    "bad JSON": ("events.jsonl line 3: not valid JSON",
                 lambda p: _replace_in_line(p, "events.jsonl", 2, "{", "[")),
    "bad base64": ("events.jsonl line 2: 'state' is not base64",
                   lambda p: _replace_in_line(p, "events.jsonl", 1, '"state":"', '"state":"*')),
    "wrong hex": ("events.jsonl line 4: 'leaf_hash' must be 64 lowercase hex",
                  lambda p: _replace_in_line(p, "events.jsonl", 3, '"leaf_hash":"', '"leaf_hash":"Z')),
    "truncated line": ("events.jsonl line", lambda p: (p / "events.jsonl").write_bytes(
        (p / "events.jsonl").read_bytes()[:-40])),
    "short leaves": ("leaves.txt:", lambda p: (p / "leaves.txt").write_text(
        "".join((p / "leaves.txt").read_text().splitlines(keepends=True)[:-1]))),
    "bad leaf": ("leaves.txt line 1:", lambda p: _replace_in_line(p, "leaves.txt", 0, "", "x")),
    "bad checkpoint": ("checkpoints.txt:", lambda p: _replace_in_line(
        p, "checkpoints.txt", 2, "size ", "size -")),
    "bad key": ("public_key.pem:", lambda p: (p / "public_key.pem").write_text("not a key")),
    "missing file": ("package.json: missing", lambda p: (p / "package.json").unlink()),
    "not UTF-8": ("trial_balance.json: not valid JSON", lambda p: (p / "trial_balance.json")
                  .write_bytes(b"\xff\xfe")),
}  # fmt: skip


@pytest.mark.parametrize("damage", sorted(MALFORMATIONS))
def test_a_malformed_package_is_refused_with_a_clear_message(
    package: Path, verifier_python: Path, damage: str
) -> None:
    message, breaker = MALFORMATIONS[damage]
    breaker(package)
    verdict = run_verifier(verifier_python, package)
    assert verdict.exit_code == 2, verdict.stdout + verdict.stderr
    assert verdict.stderr.startswith(f"refused: malformed package: {message}"), verdict.stderr


def test_random_damage_never_crashes_the_verifier(sqlite_url: str, tmp_path: Path) -> None:
    """Seeded byte flips and cuts in every data file: exit 1 or 2, never an exception."""
    system = build_system(sqlite_url)
    open_chart(system.app)
    fund_bank(system.app, "100.00")
    signer = generate()
    LogWitness(system.database).write_checkpoint(system.app, signer, CONTEXT)
    system.close()
    key_file = tmp_path / "public.pem"
    key_file.write_text(signer.public_pem())
    result = CliRunner().invoke(cli, ["audit-export", "--to", str(tmp_path / "original"),
                                      "--database", sqlite_url, "--public-key", str(key_file)])  # fmt: skip
    assert result.exit_code == 0, result.output
    original = tmp_path / "original"
    randomness = random.Random(20261123)
    names = ["events.jsonl", "leaves.txt", "package.json", "checkpoints.txt",
             "public_key.pem", "trial_balance.json", "MANIFEST"]  # fmt: skip
    for attempt in range(60):
        package = copy_of(original, f"damaged-{attempt}")
        name = names[attempt % len(names)]
        data = bytearray((package / name).read_bytes())
        if attempt % 3 == 0:
            del data[randomness.randrange(len(data)) :]
        else:
            for _flip in range(randomness.randint(1, 3)):
                # Never the byte that was there: an unchanged file is no damage.
                at = randomness.randrange(len(data))
                data[at] = (data[at] + randomness.randrange(1, 256)) % 256
        if bytes(data) == (original / name).read_bytes():
            continue  # two flips undid each other: nothing was damaged
        (package / name).write_bytes(bytes(data))
        assert verify_in_process([str(package), "--json"]) in (1, 2), (name, attempt)
