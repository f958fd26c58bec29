"""Offline verifier of a backoffice audit package (standard library + ``cryptography``).

``backoffice audit-export`` copies this file into an ``auditkit/`` folder of
the package with chain.py, merkle.py, checkpoint_note.py, audit_verify.py and
audit_balance.py (they import each other relatively, so the folder stands
alone), writes a three-line ``verify_audit_package.py`` launcher at the root,
and the auditor runs::

    python3 -m venv v && v/bin/pip install cryptography
    v/bin/python verify_audit_package.py DIR [--json]

It checks, from the exported bytes alone:

1. MANIFEST: every listed file has its SHA-256 (accidental damage in transit;
   anyone could rewrite it, so it proves nothing about tampering);
2. the chain: each event's leaf hash recomputed from its exact bytes, each
   link from the one before (a partial range starts from the links of the
   leaf hashes before it, in leaves.txt, which must lead to the stated link);
3. the checkpoints: Ed25519 signature (public_key.pem), size, chain head and
   RFC 6962 Merkle root, for every checkpoint the export covers;
4. the trial balance: an independent fold of the journal-entry events in the
   range gives the digest in trial_balance.json (a range starting after
   position 1 starts from the exported opening balance and the pending
   entries open at that point, in context.jsonl, each checked against its leaf).

The report says exactly what was proven: which positions of the range a
verified checkpoint signs ("positions 1-198 signed by the checkpoint at size
198 (...); 199-201 not covered by any signature"). Positions no checkpoint
signs are consistent with the chain but could have been rewritten with it:
the verdict fails unless ``--accept-unsigned-tail`` is given. A damaged
event is reported once, at the first bad position, with a count of the
problems after it (every later link depends on it).

Exit status: 0 verified (and signed, or the unsigned tail accepted); 1
verification failed, or positions not covered by any signature (the report
names the first bad chain position when there is one); 2 the package is
unreadable or malformed (the message names the file and line).
"""

from __future__ import annotations

import argparse
import base64
import binascii
import hashlib
import json
import sys
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .audit_balance import (
    COUNTERS,
    TOPIC_PENDING,
    BalanceFold,
    Key,
    parse_postings,
    trial_balance_digest,
)
from .audit_verify import (
    ChainVerifier,
    VerifyReport,
    public_key_from_text,
    signature_valid,
)
from .chain import GENESIS_LINK, canonical_id, event_bytes, next_link
from .checkpoint_note import Checkpoint, key_id_of, parse_many
from .merkle import hash_from_hex, leaf_hash

PACKAGE_FORMAT = "backoffice audit package v1"
EXIT_OK, EXIT_FAILED, EXIT_MALFORMED = 0, 1, 2
LINE_BYTES_MAX = 64 * 1024 * 1024
EVENT_KEYS = frozenset(
    {"position", "notification_id", "topic", "originator_id", "originator_version"}
    | {"state", "leaf_hash", "link"}
)


class MalformedPackage(Exception):
    """The package cannot be read as the format says; the message names file and line."""


# --- reading the package -----------------------------------------------------


def _read_bytes(directory: Path, name: str) -> bytes:
    try:
        return (directory / name).read_bytes()
    except FileNotFoundError:
        raise MalformedPackage(f"{name}: missing from the package") from None
    except OSError as error:
        raise MalformedPackage(f"{name}: cannot be read ({error.strerror})") from None


def _read_text(directory: Path, name: str) -> str:
    try:
        return _read_bytes(directory, name).decode("utf-8")
    except UnicodeDecodeError:
        raise MalformedPackage(f"{name}: not UTF-8 text") from None


def _json_object(data: str | bytes, where: str) -> dict[str, Any]:
    try:
        value = json.loads(data)
    except (ValueError, RecursionError) as error:
        raise MalformedPackage(f"{where}: not valid JSON ({error})") from None
    if not isinstance(value, dict):
        raise MalformedPackage(f"{where}: expected a JSON object")
    return value


def _int(document: Mapping[str, Any], key: str, where: str, minimum: int | None = 0) -> int:
    value = document.get(key)
    if type(value) is not int or (minimum is not None and value < minimum):
        bound = "" if minimum is None else f" >= {minimum}"
        raise MalformedPackage(f"{where}: '{key}' must be an integer{bound}")
    return value


