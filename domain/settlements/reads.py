"""Reading settlements: obligations and instructions by id, as views with
decimal amounts, and every one of them from the log."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from domain.application import BackOffice
from domain.kernel.money import format_amount
from domain.kernel.unit_of_work import find, ids_with_topic
from domain.settlements.errors import UnknownInstruction, UnknownObligation
from domain.settlements.obligation import Obligation
from domain.settlements.settlement import SettlementInstruction


class SettlementReads:
    """Reads over ``app`` (a BackOffice); ``Settlements`` adds the commands.
    Obligations and instructions are found from the log by their creation
    topic; a projection (counterparty -> open obligations) would take over
    when their number makes this scan slow."""

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
        return find(self.app, aggregate_id, object)

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
        ids = ids_with_topic(self.app, Obligation.ObligationRecorded)
        found = self.app.current_aggregates(ids)
        return [found_one for found_one in (found[i] for i in ids) if found_one is not None]

    def list_instructions(self) -> list[SettlementInstruction]:
        """Every settlement instruction ever created, oldest first, as it stands now."""
        ids = ids_with_topic(self.app, SettlementInstruction.InstructionCreated)
        found = self.app.current_aggregates(ids)
        return [found_one for found_one in (found[i] for i in ids) if found_one is not None]
