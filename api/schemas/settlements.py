"""Settlement bodies: obligations, netted instructions, confirmations."""

from __future__ import annotations

from typing import Annotated, Literal
from uuid import UUID

from pydantic import BaseModel, Field, StrictStr

from api.schemas.common import AccountCode, Amount, AssetCode, IsoDate, Request, Written
from domain.kernel import limits
from domain.settlements.settlement import (
    COUNTERPARTY_LENGTH_MAX,
    NET_DIRECTIONS,
    OBLIGATION_DIRECTIONS,
    OBLIGATIONS_PER_INSTRUCTION_MAX,
)

Counterparty = Annotated[StrictStr, Field(min_length=1, max_length=COUNTERPARTY_LENGTH_MAX)]
ObligationDirection = Literal["receivable", "payable"]
NetDirection = Literal["we_receive", "we_pay", "zero"]
assert set(ObligationDirection.__args__) == set(OBLIGATION_DIRECTIONS)  # type: ignore[attr-defined]
assert set(NetDirection.__args__) == set(NET_DIRECTIONS)  # type: ignore[attr-defined]
InstructionStatus = Literal[
    "awaiting_confirmation", "mismatched", "confirmed", "failed", "settled", "cancelled"
]


# --- requests -----------------------------------------------------------------


class ObligationIn(Request):
    counterparty: Counterparty
    direction: ObligationDirection
    amount: Amount
    asset: AssetCode
    due_date: IsoDate
    reference: Annotated[StrictStr, Field(min_length=1, max_length=limits.REFERENCE_LENGTH_MAX)]
    account: AccountCode = Field(
        description="the receivable or payable account the obligation sits in"
    )


class InstructionIn(Request):
    counterparty: Counterparty
    asset: AssetCode
    value_date: IsoDate
    cash_account: AccountCode
    obligation_ids: (
        Annotated[list[UUID], Field(min_length=1, max_length=OBLIGATIONS_PER_INSTRUCTION_MAX)]
        | None
    ) = Field(
        default=None,
        description="the obligations to net; default: every open one due on or before value_date",
    )


class ConfirmationIn(Request):
    amount: Amount
    direction: NetDirection
    value_date: IsoDate


class RescheduleIn(Request):
    value_date: IsoDate


# --- responses ----------------------------------------------------------------


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


class ObligationWritten(Written):
    id: str
    status: Literal["open", "cancelled"]


class InstructionWritten(Written):
    id: str
    status: InstructionStatus


class ConfirmationWritten(InstructionWritten):
    outcome: Literal["matched", "mismatched"]
    differences: list[str]


class SettledWritten(InstructionWritten):
    entry_id: str