def _str(document: Mapping[str, Any], key: str, where: str) -> str:
    value = document.get(key)
    if not isinstance(value, str) or not value:
        raise MalformedPackage(f"{where}: '{key}' must be a non-empty string")
    return value


def _hash(document: Mapping[str, Any], key: str, where: str) -> bytes:
    try:
        return hash_from_hex(document.get(key), f"{where}: '{key}'")
    except ValueError as error:
        raise MalformedPackage(str(error)) from None


@dataclass(frozen=True)
class PackageInfo:
    log_id: bytes
    from_position: int
    to_position: int
    chain_length: int
    link_before_start: bytes
    head_link: bytes
    leaves_to_position: int  # leaves.txt may run past the range, to the checkpoint that signs it


def read_package_info(directory: Path) -> PackageInfo:
    where = "package.json"
    document = _json_object(_read_bytes(directory, where), where)
    if document.get("format") != PACKAGE_FORMAT:
        raise MalformedPackage(f"{where}: 'format' must be {PACKAGE_FORMAT!r}")
    info = PackageInfo(
        log_id=_hash(document, "log_id", where),
        from_position=_int(document, "from_position", where, 1),
        to_position=_int(document, "to_position", where, 1),
        chain_length=_int(document, "chain_length", where, 1),
        link_before_start=_hash(document, "link_before_start", where),
        head_link=_hash(document, "head_link", where),
        leaves_to_position=_int(
            {"leaves_to_position": document.get("to_position"), **document},
            "leaves_to_position",
            where,
            1,
        ),
    )
    if not info.from_position <= info.to_position <= info.chain_length:
        raise MalformedPackage(f"{where}: need from_position <= to_position <= chain_length")
    if not info.to_position <= info.leaves_to_position <= info.chain_length:
        raise MalformedPackage(f"{where}: need to_position <= leaves_to_position <= chain_length")
    return info


def read_leaves(directory: Path, count: int) -> list[bytes]:
    lines = _read_text(directory, "leaves.txt").split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    if len(lines) != count:
        raise MalformedPackage(
            f"leaves.txt: {len(lines)} leaf hashes, package.json says positions 1..{count}"
        )
    leaves = []
    for number, line in enumerate(lines, 1):
        try:
            leaves.append(hash_from_hex(line, f"leaves.txt line {number}: the leaf hash"))
        except ValueError as error:
            raise MalformedPackage(str(error)) from None
    return leaves


@dataclass(frozen=True)
class ExportedEvent:
    """One line of events.jsonl or context.jsonl: a chain row and its event's exact bytes."""

    position: int
    notification_id: int
    topic: str
    originator_id: str
    originator_version: int
    state: bytes
    leaf: bytes
    link: bytes

    def parts(self) -> tuple[str, str, int, bytes]:
        return self.topic, self.originator_id, self.originator_version, self.state


def parse_event(line: bytes, where: str) -> ExportedEvent:
    document = _json_object(line, where)
    if set(document) != EVENT_KEYS:
        raise MalformedPackage(f"{where}: expected exactly the keys {sorted(EVENT_KEYS)}")
    originator_id = _str(document, "originator_id", where)
    try:
        if canonical_id(originator_id) != originator_id:
            raise ValueError
    except ValueError:
        raise MalformedPackage(
            f"{where}: 'originator_id' must be a lowercase dashed UUID"
        ) from None
    try:
        state = base64.b64decode(_str(document, "state", where), validate=True)
    except (binascii.Error, ValueError):
        raise MalformedPackage(f"{where}: 'state' is not base64") from None
    return ExportedEvent(
        position=_int(document, "position", where, 1),
        notification_id=_int(document, "notification_id", where, 1),
        topic=_str(document, "topic", where),
        originator_id=originator_id,
        originator_version=_int(document, "originator_version", where, 1),
        state=state,
        leaf=_hash(document, "leaf_hash", where),
        link=_hash(document, "link", where),
    )


