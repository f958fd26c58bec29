"""An obligation: money owed to us (receivable) or by us (payable) by one
counterparty, in one asset, sitting in one ledger account; netted into a
settlement instruction (``domain.settlements.settlement``) and settled by it.

    open -> instructed -> settled
     |  ^------' (instruction cancelled)
     '-> cancelled (open ones only, with a reason)
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from eventsourcing.domain import Aggregate

from domain.kernel.topics import pin_topics
from domain.settlements.settlement import CANCELLED, INSTRUCTED, OPEN, SETTLED


class Obligation(Aggregate):
    """Money owed to us (receivable) or by us (payable) by ``counterparty``."""

    class ObligationRecorded(Aggregate.Created):
        """``amount_minor`` > 0 of ``asset`` due on ``due_date``, sitting in ``account``."""

        counterparty: str
        direction: str
        amount_minor: int
        asset: str
        due_date: str
        reference: str
        account: str
        actor: str
        correlation_id: str

    class ObligationInstructed(Aggregate.Event):
        instruction_id: str
        actor: str
        correlation_id: str

        def apply(self, aggregate: Any) -> None:
            aggregate.status = INSTRUCTED
            aggregate.instruction_id = self.instruction_id

    class ObligationReleased(Aggregate.Event):
        """Its instruction was cancelled: the obligation is open again."""

        instruction_id: str
        reason: str
        actor: str
        correlation_id: str

        def apply(self, aggregate: Any) -> None:
            aggregate.status = OPEN
            aggregate.instruction_id = None

    class ObligationSettled(Aggregate.Event):
        """Cleared by journal entry ``entry_id`` of instruction ``instruction_id``."""

        instruction_id: str
        entry_id: str
        actor: str
        correlation_id: str

        def apply(self, aggregate: Any) -> None:
            aggregate.status = SETTLED
            aggregate.entry_id = self.entry_id

    class ObligationCancelled(Aggregate.Event):
        reason: str
        actor: str
        correlation_id: str

        def apply(self, aggregate: Any) -> None:
            aggregate.status = CANCELLED
            aggregate.cancel_reason = self.reason

    def __init__(  # the ObligationRecorded fields; only assigns
        self,
        counterparty: str,
        direction: str,
        amount_minor: int,
        asset: str,
        due_date: str,
        reference: str,
        account: str,
        actor: str,
        correlation_id: str,
    ) -> None:
        self.counterparty = counterparty
        self.direction = direction
        self.amount_minor = amount_minor
        self.asset = asset
        self.due_date = due_date
        self.reference = reference
        self.account = account
        self.recorded_by = actor
        self.status = OPEN
        self.instruction_id: str | None = None
        self.entry_id: str | None = None
        self.cancel_reason: str | None = None

    @classmethod
    def record(
        cls,
        *,
        id: UUID,
        counterparty: str,
        direction: str,
        amount_minor: int,
        asset: str,
        due_date: str,
        reference: str,
        account: str,
        actor: str,
        correlation_id: str,
    ) -> Obligation:
        """A newly recorded obligation."""
        return cls._create(
            cls.ObligationRecorded,
            id=id,
            counterparty=counterparty,
            direction=direction,
            amount_minor=amount_minor,
            asset=asset,
            due_date=due_date,
            reference=reference,
            account=account,
            actor=actor,
            correlation_id=correlation_id,
        )

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": str(self.id),
            "counterparty": self.counterparty,
            "direction": self.direction,
            "amount_minor": self.amount_minor,
            "asset": self.asset,
            "due_date": self.due_date,
            "reference": self.reference,
            "account": self.account,
            "status": self.status,
            "instruction_id": self.instruction_id,
            "entry_id": self.entry_id,
            "cancel_reason": self.cancel_reason,
            "recorded_by": self.recorded_by,
            "version": self.version,
        }


# The log knows these events under their first module name (see domain.kernel.topics).
pin_topics("domain.settlements", Obligation)
