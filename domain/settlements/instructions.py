"""Settlement instructions after creation: the counterparty's confirmation is
matched, then the instruction settles (its journal entry posted with the
instruction's and obligations' events, in one commit), fails, is rescheduled,
or is cancelled (its obligations open again).

A layer of ``Settlements`` (``domain.settlements.service``), which adds the
obligations and the creation of instructions.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from eventsourcing.domain import Aggregate

from domain.kernel import limits
from domain.kernel.context import Context
from domain.kernel.errors import ConcurrencyConflict
from domain.kernel.money import format_amount, parse_amount
from domain.kernel.unit_of_work import save_once, save_retrying
from domain.ledger.batch import LedgerBatch
from domain.ledger.commands import PostJournalEntry
from domain.ledger.journal import entry_id_for_key
from domain.ledger.steps import usable_account
from domain.settlements.errors import (
    ConfirmationRequired,
    InstructionAlreadyConfirmed,
    InstructionClosed,
    InstructionFailedState,
    InstructionNotFailed,
)
from domain.settlements.obligation import Obligation
from domain.settlements.reads import SettlementReads
from domain.settlements.settlement import (
    AWAITING,
    CONFIRMED,
    FAILED,
    INSTRUCTED,
    MISMATCHED,
    SettlementInstruction,
    check_net_direction,
    confirmation_differences,
    settlement_entry_key,
    settlement_postings,
)

SETTLEMENT_CONFLICT = "the settlement changed concurrently too often; retry"


class InstructionCommands(SettlementReads):
    """Confirm, settle, fail, reschedule and cancel settlement instructions."""

    def preview_confirmation(
        self, instruction_id: UUID, *, amount: str, direction: str, value_date: str
    ) -> list[str]:
        """The fields in which the confirmation differs, as ``match_confirmation``
        would decide now (empty: it matches); raises its refusals. Writes nothing:
        for callers that must state the outcome before the command runs."""
        instruction = self.get_instruction(instruction_id)
        self._check_awaiting_confirmation(instruction)
        return confirmation_differences(
            instruction, *self._confirmation(instruction, amount, direction, value_date)
        )

    def match_confirmation(
        self,
        context: Context,
        instruction_id: UUID,
        *,
        amount: str,
        direction: str,
        value_date: str,
        expected_differences: list[str] | None = None,
    ) -> tuple[list[str], int]:
        """Match the counterparty's confirmation (``amount`` a decimal string,
        ``direction`` we_receive|we_pay|zero, ``value_date``) against the instruction.

        Returns the differing fields (empty: matched, the instruction can settle)
        and the log position. A mismatch is recorded (``ConfirmationMismatched``)
        and the instruction waits for another confirmation. With
        ``expected_differences`` (from ``preview_confirmation``), another decision
        (the instruction changed meanwhile) is a conflict and nothing is written.
        """
        context.checked()
        with self.app.write_lock:
            instruction = self.get_instruction(instruction_id)
            self._check_awaiting_confirmation(instruction)
            amount_minor, direction, value_date = self._confirmation(
                instruction, amount, direction, value_date
            )
            differences = confirmation_differences(instruction, amount_minor, direction, value_date)
            if expected_differences is not None and differences != expected_differences:
                raise ConcurrencyConflict(
                    f"settlement instruction {instruction_id} changed meanwhile; retry"
                )
            event_class = (
                SettlementInstruction.ConfirmationMismatched
                if differences
                else SettlementInstruction.ConfirmationMatched
            )
            extra: dict[str, Any] = {"differences": differences} if differences else {}
            instruction.trigger_event(
                event_class,
                amount_minor=amount_minor,
                direction=direction,
                value_date=value_date,
                actor=context.actor,
                correlation_id=context.correlation_id,
                **extra,
            )
            return differences, save_once(self.app, instruction)

    def _confirmation(
        self, instruction: SettlementInstruction, amount: str, direction: str, value_date: str
    ) -> tuple[int, str, str]:
        scale = self.app.catalog().scale_of(instruction.asset)
        return (
            parse_amount(amount, scale, field="amount", allow_zero=True),
            check_net_direction(direction),
            limits.effective_date(value_date, "value_date"),
        )

    def _check_awaiting_confirmation(self, instruction: SettlementInstruction) -> None:
        self._check_open(instruction)
        if instruction.status == CONFIRMED:
            raise InstructionAlreadyConfirmed(
                f"settlement instruction {instruction.id} is already confirmed; settle it",
                field="instruction_id",
            )
        assert instruction.status in (AWAITING, MISMATCHED)

    def settle(self, context: Context, instruction_id: UUID) -> tuple[UUID, int]:
        """Post the settlement entry and settle the instruction and its obligations,
        in one commit. Needs a matched confirmation. Returns (entry id, log position)."""
        context.checked()
        entry_id = entry_id_for_key(settlement_entry_key(instruction_id))

        def attempt() -> list[Aggregate]:
            instruction = self.get_instruction(instruction_id)
            self._check_open(instruction)
            if instruction.status != CONFIRMED:
                raise ConfirmationRequired(
                    f"settlement instruction {instruction_id} is {instruction.status}: settling"
                    " needs the counterparty's matching confirmation",
                    field="instruction_id",
                )
            obligations = [self.get_obligation(UUID(text)) for text in instruction.obligation_ids]
            for obligation in obligations:
                assert obligation.status == INSTRUCTED
                assert obligation.instruction_id == str(instruction_id)
            command = self._settlement_entry(context, instruction, obligations)
            batch = LedgerBatch(self.app)
            batch.preload([command])
            staged = batch.stage_entry(command)
            assert staged == entry_id
            instruction.trigger_event(
                SettlementInstruction.InstructionSettled,
                entry_id=str(entry_id),
                actor=context.actor,
                correlation_id=context.correlation_id,
            )
            for obligation in obligations:
                obligation.trigger_event(
                    Obligation.ObligationSettled,
                    instruction_id=str(instruction_id),
                    entry_id=str(entry_id),
                    actor=context.actor,
                    correlation_id=context.correlation_id,
                )
            return [*batch.aggregates(), instruction, *obligations]

        return entry_id, save_retrying(self.app, attempt, conflict=SETTLEMENT_CONFLICT)

    def _settlement_entry(
        self,
        context: Context,
        instruction: SettlementInstruction,
        obligations: list[Obligation],
    ) -> PostJournalEntry:
        """The settlement's journal entry, as any poster would send it (decimal
        strings), so the ledger's own staging checks it like any other entry."""
        scale = self.app.catalog().scale_of(instruction.asset)
        postings = settlement_postings(obligations, instruction.cash_account, instruction.asset)
        return PostJournalEntry(
            context=context,
            idempotency_key=settlement_entry_key(instruction.id),
            effective_date=instruction.value_date,
            postings=[
                {
                    "account": posting.account,
                    "direction": posting.direction,
                    "amount": format_amount(posting.amount_minor, scale),
                    "asset": posting.asset,
                }
                for posting in postings
            ],
            description=f"Settlement with {instruction.counterparty}",
            reference=f"settlement:{instruction.id}",
            metadata={
                "settlement_instruction": str(instruction.id),
                "counterparty": instruction.counterparty,
            },
        )

    def fail(self, context: Context, instruction_id: UUID, reason: str) -> int:
        """Record that the settlement failed (reported by the bank or counterparty)."""
        context.checked()
        reason = limits.bounded_text(reason, "reason", limits.REASON_LENGTH_MAX)
        with self.app.write_lock:
            instruction = self.get_instruction(instruction_id)
            self._check_open(instruction)
            if instruction.status == FAILED:
                raise InstructionFailedState(
                    f"settlement instruction {instruction_id} already failed; reschedule or"
                    " cancel it",
                    field="instruction_id",
                )
            instruction.trigger_event(
                SettlementInstruction.InstructionFailed,
                reason=reason,
                actor=context.actor,
                correlation_id=context.correlation_id,
            )
            return save_once(self.app, instruction)

    def reschedule(self, context: Context, instruction_id: UUID, value_date: str) -> int:
        """Move a failed instruction to a new value date; it needs a new confirmation."""
        context.checked()
        value_date = limits.effective_date(value_date, "value_date")
        with self.app.write_lock:
            instruction = self.get_instruction(instruction_id)
            self._check_open(instruction)
            if instruction.status != FAILED:
                raise InstructionNotFailed(
                    f"settlement instruction {instruction_id} is {instruction.status}; only a"
                    " failed instruction is rescheduled",
                    field="instruction_id",
                )
            instruction.trigger_event(
                SettlementInstruction.InstructionRescheduled,
                value_date=value_date,
                actor=context.actor,
                correlation_id=context.correlation_id,
            )
            return save_once(self.app, instruction)

    def cancel_instruction(self, context: Context, instruction_id: UUID, reason: str) -> int:
        """Cancel an unsettled instruction; its obligations are open again (same commit)."""
        context.checked()
        reason = limits.bounded_text(reason, "reason", limits.REASON_LENGTH_MAX)

        def attempt() -> list[Aggregate]:
            instruction = self.get_instruction(instruction_id)
            self._check_open(instruction)
            obligations = [self.get_obligation(UUID(text)) for text in instruction.obligation_ids]
            instruction.trigger_event(
                SettlementInstruction.InstructionCancelled,
                reason=reason,
                actor=context.actor,
                correlation_id=context.correlation_id,
            )
            for obligation in obligations:
                assert obligation.status == INSTRUCTED
                obligation.trigger_event(
                    Obligation.ObligationReleased,
                    instruction_id=str(instruction_id),
                    reason=reason,
                    actor=context.actor,
                    correlation_id=context.correlation_id,
                )
            return [instruction, *obligations]

        return save_retrying(self.app, attempt, conflict=SETTLEMENT_CONFLICT)

    @staticmethod
    def _check_open(instruction: SettlementInstruction) -> None:
        if instruction.closed:
            raise InstructionClosed(
                f"settlement instruction {instruction.id} is {instruction.status}",
                field="instruction_id",
            )

    def _account_code(self, code: object, asset: str, field: str) -> str:
        """The code of an open account that may hold ``asset``."""
        return usable_account(self.app, code, asset, field).code
