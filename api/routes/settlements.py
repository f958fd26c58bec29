"""/v1 settlements: obligations with counterparties, netted into settlement
instructions that are confirmed, settled (postings), failed, rescheduled or cancelled.

Permissions (``api.auth.PERMISSIONS``): ``settlements:write`` records and
cancels obligations, creates instructions and records confirmations;
``settlements:approve`` settles, fails, reschedules and cancels instructions;
``settlements:read`` reads both. Every POST is idempotent (``run_idempotent``).
"""

from __future__ import annotations

from collections.abc import Callable
from enum import Enum
from typing import Annotated, Any, Literal
from uuid import UUID, uuid4

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel, Field, StrictStr
from starlette.responses import Response

from api import models
from api.auth import Principal
from api.dependencies import authorize
from api.routes.ledger import READ_RESPONSES, WRITE_EXTRA, WRITE_RESPONSES
from api.state import api_state, context_for, idempotency_key, json_response, run_idempotent
from domain.kernel import limits
from domain.ledger.journal import entry_id_for_key
from domain.settlements.service import Settlements
from domain.settlements.settlement import (
    COUNTERPARTY_LENGTH_MAX,
    NET_DIRECTIONS,
    OBLIGATION_DIRECTIONS,
    OBLIGATIONS_PER_INSTRUCTION_MAX,
    obligation_id_for,
    settlement_entry_key,
)

router = APIRouter(prefix="/v1")
Handler = Callable[..., Response]
TAGS: list[str | Enum] = ["settlements"]

Counterparty = Annotated[StrictStr, Field(min_length=1, max_length=COUNTERPARTY_LENGTH_MAX)]
ObligationDirection = Literal["receivable", "payable"]
NetDirection = Literal["we_receive", "we_pay", "zero"]
assert set(ObligationDirection.__args__) == set(OBLIGATION_DIRECTIONS)  # type: ignore[attr-defined]
assert set(NetDirection.__args__) == set(NET_DIRECTIONS)  # type: ignore[attr-defined]


# --- request and response bodies ---------------------------------------------


class ObligationIn(models.Request):
    counterparty: Counterparty
    direction: ObligationDirection
    amount: models.Amount
    asset: models.AssetCode
    due_date: models.IsoDate
    reference: Annotated[StrictStr, Field(min_length=1, max_length=limits.REFERENCE_LENGTH_MAX)]
    account: models.AccountCode = Field(
        description="the receivable or payable account the obligation sits in"
    )


class InstructionIn(models.Request):
    counterparty: Counterparty
    asset: models.AssetCode
    value_date: models.IsoDate
    cash_account: models.AccountCode
    obligation_ids: (
        Annotated[list[UUID], Field(min_length=1, max_length=OBLIGATIONS_PER_INSTRUCTION_MAX)]
        | None
    ) = Field(
        default=None,
        description="the obligations to net; default: every open one due on or before value_date",
    )


class ConfirmationIn(models.Request):
    amount: models.Amount
    direction: NetDirection
    value_date: models.IsoDate


class RescheduleIn(models.Request):
    value_date: models.IsoDate


class ObligationOut(BaseModel):
    id: str
    counterparty: str
    direction: ObligationDirection
    amount: str
    amount_minor: int
    asset: str
    due_date: str
    reference: str
    account: str
    status: Literal["open", "instructed", "settled", "cancelled"]
    instruction_id: str | None
    entry_id: str | None
    cancel_reason: str | None
    recorded_by: str
    version: int


class ConfirmationOut(BaseModel):
    amount: str
    amount_minor: int
    direction: NetDirection
    value_date: str
    differences: list[str]


InstructionStatus = Literal[
    "awaiting_confirmation", "mismatched", "confirmed", "failed", "settled", "cancelled"
]


class InstructionOut(BaseModel):
    id: str
    counterparty: str
    asset: str
    value_date: str
    obligation_ids: list[str]
    gross_receivable: str
    gross_receivable_minor: int
    gross_payable: str
    gross_payable_minor: int
    net_amount: str
    net_amount_minor: int
    net_direction: NetDirection
    cash_account: str
    status: InstructionStatus
    confirmation: ConfirmationOut | None
    entry_id: str | None
    failures: int
    last_failure_reason: str | None
    cancel_reason: str | None
    created_by: str
    version: int


