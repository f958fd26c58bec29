"""Verifying the chain, the checkpoints and inclusion proofs.

Standard library plus ``cryptography`` (Ed25519) only: this module is copied
into offline audit packages together with chain.py, merkle.py and
checkpoint_note.py. The live system feeds it rows from the database
(adapters/chain_store.py); the offline verifier feeds it rows from an export.

``ChainVerifier.feed`` takes the chain rows in position order, each with the
event it names (or None when that event is missing); ``finish`` checks the
checkpoints against what was recomputed. The first problem is kept with its
chain position: verification reports the first bad position.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any
from uuid import UUID

from .chain import GENESIS_LINK, event_bytes, frame, next_link
from .checkpoint_note import Checkpoint, key_id_of
from .merkle import MerkleTree, leaf_hash, verify_inclusion

EVENT_MISSING = None

# The batch path (ChainVerifier.feed_rows) frames without parsing ids that are
# already canonical text (what PostgreSQL's uuid::text gives) or 32 lowercase
# hex digits (SQLite); anything else goes through ChainVerifier.feed.
_CANONICAL_ID = re.compile(
    r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"
).fullmatch
_HEX_ID = re.compile(r"[0-9a-f]{32}").fullmatch
_ID_FRAME_LENGTH = (36).to_bytes(8, "big")
_LEAF_PREFIX = b"\x00"
_ZERO_LEAF = bytes(32)
_FRAME_CACHE_MAX = 4096


@dataclass
class VerifyReport:
    ok: bool = True
    events_checked: int = 0
    chain_length: int = 0
    first_bad_position: int | None = None
    problems: list[str] = field(default_factory=list)
    checkpoints_checked: int = 0

    def fail(self, position: int | None, problem: str) -> None:
        if self.ok or (
            position is not None
            and (self.first_bad_position is None or position < self.first_bad_position)
        ):
            self.first_bad_position = position
        self.ok = False
        if len(self.problems) < 100:
            self.problems.append(problem)

    def as_dict(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "events_checked": self.events_checked,
            "chain_length": self.chain_length,
            "first_bad_position": self.first_bad_position,
            "checkpoints_checked": self.checkpoints_checked,
            "problems": list(self.problems),
        }


def public_key_from_text(text: str) -> bytes:
    """A raw 32-byte Ed25519 public key from 64 hex digits or a PEM block."""
    stripped = text.strip()
    if len(stripped) == 64:
        try:
            return bytes.fromhex(stripped)
        except ValueError:
            pass
    if stripped.startswith("-----BEGIN PUBLIC KEY-----"):
        from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
        from cryptography.hazmat.primitives.serialization import (
            Encoding,
            PublicFormat,
            load_pem_public_key,
        )

        try:
            key = load_pem_public_key(stripped.encode("ascii"))
        except ValueError as error:
            raise ValueError(f"public key: not a PEM public key ({error})") from None
        if not isinstance(key, Ed25519PublicKey):
            raise ValueError("public key: not an Ed25519 key")
        return key.public_bytes(Encoding.Raw, PublicFormat.Raw)
    raise ValueError("public key: expected 64 hex digits or a PEM 'PUBLIC KEY' block")


def signature_valid(checkpoint: Checkpoint, public_key_raw: bytes) -> bool:
    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

    try:
        key = Ed25519PublicKey.from_public_bytes(public_key_raw)
        key.verify(checkpoint.signature_bytes(), checkpoint.body())
    except (InvalidSignature, ValueError, binascii.Error):
        return False
    return True


class ChainVerifier:
    """Recomputes leaves, links and Merkle roots from the events themselves."""

    def __init__(self, public_keys: Iterable[bytes] = (), tree: Any = None) -> None:
        """``tree``: where leaves go (default a ``MerkleTree``; anything with
        ``append``, ``extend`` and ``root`` will do)."""
        self.keys = {key_id_of(raw): raw for raw in public_keys}
        self.report = VerifyReport()
        self.tree = MerkleTree() if tree is None else tree
        self.links: list[bytes] = []  # recomputed link per position (index = position - 1)
        self._link = GENESIS_LINK
        self._last_notification_id = 0
        self._topic_frames: dict[object, bytes] = {}
        self._version_frames: dict[object, bytes] = {}

    def feed(
        self,
        position: int,
        notification_id: int,
        stored_leaf: bytes,
        stored_link: bytes,
        event: tuple[str, Any, int, bytes] | None,
    ) -> None:
        """One chain row; ``event`` is (topic, originator id, version, state) or None if missing."""
        report = self.report
        expected = len(self.links) + 1
        if position != expected:
            report.fail(expected, f"chain position {expected} is missing (found {position} next)")
        if notification_id <= self._last_notification_id:
            report.fail(position, f"chain position {position}: log ids out of order")
        self._last_notification_id = notification_id
        if event is None:
            report.fail(
                position,
                f"chain position {position}: its event (log id {notification_id}) is missing",
            )
            leaf = bytes(stored_leaf)
        else:
            topic, originator_id, version, state = event
            try:
                leaf = leaf_hash(event_bytes(topic, originator_id, version, state))
            except (ValueError, TypeError):
                leaf = b""
            if leaf != bytes(stored_leaf):
                report.fail(
                    position,
                    f"chain position {position}: the event (log id {notification_id}) was changed",
                )
            report.events_checked += 1
        self._link = next_link(self._link, leaf if len(leaf) == 32 else bytes(32))
        if self._link != bytes(stored_link):
            report.fail(
                position,
                f"chain position {position}: the chain link does not follow from the one before",
            )
        self.links.append(self._link)
        self.tree.append(leaf if len(leaf) == 32 else bytes(32))

    def feed_page(
        self,
        chain_rows: Sequence[Sequence[Any]],
        events: Sequence[Sequence[Any] | None],
        *,
        canonical_ids: bool = False,
    ) -> None:
        """Many chain rows at once: ``chain_rows[i]`` is (position, log id, stored leaf,
        stored link) and ``events[i]`` the event it names as (log id, topic, originator id,
        version, state), or None when that event is missing.

        Exactly as ``feed`` for each row in turn (same report, links and tree), but rows
        whose event is well typed and whose position, log id, leaf and link are all as
        expected take a path without per-row calls; any other row goes through ``feed``.
        ``canonical_ids``: the caller guarantees that every originator id given as text is
        already canonical (PostgreSQL's ``uuid::text``), so it is framed without checking.
        """
        if len(chain_rows) != len(events):
            raise ValueError(f"{len(chain_rows)} chain rows but {len(events)} events")
        sha256 = hashlib.sha256
        join = b"".join
        topic_frames = self._topic_frames
        version_frames = self._version_frames
        links = self.links
        append_link = links.append
        pending: list[bytes] = []  # leaves not yet in the tree
        append_leaf = pending.append
        link = self._link
        last = self._last_notification_id
        expected = len(links) + 1
        checked = 0
        for (position, notification_id, stored_leaf, stored_link), event in zip(
            chain_rows, events, strict=True
        ):
            if event is not None:
                event_id, topic, oid, version, state = event
                if event_id != notification_id:
                    raise ValueError(
                        f"chain position {position} names log id {notification_id}, "
                        f"its event row has {event_id}"
                    )
                if (
                    position == expected
                    and type(notification_id) is int
                    and notification_id > last
                    and type(state) is bytes
                ):
                    topic_frame = topic_frames.get(topic)
                    if topic_frame is None:
                        topic_frame = self._topic_frame(topic)
                    version_frame = version_frames.get(version)
                    if version_frame is None:
                        version_frame = self._version_frame(version)
                    if type(oid) is str and (canonical_ids or _CANONICAL_ID(oid)):
                        id_text = oid
                    elif type(oid) is UUID:
                        id_text = str(oid)
                    elif type(oid) is str and _HEX_ID(oid):
                        id_text = f"{oid[:8]}-{oid[8:12]}-{oid[12:16]}-{oid[16:20]}-{oid[20:]}"
                    else:
                        id_text = None
                    if (
                        topic_frame is not None
                        and version_frame is not None
                        and id_text is not None
                    ):
                        leaf = sha256(
                            join(
                                (
                                    topic_frame,
                                    id_text.encode("ascii"),
                                    version_frame,
                                    len(state).to_bytes(8, "big"),
                                    state,
                                )
                            )
                        ).digest()
                        if leaf == stored_leaf:
                            following = sha256(link + leaf).digest()
                            if following == stored_link:
                                link = following
                                last = notification_id
                                expected += 1
                                checked += 1
                                append_link(link)
                                append_leaf(leaf)
                                continue
            # Anything unusual: hand the row, with the state so far, to feed().
            self._link = link
            self._last_notification_id = last
            self.report.events_checked += checked
            checked = 0
            self.tree.extend(pending)
            pending.clear()
            self.feed(
                position,
                notification_id,
                stored_leaf,
                stored_link,
                None if event is None else tuple(event[1:]),
            )
            link = self._link
            last = self._last_notification_id
            expected = len(links) + 1
        self._link = link
        self._last_notification_id = last
        self.report.events_checked += checked
        self.tree.extend(pending)

    def _topic_frame(self, topic: object) -> bytes | None:
        """0x00 || frame(topic) || the id's length prefix, cached; None where feed() must
        decide."""
        if type(topic) is not str:
            return None
        try:
            framed = _LEAF_PREFIX + frame(topic.encode("utf-8")) + _ID_FRAME_LENGTH
        except UnicodeError:
            return None
        if len(self._topic_frames) < _FRAME_CACHE_MAX:
            self._topic_frames[topic] = framed
        return framed

    def _version_frame(self, version: object) -> bytes | None:
        """frame(decimal version), cached; None where feed() must decide."""
        if type(version) is not int:
            return None
        framed = frame(str(version).encode("ascii"))
        if len(self._version_frames) < _FRAME_CACHE_MAX:
            self._version_frames[version] = framed
        return framed

    def unchained_event(self, notification_id: int) -> None:
        self.report.fail(None, f"the event with log id {notification_id} is not in the chain")

    def finish(self, checkpoints: Iterable[Checkpoint]) -> VerifyReport:
        report = self.report
        report.chain_length = len(self.links)
        seen: set[str] = set()
        for checkpoint in sorted(checkpoints, key=lambda c: c.size):
            fingerprint = checkpoint.text()
            if fingerprint in seen:
                continue
            seen.add(fingerprint)
            report.checkpoints_checked += 1
            self._check(checkpoint)
        if not self.keys and report.checkpoints_checked:
            report.fail(None, "no public key given: checkpoint signatures were not checked")
        return report

    def _check(self, checkpoint: Checkpoint) -> None:
        report = self.report
        where = f"checkpoint at size {checkpoint.size} ({checkpoint.time})"
        key = self.keys.get(checkpoint.key_id)
        if self.keys and key is None:
            report.fail(None, f"{where}: signed by unknown key {checkpoint.key_id}")
        elif key is not None and not signature_valid(checkpoint, key):
            report.fail(None, f"{where}: the signature does not verify")
        if checkpoint.size > len(self.links):
            report.fail(
                len(self.links) + 1,
                f"{where}: it covers {checkpoint.size} events, the log has {len(self.links)} (events were removed)",
            )
            return
        if self.links and checkpoint.log_id != self.links[0].hex():
            report.fail(1, f"{where}: names another log ({checkpoint.log_id[:16]}...)")
        if self.links[checkpoint.size - 1].hex() != checkpoint.head:
            report.fail(checkpoint.size, f"{where}: the chain head at its size differs")
        if self.tree.root(checkpoint.size).hex() != checkpoint.root:
            report.fail(checkpoint.size, f"{where}: the Merkle root at its size differs")


@dataclass(frozen=True)
class InclusionProof:
    position: int  # chain position, from 1
    leaf: str  # hex leaf hash
    checkpoint: Checkpoint
    path: list[str]  # hex hashes

    def as_dict(self) -> dict[str, Any]:
        return {
            "position": self.position,
            "leaf_hash": self.leaf,
            "tree_size": self.checkpoint.size,
            "path": list(self.path),
            "checkpoint": self.checkpoint.text(),
        }


def check_inclusion(
    proof: dict[str, Any],
    public_keys: Iterable[bytes],
    event: tuple[str, Any, int, bytes] | None = None,
) -> tuple[bool, str]:
    """Check a proof document (``InclusionProof.as_dict``): the checkpoint is signed by one of
    ``public_keys``, the leaf (recomputed from ``event`` when given) is at ``position`` of
    the tree the checkpoint's root commits to. Returns (ok, why)."""
    from .checkpoint_note import parse

    try:
        checkpoint = parse(str(proof["checkpoint"]))
        position = int(proof["position"])
        path = [bytes.fromhex(str(item)) for item in proof["path"]]
        leaf = bytes.fromhex(str(proof["leaf_hash"]))
    except (KeyError, TypeError, ValueError) as error:
        return False, f"malformed proof: {error}"
    keys = {key_id_of(raw): raw for raw in public_keys}
    key = keys.get(checkpoint.key_id)
    if key is None:
        return False, f"the checkpoint is signed by unknown key {checkpoint.key_id}"
    if not signature_valid(checkpoint, key):
        return False, "the checkpoint signature does not verify"
    if event is not None and leaf_hash(event_bytes(*event)) != leaf:
        return False, "the event does not hash to the proven leaf"
    if not 1 <= position <= checkpoint.size or len(leaf) != 32 or any(len(p) != 32 for p in path):
        return False, "the proof does not fit the checkpoint"
    try:
        ok = verify_inclusion(
            leaf, position - 1, checkpoint.size, path, bytes.fromhex(checkpoint.root)
        )
    except ValueError as error:
        return False, f"malformed proof: {error}"
    return (True, "included") if ok else (False, "the proof does not lead to the checkpoint's root")


def signature_text(raw: bytes) -> str:
    return base64.b64encode(raw).decode("ascii")
