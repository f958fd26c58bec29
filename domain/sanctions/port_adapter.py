"""The screening port (``domain.sanctions.port``) over the real sanctions module.

``SanctionsScreening.screen`` records a ``ScreeningCase`` per item and list
version; compliance decides on the item's latest case (a newer list version
supersedes an undecided case, so the decision asked for is always the latest
case's). A latest case that came back clear counts as cleared.

``screen_subject`` (and ``screen`` with ``subject_id``) seals a data
subject's name in the case under the subject's key: payments and receipts
screen that way (``domain.sanctions.port.screen_party``).
"""

from __future__ import annotations

from uuid import UUID

from domain.kernel.context import Context
from domain.sanctions.port import CLEARED, REJECTED, ScreeningResult
from domain.sanctions.service import SanctionsScreening


class SanctionsScreeningPort:
    def __init__(self, screening: SanctionsScreening) -> None:
        self.screening = screening

    def screen(
        self,
        context: Context,
        item_kind: str,
        item_id: str,
        party_name: str,
        *,
        subject_id: UUID | None = None,
        subject_key: bytes | None = None,
    ) -> ScreeningResult:
        outcome = self.screening.screen(
            context,
            item_kind,
            item_id,
            party_name,
            subject_id=subject_id,
            subject_key=subject_key,
        )
        return ScreeningResult(outcome.result, outcome.case_id)

    def screen_subject(
        self,
        context: Context,
        item_kind: str,
        item_id: str,
        party_name: str,
        subject_id: UUID,
        subject_key: bytes,
    ) -> ScreeningResult:
        return self.screen(
            context,
            item_kind,
            item_id,
            party_name,
            subject_id=subject_id,
            subject_key=subject_key,
        )

    def decision(self, item_kind: str, item_id: str) -> str | None:
        case = self.screening.latest_case(item_kind, item_id)
        if case is None:
            return None
        status = case.status
        if status in ("clear", "cleared"):
            return CLEARED
        if status == "rejected":
            return REJECTED
        return None

    def clear(self, context: Context, case_id: UUID, reason: str) -> int:
        return self.screening.clear(context, case_id, reason)

    def reject(self, context: Context, case_id: UUID, reason: str) -> int:
        return self.screening.reject(context, case_id, reason)
