"""Offline audit packages: the log's exact bytes, its checkpoints and a verifier.

``export_audit_package`` writes into one directory (``backoffice audit-export``):

- ``events.jsonl``: one JSON object per chain position in the range, in order:
  ``position`` (chain), ``notification_id`` (the store's log id), ``topic``,
  ``originator_id`` (canonical UUID text), ``originator_version``, ``state``
  (base64 of the stored bytes, exactly), ``leaf_hash`` and ``link`` (hex, as stored);
- ``leaves.txt``: the stored leaf hash of every position 1..to, one hex per line,
  so the Merkle root of any checkpoint up to the range end can be recomputed
  (the events in the range are checked against these leaves);
- ``context.jsonl``: for a range starting after position 1, the pending entries
  still open just before it (same form as events.jsonl; checked against their leaves);
- ``package.json``: format, log id, range, chain length at export, the link just
  before the range (32 zero bytes from position 1), the head link at the range end;
- ``checkpoints.txt``: every checkpoint in the checkpoint table, blank-line separated;
- ``public_key.pem``: the Ed25519 key the checkpoints are checked with;
- ``trial_balance.json``: the live trial balance at the range end (and, for a
  range starting after 1, at the position before it), as integer counters per
  account and asset with the SHA-256 of the canonical form
  (``replay.audit_balance.trial_balance_text``);
- ``verify_audit_package.py`` and ``auditkit/`` (chain.py, merkle.py,
  checkpoint_note.py, audit_verify.py, audit_balance.py as they are in this release), README.txt,
  and ``MANIFEST`` (``sha256sum`` lines of every other file).
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from importlib import resources
from pathlib import Path
from typing import Any

import orjson
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from eventsourcing.utils import get_topic

from adapters.auditkit.audit_balance import (
    COUNTERS,
    TRIAL_BALANCE_FORMAT,
    trial_balance_digest,
    trial_balance_text,
)
from adapters.auditkit.chain import GENESIS_LINK, canonical_id
from adapters.auditkit.checkpoint_note import key_id_of
from adapters.auditkit.verify_audit_package import PACKAGE_FORMAT
from adapters.chain_store import ChainReader
from adapters.database import Database
from domain.kernel.errors import DomainError
from domain.ledger.journal import JournalEntry
from projections.ledger.runner import ProjectionService
from projections.ledger.views import TrialBalance

VERIFIER_MODULES = (
    "chain.py",
    "merkle.py",
    "checkpoint_note.py",
    "audit_verify.py",
    "audit_balance.py",
    "verify_audit_package.py",
)
LAUNCHER = """\
#!/usr/bin/env python3
\"\"\"Verify this audit package: python3 verify_audit_package.py DIR [--json].\"\"\"
import os
import sys

# python -I leaves the script's folder off sys.path: the kit sits beside it.
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from auditkit.verify_audit_package import main  # noqa: E402

