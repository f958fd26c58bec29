"""Writing signed checkpoints and answering inclusion and consistency proofs.

A ``LogWitness`` keeps the Merkle tree of the log's leaf hashes in memory
and extends it with what was appended since it last looked; building it
for a million events reads their leaf hashes once (about a second).
"""

from __future__ import annotations

import threading
from datetime import UTC, datetime

from adapters.auditkit.audit_verify import InclusionProof
from adapters.auditkit.checkpoint_note import Checkpoint
from adapters.auditkit.merkle import MerkleTree
from adapters.chain_store import ChainReader
from adapters.database import Database
from adapters.signing import Signer
from domain.integrity.checkpoints import LogCheckpoint
from domain.kernel.context import Context
from domain.kernel.errors import DomainError, InvalidInput


class EmptyLog(DomainError):
    code = "empty_log"


class NoCheckpoint(DomainError):
    code = "no_checkpoint"


class LogWitness:
    def __init__(self, database: Database) -> None:
        self.database = database
        self.tree = MerkleTree()
        self._lock = threading.Lock()

    def refresh(self, reader: ChainReader) -> int:
        """Extend the tree to the chain's current length; return it."""
        with self._lock:
            length = reader.length()
            if length > len(self.tree):
                self.tree.extend(reader.leaf_hashes(len(self.tree), length))
            return len(self.tree)

    def checkpoint_body(self, reader: ChainReader) -> Checkpoint:
        size = self.refresh(reader)
        if size == 0:
            raise EmptyLog("the log is empty: there is nothing to checkpoint")
        first, head = reader.link_at(1), reader.link_at(size)
        assert first is not None and head is not None
        now = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
        return Checkpoint(
            log_id=first.hex(),
            size=size,
            head=head.hex(),
            root=self.tree.root(size).hex(),
            time=now,
        )

    def write_checkpoint(self, app: object, signer: Signer, context: Context) -> Checkpoint:
        """Sign the log as it stands and record the checkpoint in it."""
        with ChainReader(self.database) as reader:
            body = self.checkpoint_body(reader)
        signed = Checkpoint(
            log_id=body.log_id,
            size=body.size,
            head=body.head,
            root=body.root,
            time=body.time,
            key_id=signer.key_id,
            signature=signer.sign(body.body()),
        )
        record = LogCheckpoint.signed(
            log_id=signed.log_id,
            size=signed.size,
            head=signed.head,
            root=signed.root,
            signed_at=signed.time,
            key_id=signed.key_id,
            signature=signed.signature,
            actor=context.actor,
            correlation_id=context.correlation_id,
        )
        app.save(record)  # type: ignore[attr-defined]
        return signed

    def inclusion_proof(self, position: int, tree_size: int | None = None) -> InclusionProof:
        """Proof that chain position ``position`` is in the tree of the latest checkpoint
        covering it (or of the checkpoint at ``tree_size``)."""
        with ChainReader(self.database) as reader:
            checkpoints = reader.checkpoints()
            self.refresh(reader)
        if position < 1:
            raise InvalidInput("position: chain positions start at 1", field="position")
        covering = [
            c
            for c in checkpoints
            if c.size >= position and (tree_size is None or c.size == tree_size)
        ]
        if not covering:
            raise NoCheckpoint(
                f"no checkpoint covers position {position} yet; write one (backoffice checkpoint)",
                field="position",
            )
        checkpoint = covering[-1]
        if checkpoint.size > len(self.tree):
            raise NoCheckpoint(
                "the checkpoint covers more than the chain holds; verify the log", field="position"
            )
        path = self.tree.inclusion_proof(position - 1, checkpoint.size)
        return InclusionProof(
            position=position,
            leaf=self.tree.leaf(position - 1).hex(),
            checkpoint=checkpoint,
            path=[item.hex() for item in path],
        )

    def consistency_proof(self, old_size: int, new_size: int) -> list[str]:
        with ChainReader(self.database) as reader:
            self.refresh(reader)
        if not 0 < old_size <= new_size <= len(self.tree):
            raise InvalidInput(
                f"sizes: need 0 < old_size <= new_size <= {len(self.tree)}", field="old_size"
            )
        return [item.hex() for item in self.tree.consistency_proof(old_size, new_size)]