def read_events(directory: Path, name: str) -> Iterator[ExportedEvent]:
    try:
        handle = (directory / name).open("rb")
    except FileNotFoundError:
        raise MalformedPackage(f"{name}: missing from the package") from None
    except OSError as error:
        raise MalformedPackage(f"{name}: cannot be read ({error.strerror})") from None
    with handle:
        for number, line in enumerate(iter(lambda: handle.readline(LINE_BYTES_MAX + 1), b""), 1):
            if len(line) > LINE_BYTES_MAX:
                raise MalformedPackage(f"{name} line {number}: longer than {LINE_BYTES_MAX} bytes")
            if not line.endswith(b"\n"):
                raise MalformedPackage(f"{name} line {number}: truncated (no line end)")
            yield parse_event(line, f"{name} line {number}")


def check_manifest(directory: Path) -> tuple[int, list[str]]:
    """(files checked, problems); MANIFEST lines are ``sha256sum`` output."""
    problems = []
    lines = _read_text(directory, "MANIFEST").splitlines()
    for number, line in enumerate(lines, 1):
        digest, separator, name = line.partition("  ")
        parts = Path(name).parts
        if (
            not separator
            or len(digest) != 64
            or not name
            or ".." in parts
            or Path(name).is_absolute()
        ):
            raise MalformedPackage(
                f"MANIFEST line {number}: expected '<sha256 hex>  <relative path>'"
            )
        try:
            actual = hashlib.sha256((directory / name).read_bytes()).hexdigest()
        except OSError:
            problems.append(f"MANIFEST: {name} is missing")
            continue
        if actual != digest:
            problems.append(f"MANIFEST: {name} does not have the SHA-256 the manifest lists")
    return len(lines), problems


@dataclass(frozen=True)
class StatedBalance:
    chain_position: int
    sha256: str
    counters: dict[Key, list[int]]


def read_stated_balance(document: object, where: str) -> StatedBalance:
    if not isinstance(document, dict):
        raise MalformedPackage(f"{where}: expected a JSON object")
    lines = document.get("lines")
    if not isinstance(lines, list):
        raise MalformedPackage(f"{where}: 'lines' must be a list")
    counters: dict[Key, list[int]] = {}
    for index, line in enumerate(lines):
        at = f"{where} line {index}"
        if not isinstance(line, dict):
            raise MalformedPackage(f"{at}: expected a JSON object")
        key = (_str(line, "account", at), _str(line, "asset", at))
        if key in counters:
            raise MalformedPackage(f"{at}: {key[0]} {key[1]} listed twice")
        counters[key] = [_int(line, name, at, None) for name in COUNTERS]
    sha256 = _str(document, "sha256", where)
    if sha256 != trial_balance_digest(counters):
        raise MalformedPackage(f"{where}: 'sha256' is not the digest of its own lines")
    return StatedBalance(_int(document, "chain_position", where), sha256, counters)


# --- verification ----------------------------------------------------------------


class PackageReport(VerifyReport):
    """A ``VerifyReport`` that keeps each problem's position, so that a damaged event is
    reported once with a count of what follows it (``collapse``)."""

    def __init__(self) -> None:
        super().__init__()
        self.found: list[tuple[int | None, str]] = []

    def fail(self, position: int | None, problem: str) -> None:
        super().fail(position, problem)
        self.found.append((position, problem))

    def collapse(self) -> None:
        """``problems``: every problem without a position, those at the first bad position,
        and one line counting the positioned problems after it."""
        first = self.first_bad_position
        later = [p for p, _ in self.found if p is not None and first is not None and p > first]
        problems = [text for p, text in self.found if p is None or p == first]
        if later:
            problems.append(
                f"and {len(later)} more problems at chain positions {min(later)}-{max(later)}"
                f" after the first bad position {first} (each link depends on the ones before"
                " it, so they may all follow from it)"
            )
        self.problems = problems


