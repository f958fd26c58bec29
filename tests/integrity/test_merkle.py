"""The log's Merkle tree agrees with RFC 6962 / RFC 9162 and refuses what it cannot prove.

Expected values come from two independent places: the Certificate Transparency
reference vectors (below), and a naive recursive implementation written here
straight from the RFC 6962 text (``rfc_mth``, ``rfc_path``, ``rfc_proof``).
"""

from __future__ import annotations

import ast
import hashlib
import sys
from collections.abc import Callable
from functools import cache
from pathlib import Path

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from adapters.auditkit import merkle
from adapters.auditkit.merkle import (
    EMPTY_ROOT,
    MAX_PROOF_HASHES,
    MAX_TREE_SIZE,
    MerkleTree,
    consistency_proof,
    hash_from_hex,
    hash_to_hex,
    inclusion_proof,
    leaf_hash,
    node_hash,
    proof_from_json,
    proof_to_json,
    root,
    verify_consistency,
    verify_inclusion,
)

# --- Reference vectors -------------------------------------------------------------
# From github.com/transparency-dev/merkle (formerly in google/trillian, originally the
# certificate-transparency C++ log's merkle_tree_test.cc): leaf inputs, level-0 node
# hashes and roots from testonly/constants.go; inclusion and consistency proofs from
# proof/verify_test.go (whose leaf numbers are 1-based; the indexes here are 0-based).