sys.exit(main())
"""
_PENDING_RECORDED = get_topic(JournalEntry.PendingEntryRecorded)
_PENDING_RESOLVED = frozenset(
    {get_topic(JournalEntry.PendingEntryPosted), get_topic(JournalEntry.PendingEntryVoided)}
)
ChainRow = tuple[int, int, bytes, bytes, tuple[str, Any, int, bytes] | None]


class AuditExportRefused(DomainError):
    code = "audit_export_refused"


@dataclass(frozen=True)
class ExportSummary:
    directory: Path
    from_position: int
    to_position: int
    chain_length: int
    events_written: int
    open_pending_written: int
    checkpoints_written: int
    trial_balance_sha256: str
    unmatched_key_ids: list[str] = field(default_factory=list)


def export_audit_package(
    database: Database,
    balances: ProjectionService,
    directory: Path,
    public_key_raw: bytes,
    from_position: int | None = None,
    to_position: int | None = None,
) -> ExportSummary:
    """Write the package for chain positions ``from_position..to_position`` (default: all)."""
    _require_empty(directory)
    with ChainReader(database) as reader:
        chain_length = reader.length()
        start, end = _checked_range(from_position, to_position, chain_length)
        checkpoints = reader.checkpoints()
        directory.mkdir(parents=True, exist_ok=True)
        # The leaves run on to the first checkpoint at or past the range end, so that
        # its Merkle root, and so its signature, covers the whole range.
        leaves_to = min((c.size for c in checkpoints if end <= c.size <= chain_length), default=end)
        walked = _write_chain(reader.walk(), directory, start, end, leaves_to)
    closing_trial = balances.trial_balance(at_position=walked.log_end)
    closing = _stated_balance(closing_trial, end)
    opening = None
    if start > 1:
        trial = balances.trial_balance(at_position=walked.log_before_start)
        opening = _stated_balance(trial, start - 1)
    _write_json(
        directory / "trial_balance.json",
        {
            "format": TRIAL_BALANCE_FORMAT,
            "digest": "sha256 of the canonical text: see README.txt",
            # "live": the answer as the API gives it (decimal strings), for the reader's eyes.
            "closing": {**closing, "live": closing_trial.as_dict()},
            "opening": opening,
        },
    )
    _write_json(
        directory / "package.json",
        {
            "format": PACKAGE_FORMAT,
            "log_id": walked.log_id.hex(),
            "from_position": start,
            "to_position": end,
            "chain_length": chain_length,
            "link_before_start": walked.link_before_start.hex(),
            "head_link": walked.head_link.hex(),
            "leaves_to_position": leaves_to,
            "log_position_at_end": walked.log_end,
            "exported_at_utc": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        },
    )
    (directory / "checkpoints.txt").write_text(
        "\n".join(checkpoint.text() for checkpoint in checkpoints), encoding="ascii"
    )
    (directory / "public_key.pem").write_text(public_key_pem(public_key_raw), encoding="ascii")
    _write_verifier(directory)
    write_manifest(directory)
    key_id = key_id_of(public_key_raw)
    return ExportSummary(
        directory=directory,
        from_position=start,
        to_position=end,
        chain_length=chain_length,
        events_written=end - start + 1,
        open_pending_written=walked.open_pending,
        checkpoints_written=len(checkpoints),
        trial_balance_sha256=str(closing["sha256"]),
        unmatched_key_ids=sorted({c.key_id for c in checkpoints if c.key_id != key_id}),
    )


def public_key_pem(public_key_raw: bytes) -> str:
    key = Ed25519PublicKey.from_public_bytes(public_key_raw)
    return key.public_bytes(Encoding.PEM, PublicFormat.SubjectPublicKeyInfo).decode("ascii")


def write_manifest(directory: Path) -> None:
    """``MANIFEST``: ``sha256sum`` lines for every file but itself (and byte-code caches)."""
    lines = []
    for path in sorted(directory.rglob("*")):
        name = path.relative_to(directory).as_posix()
        if path.is_file() and name != "MANIFEST" and "__pycache__" not in path.parts:
            lines.append(f"{hashlib.sha256(path.read_bytes()).hexdigest()}  {name}\n")
    (directory / "MANIFEST").write_text("".join(lines), encoding="utf-8")


def _require_empty(directory: Path) -> None:
    if directory.exists() and (not directory.is_dir() or any(directory.iterdir())):
        raise AuditExportRefused(
            f"{directory} exists and is not an empty directory; packages are never overwritten",
            field="to",
        )


def _checked_range(start: int | None, end: int | None, chain_length: int) -> tuple[int, int]:
    if chain_length == 0:
        raise AuditExportRefused("the log is empty: there is nothing to export")
    start = 1 if start is None else start
    end = chain_length if end is None else end
    if not 1 <= start <= end <= chain_length:
        raise AuditExportRefused(
            f"range: need 1 <= from-position ({start}) <= to-position ({end}) "
            f"<= the chain length ({chain_length})",
            field="from_position",
        )
    return start, end


@dataclass
class _Walked:
    log_id: bytes = b""
    link_before_start: bytes = GENESIS_LINK
    head_link: bytes = b""
    log_before_start: int = 0
    log_end: int = 0
    open_pending: int = 0


def _write_chain(
    rows: Iterator[ChainRow], directory: Path, start: int, end: int, leaves_to: int
) -> _Walked:
    """One pass over positions 1..leaves_to: every leaf, the range's events, and the
    pending entries open just before the range."""
    walked = _Walked()
    open_pending: dict[str, bytes] = {}
    with (
        (directory / "leaves.txt").open("w", encoding="ascii") as leaves,
        (directory / "events.jsonl").open("wb") as events,
    ):
        for position, notification_id, leaf, link, event in rows:
            if position > leaves_to:
                break
            if position > end:
                leaves.write(leaf.hex() + "\n")
                continue
            if event is None:
                raise AuditExportRefused(
                    f"chain position {position}: its event (log id {notification_id}) is "
                    "missing; run `backoffice verify --chain`"
                )
            leaves.write(leaf.hex() + "\n")
            line = _event_line(position, notification_id, leaf, link, event)
            if position == 1:
                walked.log_id = link
            if position < start:
                walked.link_before_start, walked.log_before_start = link, notification_id
                _track_pending(open_pending, event, line)
            else:
                events.write(line)
                walked.head_link, walked.log_end = link, notification_id
    _write_lines(directory / "context.jsonl", open_pending.values())
    walked.open_pending = len(open_pending)
    return walked


def _track_pending(
    open_pending: dict[str, bytes], event: tuple[str, Any, int, bytes], line: bytes
) -> None:
    topic, originator_id = event[0], canonical_id(event[1])
    if topic == _PENDING_RECORDED:
        open_pending[originator_id] = line
    elif topic in _PENDING_RESOLVED:
        open_pending.pop(originator_id, None)


def _event_line(
    position: int,
    notification_id: int,
    leaf: bytes,
    link: bytes,
    event: tuple[str, Any, int, bytes],
) -> bytes:
    topic, originator_id, version, state = event
    document = {
        "position": position,
        "notification_id": notification_id,
        "topic": topic,
        "originator_id": canonical_id(originator_id),
        "originator_version": int(version),
        "state": base64.b64encode(state).decode("ascii"),
        "leaf_hash": leaf.hex(),
        "link": link.hex(),
    }
    return orjson.dumps(document, option=orjson.OPT_SORT_KEYS) + b"\n"


def _write_lines(path: Path, lines: Any) -> None:
    with path.open("wb") as handle:
        for line in lines:
            handle.write(line)


def _stated_balance(trial: TrialBalance, chain_position: int) -> dict[str, Any]:
    counters = {
        (line.account, line.asset): [getattr(line, name) for name in COUNTERS]
        for line in trial.lines
    }
    lines = [
        {"account": account, "asset": asset, **dict(zip(COUNTERS, values, strict=True))}
        for (account, asset), values in sorted(counters.items())
        if any(values)
    ]
    assert trial_balance_text(counters).startswith(TRIAL_BALANCE_FORMAT)
    return {
        "chain_position": chain_position,
        "log_position": trial.position,
        "sha256": trial_balance_digest(counters),
        "lines": lines,
    }


def _write_json(path: Path, document: dict[str, Any]) -> None:
    path.write_bytes(orjson.dumps(document, option=orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS))


def _write_verifier(directory: Path) -> None:
    source = resources.files("adapters.auditkit")
    (directory / "auditkit").mkdir()
    (directory / "auditkit" / "__init__.py").write_text("", encoding="ascii")
    for name in VERIFIER_MODULES:
        (directory / "auditkit" / name).write_bytes(source.joinpath(name).read_bytes())
    (directory / "verify_audit_package.py").write_text(LAUNCHER, encoding="ascii")
    (directory / "README.txt").write_text(README, encoding="utf-8")


README = """\
backoffice audit package
========================

