"""The account ledger's answer (``GET /v1/accounts/{code}/ledger``)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class LedgerPostingOut(BaseModel):
    entry_id: str
    effective_date: str
    recorded_at: str
    position: int
    line: int
    description: str
    reference: str
    counterparts: list[str]
    direction: str
    amount: str
    running_balance: str


class AccountLedgerOut(BaseModel):
    model_config = ConfigDict(populate_by_name=True)

    account: str
    account_type: str
    asset: str
    from_: str | None = Field(None, alias="from")
    to: str | None = None
    as_of_position: int
    opening_balance: str
    postings: list[LedgerPostingOut]
    closing_balance: str
    page_size_max: int
    next_cursor: str | None
