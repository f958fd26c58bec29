"""Ledger bodies: assets, accounts, journal entries, balances, periods."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import Query
from pydantic import BaseModel, Field, StrictBool, StrictInt, StrictStr

from api.schemas.common import (
    POSITION_MAX,
    AccountCode,
    Amount,
    AssetCode,
    IsoDate,
    Reason,
    Request,
    Written,
)
from domain.kernel import limits
from domain.kernel.money import ASSET_SCALE_MAX
from domain.ledger.accounts import ACCOUNT_FLAGS, ACCOUNT_TYPES

AccountType = Literal["asset", "liability", "equity", "income", "expense"]
AccountFlag = Literal["no_overdraft"]
# The literals above restate the domain's vocabularies for the OpenAPI schema.
assert set(AccountType.__args__) == set(ACCOUNT_TYPES)  # type: ignore[attr-defined]
assert set(AccountFlag.__args__) == set(ACCOUNT_FLAGS)  # type: ignore[attr-defined]

AsOf = Annotated[
    str | None, Query(max_length=10, description="effective date (inclusive), YYYY-MM-DD")
]
AtPosition = Annotated[
    int | None,
    Query(
        ge=0,
        le=POSITION_MAX,
        description="answer exactly as of this log position: one beyond the log's head is"
        " refused (422 position_beyond_head); one the projection has not reached yet is"
        " waited for like min_position (503 position_not_reached after the bounded wait)",
    ),
]


# --- requests -------------------------------------------------------------


class AssetIn(Request):
    code: AssetCode
    scale: StrictInt = Field(ge=0, le=ASSET_SCALE_MAX)
    name: Annotated[StrictStr, Field(max_length=limits.ACCOUNT_NAME_LENGTH_MAX)] = ""


class AccountIn(Request):
    code: AccountCode
    name: Annotated[StrictStr, Field(min_length=1, max_length=limits.ACCOUNT_NAME_LENGTH_MAX)]
    type: AccountType
    assets: Annotated[
        list[AssetCode], Field(min_length=1, max_length=limits.ASSETS_PER_ACCOUNT_MAX)
    ]
    flags: Annotated[list[AccountFlag], Field(max_length=len(ACCOUNT_FLAGS))] = []


class PostingIn(Request):
    account: AccountCode
    direction: Literal["debit", "credit"]
    amount: Amount
    asset: AssetCode


class JournalEntryIn(Request):
    effective_date: IsoDate
    description: Annotated[StrictStr, Field(max_length=limits.DESCRIPTION_LENGTH_MAX)] = ""
    reference: Annotated[StrictStr, Field(max_length=limits.REFERENCE_LENGTH_MAX)] = ""
    postings: Annotated[
        list[PostingIn], Field(min_length=2, max_length=limits.POSTINGS_PER_ENTRY_MAX)
    ]
    pending: StrictBool = False
    metadata: Annotated[
        dict[
            Annotated[str, Field(min_length=1, max_length=limits.METADATA_KEY_LENGTH_MAX)],
            Annotated[StrictStr, Field(max_length=limits.METADATA_VALUE_LENGTH_MAX)],
        ],
        Field(max_length=limits.METADATA_KEYS_MAX),
    ] = {}


class ReversalIn(Request):
    reason: Reason
    effective_date: IsoDate | None = None


# --- responses ------------------------------------------------------------


class AssetOut(Written):
    code: str
    scale: int
    name: str


class AccountOut(BaseModel):
    code: str
    name: str
    type: str
    assets: list[str]
    flags: list[str]
    status: Literal["open", "closed"]


class AccountWritten(AccountOut, Written):
    pass


class AccountPage(BaseModel):
    accounts: list[AccountOut]
    next_cursor: str | None


class PostingOut(BaseModel):
    account: str
    direction: Literal["debit", "credit"]
    amount: str
    asset: str


class EntryWritten(Written):
    id: str
    status: Literal["posted", "pending", "voided"]


class ReversalWritten(EntryWritten):
    reverses: str


class JournalEntryOut(BaseModel):
    id: str
    status: Literal["posted", "pending", "voided"]
    effective_date: str
    description: str
    reference: str
    postings: list[PostingOut]
    metadata: dict[str, str]
    reverses: str | None
    reversed_by: str | None
    recorded_by: str
    position: int | None


class PeriodWritten(Written):
    period: str
    status: Literal["open", "closed"]


class YearEndIn(Request):
    """The year-end close: why, and the equity account taking the net
    (default ``Equity:RetainedEarnings``, which must exist)."""

    reason: Reason
    retained_earnings_account: AccountCode | None = None


class YearEndWritten(Written):
    id: str = Field(description="the year-end entry")
    year: str
    status: Literal["closed"]


class BalanceLineOut(BaseModel):
    account: str
    account_type: str
    asset: str
    debits_posted: str
    credits_posted: str
    debits_pending: str
    credits_pending: str
    net: str = Field(description="posted balance on the account's normal side")


class BalanceOut(BaseModel):
    account: str
    account_type: str
    position: int = Field(description="the log position this answer reflects")
    as_of_date: str | None
    balances: list[BalanceLineOut]


class AssetTotalOut(BaseModel):
    asset: str
    debits_posted: str
    credits_posted: str
    debits_pending: str
    credits_pending: str
    net: str


class TrialBalanceOut(BaseModel):
    position: int
    as_of_date: str | None
    balanced: bool
    lines: list[BalanceLineOut]
    totals: list[AssetTotalOut]
