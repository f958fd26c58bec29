"""Settlement commands: record and cancel obligations; create, confirm, settle,
fail, reschedule and cancel settlement instructions.

``Settlements`` works on the one ``BackOffice`` application, so its events
join the same log and every command is exactly one ``save()``: an API
request's idempotency record (``BackOffice.riding``) rides along with it,
and a settlement's journal entry, the guarded-account records it causes,
``InstructionSettled`` and each ``ObligationSettled`` commit together or not
at all. The entry is staged through the ledger's own ``LedgerBatch`` (as a
reversal is), so balance, account, closed-period and no-overdraft rules apply
to it like to any other entry.

Commands hold the application's write lock (serialising them with the group
committer in this process) and rely on the aggregates' versions against
other processes: a collision reloads and decides again.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Sequence
from typing import Any
from uuid import UUID, uuid4

from eventsourcing.domain import Aggregate
from eventsourcing.persistence import IntegrityError

from domain.application import CONFLICT_RETRIES_MAX
from domain.kernel import limits
from domain.kernel.errors import ConcurrencyConflict, InvalidInput
from domain.kernel.money import check_asset_code, format_amount, parse_amount
from domain.ledger.accounts import check_account_code
from domain.ledger.batch import LedgerBatch
from domain.ledger.commands import Context, PostJournalEntry
from domain.ledger.errors import AccountClosed, AssetNotAllowed
from domain.ledger.journal import entry_id_for_key
from domain.settlements.errors import (
    ConfirmationRequired,
    InstructionAlreadyConfirmed,
    InstructionClosed,
    InstructionFailedState,
    InstructionNotFailed,
    MixedAssets,
    NothingToSettle,
    ObligationAlreadyRecorded,
    ObligationMismatch,
    ObligationNotOpen,
    TooManyObligations,
    UnknownObligation,
)
from domain.settlements.reads import SettlementReads
from domain.settlements.settlement import (
    AWAITING,
    CONFIRMED,
    FAILED,
    INSTRUCTED,
    MISMATCHED,
    OBLIGATIONS_PER_INSTRUCTION_MAX,
    OPEN,
    Obligation,
    SettlementInstruction,
    check_counterparty,
    check_net_direction,
    check_obligation_direction,
    confirmation_differences,
    net,
    obligation_id_for,
    settlement_entry_key,
    settlement_postings,
)


class Settlements(SettlementReads):
    """The settlement commands over ``app`` (a BackOffice), and its reads."""

    # --- obligations ----------------------------------------------------------

    def record_obligation(
        self,
        context: Context,
        *,
        counterparty: str,
        direction: str,
        amount: str,
        asset: str,
        due_date: str,
        reference: str,
        account: str,
    ) -> tuple[UUID, int]:
        """Record an obligation (``amount`` a decimal string) sitting in ``account``.

        Returns its id (from counterparty, direction and reference) and log position.
        """
        context.checked()
        counterparty = check_counterparty(counterparty)
        direction = check_obligation_direction(direction)
        check_asset_code(asset, field="asset")
        amount_minor = parse_amount(amount, self.app.catalog().scale_of(asset), field="amount")
        due_date = limits.effective_date(due_date, "due_date")
        reference = limits.bounded_text(reference, "reference", limits.REFERENCE_LENGTH_MAX)
        account = self._usable_account(account, asset, "account")
        obligation_id = obligation_id_for(counterparty, direction, reference)
        with self.app.write_lock:
            if self._find(obligation_id) is not None:
                raise ObligationAlreadyRecorded(
                    f"reference: {counterparty}'s {direction} {reference!r} is already recorded"
                    f" as obligation {obligation_id}",
                    field="reference",
                )
            obligation = Obligation._create(
                Obligation.ObligationRecorded,
                id=obligation_id,
                counterparty=counterparty,
                direction=direction,
                amount_minor=amount_minor,
                asset=asset,
                due_date=due_date,
                reference=reference,
                account=account,
                actor=context.actor,
                correlation_id=context.correlation_id,
            )
            return obligation_id, self._save_once(obligation)

    def cancel_obligation(self, context: Context, obligation_id: UUID, reason: str) -> int:
        """Cancel an open obligation (an instructed or settled one is refused)."""
        context.checked()
        reason = limits.bounded_text(reason, "reason", limits.REASON_LENGTH_MAX)
        with self.app.write_lock:
            obligation = self.get_obligation(obligation_id)
            if obligation.status != OPEN:
                raise ObligationNotOpen(
                    f"obligation {obligation_id} is {obligation.status}; only open obligations"
                    " are cancelled (cancel its instruction first)",
                    field="obligation_id",
                )
            obligation.trigger_event(
                Obligation.ObligationCancelled,
                reason=reason,
                actor=context.actor,
                correlation_id=context.correlation_id,
            )
            return self._save_once(obligation)

    # --- instructions ---------------------------------------------------------

    def create_instruction(
        self,
        context: Context,
        *,
        counterparty: str,
        asset: str,
        value_date: str,
        cash_account: str,
        obligation_ids: Sequence[UUID] | None = None,
        instruction_id: UUID | None = None,
    ) -> tuple[UUID, int]:
        """Net obligations of ``counterparty`` in ``asset`` into an instruction for
        ``value_date``: the listed ones, or every open one due on or before it.

        Returns the instruction id and log position.
        """
        context.checked()
        counterparty = check_counterparty(counterparty)
        check_asset_code(asset, field="asset")
        self.app.catalog().scale_of(asset)
        value_date = limits.effective_date(value_date, "value_date")
        cash_account = self._usable_account(cash_account, asset, "cash_account")
        if obligation_ids is not None:
            listed = limits.as_list(obligation_ids, "obligation_ids")
            if len(set(listed)) != len(listed):
                raise InvalidInput(
                    "obligation_ids: an obligation is listed twice", field="obligation_ids"
                )
            if len(listed) > OBLIGATIONS_PER_INSTRUCTION_MAX:
                raise TooManyObligations(
                    f"obligation_ids: at most {OBLIGATIONS_PER_INSTRUCTION_MAX} per instruction",
                    field="obligation_ids",
                )
        instruction_id = instruction_id or uuid4()

        def attempt() -> list[Aggregate]:
            if obligation_ids is None:
                obligations = self._due_obligations(counterparty, asset, value_date)
            else:
                obligations = self._listed_obligations(counterparty, asset, list(obligation_ids))
            netting = net(
                (obligation.direction, obligation.amount_minor) for obligation in obligations
            )
            instruction = SettlementInstruction._create(
                SettlementInstruction.InstructionCreated,
                id=instruction_id,
                counterparty=counterparty,
                asset=asset,
                value_date=value_date,
                obligation_ids=[str(obligation.id) for obligation in obligations],
                gross_receivable_minor=netting.gross_receivable_minor,
                gross_payable_minor=netting.gross_payable_minor,
                net_amount_minor=netting.net_amount_minor,
                net_direction=netting.net_direction,
                cash_account=cash_account,
                actor=context.actor,
                correlation_id=context.correlation_id,
            )
            for obligation in obligations:
                obligation.trigger_event(
                    Obligation.ObligationInstructed,
                    instruction_id=str(instruction_id),
                    actor=context.actor,
                    correlation_id=context.correlation_id,
                )
            return [instruction, *obligations]

        return instruction_id, self._save_retrying(attempt)

    def _due_obligations(self, counterparty: str, asset: str, value_date: str) -> list[Obligation]:
        candidates = self.list_obligations()
        due = [
            obligation
            for obligation in candidates
            if obligation.counterparty == counterparty
            and obligation.asset == asset
            and obligation.status == OPEN
            and obligation.due_date <= value_date
        ]
        if not due:
            raise NothingToSettle(
                f"{counterparty} has no open {asset} obligation due on or before {value_date}",
                field="value_date",
            )
        if len(due) > OBLIGATIONS_PER_INSTRUCTION_MAX:
            raise TooManyObligations(
                f"{len(due)} open obligations are due; list at most"
                f" {OBLIGATIONS_PER_INSTRUCTION_MAX} in obligation_ids",
                field="obligation_ids",
            )
        # The shared objects from current_aggregates get events now: copy them.
        return [copy.deepcopy(obligation) for obligation in due]

    def _listed_obligations(
        self, counterparty: str, asset: str, obligation_ids: list[UUID]
    ) -> list[Obligation]:
        if not obligation_ids:
            raise NothingToSettle(
                "obligation_ids: list at least one obligation", field="obligation_ids"
            )
        obligations = []
        for index, obligation_id in enumerate(obligation_ids):
            field = f"obligation_ids[{index}]"
            if not isinstance(obligation_id, UUID):
                raise InvalidInput(f"{field}: expected a UUID", field=field)
            obligation = self._find(obligation_id)
            if not isinstance(obligation, Obligation):
                raise UnknownObligation(
                    f"{field}: obligation {obligation_id} does not exist", field=field
                )
            if obligation.counterparty != counterparty:
                raise ObligationMismatch(
                    f"{field}: obligation {obligation_id} is with {obligation.counterparty},"
                    f" not {counterparty}",
                    field=field,
                )
            if obligation.asset != asset:
                raise MixedAssets(
                    f"{field}: obligation {obligation_id} is in {obligation.asset}; netting is per"
                    f" asset and this instruction is in {asset}",
                    field=field,
                )
            if obligation.status != OPEN:
                raise ObligationNotOpen(
                    f"{field}: obligation {obligation_id} is {obligation.status}, not open",
                    field=field,
                )
            obligations.append(obligation)
        return obligations

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
            return differences, self._save_once(instruction)

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

        return entry_id, self._save_retrying(attempt)

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
            return self._save_once(instruction)

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
            return self._save_once(instruction)

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

        return self._save_retrying(attempt)

    # --- helpers --------------------------------------------------------------

    @staticmethod
    def _check_open(instruction: SettlementInstruction) -> None:
        if instruction.closed:
            raise InstructionClosed(
                f"settlement instruction {instruction.id} is {instruction.status}",
                field="instruction_id",
            )

    def _usable_account(self, code: object, asset: str, field: str) -> str:
        code = check_account_code(code, field)
        account = self.app.get_account(code)
        if account.closed:
            raise AccountClosed(f"{field}: account {code} is closed", field=field)
        if asset not in account.assets:
            raise AssetNotAllowed(
                f"{field}: account {code} holds {', '.join(account.assets)}, not {asset}",
                field=field,
            )
        return code

    def _save_once(self, *aggregates: Aggregate) -> int:
        """Save under the write lock; a collision means another process changed
        the aggregate (or recorded it) meanwhile."""
        try:
            recordings = self.app.save(*aggregates)
        except IntegrityError:
            raise ConcurrencyConflict("changed concurrently by another writer; retry") from None
        return int(max(recording.notification.id for recording in recordings))

    def _save_retrying(self, attempt: Callable[[], list[Aggregate]]) -> int:
        """Decide (``attempt`` loads and triggers) and save in one commit; after a
        collision with another writer, load and decide again. Returns the log
        position of the commit's last event (every effect is visible there)."""
        for _attempt in range(CONFLICT_RETRIES_MAX):
            with self.app.write_lock:
                aggregates = attempt()
                try:
                    recordings = self.app.save(*aggregates)
                except IntegrityError:
                    continue
                return int(max(recording.notification.id for recording in recordings))
        raise ConcurrencyConflict("the settlement changed concurrently too often; retry")
