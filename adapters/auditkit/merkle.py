"""Merkle tree of the event log, as RFC 6962 / RFC 9162 define it (SHA-256).

This file imports only the Python standard library, so it can be copied as one
file into the offline audit package. Keep it that way.

Hashes (all ``bytes`` of exactly ``HASH_SIZE`` = 32):

- ``leaf_hash(data)`` = SHA-256(0x00 || data), ``node_hash(left, right)`` =
  SHA-256(0x01 || left || right), ``EMPTY_ROOT`` = SHA-256("").

Functions over a list of leaf hashes (O(n) each; what an auditor needs):

- ``root(leaf_hashes)``: the Merkle Tree Hash MTH(D[n]) (RFC 6962 2.1).
- ``inclusion_proof(leaf_hashes, index, size)``: PATH(index, D[size]) (2.1.1).
- ``consistency_proof(leaf_hashes, old_size, new_size)``: PROOF(old, D[new]) (2.1.2).
- ``verify_inclusion(leaf_hash, index, size, proof, root)`` (RFC 9162 2.1.3.2).
- ``verify_consistency(old_size, new_size, old_root, new_root, proof)`` (RFC 9162 2.1.4.2).

For the server, ``MerkleTree`` keeps the hash of every complete aligned block
of 2^k leaves (level k), so root and proofs for any size up to the current one
take O(log n) hashes. Memory is about 2 x 32 bytes per leaf. It is not
thread-safe: guard appends and reads with one lock.

Transport: ``proof_to_json`` / ``proof_from_json`` and ``hash_to_hex`` /
``hash_from_hex`` use lowercase hex of exactly 64 characters per hash.

Errors. ``ValueError`` means the arguments are impossible for any tree: a
size or index that is not a non-negative int (bools refused) or exceeds
``MAX_TREE_SIZE``; ``index >= size``; a proof asked for or checked against
size 0 (inclusion) or old size 0 (consistency: every tree extends the empty
one, there is nothing to prove); ``old_size > new_size``; a size beyond the
leaves held; a hash that is not ``bytes`` of length 32; a proof that is not a
list or tuple or holds more than ``MAX_PROOF_HASHES`` hashes. The ``verify_*``
functions return ``False`` for everything else that does not verify,
including a proof with the wrong number of hashes for the sizes given.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Sequence

__all__ = [
    "EMPTY_ROOT",
    "HASH_SIZE",
    "MAX_PROOF_HASHES",
    "MAX_TREE_SIZE",
    "MerkleTree",
    "consistency_proof",
    "hash_from_hex",
    "hash_to_hex",
    "inclusion_proof",
    "leaf_hash",
    "node_hash",
    "proof_from_json",
    "proof_to_json",
    "root",
    "verify_consistency",
    "verify_inclusion",
]

HASH_SIZE = 32
# Sizes are uint64 in RFC 9162; no proof in a tree of that many leaves holds more than 64 hashes.
MAX_TREE_SIZE = 2**64 - 1
MAX_PROOF_HASHES = 64
EMPTY_ROOT = hashlib.sha256(b"").digest()

_LEAF_PREFIX = b"\x00"
_NODE_PREFIX = b"\x01"
_HEX_DIGITS = frozenset("0123456789abcdef")
_sha256 = hashlib.sha256

SubtreeRoot = Callable[[int, int], bytes]


def leaf_hash(data: bytes) -> bytes:
    """SHA-256(0x00 || data): the hash of one log entry."""
    if not isinstance(data, bytes):
        raise ValueError(f"leaf data must be bytes, got {type(data).__name__}")
    return _sha256(_LEAF_PREFIX + data).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    """SHA-256(0x01 || left || right): the hash of an interior node."""
    return _node(_require_hash(left, "left"), _require_hash(right, "right"))


def root(leaf_hashes: Sequence[bytes]) -> bytes:
    """MTH(D[n]) over already hashed leaves; ``EMPTY_ROOT`` for no leaves."""
    return _root_of_blob(_join_hashes(leaf_hashes, "leaf_hashes"))


def inclusion_proof(leaf_hashes: Sequence[bytes], index: int, size: int) -> list[bytes]:
    """PATH(index, D[size]): the audit path of leaf ``index`` in the tree of the first ``size``."""
    _require_index(index, size)
    blob = _join_hashes(_prefix(leaf_hashes, size), "leaf_hashes")
    return _inclusion_path(
        index, size, lambda start, end: _root_of_blob(blob[32 * start : 32 * end])
    )


def consistency_proof(leaf_hashes: Sequence[bytes], old_size: int, new_size: int) -> list[bytes]:
    """PROOF(old_size, D[new_size]): shows the old tree is a prefix of the new one."""
    _require_sizes(old_size, new_size)
    blob = _join_hashes(_prefix(leaf_hashes, new_size), "leaf_hashes")
    return _consistency_path(
        old_size, new_size, lambda start, end: _root_of_blob(blob[32 * start : 32 * end])
    )


def verify_inclusion(
    leaf_hash: bytes, index: int, size: int, proof: Sequence[bytes], root: bytes
) -> bool:
    """Whether ``proof`` shows ``leaf_hash`` at ``index`` in the tree of ``size`` with ``root``."""
    _require_hash(leaf_hash, "leaf_hash")
    _require_hash(root, "root")
    _require_index(index, size)
    path = _require_proof(proof)
    first, second = index, size - 1
    computed = leaf_hash
    for sibling in path:
        if second == 0:
            return False  # more hashes than the path from this leaf has
        if first & 1 or first == second:
            computed = _node(sibling, computed)
            while not first & 1 and first != 0:  # skip levels where the right edge has no sibling
                first >>= 1
                second >>= 1
        else:
            computed = _node(computed, sibling)
        first >>= 1
        second >>= 1
    return second == 0 and computed == root


def verify_consistency(
    old_size: int, new_size: int, old_root: bytes, new_root: bytes, proof: Sequence[bytes]
) -> bool:
    """Whether ``proof`` shows the tree (old_size, old_root) is a prefix of (new_size, new_root)."""
    _require_hash(old_root, "old_root")
    _require_hash(new_root, "new_root")
    _require_sizes(old_size, new_size)
    path = _require_proof(proof)
    if old_size == new_size:
        return not path and old_root == new_root
    if not path:
        return False
    if old_size & (old_size - 1) == 0:
        # The old tree is a complete subtree, so its root seeds the walk.
        path = [old_root, *path]
    first, second = old_size - 1, new_size - 1
    while first & 1:
        first >>= 1
        second >>= 1
    old_computed = new_computed = path[0]
    for sibling in path[1:]:
        if second == 0:
            return False
        if first & 1 or first == second:
            old_computed = _node(sibling, old_computed)
            new_computed = _node(sibling, new_computed)
            while not first & 1 and first != 0:
                first >>= 1
                second >>= 1
        else:
            new_computed = _node(new_computed, sibling)
        first >>= 1
        second >>= 1
    return second == 0 and old_computed == old_root and new_computed == new_root


class MerkleTree:
    """The leaf hashes appended so far, with every complete aligned subtree hash cached.

    ``_levels[k]`` concatenates the hashes of blocks [j * 2^k, (j + 1) * 2^k) for every
    block that is complete, so level 0 holds the leaf hashes themselves.
    """

    def __init__(self, leaf_hashes: Iterable[bytes] = ()) -> None:
        self._levels: list[bytearray] = [bytearray()]
        self.extend(leaf_hashes)

    @property
    def size(self) -> int:
        """Number of leaves appended so far."""
        return len(self._levels[0]) // HASH_SIZE

    def __len__(self) -> int:
        return self.size

    def leaf(self, index: int) -> bytes:
        """The leaf hash at ``index``."""
        _require_index(index, self.size)
        return bytes(self._levels[0][32 * index : 32 * index + 32])

    def append(self, leaf_hash: bytes) -> int:
        """Append one leaf hash; returns its index."""
        _require_hash(leaf_hash, "leaf_hash")
        index = self.size
        self._levels[0] += leaf_hash
        count, level = index + 1, 0
        while count % 2 == 0:  # the new leaf completes a block on each level where count is even
            below = self._levels[level]
            if level + 1 == len(self._levels):
                self._levels.append(bytearray())
            self._levels[level + 1] += _sha256(_NODE_PREFIX + below[-64:]).digest()
            count //= 2
            level += 1
        return index

    def extend(self, leaf_hashes: Iterable[bytes]) -> None:
        """Append many leaf hashes at once; on a bad hash nothing is appended."""
        blob = _join_hashes(list(leaf_hashes), "leaf_hashes")
        if not blob:
            return
        self._levels[0] += blob
        level = 0
        while len(self._levels[level]) >= 64:
            below = self._levels[level]
            if level + 1 == len(self._levels):
                self._levels.append(bytearray())
            above = self._levels[level + 1]
            done, wanted = len(above) // 32, len(below) // 64
            above += _hash_pairs(below, done, wanted)
            level += 1

    def root(self, size: int) -> bytes:
        """MTH of the first ``size`` leaves (``EMPTY_ROOT`` for 0)."""
        _require_size(size, "size")
        self._require_held(size)
        return EMPTY_ROOT if size == 0 else self._subtree_root(0, size)

    def inclusion_proof(self, index: int, size: int) -> list[bytes]:
        """PATH(index, D[size]) from the cache."""
        _require_index(index, size)
        self._require_held(size)
        return _inclusion_path(index, size, self._subtree_root)

    def consistency_proof(self, old_size: int, new_size: int) -> list[bytes]:
        """PROOF(old_size, D[new_size]) from the cache."""
        _require_sizes(old_size, new_size)
        self._require_held(new_size)
        return _consistency_path(old_size, new_size, self._subtree_root)

    def _require_held(self, size: int) -> None:
        if size > self.size:
            raise ValueError(f"size {size} exceeds the {self.size} leaves held")

    def _subtree_root(self, start: int, end: int) -> bytes:
        # Both proof algorithms only ask for ranges whose start is a multiple of the
        # largest power of two <= end - start, so the range splits into cached blocks
        # of decreasing size; MTH folds them from the right.
        blocks: list[bytes] = []
        position, remaining = start, end - start
        while remaining:
            level = remaining.bit_length() - 1
            assert position % (1 << level) == 0, (start, end)
            offset = (position >> level) * 32
            blocks.append(bytes(self._levels[level][offset : offset + 32]))
            position += 1 << level
            remaining -= 1 << level
        result = blocks.pop()
        while blocks:
            result = _node(blocks.pop(), result)
        return result


def proof_to_json(proof: Sequence[bytes]) -> list[str]:
    """A proof as a JSON-ready list of lowercase hex strings."""
    return [hash_to_hex(item) for item in _require_proof(proof)]


def proof_from_json(value: object) -> list[bytes]:
    """Parse a decoded JSON list of hex hashes, refusing anything not exactly canonical."""
    if not isinstance(value, list):
        raise ValueError(f"proof must be a JSON list, got {type(value).__name__}")
    if len(value) > MAX_PROOF_HASHES:
        raise ValueError(f"proof has {len(value)} hashes, at most {MAX_PROOF_HASHES} allowed")
    return [hash_from_hex(item, f"proof[{position}]") for position, item in enumerate(value)]


def hash_to_hex(value: bytes) -> str:
    """One 32-byte hash as 64 lowercase hex characters."""
    return _require_hash(value, "hash").hex()


def hash_from_hex(text: object, what: str = "hash") -> bytes:
    """Parse exactly 64 lowercase hex characters into a 32-byte hash."""
    if not isinstance(text, str):
        raise ValueError(f"{what} must be a hex string, got {type(text).__name__}")
    if len(text) != 2 * HASH_SIZE or not _HEX_DIGITS.issuperset(text):
        raise ValueError(
            f"{what} must be {2 * HASH_SIZE} lowercase hex characters, got {text!r:.80}"
        )
    return bytes.fromhex(text)


def _node(left: bytes, right: bytes) -> bytes:
    return _sha256(_NODE_PREFIX + left + right).digest()


def _hash_pairs(level: bytes | bytearray, first_pair: int, end_pair: int) -> bytes:
    """Parents of the pairs ``first_pair`` .. ``end_pair - 1`` of a level, concatenated."""
    return b"".join(
        [
            _sha256(_NODE_PREFIX + level[i : i + 64]).digest()
            for i in range(64 * first_pair, 64 * end_pair, 64)
        ]
    )


def _root_of_blob(blob: bytes) -> bytes:
    # Hashing pairs level by level and carrying an odd last node up unchanged gives
    # the same tree as RFC 6962's split at the largest power of two below n.
    count = len(blob) // 32
    if count == 0:
        return EMPTY_ROOT
    while count > 1:
        parents = _hash_pairs(blob, 0, count // 2)
        blob = parents + blob[64 * (count // 2) :] if count % 2 else parents
        count = (count + 1) // 2
    return blob


def _largest_power_of_two_below(count: int) -> int:
    return 1 << ((count - 1).bit_length() - 1)


def _inclusion_path(index: int, size: int, subtree_root: SubtreeRoot) -> list[bytes]:
    # RFC 6962 2.1.1 unrolled: walk down from the root, collecting the sibling of the
    # subtree that holds ``index``; the path lists them leaf first.
    path: list[bytes] = []
    start, end = 0, size
    while end - start > 1:
        middle = start + _largest_power_of_two_below(end - start)
        if index < middle:
            path.append(subtree_root(middle, end))
            end = middle
        else:
            path.append(subtree_root(start, middle))
            start = middle
    path.reverse()
    return path


def _consistency_path(old_size: int, new_size: int, subtree_root: SubtreeRoot) -> list[bytes]:
    # RFC 6962 2.1.2 SUBPROOF unrolled. ``complete`` stays true while the old tree is
    # the whole left part of the current subtree, whose hash the verifier already has.
    path: list[bytes] = []
    start, end, complete = 0, new_size, True
    while old_size - start != end - start:
        middle = start + _largest_power_of_two_below(end - start)
        if old_size <= middle:
            path.append(subtree_root(middle, end))
            end = middle
        else:
            path.append(subtree_root(start, middle))
            start = middle
            complete = False
    if not complete:
        path.append(subtree_root(start, end))
    path.reverse()
    return path


def _require_hash(value: object, what: str) -> bytes:
    if not isinstance(value, bytes):
        raise ValueError(f"{what} must be bytes, got {type(value).__name__}")
    if len(value) != HASH_SIZE:
        raise ValueError(f"{what} must be {HASH_SIZE} bytes, got {len(value)}")
    return value


def _require_size(value: object, what: str) -> int:
    if not isinstance(value, int) or isinstance(value, bool):
        raise ValueError(f"{what} must be an int, got {type(value).__name__}")
    if not 0 <= value <= MAX_TREE_SIZE:
        raise ValueError(f"{what} must be between 0 and {MAX_TREE_SIZE}, got {value}")
    return value


def _require_index(index: int, size: int) -> None:
    _require_size(index, "index")
    _require_size(size, "size")
    if index >= size:
        raise ValueError(f"index {index} is not below size {size}")


def _require_sizes(old_size: int, new_size: int) -> None:
    _require_size(old_size, "old_size")
    _require_size(new_size, "new_size")
    if old_size == 0:
        raise ValueError(
            "old_size is 0: every tree extends the empty tree, there is nothing to prove"
        )
    if old_size > new_size:
        raise ValueError(f"old_size {old_size} exceeds new_size {new_size}")


def _require_proof(proof: object) -> list[bytes]:
    if not isinstance(proof, list | tuple):
        raise ValueError(f"proof must be a list of hashes, got {type(proof).__name__}")
    if len(proof) > MAX_PROOF_HASHES:
        raise ValueError(f"proof has {len(proof)} hashes, at most {MAX_PROOF_HASHES} allowed")
    return [_require_hash(item, f"proof[{position}]") for position, item in enumerate(proof)]


def _prefix(leaf_hashes: Sequence[bytes], size: int) -> Sequence[bytes]:
    if not isinstance(leaf_hashes, Sequence) or isinstance(leaf_hashes, bytes | str):
        raise ValueError(
            f"leaf_hashes must be a sequence of hashes, got {type(leaf_hashes).__name__}"
        )
    if size > len(leaf_hashes):
        raise ValueError(f"size {size} exceeds the {len(leaf_hashes)} leaf hashes given")
    return leaf_hashes[:size]


def _join_hashes(leaf_hashes: Sequence[bytes], what: str) -> bytes:
    """The hashes concatenated, after checking each is 32 bytes (one pass, then one join)."""
    if not isinstance(leaf_hashes, Sequence) or isinstance(leaf_hashes, bytes | str):
        raise ValueError(f"{what} must be a sequence of hashes, got {type(leaf_hashes).__name__}")
    if not all([type(item) is bytes and len(item) == HASH_SIZE for item in leaf_hashes]):
        for position, item in enumerate(leaf_hashes):
            _require_hash(item, f"{what}[{position}]")
    return b"".join(leaf_hashes)