@dataclass(frozen=True)
class Coverage:
    """What the verified checkpoints prove about the range ``first``..``last``."""

    first: int
    last: int
    signed_last: int | None  # the range is signed from ``first`` through here
    signed_by: str | None
    accepted_unsigned: bool

    @property
    def unsigned(self) -> tuple[int, int] | None:
        start = self.first if self.signed_last is None else self.signed_last + 1
        return (start, self.last) if start <= self.last else None

    def statement(self) -> str:
        parts = []
        if self.signed_last is not None:
            parts.append(
                f"positions {_span(self.first, self.signed_last)} signed by {self.signed_by}"
            )
        if self.unsigned is not None:
            parts.append(f"{_span(*self.unsigned)} not covered by any signature")
        text = "; ".join(parts)
        return text if self.signed_last is not None else f"positions {text}"

    def as_dict(self) -> dict[str, Any]:
        return {
            "statement": self.statement(),
            "signed": None if self.signed_last is None else [self.first, self.signed_last],
            "signed_by": self.signed_by,
            "unsigned": None if self.unsigned is None else list(self.unsigned),
            "unsigned_accepted": self.accepted_unsigned,
        }


def _span(first: int, last: int) -> str:
    return str(first) if first == last else f"{first}-{last}"


class PackageChainVerifier(ChainVerifier):
    """A ChainVerifier that can start after a prefix known only by its leaf hashes."""

    def __init__(self, public_keys: Sequence[bytes]) -> None:
        super().__init__(public_keys)
        self.report: PackageReport = PackageReport()

    def start_after(self, leaves: Sequence[bytes]) -> None:
        for leaf in leaves:
            self._link = next_link(self._link, leaf)
            self.links.append(self._link)
            self.tree.append(leaf)


@dataclass
class Outcome:
    report: PackageReport
    notes: list[str] = field(default_factory=list)
    trial_balance_sha256: str | None = None
    coverage: Coverage | None = None


def verify_package(directory: Path, *, accept_unsigned_tail: bool = False) -> Outcome:
    """Everything the module docstring lists; MalformedPackage for an unreadable package."""
    info = read_package_info(directory)
    public_key = _public_key(directory)
    try:
        checkpoints = parse_many(_read_text(directory, "checkpoints.txt"))
    except ValueError as error:
        raise MalformedPackage(f"checkpoints.txt: {error}") from None
    leaves = read_leaves(directory, info.leaves_to_position)
    balances = _json_object(_read_bytes(directory, "trial_balance.json"), "trial_balance.json")
    closing = read_stated_balance(balances.get("closing"), "trial_balance.json closing")
    verifier = PackageChainVerifier([public_key])
    outcome = Outcome(verifier.report)
    files, problems = check_manifest(directory)
    for problem in problems:
        outcome.report.fail(None, problem)
    outcome.notes.append(f"manifest: {files} files listed, {files - len(problems)} match")
    fold = BalanceFold()
    if info.from_position > 1:
        opening = read_stated_balance(balances.get("opening"), "trial_balance.json opening")
        fold.counters = {key: list(values) for key, values in opening.counters.items()}
    _check_chain(directory, info, leaves, verifier, fold)
    # The leaves past the range lead on to the checkpoint that signs it.
    verifier.start_after(leaves[len(verifier.links) : info.leaves_to_position])
    signed = _check_checkpoints(info, checkpoints, public_key, verifier, outcome)
    _check_trial_balance(info, fold, closing, outcome)
    outcome.coverage = _coverage(info, signed, accept_unsigned_tail)
    if outcome.coverage.unsigned is not None:
        if accept_unsigned_tail:
            outcome.notes.append("unsigned positions accepted (--accept-unsigned-tail)")
        else:
            outcome.report.ok = False
    outcome.report.collapse()
    return outcome


def _coverage(info: PackageInfo, signed: list[Checkpoint], accepted: bool) -> Coverage:
    """The largest verified checkpoint reaching into the range signs the range up to it
    (its Merkle root commits to every leaf before its size)."""
    reaching = [c for c in signed if c.size >= info.from_position]
    if not reaching:
        return Coverage(info.from_position, info.to_position, None, None, accepted)
    best = max(reaching, key=lambda c: c.size)
    return Coverage(
        info.from_position,
        info.to_position,
        min(best.size, info.to_position),
        f"the checkpoint at size {best.size} ({best.time})",
        accepted,
    )