class ObligationWritten(models.Written):
    id: str
    status: Literal["open", "cancelled"]


class InstructionWritten(models.Written):
    id: str
    status: InstructionStatus


class ConfirmationWritten(InstructionWritten):
    outcome: Literal["matched", "mismatched"]
    differences: list[str]


class SettledWritten(InstructionWritten):
    entry_id: str


# --- routes ------------------------------------------------------------------


def _desk(request: Request) -> Settlements:
    return Settlements(api_state(request).app)


def _write(
    request: Request,
    principal: Principal,
    body: BaseModel | None,
    status: int,
    response_body: dict[str, Any],
    effect: Any,
) -> Response:
    payload = {} if body is None else body.model_dump(mode="json")
    return run_idempotent(
        request, principal, idempotency_key(request), payload, status, response_body, effect
    )


def _post(
    path: str, response_model: type[BaseModel], status_code: int = 200
) -> Callable[[Handler], Handler]:
    return router.post(
        path,
        status_code=status_code,
        response_model=response_model,
        responses=WRITE_RESPONSES,
        openapi_extra=WRITE_EXTRA,
        tags=TAGS,
    )


@_post("/obligations", ObligationWritten, 201)
def record_obligation(
    request: Request,
    body: ObligationIn,
    principal: Principal = Depends(authorize("settlements:write")),
) -> Response:
    """Record a receivable or payable obligation with a counterparty. Its id follows
    from (counterparty, direction, reference): the same obligation twice is a 409."""
    idempotency_key(request)
    context = context_for(request, principal)
    obligation_id = obligation_id_for(body.counterparty, body.direction, body.reference)
    return _write(
        request,
        principal,
        body,
        201,
        {"id": str(obligation_id), "status": "open"},
        lambda: _desk(request).record_obligation(context, **body.model_dump()),
    )


@router.get(
    "/obligations/{obligation_id}",
    response_model=ObligationOut,
    responses=READ_RESPONSES,
    tags=TAGS,
)
def get_obligation(
    request: Request,
    obligation_id: UUID,
    principal: Principal = Depends(authorize("settlements:read")),
) -> Response:
    desk = _desk(request)
    return json_response(200, desk.obligation_view(desk.get_obligation(obligation_id)))


@_post("/obligations/{obligation_id}/cancel", ObligationWritten)
def cancel_obligation(
    request: Request,
    obligation_id: UUID,
    body: models.ReasonIn,
    principal: Principal = Depends(authorize("settlements:write")),
) -> Response:
    """Cancel an open obligation, with a reason."""
    idempotency_key(request)
    context = context_for(request, principal)
    return _write(
        request,
        principal,
        body,
        200,
        {"id": str(obligation_id), "status": "cancelled"},
        lambda: _desk(request).cancel_obligation(context, obligation_id, body.reason),
    )


@_post("/settlements", InstructionWritten, 201)
def create_instruction(
    request: Request,
    body: InstructionIn,
    principal: Principal = Depends(authorize("settlements:write")),
) -> Response:
    """Net obligations of one counterparty in one asset into a settlement instruction
    for ``value_date`` (the listed ones, or every open one due by then)."""
    idempotency_key(request)
    context = context_for(request, principal)
    instruction_id = uuid4()
    return _write(
        request,
        principal,
        body,
        201,
        {"id": str(instruction_id), "status": "awaiting_confirmation"},
        lambda: _desk(request).create_instruction(
            context,
            counterparty=body.counterparty,
            asset=body.asset,
            value_date=body.value_date,
            cash_account=body.cash_account,
            obligation_ids=body.obligation_ids,
            instruction_id=instruction_id,
        ),
    )


