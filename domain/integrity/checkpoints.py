"""Signed checkpoints of the log, recorded in the log itself."""

from __future__ import annotations

from uuid import uuid4

from eventsourcing.domain import Aggregate

from domain.kernel.topics import pin_topics

CHECKPOINT_TOPIC = "domain.checkpoints:LogCheckpoint.CheckpointSigned"


class LogCheckpoint(Aggregate):
    """The log had ``size`` events with chain head ``head`` and Merkle root ``root``
    at ``signed_at``, signed with Ed25519 key ``key_id`` (see adapters/auditkit/checkpoint_note.py)."""

    class CheckpointSigned(Aggregate.Created):
        log_id: str
        size: int
        head: str
        root: str
        signed_at: str
        key_id: str
        signature: str
        actor: str
        correlation_id: str

    def __init__(  # the CheckpointSigned fields; only assigns
        self,
        log_id: str,
        size: int,
        head: str,
        root: str,
        signed_at: str,
        key_id: str,
        signature: str,
        actor: str,
        correlation_id: str,
    ) -> None:
        self.log_id = log_id
        self.size = size
        self.head = head
        self.root = root
        self.signed_at = signed_at
        self.key_id = key_id
        self.signature = signature

    @classmethod
    def signed(
        cls,
        *,
        log_id: str,
        size: int,
        head: str,
        root: str,
        signed_at: str,
        key_id: str,
        signature: str,
        actor: str,
        correlation_id: str,
    ) -> LogCheckpoint:
        """A new checkpoint record (the caller signed it; this only records it)."""
        return cls._create(
            cls.CheckpointSigned,
            id=uuid4(),
            log_id=log_id,
            size=size,
            head=head,
            root=root,
            signed_at=signed_at,
            key_id=key_id,
            signature=signature,
            actor=actor,
            correlation_id=correlation_id,
        )

# The log knows these events under their first module name (see domain.kernel.topics).
pin_topics("domain.checkpoints", LogCheckpoint)