def _check_chain(
    directory: Path,
    info: PackageInfo,
    leaves: list[bytes],
    verifier: PackageChainVerifier,
    fold: BalanceFold,
) -> None:
    """Leaves and links of the range (after the prefix's leaves), folding its entries."""
    report, start = verifier.report, info.from_position
    verifier.start_after(leaves[: start - 1])
    if (verifier.links[-1] if verifier.links else GENESIS_LINK) != info.link_before_start:
        report.fail(start - 1, "leaves.txt before the range does not lead to the stated link")
    if start > 1:
        _load_open_pending(directory, verifier, leaves, fold)
    for event in read_events(directory, "events.jsonl"):
        position = event.position
        if not start <= position <= info.to_position:
            report.fail(position, f"chain position {position} lies outside the exported range")
            continue
        if event.leaf != leaves[position - 1]:
            report.fail(position, f"chain position {position}: leaves.txt and events.jsonl differ")
        verifier.feed(position, event.notification_id, event.leaf, event.link, event.parts())
        unfoldable = fold.apply(event.topic, event.originator_id, event.state)
        if unfoldable:
            report.fail(position, f"chain position {position}: {unfoldable}")
    fed = len(verifier.links)
    if fed < info.to_position:
        report.fail(
            fed + 1,
            f"events.jsonl ends at chain position {fed}, the range ends at {info.to_position}",
        )
    elif verifier.links[info.to_position - 1] != info.head_link:
        report.fail(info.to_position, "the chain head differs from package.json's head_link")
    if verifier.links and verifier.links[0] != info.log_id:
        report.fail(1, "the first link (the log id) differs from package.json's log_id")


def _check_checkpoints(
    info: PackageInfo,
    checkpoints: list[Checkpoint],
    public_key: bytes,
    verifier: PackageChainVerifier,
    outcome: Outcome,
) -> list[Checkpoint]:
    """Every checkpoint the exported leaves reach, in full; beyond them (a range that
    stops before the chain's end), only the signature can be checked. Answers the
    checkpoints that verified in full."""
    whole_tail = info.to_position == info.chain_length
    reach = len(verifier.links)
    covered = [c for c in checkpoints if whole_tail or c.size <= reach]
    beyond = [c for c in checkpoints if c not in covered]
    for checkpoint in beyond:
        if checkpoint.key_id != key_id_of(public_key) or not signature_valid(
            checkpoint, public_key
        ):
            outcome.report.fail(
                None, f"checkpoint at size {checkpoint.size}: the signature does not verify"
            )
    verifier.finish(covered)
    outcome.notes.append(
        f"checkpoints: {len(covered)} checked (signature, size, head, Merkle root)"
        + (f"; {len(beyond)} beyond this range, signature only" if beyond else "")
    )
    return [c for c in covered if _verified(c, public_key, verifier)]


def _verified(checkpoint: Checkpoint, public_key: bytes, verifier: ChainVerifier) -> bool:
    size = checkpoint.size
    return (
        checkpoint.key_id == key_id_of(public_key)
        and signature_valid(checkpoint, public_key)
        and 1 <= size <= len(verifier.links)
        and checkpoint.log_id == verifier.links[0].hex()
        and verifier.links[size - 1].hex() == checkpoint.head
        and verifier.tree.root(size).hex() == checkpoint.root
    )


def _check_trial_balance(
    info: PackageInfo, fold: BalanceFold, closing: StatedBalance, outcome: Outcome
) -> None:
    report = outcome.report
    outcome.trial_balance_sha256 = trial_balance_digest(fold.counters)
    if fold.pending:
        outcome.notes.append(f"{len(fold.pending)} entries still pending at the range end")
    if closing.chain_position != info.to_position:
        report.fail(None, "trial_balance.json closing is not at the end of the range")
    if outcome.trial_balance_sha256 != closing.sha256:
        report.fail(None, "trial balance: " + _first_difference(fold.counters, closing.counters))
    start = info.from_position
    outcome.notes.append(
        f"trial balance: {fold.entries_folded} journal-entry events folded"
        + (f" onto the opening balance at position {start - 1}" if start > 1 else "")
    )


