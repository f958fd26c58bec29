"""Receipt bodies: customer payments coming in (the payer a data subject)."""

from __future__ import annotations

from typing import Annotated, Literal
from uuid import UUID

from pydantic import BaseModel, Field, StrictStr

from api.schemas.common import AccountCode, Amount, AssetCode, IsoDate, Request, Written
from api.schemas.subjects import PartyIn
from domain.kernel import limits

ReceiptStatus = Literal["recorded", "held", "posted", "rejected"]


class ReceiptIn(Request):
    method: Literal["cash", "wire", "card", "ach", "cheque"]
    payer_subject_id: UUID | None = None
    payer: PartyIn | None = None
    amount: Amount
    asset: AssetCode
    reference: Annotated[StrictStr, Field(min_length=1, max_length=limits.REFERENCE_LENGTH_MAX)]
    value_date: IsoDate
    debit_account: AccountCode | None = None
    credit_account: AccountCode | None = None


class ReceiptWritten(Written):
    id: str
    status: ReceiptStatus


class ReceiptOut(BaseModel):
    id: str
    status: ReceiptStatus
    payer_subject_id: str
    method: str
    cash: bool
    amount: str
    amount_minor: int
    asset: str
    reference: str
    value_date: str
    business_date: str
    debit_account: str
    credit_account: str
    recorded_by: str
    screening_result: str | None
    screening_case_id: str | None
    compliance_decision: str | None
    entry_id: str | None
    created_at: str
    updated_at: str
    version: int


class ReceiptList(BaseModel):
    receipts: list[ReceiptOut]
