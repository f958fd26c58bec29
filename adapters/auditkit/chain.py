"""The hash chain over the log: framing and links (standard library only).

This file is copied as is into offline audit packages, so it imports nothing
outside Python's standard library.

Every stored event is framed unambiguously: four length-prefixed fields
(8-byte big-endian length, then the bytes)::

    event_bytes = frame(topic) || frame(originator id) || frame(version) || frame(state)

- topic: UTF-8 text, as stored;
- originator id: the canonical 36-character lowercase UUID text (SQLite
  stores 32 hex digits; both frame the same text);
- version: ASCII decimal digits;
- state: the stored bytes, exactly.

The leaf hash is RFC 6962's, ``SHA-256(0x00 || event_bytes)``; it is also
the leaf of the Merkle tree over the log. Chain links:

    link_0 = 32 zero bytes
    link_n = SHA-256(link_(n-1) || leaf_n)

Chain positions are 1, 2, 3, ... with no gaps, in log order, whatever gaps
the store's own ids have.
"""

from __future__ import annotations

import hashlib
from uuid import UUID

GENESIS_LINK = bytes(32)
HASH_BYTES = 32


def frame(data: bytes) -> bytes:
    return len(data).to_bytes(8, "big") + data


def canonical_id(originator_id: object) -> str:
    """The 36-character lowercase text of a UUID given as UUID, hex or dashed text."""
    if isinstance(originator_id, UUID):
        return str(originator_id)
    return str(UUID(str(originator_id)))


def event_bytes(topic: str, originator_id: object, version: int, state: bytes) -> bytes:
    return (
        frame(topic.encode("utf-8"))
        + frame(canonical_id(originator_id).encode("ascii"))
        + frame(str(int(version)).encode("ascii"))
        + frame(bytes(state))
    )


def leaf_hash(topic: str, originator_id: object, version: int, state: bytes) -> bytes:
    return hashlib.sha256(b"\x00" + event_bytes(topic, originator_id, version, state)).digest()


def next_link(previous: bytes, leaf: bytes) -> bytes:
    return hashlib.sha256(previous + leaf).digest()
