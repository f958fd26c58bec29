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
from collections.abc import Sequence
from uuid import UUID, uuid4

from eventsourcing.domain import Aggregate

from domain.kernel import limits
from domain.kernel.context import Context
from domain.kernel.errors import InvalidInput
from domain.kernel.money import check_asset_code, parse_amount
from domain.kernel.unit_of_work import find, save_once, save_retrying
from domain.settlements.errors import (
    MixedAssets,
    NothingToSettle,
    ObligationAlreadyRecorded,
    ObligationMismatch,
    ObligationNotOpen,
    TooManyObligations,
    UnknownObligation,
)
from domain.settlements.instructions import SETTLEMENT_CONFLICT, InstructionCommands
from domain.settlements.obligation import Obligation
from domain.settlements.settlement import (
    OBLIGATIONS_PER_INSTRUCTION_MAX,
    OPEN,
    SettlementInstruction,
    check_counterparty,
    check_obligation_direction,
    net,
    obligation_id_for,
)


class Settlements(InstructionCommands):
    """The settlement commands over ``app`` (a BackOffice), and its reads:
    obligations and the creation of instructions here, the instructions'
    later steps in ``InstructionCommands``."""

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
        account = self._account_code(account, asset, "account")
        obligation_id = obligation_id_for(counterparty, direction, reference)
        with self.app.write_lock:
            if find(self.app, obligation_id, Aggregate) is not None:
                raise ObligationAlreadyRecorded(
                    f"reference: {counterparty}'s {direction} {reference!r} is already recorded"
                    f" as obligation {obligation_id}",
                    field="reference",
                )
            obligation = Obligation.record(
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
            return obligation_id, save_once(self.app, obligation)

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
            return save_once(self.app, obligation)

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
        cash_account = self._account_code(cash_account, asset, "cash_account")
        if obligation_ids is not None:
            _check_listed(obligation_ids)
        instruction_id = instruction_id or uuid4()

        def attempt() -> list[Aggregate]:
            if obligation_ids is None:
                obligations = self._due_obligations(counterparty, asset, value_date)
            else:
                obligations = self._listed_obligations(counterparty, asset, list(obligation_ids))
            netting = net(
                (obligation.direction, obligation.amount_minor) for obligation in obligations
            )
            instruction = SettlementInstruction.instructed(
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

        return instruction_id, save_retrying(self.app, attempt, conflict=SETTLEMENT_CONFLICT)

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
            obligation = find(self.app, obligation_id, Obligation)
            if obligation is None:
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


def _check_listed(obligation_ids: Sequence[UUID]) -> None:
    """The listed obligations: each once, at most as many as one entry can clear."""
    listed = limits.as_list(obligation_ids, "obligation_ids")
    if len(set(listed)) != len(listed):
        raise InvalidInput("obligation_ids: an obligation is listed twice", field="obligation_ids")
    if len(listed) > OBLIGATIONS_PER_INSTRUCTION_MAX:
        raise TooManyObligations(
            f"obligation_ids: at most {OBLIGATIONS_PER_INSTRUCTION_MAX} per instruction",
            field="obligation_ids",
        )
