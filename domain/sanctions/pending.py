"""What a new sanctions list version re-screens: pending payments and receipts.

``pending_items(app)`` is the provider ``SanctionsScreening`` asks when a list
is loaded: every payment and receipt still waiting on screening's word
(``pending_screening_items`` of ``domain.payments.service`` and
``domain.receipts.service``), each named by its party's data subject, so the
name is read (and sealed in the new case) through the subject registry.
``follow_rescreening(app)`` tells each item's owner its new case: the
payment or receipt records it, and a hit or review holds it.

``follow_decision(app)`` moves the payment or receipt held on a case when
compliance decides it (whichever interface decided), in the decision's commit:
cleared releases it, rejected rejects it.

``screening_with_pending`` builds the screening commands wired this way; the
API's list loading and ``backoffice sanctions load`` use it.
"""

from __future__ import annotations

from collections.abc import Callable
from uuid import UUID

from eventsourcing.domain import Aggregate

from domain.application import BackOffice
from domain.kernel.context import Context
from domain.payments import service as payment_commands
from domain.receipts import service as receipt_commands
from domain.sanctions.matching import THRESHOLD_DEFAULT
from domain.sanctions.outcomes import (
    DecisionFollowers,
    PendingItem,
    PendingItems,
    Rescreened,
    ScreeningOutcome,
)
from domain.sanctions.service import SanctionsScreening
from domain.subjects.service import SubjectRegistry

Lister = Callable[[BackOffice], list[tuple[str, str, UUID]]]
Follower = Callable[[BackOffice, Context, UUID, str, UUID], int | None]
_OWNERS: dict[str, tuple[Lister, Follower]] = {
    payment_commands.ITEM_KIND: (
        payment_commands.pending_screening_items,
        payment_commands.follow_rescreening,
    ),
    receipt_commands.ITEM_KIND: (
        receipt_commands.pending_screening_items,
        receipt_commands.follow_rescreening,
    ),
}


def pending_items(app: BackOffice) -> PendingItems:
    """The provider of the payments and receipts a new list version re-screens."""

    def provide() -> list[PendingItem]:
        return [
            PendingItem(item_kind, item_id, subject_id=subject_id)
            for listed, _follow in _OWNERS.values()
            for item_kind, item_id, subject_id in listed(app)
        ]

    return provide


def follow_rescreening(app: BackOffice) -> Rescreened:
    """What makes a re-screened payment or receipt record its new case."""

    def follow(context: Context, item: PendingItem, outcome: ScreeningOutcome) -> int | None:
        owner = _OWNERS.get(item.item_kind)
        if owner is None:
            return None
        _listed, follows = owner
        return follows(app, context, UUID(item.item_id), outcome.result, outcome.case_id)

    return follow


DecisionFollower = Callable[[BackOffice, Context, UUID, str, UUID], list[Aggregate]]
_DECISION_FOLLOWERS: dict[str, DecisionFollower] = {
    payment_commands.ITEM_KIND: payment_commands.follow_decision,
    receipt_commands.ITEM_KIND: receipt_commands.follow_decision,
}


def follow_decision(app: BackOffice) -> DecisionFollowers:
    """What makes the payment or receipt held on a case follow compliance's
    decision, in the decision's commit (an ad hoc case has no owner: nothing)."""

    def follow(
        context: Context, item_kind: str, item_id: str, decision: str, case_id: UUID
    ) -> list[Aggregate]:
        follower = _DECISION_FOLLOWERS.get(item_kind)
        try:
            owner_id = UUID(item_id)
        except ValueError:
            return []  # an ad hoc item id, not a payment's or receipt's
        if follower is None:
            return []
        return follower(app, context, owner_id, decision, case_id)

    return follow


def screening_with_pending(
    app: BackOffice, registry: SubjectRegistry, *, threshold: int = THRESHOLD_DEFAULT
) -> SanctionsScreening:
    """Screening commands that re-screen pending payments and receipts on a new list."""
    return SanctionsScreening(
        app,
        threshold=threshold,
        registry=registry,
        pending_items=pending_items(app),
        on_rescreened=follow_rescreening(app),
        on_decided=follow_decision(app),
    )
