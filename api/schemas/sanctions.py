"""Sanctions bodies: list versions, ad hoc screenings, cases and decisions."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, Field, StrictInt, StrictStr

from api.schemas.common import Request, Written
from domain.sanctions.list_files import FILE_BYTES_MAX
from domain.sanctions.matching import (
    PARTY_NAME_LENGTH_MAX,
    SOURCE_LENGTH_MAX,
    THRESHOLD_MAX,
    THRESHOLD_MIN,
)
from domain.sanctions.screening import ITEM_ID_LENGTH_MAX

ItemKind = Literal["payment", "receipt", "other"]
CaseStatus = Literal["clear", "pending", "cleared", "rejected", "superseded"]
Result = Literal["clear", "review", "hit"]


# --- requests -----------------------------------------------------------------


class SanctionsListIn(Request):
    source: Annotated[StrictStr, Field(min_length=1, max_length=SOURCE_LENGTH_MAX)] = "OFAC SDN"
    sdn_csv: Annotated[
        StrictStr, Field(min_length=1, max_length=FILE_BYTES_MAX, description="the text of sdn.csv")
    ]
    alt_csv: Annotated[
        StrictStr | None,
        Field(max_length=FILE_BYTES_MAX, description="the text of alt.csv (aliases)"),
    ] = None


class ScreeningIn(Request):
    party_name: Annotated[StrictStr, Field(min_length=1, max_length=PARTY_NAME_LENGTH_MAX)]
    item_kind: ItemKind = "other"
    item_id: Annotated[
        StrictStr | None,
        Field(
            min_length=1,
            max_length=ITEM_ID_LENGTH_MAX,
            description="default: adhoc:<Idempotency-Key>",
        ),
    ] = None
    threshold: Annotated[StrictInt | None, Field(ge=THRESHOLD_MIN, le=THRESHOLD_MAX)] = None


# --- responses ----------------------------------------------------------------


class ListWritten(Written):
    list_version: str
    source: str
    entry_count: int
    alias_count: int
    status: Literal["loaded", "already_loaded"]


class ListOut(BaseModel):
    list_version: str
    source: str
    sdn_sha256: str
    alt_sha256: str
    entry_count: int
    alias_count: int
    loaded_at: str
    loaded_by: str
    normalisation: str


class MatchOut(BaseModel):
    ent_num: int
    name: str
    score: float
    kind: Literal["exact", "alias", "fuzzy"]


class ScreeningWritten(Written):
    case_id: str
    item_kind: str
    item_id: str
    list_version: str
    result: Result
    matches: list[MatchOut]


class DecisionWritten(Written):
    case_id: str
    status: Literal["cleared", "rejected"]
    reason: str


class CaseOut(BaseModel):
    case_id: str
    item_kind: str
    item_id: str
    subject_id: str | None = Field(
        description="the data subject screened (name opened, or [erased]); null: ad hoc"
    )
    party_name: str
    normalised_name: str
    list_version: str
    threshold: int
    result: Result
    status: CaseStatus
    matches: list[MatchOut]
    screened_by: str
    screening_number: int
    decided_by: str | None
    decision_reason: str | None
    supersedes: str | None
    superseded_by: str | None
    created_at: str
    updated_at: str
    version: int


class CaseRow(BaseModel):
    case_id: str
    item_kind: str
    item_id: str
    subject_id: str | None
    party_name: str
    list_version: str
    result: Result
    status: CaseStatus
    match_count: int
    screened_by: str
    screened_at: str
    screened_position: int
    decided_by: str | None
    decided_at: str | None
    decision_reason: str | None
    decided_position: int | None
    superseded_by: str | None
    updated_position: int


class CasePage(BaseModel):
    cases: list[CaseRow]
    next_after: int | None = Field(description="pass as ?after= for the next page")