def _public_key(directory: Path) -> bytes:
    try:
        return public_key_from_text(_read_text(directory, "public_key.pem"))
    except ValueError as error:
        raise MalformedPackage(f"public_key.pem: {error}") from None


def _load_open_pending(
    directory: Path, verifier: ChainVerifier, leaves: list[bytes], fold: BalanceFold
) -> None:
    """Pending entries open when the range starts (context.jsonl), each checked against its leaf;
    together they must make up the opening balance's pending counters."""
    report = verifier.report
    for event in read_events(directory, "context.jsonl"):
        position = event.position
        if position > len(verifier.links) or event.topic != TOPIC_PENDING:
            report.fail(
                position, f"context.jsonl: position {position} is not an earlier pending entry"
            )
            continue
        if leaf_hash(event_bytes(*event.parts())) != leaves[position - 1]:
            report.fail(
                position, f"chain position {position}: the event (in context.jsonl) was changed"
            )
        if event.link != verifier.links[position - 1]:
            report.fail(position, f"chain position {position}: context.jsonl has another link")
        try:
            fold.pending[event.originator_id] = parse_postings(json.loads(event.state))
        except (ValueError, RecursionError) as error:
            report.fail(position, f"chain position {position}: {error}")
    reserved: dict[Key, list[int]] = {}
    for postings in fold.pending.values():
        for account, direction, amount_minor, asset in postings:
            totals = reserved.setdefault((account, asset), [0, 0])
            totals[0 if direction == "debit" else 1] += amount_minor
    stated = {key: values[2:] for key, values in fold.counters.items() if any(values[2:])}
    if stated != reserved:
        report.fail(None, "opening balance: its pending counters are not the open pending entries")


def _first_difference(recomputed: dict[Key, list[int]], stated: dict[Key, list[int]]) -> str:
    for key in sorted(set(recomputed) | set(stated)):
        ours, theirs = recomputed.get(key, [0, 0, 0, 0]), stated.get(key, [0, 0, 0, 0])
        if ours != theirs:
            return (
                f"recomputed {key[0]} {key[1]} {ours} differs from trial_balance.json {theirs} "
                f"({', '.join(COUNTERS)})"
            )
    return "the digests differ"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Verify a backoffice audit package offline.")
    parser.add_argument("directory", type=Path)
    parser.add_argument("--json", action="store_true", help="print the report as JSON")
    parser.add_argument(
        "--accept-unsigned-tail",
        action="store_true",
        help="exit 0 although some positions are covered by no checkpoint (still reported)",
    )
    arguments = parser.parse_args(argv)
    try:
        import cryptography  # noqa: F401
    except ImportError:
        print("error: needs the 'cryptography' package (pip install cryptography)", file=sys.stderr)
        return EXIT_MALFORMED
    try:
        outcome = verify_package(
            arguments.directory, accept_unsigned_tail=arguments.accept_unsigned_tail
        )
    except MalformedPackage as error:
        print(f"refused: malformed package: {error}", file=sys.stderr)
        return EXIT_MALFORMED
    report, coverage = outcome.report, outcome.coverage
    assert coverage is not None
    if arguments.json:
        document = {**report.as_dict(), "notes": outcome.notes}
        document["trial_balance_sha256"] = outcome.trial_balance_sha256
        document["coverage"] = coverage.as_dict()
        print(json.dumps(document, indent=2))
    else:
        print(f"audit package {arguments.directory}")
        print(f"chain: {report.chain_length} positions, {report.events_checked} events rehashed")
        for note in outcome.notes:
            print(note)
        print(f"trial balance sha256 {outcome.trial_balance_sha256}")
        print(f"signatures: {coverage.statement()}")
        for problem in report.problems:
            print(f"BAD {problem}")
        if report.ok:
            print("OK: the package verifies")
        elif report.first_bad_position is not None:
            print(f"FAILED: first bad position {report.first_bad_position}")
        elif not report.problems and coverage.unsigned is not None:
            print(
                f"FAILED: positions {_span(*coverage.unsigned)} are not covered by any signature"
                " (--accept-unsigned-tail to accept them)"
            )
        else:
            print("FAILED")
    return EXIT_OK if report.ok else EXIT_FAILED


if __name__ == "__main__":
    sys.exit(main())
