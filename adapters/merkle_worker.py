"""A Merkle tree kept in a child process, so that hashing the tree's nodes runs
on another core while the verifier reads and hashes events.

``ProcessTree`` answers ``append``, ``extend`` and ``root`` like
``merkle.MerkleTree``; leaves are shipped to the child in blocks. The child is
started with the ``spawn`` method (safe in a threaded server) and imports only
``adapters.auditkit.merkle``.
"""

from __future__ import annotations

import contextlib
import multiprocessing
from collections.abc import Iterable
from typing import Any

from adapters.auditkit.merkle import HASH_SIZE, MerkleTree

BLOCK_BYTES = 1 << 20  # leaves per message: 32,768


class ProcessTree:
    def __init__(self) -> None:
        context = multiprocessing.get_context("spawn")
        self._connection, child = context.Pipe()
        self._process = context.Process(target=serve_tree, args=(child,), daemon=True)
        self._process.start()
        child.close()
        self._buffer = bytearray()
        self._size = 0

    def __len__(self) -> int:
        return self._size

    def append(self, leaf_hash: bytes) -> None:
        self._add(leaf_hash, 1)

    def extend(self, leaf_hashes: Iterable[bytes]) -> None:
        leaves = list(leaf_hashes)
        self._add(b"".join(leaves), len(leaves))

    def _add(self, blob: bytes, count: int) -> None:
        if len(blob) != count * HASH_SIZE:
            raise ValueError("leaf hashes are 32 bytes each")
        self._buffer += blob
        self._size += count
        if len(self._buffer) >= BLOCK_BYTES:
            self._flush()

    def _flush(self) -> None:
        if self._buffer:
            self._connection.send_bytes(b"L" + bytes(self._buffer))
            self._buffer.clear()

    def root(self, size: int) -> bytes:
        self._flush()
        self._connection.send_bytes(b"R" + str(size).encode())
        answer: Any = self._connection.recv_bytes()
        if answer.startswith(b"error:"):
            raise ValueError(answer[6:].decode())
        return bytes(answer)

    def close(self) -> None:
        with contextlib.suppress(BrokenPipeError, OSError):
            self._connection.send_bytes(b"S")
        self._connection.close()
        self._process.join(timeout=10)
        if self._process.is_alive():
            self._process.kill()


def serve_tree(connection: Any) -> None:
    """The child: extend a tree with every block of leaves (``L``), answer roots
    (``R`` and a size), stop (``S``). A root is 32 bytes; an error starts ``error:``."""
    tree = MerkleTree()
    while True:
        try:
            message = connection.recv_bytes()
        except EOFError:
            return
        tag, body = message[:1], message[1:]
        if tag == b"S":
            return
        if tag == b"R":
            try:
                connection.send_bytes(tree.root(int(body)))
            except ValueError as error:
                connection.send_bytes(b"error:" + str(error).encode())
            continue
        tree.extend(body[i : i + HASH_SIZE] for i in range(0, len(body), HASH_SIZE))