What it holds
-------------
events.jsonl        one JSON object per chain position of the exported range:
                    position, notification_id (the store's log id), topic,
                    originator_id, originator_version, state (base64 of the
                    stored bytes, exactly), leaf_hash and link (hex, as stored)
leaves.txt          the leaf hash of every chain position from 1 to the range end,
                    or on to the first checkpoint past it (leaves_to_position)
context.jsonl       ranges starting after position 1: the pending entries still
                    open just before the range (same form as events.jsonl)
package.json        log id, range, chain length at export, the link just before
                    the range, the chain head at the range end
checkpoints.txt     every signed checkpoint, blank-line separated
public_key.pem      the Ed25519 public key the checkpoints are checked with
trial_balance.json  the live system's trial balance at the range end ("closing";
                    and at the position before the range, "opening")
verify_audit_package.py, auditkit/ the verifier (Python standard library + cryptography)
MANIFEST            SHA-256 of every other file (sha256sum -c MANIFEST)

How to verify
-------------
    python3 -m venv v && v/bin/pip install cryptography
    v/bin/python verify_audit_package.py DIR            (or: ... DIR --json)

Exit status 0: everything verified and signed (or the unsigned positions
accepted with --accept-unsigned-tail). 1: verification failed, or some
positions are covered by no signature; the report names the first bad chain
position when the problem has one, once, with a count of the problems after
it. 2: the package
is unreadable or malformed; the message names the file and line.

What it checks
--------------
- MANIFEST: every file has its listed SHA-256. This catches damage in
  transit only: anyone can rewrite a manifest.
- The chain: each event's leaf hash, SHA-256(0x00 || framed topic, id,
  version, state), is recomputed from the exact bytes, and each link,
  SHA-256(previous link || leaf), from the one before (see auditkit/chain.py).
  A range starting after position 1 starts from the links of the leaf
  hashes before it, which must lead to the link package.json states.
- Every checkpoint up to the end of leaves.txt: signed by public_key.pem,
  its size, chain head and RFC 6962 Merkle root (over leaves.txt, with the
  leaves of the range recomputed from the events). Checkpoints beyond it
  are checked for their signature only; an export to the chain's end
  checks them all. The report states which positions a verified checkpoint
  signs and which none does ("positions 1-198 signed by the checkpoint at
  size 198 (...); 199-201 not covered by any signature"); unsigned
  positions fail the verdict (exit 1) unless --accept-unsigned-tail. The checkpoints are
  what bind the package to the live log: keep the public key, and compare
  checkpoints you received earlier with checkpoints.txt.
- The trial balance: an independent fold of the journal-entry events
  (posted entries; pending entries reserved, then posted or voided;
  reversals are entries of their own) gives the digest trial_balance.json
  states. For a range starting after position 1 the fold starts from the
  exported opening balance, whose pending counters must equal the open
  pending entries in context.jsonl; the opening's posted counters are taken
  from the live system, not recomputed (export from position 1 to
  recompute everything).

The trial balance digest
------------------------
SHA-256, as lowercase hex, of UTF-8 text: the line
"backoffice trial balance v1", then one line per (account, asset) with any
non-zero counter, sorted by account then asset (Unicode code points), each
the TAB-separated fields account, asset, debits_posted, credits_posted,
debits_pending, credits_pending (base-10 integers of the asset's minor unit);
every line ends with LF.
"""