@router.get(
    "/settlements/{instruction_id}",
    response_model=InstructionOut,
    responses=READ_RESPONSES,
    tags=TAGS,
)
def get_instruction(
    request: Request,
    instruction_id: UUID,
    principal: Principal = Depends(authorize("settlements:read")),
) -> Response:
    desk = _desk(request)
    return json_response(200, desk.instruction_view(desk.get_instruction(instruction_id)))


@_post("/settlements/{instruction_id}/confirmation", ConfirmationWritten)
def match_confirmation(
    request: Request,
    instruction_id: UUID,
    body: ConfirmationIn,
    principal: Principal = Depends(authorize("settlements:write")),
) -> Response:
    """Match the counterparty's confirmation (net amount, direction, value date)
    against the instruction. A mismatch is recorded (200, ``outcome: mismatched``,
    the differing fields) and the instruction waits for a matching one."""
    key = idempotency_key(request)
    context = context_for(request, principal)
    desk = _desk(request)
    differences: list[str] = []
    if desk.app.completed_request(principal.actor, key) is None:
        # The outcome is part of the recorded response, so it is decided up
        # front and the command refuses to decide otherwise. (A retry of a
        # completed request is answered from its record below, unchanged.)
        differences = desk.preview_confirmation(
            instruction_id, amount=body.amount, direction=body.direction, value_date=body.value_date
        )
    return _write(
        request,
        principal,
        body,
        200,
        {
            "id": str(instruction_id),
            "status": "mismatched" if differences else "confirmed",
            "outcome": "mismatched" if differences else "matched",
            "differences": differences,
        },
        lambda: desk.match_confirmation(
            context,
            instruction_id,
            amount=body.amount,
            direction=body.direction,
            value_date=body.value_date,
            expected_differences=differences,
        ),
    )


@_post("/settlements/{instruction_id}/settle", SettledWritten)
def settle(
    request: Request,
    instruction_id: UUID,
    principal: Principal = Depends(authorize("settlements:approve")),
) -> Response:
    """Post the settlement entry (each obligation cleared, the net cash moved) and
    settle the instruction, in one commit. Needs a matched confirmation."""
    idempotency_key(request)
    context = context_for(request, principal)
    entry_id = entry_id_for_key(settlement_entry_key(instruction_id))
    return _write(
        request,
        principal,
        None,
        200,
        {"id": str(instruction_id), "status": "settled", "entry_id": str(entry_id)},
        lambda: _desk(request).settle(context, instruction_id),
    )


@_post("/settlements/{instruction_id}/fail", InstructionWritten)
def fail(
    request: Request,
    instruction_id: UUID,
    body: models.ReasonIn,
    principal: Principal = Depends(authorize("settlements:approve")),
) -> Response:
    """Record that the settlement failed; then reschedule or cancel it."""
    idempotency_key(request)
    context = context_for(request, principal)
    return _write(
        request,
        principal,
        body,
        200,
        {"id": str(instruction_id), "status": "failed"},
        lambda: _desk(request).fail(context, instruction_id, body.reason),
    )


@_post("/settlements/{instruction_id}/reschedule", InstructionWritten)
def reschedule(
    request: Request,
    instruction_id: UUID,
    body: RescheduleIn,
    principal: Principal = Depends(authorize("settlements:approve")),
) -> Response:
    """Move a failed instruction to a new value date; it needs a new confirmation."""
    idempotency_key(request)
    context = context_for(request, principal)
    return _write(
        request,
        principal,
        body,
        200,
        {"id": str(instruction_id), "status": "awaiting_confirmation"},
        lambda: _desk(request).reschedule(context, instruction_id, body.value_date),
    )


@_post("/settlements/{instruction_id}/cancel", InstructionWritten)
def cancel_instruction(
    request: Request,
    instruction_id: UUID,
    body: models.ReasonIn,
    principal: Principal = Depends(authorize("settlements:approve")),
) -> Response:
    """Cancel an unsettled instruction, with a reason; its obligations are open again."""
    idempotency_key(request)
    context = context_for(request, principal)
    return _write(
        request,
        principal,
        body,
        200,
        {"id": str(instruction_id), "status": "cancelled"},
        lambda: _desk(request).cancel_instruction(context, instruction_id, body.reason),
    )
