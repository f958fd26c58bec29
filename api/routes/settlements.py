"""/v1 settlements: obligations with counterparties, netted into settlement
instructions that are confirmed, settled (postings), failed, rescheduled or cancelled.

Permissions (``api.auth.PERMISSIONS``): ``settlements:write`` records and
cancels obligations, creates instructions and records confirmations;
``settlements:approve`` settles, fails, reschedules and cancels instructions;
``settlements:read`` reads both. Every POST is idempotent (``api.write``).
"""

from __future__ import annotations

from uuid import UUID, uuid4

from starlette.responses import Response

from api.dependencies import SettlementsDep
from api.permissions import SettlementsApprove, SettlementsReader, SettlementsWrite
from api.routing import area_router
from api.schemas.common import ReasonIn
from api.schemas.settlements import (
    ConfirmationIn,
    ConfirmationWritten,
    InstructionIn,
    InstructionOut,
    InstructionWritten,
    ObligationIn,
    ObligationOut,
    ObligationWritten,
    RescheduleIn,
    SettledWritten,
)
from api.state import json_response
from domain.ledger.journal import entry_id_for_key
from domain.settlements.settlement import obligation_id_for, settlement_entry_key

router = area_router(tags=["settlements"])


@router.post("/obligations", status_code=201, response_model=ObligationWritten)
def record_obligation(
    body: ObligationIn, write: SettlementsWrite, desk: SettlementsDep
) -> Response:
    """Record a receivable or payable obligation with a counterparty. Its id follows
    from (counterparty, direction, reference): the same obligation twice is a 409."""
    obligation_id = obligation_id_for(body.counterparty, body.direction, body.reference)
    return write.run(
        lambda context: desk.record_obligation(context, **body.model_dump()),
        body=body,
        answer={"id": str(obligation_id), "status": "open"},
        status=201,
    )


@router.get("/obligations/{obligation_id}", response_model=ObligationOut)
def get_obligation(
    obligation_id: UUID, principal: SettlementsReader, desk: SettlementsDep
) -> Response:
    return json_response(200, desk.obligation_view(desk.get_obligation(obligation_id)))


@router.post("/obligations/{obligation_id}/cancel", response_model=ObligationWritten)
def cancel_obligation(
    obligation_id: UUID, body: ReasonIn, write: SettlementsWrite, desk: SettlementsDep
) -> Response:
    """Cancel an open obligation, with a reason."""
    return write.run(
        lambda context: desk.cancel_obligation(context, obligation_id, body.reason),
        body=body,
        answer={"id": str(obligation_id), "status": "cancelled"},
    )


@router.post("/settlements", status_code=201, response_model=InstructionWritten)
def create_instruction(
    body: InstructionIn, write: SettlementsWrite, desk: SettlementsDep
) -> Response:
    """Net obligations of one counterparty in one asset into a settlement instruction
    for ``value_date`` (the listed ones, or every open one due by then)."""
    instruction_id = uuid4()
    return write.run(
        lambda context: desk.create_instruction(
            context,
            counterparty=body.counterparty,
            asset=body.asset,
            value_date=body.value_date,
            cash_account=body.cash_account,
            obligation_ids=body.obligation_ids,
            instruction_id=instruction_id,
        ),
        body=body,
        answer={"id": str(instruction_id), "status": "awaiting_confirmation"},
        status=201,
    )


@router.get("/settlements/{instruction_id}", response_model=InstructionOut)
def get_instruction(
    instruction_id: UUID, principal: SettlementsReader, desk: SettlementsDep
) -> Response:
    return json_response(200, desk.instruction_view(desk.get_instruction(instruction_id)))


@router.post("/settlements/{instruction_id}/confirmation", response_model=ConfirmationWritten)
def match_confirmation(
    instruction_id: UUID, body: ConfirmationIn, write: SettlementsWrite, desk: SettlementsDep
) -> Response:
    """Match the counterparty's confirmation (net amount, direction, value date)
    against the instruction. A mismatch is recorded (200, ``outcome: mismatched``,
    the differing fields) and the instruction waits for a matching one."""
    replayed = write.replay(body)
    if replayed is not None:  # a retry: answered from its record, unchanged
        return replayed
    # The outcome is part of the recorded response, so it is decided up front
    # and the command refuses to decide otherwise.
    differences = desk.preview_confirmation(
        instruction_id, amount=body.amount, direction=body.direction, value_date=body.value_date
    )
    return write.run(
        lambda context: desk.match_confirmation(
            context,
            instruction_id,
            amount=body.amount,
            direction=body.direction,
            value_date=body.value_date,
            expected_differences=differences,
        ),
        body=body,
        answer={
            "id": str(instruction_id),
            "status": "mismatched" if differences else "confirmed",
            "outcome": "mismatched" if differences else "matched",
            "differences": differences,
        },
    )


@router.post("/settlements/{instruction_id}/settle", response_model=SettledWritten)
def settle(instruction_id: UUID, write: SettlementsApprove, desk: SettlementsDep) -> Response:
    """Post the settlement entry (each obligation cleared, the net cash moved) and
    settle the instruction, in one commit. Needs a matched confirmation."""
    entry_id = entry_id_for_key(settlement_entry_key(instruction_id))
    return write.run(
        lambda context: desk.settle(context, instruction_id),
        body={},
        answer={"id": str(instruction_id), "status": "settled", "entry_id": str(entry_id)},
    )


@router.post("/settlements/{instruction_id}/fail", response_model=InstructionWritten)
def fail(
    instruction_id: UUID, body: ReasonIn, write: SettlementsApprove, desk: SettlementsDep
) -> Response:
    """Record that the settlement failed; then reschedule or cancel it."""
    return write.run(
        lambda context: desk.fail(context, instruction_id, body.reason),
        body=body,
        answer={"id": str(instruction_id), "status": "failed"},
    )


@router.post("/settlements/{instruction_id}/reschedule", response_model=InstructionWritten)
def reschedule(
    instruction_id: UUID, body: RescheduleIn, write: SettlementsApprove, desk: SettlementsDep
) -> Response:
    """Move a failed instruction to a new value date; it needs a new confirmation."""
    return write.run(
        lambda context: desk.reschedule(context, instruction_id, body.value_date),
        body=body,
        answer={"id": str(instruction_id), "status": "awaiting_confirmation"},
    )


@router.post("/settlements/{instruction_id}/cancel", response_model=InstructionWritten)
def cancel_instruction(
    instruction_id: UUID, body: ReasonIn, write: SettlementsApprove, desk: SettlementsDep
) -> Response:
    """Cancel an unsettled instruction, with a reason; its obligations are open again."""
    return write.run(
        lambda context: desk.cancel_instruction(context, instruction_id, body.reason),
        body=body,
        answer={"id": str(instruction_id), "status": "cancelled"},
    )
