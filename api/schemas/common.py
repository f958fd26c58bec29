"""What every area's bodies share: field types, the request base, the written
acknowledgement, the problem document, and the shared query parameters.

Requests refuse unknown fields and wrong JSON types (a JSON number where an
amount string belongs is a 422 naming the field). Lengths are bounded here
so an oversized value is refused before any work; the domain re-checks every
rule (these bounds are the domain's limits).
"""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import Query
from pydantic import BaseModel, ConfigDict, Field, StrictStr

from domain.kernel import limits

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

POSITION_MAX = 2**62
PAGE_SIZE_MAX = 1000
MinPosition = Annotated[
    int | None,
    Query(
        ge=0,
        le=POSITION_MAX,
        description="wait (bounded) until the answer reflects at least this log position",
    ),
]
"""A read's ``?min_position=``: read-your-writes by log position."""


class Request(BaseModel):
    """A request body: unknown fields refused, immutable once parsed."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class ReasonIn(Request):
    reason: Reason


class Written(BaseModel):
    position: int = Field(
        description="log position at which every effect of the request is visible"
    )


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
