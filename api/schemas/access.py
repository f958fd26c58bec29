"""Access bodies: bearer tokens and who the caller is."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, Field, StrictStr

from api.schemas.common import Request, Written
from domain.access.tokens import ROLES
from domain.kernel import limits

Role = Literal[
    "poster", "approver", "auditor", "compliance", "admin", "payroll", "billing", "inventory"
]
assert set(Role.__args__) == set(ROLES)  # type: ignore[attr-defined]


class TokenIn(Request):
    actor: Annotated[StrictStr, Field(min_length=1, max_length=limits.ACTOR_LENGTH_MAX)]
    role: Role
    note: Annotated[StrictStr, Field(max_length=limits.REASON_LENGTH_MAX)] = ""


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
