"""Remittances: a receipt or a payment as billing applies it to open items.

A posted receipt (credited to receivables) or a settled payment (debited to
payables through its clearing account) is opened as a remittance of its
party the first time it is applied; its id is derived from the source
(``remittance_id_for``), so a receipt is applied through one remittance only.
Each allocation is an event naming the documents and amounts
(``AllocationsMade``, automatic or manual) and is undone by an event
(``AllocationUndone``); the documents carry the mirror events in the same
commit. What is not allocated is the party's credit (an overpayment): it can
be allocated later, or refunded by a settled payment to the customer
(``CreditRefunded``). A refund payment gets its own remittance, opened as
used, so one payment refunds one credit once.
"""

from __future__ import annotations

from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate

from domain.kernel.topics import pin_topics

RECEIPT = "receipt"
PAYMENT = "payment"
REFUND = "refund"
SOURCE_KINDS = (RECEIPT, PAYMENT, REFUND)
RECEIVABLE = "receivable"
PAYABLE = "payable"
AUTOMATIC = "automatic"
MANUAL = "manual"
_REMITTANCE_NAMESPACE = uuid5(NAMESPACE_URL, "urn:backoffice:billing-remittance")


def remittance_id_for(source_id: UUID) -> UUID:
    """One remittance per receipt or payment (their ids never collide: uuid5 per area)."""
    return uuid5(_REMITTANCE_NAMESPACE, str(source_id))


class Remittance(Aggregate):
    """Money received from or paid to a party, and where it went."""

    class RemittanceOpened(Aggregate.Created):
        """``source_kind`` (receipt|payment|refund) ``source_id`` of ``party_id``,
        on the ``side`` (receivable|payable) of ``control_account``: ``amount_minor``
        of ``currency`` on ``value_date`` with the payer's ``reference``.
        ``refund_of``: the credit remittance a refund paid out ("" otherwise)."""

        class_version = 1
        source_kind: str
        source_id: str
        party_id: str
        side: str
        control_account: str
        currency: str
        amount_minor: int
        value_date: str
        reference: str
        refund_of: str
        actor: str
        correlation_id: str

    class AllocationsMade(Aggregate.Event):
        """``allocation_id``: ``lines`` [[document id, amount_minor], ...], ``method``
        automatic|manual."""

        class_version = 1
        allocation_id: str
        method: str
        lines: list[list[Any]]
        actor: str
        correlation_id: str

        def apply(self, aggregate: Any) -> None:
            aggregate.allocations = {**aggregate.allocations, self.allocation_id: self.lines}

    class AllocationUndone(Aggregate.Event):
        class_version = 1
        allocation_id: str
        reason: str
        actor: str
        correlation_id: str

        def apply(self, aggregate: Any) -> None:
            aggregate.undone = [*aggregate.undone, self.allocation_id]

    class CreditRefunded(Aggregate.Event):
        """``amount_minor`` of the credit paid back by payment ``payment_id``."""

        class_version = 1
        payment_id: str
        amount_minor: int
        actor: str
        correlation_id: str

        def apply(self, aggregate: Any) -> None:
            aggregate.refunded_minor += self.amount_minor

    def __init__(  # the RemittanceOpened fields; only assigns
        self,
        source_kind: str,
        source_id: str,
        party_id: str,
        side: str,
        control_account: str,
        currency: str,
        amount_minor: int,
        value_date: str,
        reference: str,
        refund_of: str,
        actor: str,
        correlation_id: str,
    ) -> None:
        self.source_kind = source_kind
        self.source_id = source_id
        self.party_id = party_id
        self.side = side
        self.control_account = control_account
        self.currency = currency
        self.amount_minor = amount_minor
        self.value_date = value_date
        self.reference = reference
        self.refund_of = refund_of
        self.allocations: dict[str, list[list[Any]]] = {}
        self.undone: list[str] = []
        self.refunded_minor = 0

    @classmethod
    def opened(
        cls,
        *,
        id: UUID,
        source_kind: str,
        source_id: str,
        party_id: str,
        side: str,
        control_account: str,
        currency: str,
        amount_minor: int,
        value_date: str,
        reference: str,
        refund_of: str,
        actor: str,
        correlation_id: str,
    ) -> Remittance:
        """A newly opened remittance."""
        return cls._create(
            cls.RemittanceOpened,
            id=id,
            source_kind=source_kind,
            source_id=source_id,
            party_id=party_id,
            side=side,
            control_account=control_account,
            currency=currency,
            amount_minor=amount_minor,
            value_date=value_date,
            reference=reference,
            refund_of=refund_of,
            actor=actor,
            correlation_id=correlation_id,
        )

    def active_allocations(self) -> dict[str, list[list[Any]]]:
        return {key: lines for key, lines in self.allocations.items() if key not in self.undone}

    @property
    def allocated_minor(self) -> int:
        return sum(int(line[1]) for lines in self.active_allocations().values() for line in lines)

    @property
    def unallocated_minor(self) -> int:
        """The party's credit left on it (a refund's own remittance has none)."""
        if self.source_kind == REFUND:
            return 0
        return self.amount_minor - self.allocated_minor - self.refunded_minor

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": str(self.id),
            "source_kind": self.source_kind,
            "source_id": self.source_id,
            "party_id": self.party_id,
            "side": self.side,
            "currency": self.currency,
            "amount_minor": self.amount_minor,
            "value_date": self.value_date,
            "reference": self.reference,
            "allocations": {
                key: [list(line) for line in lines] for key, lines in self.allocations.items()
            },
            "undone": list(self.undone),
            "refunded_minor": self.refunded_minor,
            "unallocated_minor": self.unallocated_minor,
            "version": self.version,
        }


pin_topics("domain.billing.remittance", Remittance)
