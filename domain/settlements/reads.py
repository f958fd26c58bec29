"""Reading settlements: obligations and instructions by id, as views with
decimal amounts, and every one of them from the log."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError
from eventsourcing.utils import get_topic

from domain.application import BackOffice
from domain.kernel.money import format_amount
from domain.settlements.errors import UnknownInstruction, UnknownObligation
from domain.settlements.settlement import Obligation, SettlementInstruction

LOG_PAGE_SIZE = 1000


def _topic(event_class: type) -> str:
    return get_topic(event_class)


class SettlementReads:
    """Reads over ``app`` (a BackOffice); ``Settlements`` adds the commands."""

    def __init__(self, app: BackOffice) -> None:
        self.app = app

    def get_obligation(self, obligation_id: UUID) -> Obligation:
        found = self._find(obligation_id)
        if not isinstance(found, Obligation):
            raise UnknownObligation(
                f"obligation {obligation_id} does not exist", field="obligation_id"
            )
        return found

    def get_instruction(self, instruction_id: UUID) -> SettlementInstruction:
        found = self._find(instruction_id)
        if not isinstance(found, SettlementInstruction):
            raise UnknownInstruction(
                f"settlement instruction {instruction_id} does not exist", field="instruction_id"
            )
        return found

    def _find(self, aggregate_id: UUID) -> object | None:
        try:
            found: object = self.app.repository.get(aggregate_id)
        except AggregateNotFoundError:
            return None
        return found

    def obligation_view(self, obligation: Obligation) -> dict[str, Any]:
        """The obligation with its amount as a decimal string too."""
        scale = self.app.catalog().scale_of(obligation.asset)
        return {**obligation.as_dict(), "amount": format_amount(obligation.amount_minor, scale)}

    def instruction_view(self, instruction: SettlementInstruction) -> dict[str, Any]:
        """The instruction with its amounts as decimal strings too."""
        scale = self.app.catalog().scale_of(instruction.asset)
        view = instruction.as_dict()
        view["gross_receivable"] = format_amount(instruction.gross_receivable_minor, scale)
        view["gross_payable"] = format_amount(instruction.gross_payable_minor, scale)
        view["net_amount"] = format_amount(instruction.net_amount_minor, scale)
        if view["confirmation"] is not None:
            confirmed = view["confirmation"]["amount_minor"]
            view["confirmation"]["amount"] = format_amount(confirmed, scale)
        return view

    def list_obligations(self) -> list[Obligation]:
        """Every obligation ever recorded, oldest first, as it stands now."""
        ids = self._ids_with_topic(_topic(Obligation.ObligationRecorded))
        found = self.app.current_aggregates(ids)
        return [found_one for found_one in (found[i] for i in ids) if found_one is not None]

    def list_instructions(self) -> list[SettlementInstruction]:
        """Every settlement instruction ever created, oldest first, as it stands now."""
        ids = self._ids_with_topic(_topic(SettlementInstruction.InstructionCreated))
        found = self.app.current_aggregates(ids)
        return [found_one for found_one in (found[i] for i in ids) if found_one is not None]

    def _ids_with_topic(self, topic: str) -> list[UUID]:
        # Obligations and instructions are found from the log by their creation
        # topic; a projection (counterparty -> open obligations) would take
        # over when their number makes this scan slow.
        ids: list[UUID] = []
        start = 1
        while True:
            page = self.app.recorder.select_notifications(
                start=start, limit=LOG_PAGE_SIZE, topics=[topic]
            )
            ids.extend(UUID(str(notification.originator_id)) for notification in page)
            if len(page) < LOG_PAGE_SIZE:
                return ids
            start = page[-1].id + 1
