"""Screening cases: recording an assessment as an item's case for a list
version (superseding its undecided case), reading cases, and compliance's
decision on them.

A layer of ``SanctionsScreening`` (``domain.sanctions.service``).
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from eventsourcing.domain import Aggregate

from domain.kernel import limits
from domain.kernel.context import Context
from domain.kernel.unit_of_work import Decided, find, save_retrying, unit_of_work
from domain.sanctions.errors import (
    ScreeningAlreadyDecided,
    ScreeningNotPending,
    UnknownScreeningCase,
)
from domain.sanctions.lists import SanctionsLists
from domain.sanctions.matching import NORMALISATION, SCORER, Assessment, Match
from domain.sanctions.names import ScreenedSubject, name_fields, opened_name, same_name
from domain.sanctions.outcomes import ListChanged, ScreeningOutcome
from domain.sanctions.screened_item import ScreenedItem
from domain.sanctions.screening import (
    ScreeningCase,
    check_item,
    screened_item_id,
    screening_case_id,
)


class ScreeningCases(SanctionsLists):
    """Cases recorded, read and decided."""

    def _record(
        self,
        context: Context,
        item_kind: str,
        item_id: str,
        assessment: Assessment,
        subject: ScreenedSubject | None,
    ) -> ScreeningOutcome:
        context.checked()
        item_kind, item_id = check_item(item_kind, item_id)
        case_id = screening_case_id(item_kind, item_id, assessment.list_version)
        names = name_fields(assessment, subject)

        def decide() -> Decided[ScreeningOutcome]:
            active = self._active()
            if active is None or active.list_version != assessment.list_version:
                raise ListChanged(
                    f"sanctions list {assessment.list_version} is no longer the active one; "
                    "screen again"
                )
            case = find(self.app, case_id, ScreeningCase)
            if case is not None and same_name(case, names) and case.threshold == assessment.threshold:
                replayed = self._outcome(case, None, replayed=True)
                return Decided((), lambda _nothing: replayed)
            # An item screened concurrently collides: it is looked at again.
            changed = self._stage(context, item_kind, item_id, case_id, case, assessment, names)
            recorded = changed[0]
            assert isinstance(recorded, ScreeningCase)
            return Decided(
                changed, lambda recordings: self._outcome(recorded, recordings[-1].notification.id)
            )

        return unit_of_work(
            self.app, decide, conflict="the item was screened concurrently too often; retry"
        )

    def _stage(
        self,
        context: Context,
        item_kind: str,
        item_id: str,
        case_id: UUID,
        case: ScreeningCase | None,
        assessment: Assessment,
        names: dict[str, Any],
    ) -> list[Aggregate]:
        """The aggregates changed by recording ``assessment``, the case first."""
        common: dict[str, Any] = {
            **names,
            "threshold": assessment.threshold,
            "scorer": SCORER,
            "normalisation": NORMALISATION,
            "result": assessment.result,
            "matches": [match.as_dict() for match in assessment.matches],
            "actor": context.actor,
            "correlation_id": context.correlation_id,
        }
        if case is not None:  # the same item and version, another name
            case.trigger_event(ScreeningCase.ScreeningRepeated, **common)
            return [case]
        item = find(self.app, screened_item_id(item_kind, item_id), ScreenedItem)
        previous = None
        if item is not None and item.latest_case_id != str(case_id):
            previous = find(self.app, UUID(item.latest_case_id), ScreeningCase)
            if previous is not None and not previous.undecided:
                previous = None
        case = ScreeningCase.performed(
            id=case_id,
            item_kind=item_kind,
            item_id=item_id,
            list_version=assessment.list_version,
            supersedes="" if previous is None else str(previous.id),
            **common,
        )
        changed: list[Aggregate] = [case]
        if previous is not None:
            previous.trigger_event(
                ScreeningCase.ScreeningSuperseded,
                by_case_id=str(case_id),
                list_version=assessment.list_version,
                actor=context.actor,
                correlation_id=context.correlation_id,
            )
            changed.append(previous)
        changed.append(
            self._item_screened(context, item, item_kind, item_id, case_id, assessment.list_version)
        )
        return changed

    @staticmethod
    def _item_screened(
        context: Context,
        item: ScreenedItem | None,
        item_kind: str,
        item_id: str,
        case_id: UUID,
        list_version: str,
    ) -> ScreenedItem:
        """The item (created on its first screening) pointing at its new case."""
        if item is None:
            created: ScreenedItem = ScreenedItem.screened(
                id=screened_item_id(item_kind, item_id),
                item_kind=item_kind,
                item_id=item_id,
                case_id=str(case_id),
                list_version=list_version,
                actor=context.actor,
                correlation_id=context.correlation_id,
            )
            return created
        item.trigger_event(
            ScreenedItem.ItemRescreened,
            case_id=str(case_id),
            list_version=list_version,
            actor=context.actor,
            correlation_id=context.correlation_id,
        )
        return item

    @staticmethod
    def _outcome(
        case: ScreeningCase, position: int | None, *, replayed: bool = False
    ) -> ScreeningOutcome:
        return ScreeningOutcome(
            case.result,
            case.id,
            tuple(Match.from_dict(match) for match in case.matches),
            case.list_version,
            case.status,
            position,
            replayed,
        )

    def case(self, case_id: UUID) -> ScreeningCase:
        found = find(self.app, case_id, ScreeningCase)
        if found is None:
            raise UnknownScreeningCase(f"screening case {case_id} does not exist", field="case_id")
        return found

    def case_view(self, case: ScreeningCase) -> dict[str, Any]:
        """The case as a reader sees it: a subject's name opened, or ``[erased]``."""
        if not case.sealed:
            return case.as_dict()
        assert self.registry is not None, "opening a subject's name needs the registry"
        return case.as_dict(opened_name(self.registry, case))

    def latest_case(self, item_kind: str, item_id: str) -> ScreeningCase | None:
        """The item's latest case (None if it was never screened)."""
        item_kind, item_id = check_item(item_kind, item_id)
        item = find(self.app, screened_item_id(item_kind, item_id), ScreenedItem)
        return None if item is None else self.case(UUID(item.latest_case_id))

    def clear(self, context: Context, case_id: UUID, reason: str) -> int:
        """Compliance clears a review or hit (a false positive), once, with a reason."""
        return self._decide(context, case_id, reason, ScreeningCase.ScreeningCleared)

    def reject(self, context: Context, case_id: UUID, reason: str) -> int:
        """Compliance confirms a review or hit: the item must not proceed."""
        return self._decide(context, case_id, reason, ScreeningCase.ScreeningRejected)

    def _decide(
        self, context: Context, case_id: UUID, reason: str, decision: type[Aggregate.Event]
    ) -> int:
        """Record the decision and, through ``on_decided``, move the item waiting
        on the case (released or rejected) in the same commit."""
        context.checked()
        reason = limits.bounded_text(reason, "reason", limits.REASON_LENGTH_MAX)

        def decide() -> list[Aggregate]:
            # Decided or re-screened concurrently: a collision, and a look again.
            case = self.case(case_id)
            if case.decision is not None:
                raise ScreeningAlreadyDecided(
                    f"screening case {case_id} was already {case.decision} by {case.decided_by}",
                    field="case_id",
                )
            if case.superseded_by is not None:
                raise ScreeningNotPending(
                    f"screening case {case_id} was superseded by {case.superseded_by}; "
                    "decide that one",
                    field="case_id",
                )
            if case.result == "clear":
                raise ScreeningNotPending(
                    f"screening case {case_id} is clear: there is nothing to decide",
                    field="case_id",
                )
            case.trigger_event(
                decision,
                screening_number=case.screening_number,
                reason=reason,
                actor=context.actor,
                correlation_id=context.correlation_id,
            )
            assert case.decision is not None
            if self.on_decided is None:
                return [case]
            # The payment or receipt waiting on the case follows in the same commit.
            followers = self.on_decided(context, case.item_kind, case.item_id, case.decision, case.id)
            return [case, *followers]

        return save_retrying(
            self.app, decide, conflict="the case changed concurrently too often; retry"
        )
