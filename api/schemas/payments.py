"""Payment bodies. The payee is a data subject (by id, or inline personal
details the domain seals); no response carries personal data."""

from __future__ import annotations

from typing import Annotated, Literal
from uuid import UUID

from pydantic import BaseModel, Field, StrictStr

from api.schemas.common import AccountCode, Amount, AssetCode, IsoDate, Reason, Request, Written
from api.schemas.subjects import PartyIn
from domain.payments.terms import BANK_REFERENCE_LENGTH_MAX, PURPOSE_LENGTH_MAX

PaymentStatus = Literal[
    "requested",
    "held",
    "awaiting_approval",
    "funds_reserved",
    "submitted",
    "settled",
    "failed",
    "returned",
    "cancelled",
    "rejected",
]
ShortText = Annotated[StrictStr, Field(min_length=1, max_length=34)]
PurposeText = Annotated[StrictStr, Field(min_length=1, max_length=PURPOSE_LENGTH_MAX)]


# --- requests -----------------------------------------------------------------


class AccountIdentifierIn(Request):
    """``iban`` alone, or ``country``, ``bank_code`` (US: ABA routing number) and
    ``account_number``; checked by the domain (mod 97, ABA check digit)."""

    iban: ShortText | None = None
    country: Annotated[StrictStr, Field(min_length=2, max_length=2)] | None = None
    bank_code: ShortText | None = None
    account_number: ShortText | None = None

    def given(self) -> dict[str, str]:
        return self.model_dump(exclude_none=True)


class PaymentIn(Request):
    payee_subject_id: UUID | None = None
    payee: PartyIn | None = None
    payee_account: AccountIdentifierIn | None = None
    amount: Amount
    asset: AssetCode
    value_date: IsoDate
    purpose: PurposeText
    paying_account: AccountCode
    method: Literal["transfer", "cash"] = "transfer"
    clearing_account: AccountCode | None = None


class AmendIn(Request):
    amount: Amount | None = None
    value_date: IsoDate | None = None
    purpose: PurposeText | None = None
    payee_account: AccountIdentifierIn | None = None


class ApproveIn(Request):
    content_fingerprint: Annotated[StrictStr, Field(min_length=64, max_length=64)] | None = Field(
        default=None, description="the content you reviewed; refused (409) if it changed since"
    )


class SubmitIn(Request):
    bank_reference: Annotated[StrictStr, Field(min_length=1, max_length=BANK_REFERENCE_LENGTH_MAX)]


class ReturnIn(Request):
    reason: Reason
    effective_date: IsoDate | None = None


# --- responses ----------------------------------------------------------------


class PaymentWritten(Written):
    id: str
    status: PaymentStatus


class ScreenWritten(Written):
    id: str
    screened: bool


class PaymentOut(BaseModel):
    id: str
    status: PaymentStatus
    payee_subject_id: str
    account_scheme: str | None
    account_country: str | None
    amount: str
    amount_minor: int
    asset: str
    value_date: str
    business_date: str
    purpose: str
    method: str
    cash: bool
    paying_account: str
    clearing_account: str
    content_fingerprint: str
    approvals_required: int
    approvals: list[dict[str, str]]
    approved_by: list[str]
    requested_by: str
    amendments: int
    screening_result: str | None
    screening_case_id: str | None
    compliance_decision: str | None
    entry_id: str | None
    bank_reference: str | None
    reversal_entry_id: str | None
    closing_reason: str | None
    created_at: str
    updated_at: str
    version: int


class PaymentList(BaseModel):
    payments: list[PaymentOut]