LEAF_INPUTS = [
    bytes.fromhex(text)
    for text in [
        "",
        "00",
        "10",
        "2021",
        "3031",
        "40414243",
        "5051525354555657",
        "606162636465666768696a6b6c6d6e6f",
    ]
]
LEAF_HASHES_HEX = [
    "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
    "0298d122906dcfc10892cb53a73992fc5b9f493ea4c9badb27b791b4127a7fe7",
    "07506a85fd9dd2f120eb694f86011e5bb4662e5c415a62917033d4a9624487e7",
    "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
    "4271a26be0d8a84f0bd54c8c302e7cb3a3b5d1fa6780a40bcce2873477dab658",
    "b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f",
    "46f6ffadd3d06a09ff3c5860d2755c8b9819db7df44251788c7d8e3180de8eb1",
]
ROOTS_HEX = [  # by tree size, from the empty tree to all eight leaves
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
    "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
    "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
    "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
    "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
    "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
]
INCLUSION_VECTORS = [  # (index, size, proof)
    (0, 1, []),
    (
        0,
        8,
        [
            "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
        ],
    ),
    (
        5,
        8,
        [
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
            "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        ],
    ),
    (2, 3, ["fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125"]),
    (
        1,
        5,
        [
            "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
        ],
    ),
]
CONSISTENCY_VECTORS = [  # (old_size, new_size, proof)
    (1, 1, []),
    (
        1,
        8,
        [
            "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
        ],
    ),
    (
        6,
        8,
        [
            "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
            "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        ],
    ),
    (
        2,
        5,
        [
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
        ],
    ),
    (
        6,
        7,
        [
            "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
            "b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        ],
    ),
]
SOME_HASH = bytes.fromhex("abacaba000000000000000000000000000000000000000000060061e00123456")

# --- Naive reference, straight from RFC 6962 2.1 -----------------------------------


def _split(count: int) -> int:
    """The largest power of two smaller than ``count`` (k < n <= 2k)."""
    k = 1
    while 2 * k < count:
        k *= 2
    return k


def rfc_mth(leaves: list[bytes]) -> bytes:
    if not leaves:
        return hashlib.sha256(b"").digest()
    if len(leaves) == 1:
        return leaves[0]
    k = _split(len(leaves))
    return hashlib.sha256(b"\x01" + rfc_mth(leaves[:k]) + rfc_mth(leaves[k:])).digest()


def rfc_path(m: int, leaves: list[bytes]) -> list[bytes]:
    if len(leaves) == 1:
        return []
    k = _split(len(leaves))
    if m < k:
        return [*rfc_path(m, leaves[:k]), rfc_mth(leaves[k:])]
    return [*rfc_path(m - k, leaves[k:]), rfc_mth(leaves[:k])]


def rfc_proof(m: int, leaves: list[bytes]) -> list[bytes]:
    return _rfc_subproof(m, leaves, True)


def _rfc_subproof(m: int, leaves: list[bytes], complete: bool) -> list[bytes]:
    if m == len(leaves):
        return [] if complete else [rfc_mth(leaves)]
    k = _split(len(leaves))
    if m <= k:
        return [*_rfc_subproof(m, leaves[:k], complete), rfc_mth(leaves[k:])]
    return [*_rfc_subproof(m - k, leaves[k:], False), rfc_mth(leaves[:k])]


# The same recursions over shapes instead of hashes: which side each proof hash sits on.
# Two claims with the same shape make the verifier compute the very same hashes, so a
# proof verifies under a wrong size exactly when the shapes coincide (e.g. leaf 0 of 3
# or of 4 leaves); the signed checkpoint, not the proof, binds the size to the root.


def path_shape(m: int, size: int) -> tuple[str, ...]:
    if size == 1:
        return ()
    k = _split(size)
    return (*path_shape(m, k), "right") if m < k else (*path_shape(m - k, size - k), "left")


def proof_shape(m: int, size: int, complete: bool = True) -> tuple[str, ...]:
    if m == size:
        return () if complete else ("seed",)
    k = _split(size)
    if m <= k:
        return (*proof_shape(m, k, complete), "right")
    return (*proof_shape(m - k, size - k, False), "left")


# --- Fixtures ----------------------------------------------------------------------

SIZE_MAX = 300
PROPERTY_SETTINGS = settings(derandomize=True, deadline=None, max_examples=40)


@cache
def event_leaves() -> list[bytes]:
    return [leaf_hash(b"event %d" % number) for number in range(2 * SIZE_MAX + 2)]


@cache
def event_tree() -> MerkleTree:
    return MerkleTree(event_leaves()[: SIZE_MAX + 1])


def reference_leaves() -> list[bytes]:
    return [leaf_hash(data) for data in LEAF_INPUTS]


def hashes(texts: list[str]) -> list[bytes]:
    return [bytes.fromhex(text) for text in texts]


def flipped(value: bytes, position: int, mask: int) -> bytes:
    changed = bytearray(value)
    changed[position] ^= mask
    return bytes(changed)


def refused(verify: Callable[..., bool], *arguments: object) -> bool:
    """A verification that returns False or raises ValueError refuses the claim."""
    try:
        return verify(*arguments) is False
    except ValueError:
        return True


# --- Reference vectors -------------------------------------------------------------


def test_leaf_hashes_match_the_reference_vectors() -> None:
    assert [leaf.hex() for leaf in reference_leaves()] == LEAF_HASHES_HEX
    assert EMPTY_ROOT.hex() == ROOTS_HEX[0]


def test_the_root_of_every_prefix_matches_the_reference_vectors() -> None:
    leaves = reference_leaves()
    tree = MerkleTree(leaves)
    for size, expected in enumerate(ROOTS_HEX):
        assert root(leaves[:size]).hex() == expected
        assert tree.root(size).hex() == expected
        assert rfc_mth(leaves[:size]).hex() == expected


@pytest.mark.parametrize(("index", "size", "proof_hex"), INCLUSION_VECTORS)
def test_inclusion_proofs_match_the_reference_vectors_and_verify(
    index: int, size: int, proof_hex: list[str]
) -> None:
    leaves = reference_leaves()
    expected = hashes(proof_hex)
    assert inclusion_proof(leaves, index, size) == expected
    assert MerkleTree(leaves).inclusion_proof(index, size) == expected
    root_hash = bytes.fromhex(ROOTS_HEX[size])
    assert verify_inclusion(leaves[index], index, size, expected, root_hash)


@pytest.mark.parametrize(("old_size", "new_size", "proof_hex"), CONSISTENCY_VECTORS)
def test_consistency_proofs_match_the_reference_vectors_and_verify(
    old_size: int, new_size: int, proof_hex: list[str]
) -> None:
    leaves = reference_leaves()
    expected = hashes(proof_hex)
    assert consistency_proof(leaves, old_size, new_size) == expected
    assert MerkleTree(leaves).consistency_proof(old_size, new_size) == expected
    old_root, new_root = bytes.fromhex(ROOTS_HEX[old_size]), bytes.fromhex(ROOTS_HEX[new_size])
    assert verify_consistency(old_size, new_size, old_root, new_root, expected)


@pytest.mark.parametrize(("index", "size", "proof_hex"), INCLUSION_VECTORS[1:])
def test_the_reference_corrupted_inclusion_probes_are_all_refused(
    index: int, size: int, proof_hex: list[str]
) -> None:
    # The probes of transparency-dev/merkle proof/verify_test.go corruptInclusionProof.
    leaf, proof = reference_leaves()[index], hashes(proof_hex)
    root_hash = bytes.fromhex(ROOTS_HEX[size])
    probes: list[tuple[int, int, bytes, list[bytes], bytes]] = [
        (index - 1, size, leaf, proof, root_hash),
        (index + 1, size, leaf, proof, root_hash),
        (index ^ 2, size, leaf, proof, root_hash),
        (index, size * 2, leaf, proof, root_hash),
        (index, size // 2, leaf, proof, root_hash),
        (index, size, b"WrongLeaf", proof, root_hash),
        (index, size, leaf, proof, EMPTY_ROOT),
        (index, size, leaf, proof, SOME_HASH),
        (index, size, leaf, [*proof, b""], root_hash),
        (index, size, leaf, [*proof, root_hash], root_hash),
        (index, size, leaf, [b"", *proof], root_hash),
        (index, size, leaf, [root_hash, *proof], root_hash),
        (index, size, leaf, proof[:-1], root_hash),
        (index, size, leaf, [proof[0], SOME_HASH, *proof[1:]], root_hash),
    ]
    for position in range(len(proof)):
        wrong = list(proof)
        wrong[position] = flipped(wrong[position], 0, 8)
        probes.append((index, size, leaf, wrong, root_hash))
    for probe_index, probe_size, probe_leaf, probe_proof, probe_root in probes:
        assert refused(
            verify_inclusion, probe_leaf, probe_index, probe_size, probe_proof, probe_root
        ), (probe_index, probe_size)


@pytest.mark.parametrize(("old_size", "new_size", "proof_hex"), CONSISTENCY_VECTORS[1:])
def test_the_reference_corrupted_consistency_probes_are_all_refused(
    old_size: int, new_size: int, proof_hex: list[str]
) -> None:
    # The probes of transparency-dev/merkle proof/verify_test.go corruptConsistencyProof.
    proof = hashes(proof_hex)
    old_root, new_root = bytes.fromhex(ROOTS_HEX[old_size]), bytes.fromhex(ROOTS_HEX[new_size])
    probes: list[tuple[int, int, bytes, bytes, list[bytes]]] = [
        (old_size - 1, new_size, old_root, new_root, proof),
        (old_size + 1, new_size, old_root, new_root, proof),
        (old_size ^ 2, new_size, old_root, new_root, proof),
        (old_size, new_size * 2, old_root, new_root, proof),
        (old_size, new_size // 2, old_root, new_root, proof),
        (old_size, new_size, b"WrongRoot", new_root, proof),
        (old_size, new_size, old_root, b"WrongRoot", proof),
        (old_size, new_size, new_root, old_root, proof),
        (old_size, new_size, old_root, new_root, []),
        (old_size, new_size, old_root, new_root, [*proof, b""]),
        (old_size, new_size, old_root, new_root, [*proof, old_root]),
        (old_size, new_size, old_root, new_root, [*proof, new_root]),
        (old_size, new_size, old_root, new_root, [b"", *proof]),
        (old_size, new_size, old_root, new_root, [old_root, *proof]),
        (old_size, new_size, old_root, new_root, [new_root, *proof]),
        (old_size, new_size, old_root, new_root, [proof[0], *proof]),
        (old_size, new_size, old_root, new_root, proof[:-1]),
    ]
    for position in range(len(proof)):
        wrong = list(proof)
        wrong[position] = flipped(wrong[position], 0, 16)
        probes.append((old_size, new_size, old_root, new_root, wrong))
    for probe_old, probe_new, probe_old_root, probe_new_root, probe_proof in probes:
        assert refused(
            verify_consistency, probe_old, probe_new, probe_old_root, probe_new_root, probe_proof
        ), (probe_old, probe_new)


# --- Agreement with the RFC text ---------------------------------------------------


def test_the_root_of_every_size_up_to_the_limit_matches_the_rfc_definition() -> None:
    leaves, tree = event_leaves(), event_tree()
    for size in range(SIZE_MAX + 1):
        expected = rfc_mth(leaves[:size])
        assert root(leaves[:size]) == expected
        assert tree.root(size) == expected


@PROPERTY_SETTINGS
@given(size=st.integers(1, SIZE_MAX))
def test_every_inclusion_proof_is_the_rfc_path_and_verifies(size: int) -> None:
    leaves, tree = event_leaves(), event_tree()
    root_hash = rfc_mth(leaves[:size])
    for index in range(size):
        expected = rfc_path(index, leaves[:size])
        assert inclusion_proof(leaves, index, size) == expected
        assert tree.inclusion_proof(index, size) == expected
        assert verify_inclusion(leaves[index], index, size, expected, root_hash)


@PROPERTY_SETTINGS
@given(new_size=st.integers(1, SIZE_MAX))
def test_every_consistency_proof_is_the_rfc_proof_and_verifies(new_size: int) -> None:
    leaves, tree = event_leaves(), event_tree()
    new_root = rfc_mth(leaves[:new_size])
    for old_size in range(1, new_size + 1):
        expected = rfc_proof(old_size, leaves[:new_size])
        assert consistency_proof(leaves, old_size, new_size) == expected
        assert tree.consistency_proof(old_size, new_size) == expected
        old_root = rfc_mth(leaves[:old_size])
        assert verify_consistency(old_size, new_size, old_root, new_root, expected)


TAMPERINGS = ["proof byte", "leaf byte", "root byte", "drop", "insert", "swap", "index", "size"]


@settings(derandomize=True, deadline=None, max_examples=400)
@given(data=st.data(), size=st.integers(2, SIZE_MAX), tampering=st.sampled_from(TAMPERINGS))
def test_a_tampered_inclusion_claim_does_not_verify(
    data: st.DataObject, size: int, tampering: str
) -> None:
    leaves, tree = event_leaves(), event_tree()
    index = data.draw(st.integers(0, size - 1), label="index")
    leaf, proof, root_hash = leaves[index], tree.inclusion_proof(index, size), tree.root(size)
    byte = data.draw(st.integers(0, 31), label="byte")
    mask = data.draw(st.integers(1, 255), label="mask")
    position = data.draw(st.integers(0, len(proof) - 1), label="position")
    claimed_index, claimed_size = index, size
    if tampering == "proof byte":
        proof[position] = flipped(proof[position], byte, mask)
    elif tampering == "leaf byte":
        leaf = flipped(leaf, byte, mask)
    elif tampering == "root byte":
        root_hash = flipped(root_hash, byte, mask)
    elif tampering == "drop":
        del proof[position]
    elif tampering == "insert":
        proof.insert(data.draw(st.integers(0, len(proof)), label="at"), leaves[-1])
    elif tampering == "swap":
        assume(len(proof) > 1)
        other = data.draw(st.integers(0, len(proof) - 1).filter(lambda p: p != position))
        proof[position], proof[other] = proof[other], proof[position]
    elif tampering == "index":
        claimed_index = data.draw(st.integers(0, size - 1).filter(lambda i: i != index))
    else:
        claimed_size = data.draw(st.integers(index + 1, 2 * size + 1).filter(lambda s: s != size))
        same_shape = path_shape(index, claimed_size) == path_shape(index, size)
        assert verify_inclusion(leaf, index, claimed_size, proof, root_hash) == same_shape
        return
    assert not verify_inclusion(leaf, claimed_index, claimed_size, proof, root_hash)


CONSISTENCY_TAMPERINGS = [
    "proof byte",
    "old root byte",
    "new root byte",
    "swap roots",
    "drop",
    "insert",
    "old size",
    "new size",
]


@settings(derandomize=True, deadline=None, max_examples=400)
@given(
    data=st.data(),
    new_size=st.integers(2, SIZE_MAX),
    tampering=st.sampled_from(CONSISTENCY_TAMPERINGS),
)
def test_a_tampered_consistency_claim_does_not_verify(
    data: st.DataObject, new_size: int, tampering: str
) -> None:
    tree = event_tree()
    old_size = data.draw(st.integers(1, new_size - 1), label="old_size")
    proof = tree.consistency_proof(old_size, new_size)
    old_root, new_root = tree.root(old_size), tree.root(new_size)
    byte = data.draw(st.integers(0, 31), label="byte")
    mask = data.draw(st.integers(1, 255), label="mask")
    position = data.draw(st.integers(0, len(proof) - 1), label="position")
    if tampering == "proof byte":
        proof[position] = flipped(proof[position], byte, mask)
    elif tampering == "old root byte":
        old_root = flipped(old_root, byte, mask)
    elif tampering == "new root byte":
        new_root = flipped(new_root, byte, mask)
    elif tampering == "swap roots":
        old_root, new_root = new_root, old_root
    elif tampering == "drop":
        del proof[position]
    elif tampering == "insert":
        proof.insert(data.draw(st.integers(0, len(proof)), label="at"), event_leaves()[-1])
    elif tampering == "old size":
        claimed = data.draw(st.integers(1, new_size).filter(lambda s: s != old_size))
        same_shape = proof_shape(claimed, new_size) == proof_shape(old_size, new_size)
        assert verify_consistency(claimed, new_size, old_root, new_root, proof) == same_shape
        return
    else:
        claimed = data.draw(st.integers(old_size, 2 * new_size + 1).filter(lambda s: s != new_size))
        same_shape = proof_shape(old_size, claimed) == proof_shape(old_size, new_size)
        assert verify_consistency(old_size, claimed, old_root, new_root, proof) == same_shape
        return
    assert not verify_consistency(old_size, new_size, old_root, new_root, proof)


def test_a_proof_for_one_leaf_never_verifies_another_leaf_of_the_same_tree() -> None:
    leaves, tree = event_leaves(), event_tree()
    for size in range(2, 65):
        root_hash = tree.root(size)
        for index in range(size):
            proof = tree.inclusion_proof(index, size)
            for other in range(size):
                if other != index:
                    assert not verify_inclusion(leaves[other], other, size, proof, root_hash)
                    assert not verify_inclusion(leaves[index], other, size, proof, root_hash)


def test_a_wrong_size_verifies_only_when_the_path_has_the_same_shape() -> None:
    # Leaf 0 of a 3-leaf tree has the path shape of leaf 0 of a 4-leaf tree.
    leaves = event_leaves()
    proof, root_hash = inclusion_proof(leaves, 0, 3), root(leaves[:3])
    assert verify_inclusion(leaves[0], 0, 4, proof, root_hash)
    assert not verify_inclusion(leaves[0], 0, 5, proof, root_hash)


def test_equal_sizes_are_consistent_only_with_an_empty_proof_and_equal_roots() -> None:
    old_root = root(event_leaves()[:5])
    assert consistency_proof(event_leaves(), 5, 5) == []
    assert verify_consistency(5, 5, old_root, old_root, [])
    assert not verify_consistency(5, 5, old_root, SOME_HASH, [])
    assert not verify_consistency(5, 5, old_root, old_root, [old_root])


# --- The server's cached tree ------------------------------------------------------


@PROPERTY_SETTINGS
@given(chunks=st.lists(st.integers(0, 40), max_size=12))
def test_a_tree_grown_in_any_chunks_answers_like_the_naive_functions(chunks: list[int]) -> None:
    leaves = event_leaves()
    tree = MerkleTree()
    for chunk in chunks:
        start = tree.size
        if chunk % 2:
            for leaf in leaves[start : start + chunk]:
                assert tree.append(leaf) == tree.size - 1
        else:
            tree.extend(leaves[start : start + chunk])
        size = tree.size
        assert len(tree) == size
        assert tree.root(size) == root(leaves[:size])
        for index in range(size):
            assert tree.leaf(index) == leaves[index]
            assert tree.inclusion_proof(index, size) == inclusion_proof(leaves, index, size)
        for old_size in range(1, size + 1):
            assert tree.consistency_proof(old_size, size) == consistency_proof(
                leaves, old_size, size
            )


def test_a_tree_refuses_sizes_beyond_the_leaves_it_holds() -> None:
    tree = MerkleTree(event_leaves()[:10])
    with pytest.raises(ValueError, match="exceeds the 10 leaves held"):
        tree.root(11)
    with pytest.raises(ValueError, match="exceeds the 10 leaves held"):
        tree.inclusion_proof(3, 11)
    with pytest.raises(ValueError, match="exceeds the 10 leaves held"):
        tree.consistency_proof(3, 11)
    with pytest.raises(ValueError, match="index 10 is not below size 10"):
        tree.leaf(10)


def test_a_bad_hash_in_an_extend_appends_nothing() -> None:
    tree = MerkleTree(event_leaves()[:3])
    with pytest.raises(ValueError, match=r"leaf_hashes\[1\] must be 32 bytes"):
        tree.extend([event_leaves()[3], b"short"])
    assert tree.size == 3
    assert tree.root(3) == root(event_leaves()[:3])


# --- Malformed input ---------------------------------------------------------------

GOOD = leaf_hash(b"good")


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: leaf_hash("text"), "leaf data must be bytes"),  # type: ignore[arg-type]
        (lambda: node_hash(GOOD, GOOD[:31]), "right must be 32 bytes"),
        (lambda: root([GOOD, bytearray(GOOD)]), r"leaf_hashes\[1\] must be bytes"),  # type: ignore[list-item]
        (lambda: root(GOOD), "must be a sequence of hashes"),  # type: ignore[arg-type]
        (lambda: inclusion_proof([GOOD], 1, 1), "index 1 is not below size 1"),
        (lambda: inclusion_proof([GOOD], 0, 0), "index 0 is not below size 0"),
        (lambda: inclusion_proof([GOOD], 0, 2), "size 2 exceeds the 1 leaf hashes given"),
        (lambda: inclusion_proof([GOOD], -1, 1), "index must be between 0"),
        (lambda: inclusion_proof([GOOD], True, 1), "index must be an int"),
        (lambda: inclusion_proof([GOOD], 0.0, 1), "index must be an int"),  # type: ignore[arg-type]
        (lambda: consistency_proof([GOOD, GOOD], 0, 2), "old_size is 0"),
        (lambda: consistency_proof([GOOD, GOOD], 2, 1), "old_size 2 exceeds new_size 1"),
        (lambda: verify_inclusion(GOOD, 0, 0, [], GOOD), "index 0 is not below size 0"),
        (lambda: verify_inclusion(GOOD, 3, 2, [GOOD], GOOD), "index 3 is not below size 2"),
        (lambda: verify_inclusion(GOOD, 0, -1, [], GOOD), "size must be between 0"),
        (lambda: verify_inclusion(GOOD, 0, MAX_TREE_SIZE + 1, [], GOOD), "size must be between"),
        (lambda: verify_inclusion(GOOD[:31], 0, 1, [], GOOD), "leaf_hash must be 32 bytes"),
        (lambda: verify_inclusion(GOOD, 0, 2, [GOOD + b"x"], GOOD), r"proof\[0\] must be 32"),
        (lambda: verify_inclusion(GOOD, 0, 2, [GOOD.hex()], GOOD), r"proof\[0\] must be bytes"),  # type: ignore[list-item]
        (lambda: verify_inclusion(GOOD, 0, 2, GOOD, GOOD), "proof must be a list"),  # type: ignore[arg-type]
        (lambda: verify_inclusion(GOOD, 0, 2, [GOOD] * 65, GOOD), "at most 64 allowed"),
        (lambda: verify_inclusion(GOOD, 0, 1, [], None), "root must be bytes"),  # type: ignore[arg-type]
        (lambda: verify_consistency(0, 3, GOOD, GOOD, []), "old_size is 0"),
        (lambda: verify_consistency(3, 2, GOOD, GOOD, [GOOD]), "old_size 3 exceeds new_size 2"),
        (lambda: verify_consistency(1, 2, b"WrongRoot", GOOD, [GOOD]), "old_root must be 32"),
        (lambda: verify_consistency(1, 2, GOOD, GOOD, "ab"), "proof must be a list"),  # type: ignore[arg-type]
        (lambda: MerkleTree().append(b""), "leaf_hash must be 32 bytes"),
        (lambda: MerkleTree().root(-1), "size must be between 0"),
    ],
)
def test_malformed_arguments_are_refused_with_a_clear_value_error(
    call: Callable[[], object], message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        call()


def anything() -> st.SearchStrategy[object]:
    scalars = st.one_of(
        st.none(),
        st.booleans(),
        st.integers(-(2**70), 2**70),
        st.integers(0, 20),
        st.floats(allow_nan=True),
        st.text(max_size=70),
        st.binary(max_size=40),
        st.just(GOOD),
    )
    return st.one_of(
        scalars,
        st.lists(st.one_of(st.just(GOOD), st.binary(max_size=33), scalars), max_size=70),
        st.tuples(st.just(GOOD), scalars),
    )


@settings(derandomize=True, deadline=None, max_examples=300)
@given(arguments=st.lists(anything(), min_size=5, max_size=5))
def test_verifiers_given_anything_return_a_bool_or_raise_value_error(
    arguments: list[object],
) -> None:
    verifiers: tuple[Callable[..., bool], ...] = (verify_inclusion, verify_consistency)
    for verify in verifiers:
        try:
            result = verify(*arguments)
        except ValueError:
            continue
        assert isinstance(result, bool)


@settings(derandomize=True, deadline=None, max_examples=200)
@given(value=anything())
def test_proof_parsing_given_anything_returns_hashes_or_raises_value_error(value: object) -> None:
    try:
        parsed = proof_from_json(value)
    except ValueError:
        return
    assert all(isinstance(item, bytes) and len(item) == 32 for item in parsed)


def test_verifying_at_the_largest_size_is_refused_without_crashing() -> None:
    assert not verify_inclusion(GOOD, MAX_TREE_SIZE - 1, MAX_TREE_SIZE, [GOOD] * 64, GOOD)
    assert not verify_consistency(1, MAX_TREE_SIZE, GOOD, GOOD, [GOOD] * 64)


# --- Transport ---------------------------------------------------------------------


def test_a_proof_survives_the_json_round_trip() -> None:
    proof = inclusion_proof(event_leaves(), 7, 100)
    encoded = proof_to_json(proof)
    assert all(len(text) == 64 and text == text.lower() for text in encoded)
    assert proof_from_json(encoded) == proof
    assert hash_from_hex(hash_to_hex(GOOD)) == GOOD


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("[]", "proof must be a JSON list"),
        ({"proof": []}, "proof must be a JSON list"),
        (["ab" * 32] * (MAX_PROOF_HASHES + 1), "at most 64 allowed"),
        (["ab" * 31], r"proof\[0\] must be 64 lowercase hex"),
        (["ab" * 33], r"proof\[0\] must be 64 lowercase hex"),
        (["AB" * 32], r"proof\[0\] must be 64 lowercase hex"),
        (["ab" * 31 + " a"], r"proof\[0\] must be 64 lowercase hex"),
        (["ab" * 31 + "zz"], r"proof\[0\] must be 64 lowercase hex"),
        (["ab" * 32, 17], r"proof\[1\] must be a hex string"),
    ],
)
def test_a_proof_that_is_not_exactly_canonical_json_is_refused(value: object, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        proof_from_json(value)


def test_the_module_imports_only_the_standard_library() -> None:
    # The offline audit package copies adapters/auditkit/merkle.py on its own.
    tree = ast.parse(Path(merkle.__file__).read_text(encoding="utf-8"))
    imported: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            imported.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            assert node.level == 0, "relative imports would not survive being copied"
            imported.add((node.module or "").split(".")[0])
    assert imported <= set(sys.stdlib_module_names) | {"__future__"}, imported
