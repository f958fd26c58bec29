"""The /v1 contract: request and response bodies.

Requests refuse unknown fields and wrong JSON types (a JSON number where an
amount string belongs is a 422 naming the field). Lengths are bounded here
so an oversized value is refused before any work; the domain re-checks every
rule (these bounds are the domain's limits).
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictInt, StrictStr

from domain.access.tokens import ROLES
from domain.kernel import limits
from domain.kernel.money import ASSET_SCALE_MAX
from domain.ledger.accounts import ACCOUNT_FLAGS, ACCOUNT_TYPES

Amount = Annotated[StrictStr, Field(min_length=1, max_length=40, examples=["100.00"])]
AssetCode = Annotated[StrictStr, Field(min_length=1, max_length=16, examples=["USD"])]
AccountCode = Annotated[
    StrictStr,
    Field(
        min_length=1, max_length=limits.ACCOUNT_CODE_LENGTH_MAX, examples=["Assets:Bank:Checking"]
    ),
]
Reason = Annotated[StrictStr, Field(min_length=1, max_length=limits.REASON_LENGTH_MAX)]
IsoDate = Annotated[
    StrictStr,
    Field(
        min_length=10,
        max_length=10,
        pattern=r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$",
        examples=["2026-01-31"],
    ),
]

AccountType = Literal["asset", "liability", "equity", "income", "expense"]
AccountFlag = Literal["no_overdraft"]
Role = Literal["poster", "approver", "auditor", "compliance", "admin"]
# The literals above restate the domain's vocabularies for the OpenAPI schema.
assert set(AccountType.__args__) == set(ACCOUNT_TYPES)  # type: ignore[attr-defined]
assert set(AccountFlag.__args__) == set(ACCOUNT_FLAGS)  # type: ignore[attr-defined]
assert set(Role.__args__) == set(ROLES)  # type: ignore[attr-defined]


class Request(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


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


class ReasonIn(Request):
    reason: Reason


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


class TokenIn(Request):
    actor: Annotated[StrictStr, Field(min_length=1, max_length=limits.ACTOR_LENGTH_MAX)]
    role: Role
    note: Annotated[StrictStr, Field(max_length=limits.REASON_LENGTH_MAX)] = ""


# --- responses ------------------------------------------------------------


class Written(BaseModel):
    position: int = Field(
        description="log position at which every effect of the request is visible"
    )


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


class TokenOut(BaseModel):
    token_id: str
    actor: str
    role: str
    note: str
    issued_by: str
    issued_at: str
    revoked: bool


class TokenWritten(Written):
    token_id: str
    actor: str
    role: str
    note: str
    token: str | None = Field(
        default=None,
        description="the bearer token, shown in the first response only (a replay omits it)",
    )


class TokenList(BaseModel):
    tokens: list[TokenOut]


class WhoAmI(BaseModel):
    actor: str
    role: str
    token_id: str


class AuditEvent(BaseModel):
    model_config = ConfigDict(extra="allow")

    position: int
    recorded_at: str
    aggregate_type: str
    aggregate_id: str
    aggregate_version: int
    event_type: str


class AuditPage(BaseModel):
    events: list[AuditEvent]
    next_cursor: str | None


class HistoryOut(BaseModel):
    entity_id: str
    events: list[dict[str, object]]


class Problem(BaseModel):
    """RFC 9457 problem details."""

    type: str
    title: str
    status: int
    code: str
    detail: str
    errors: list[dict[str, str]]
    correlation_id: str | None = None


class Health(BaseModel):
    model_config = ConfigDict(extra="allow")

    status: Literal["ok", "unavailable"]


class ChainReport(BaseModel):
    ok: bool
    events_checked: int
    chain_length: int
    first_bad_position: int | None
    checkpoints_checked: int
    problems: list[str]
    public_key_id: str | None


class ProvenEvent(BaseModel):
    topic: str
    originator_id: str
    originator_version: int
    state_base64: str


class InclusionProofOut(BaseModel):
    log_position: int
    position: int = Field(description="chain position (gap-free, from 1)")
    leaf_hash: str
    tree_size: int
    path: list[str]
    checkpoint: str = Field(description="the signed checkpoint, as text")
    event: ProvenEvent


class ConsistencyProofOut(BaseModel):
    old_size: int
    new_size: int
    path: list[str]
