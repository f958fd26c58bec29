"""Signed checkpoints as text (standard library only; copied into audit packages).

A checkpoint states that the log ``log`` had ``size`` events, that the
chain link after the last of them was ``head`` and the RFC 6962 Merkle root
over their leaves was ``root``, at ``time``. The log id is the hex chain
link of the log's first event: it names one log and cannot be chosen.

Text form (a body of six lines, a blank line, one signature line)::

    backoffice checkpoint v1
    log 6f1c...(64 hex)
    size 1024
    head 9ab0...(64 hex)
    root 31fe...(64 hex)
    time 2026-11-23T16:40:00Z

    sig 1a2b3c4d5e6f7a8b <base64 Ed25519 signature over the body, newline-terminated lines>

The key id is the first 8 bytes (16 hex) of SHA-256 of the raw 32-byte
public key. Parsing is strict: anything else is a ValueError naming the line.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
from dataclasses import dataclass

HEADER = "backoffice checkpoint v1"
_HEX64 = re.compile(r"^[0-9a-f]{64}\Z")
_KEY_ID = re.compile(r"^[0-9a-f]{16}\Z")
_TIME = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]{1,6})?Z\Z")
SIZE_MAX = 2**62
TEXT_BYTES_MAX = 4096


@dataclass(frozen=True, slots=True)
class Checkpoint:
    log_id: str
    size: int
    head: str
    root: str
    time: str
    key_id: str = ""
    signature: str = ""  # base64

    def body(self) -> bytes:
        """The signed bytes."""
        return (
            f"{HEADER}\nlog {self.log_id}\nsize {self.size}\nhead {self.head}\n"
            f"root {self.root}\ntime {self.time}\n"
        ).encode("ascii")

    def text(self) -> str:
        return f"{self.body().decode('ascii')}\nsig {self.key_id} {self.signature}\n"

    def signature_bytes(self) -> bytes:
        return base64.b64decode(self.signature, validate=True)


def key_id_of(public_key_raw: bytes) -> str:
    return hashlib.sha256(public_key_raw).hexdigest()[:16]


def parse(text: str) -> Checkpoint:
    """A checkpoint from its text form; ValueError naming what is wrong."""
    if not isinstance(text, str):
        raise ValueError("checkpoint: expected text")
    if len(text) > TEXT_BYTES_MAX:
        raise ValueError(f"checkpoint: longer than {TEXT_BYTES_MAX} characters")
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    if len(lines) != 8 or lines[6] != "":
        raise ValueError("checkpoint: expected 6 body lines, a blank line and a signature line")
    if lines[0] != HEADER:
        raise ValueError(f"checkpoint line 1: expected {HEADER!r}")
    fields: dict[str, str] = {}
    for number, (line, name) in enumerate(
        zip(lines[1:6], ("log", "size", "head", "root", "time"), strict=True), 2
    ):
        label, _, value = line.partition(" ")
        if label != name or not value:
            raise ValueError(f"checkpoint line {number}: expected '{name} <value>'")
        fields[name] = value
    for name in ("log", "head", "root"):
        if not _HEX64.match(fields[name]):
            raise ValueError(f"checkpoint {name}: expected 64 lower-case hex digits")
    if (
        not fields["size"].isdigit()
        or not 0 < int(fields["size"]) <= SIZE_MAX
        or fields["size"] != str(int(fields["size"]))
    ):
        raise ValueError("checkpoint size: expected a positive integer without leading zeros")
    if not _TIME.match(fields["time"]):
        raise ValueError("checkpoint time: expected UTC ISO 8601 ending in Z")
    label, _, rest = lines[7].partition(" ")
    key_id, _, signature = rest.partition(" ")
    if label != "sig" or not _KEY_ID.match(key_id):
        raise ValueError("checkpoint line 8: expected 'sig <16 hex key id> <base64 signature>'")
    try:
        raw = base64.b64decode(signature, validate=True)
    except (binascii.Error, ValueError):
        raise ValueError("checkpoint signature: not base64") from None
    if len(raw) != 64:
        raise ValueError("checkpoint signature: an Ed25519 signature is 64 bytes")
    return Checkpoint(
        log_id=fields["log"],
        size=int(fields["size"]),
        head=fields["head"],
        root=fields["root"],
        time=fields["time"],
        key_id=key_id,
        signature=signature,
    )


def parse_many(text: str) -> list[Checkpoint]:
    """Checkpoints separated by blank lines (as ``backoffice checkpoints export`` writes)."""
    blocks: list[str] = []
    current: list[str] = []
    for line in text.splitlines():
        current.append(line)
        if line.startswith("sig "):
            blocks.append("\n".join(current) + "\n")
            current = []
        elif not line and len(current) == 1:
            current = []  # a separator between checkpoints
    if any(line.strip() for line in current):
        raise ValueError("checkpoints: trailing text after the last signature line")
    return [parse(block) for block in blocks]
