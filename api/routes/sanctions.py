"""/v1/sanctions: sanctions lists, ad hoc screening, and compliance decisions.

Roles (``api.auth.PERMISSIONS``):

- ``sanctions:load`` (load a list version): compliance, admin;
- ``sanctions:read`` (the active list, cases): compliance, auditor;
- ``sanctions:screen`` (screen a name ad hoc; recorded as a case): compliance;
- ``sanctions:decide`` (clear or reject a review or hit): compliance.

A list is posted as JSON: ``{"source": "...", "sdn_csv": "<the text of
sdn.csv>", "alt_csv": "<the text of alt.csv>" | null}``. The files are ASCII
text, so JSON strings carry them unchanged; the request body is bounded by
``BACKOFFICE_BODY_BYTES_MAX`` (256 KiB by default: raise it to a few MiB
for a full OFAC list, or load it with ``backoffice sanctions load``). A
malformed list is a 422 ``invalid_sanctions_list`` naming the file and line,
and nothing is written.

Loading a new list version re-screens the payments and receipts still
pending (held, or not yet approved, and not decided by compliance:
``domain.sanctions.pending``); a payment or receipt whose payee or payer the
new list names is then held.

Payments and receipts do not screen through this router: they call
``domain.sanctions.service.SanctionsScreening.screen`` in-process, with the
party's data subject, so the name is sealed in the case under the subject's
key. A name screened here (``POST /screenings``) is compliance's ad hoc
query with no data subject behind it, and is recorded in the clear: do not
type a customer's or payee's name here to record it (screen their payment
or receipt instead). Cases and the case list show a subject's name opened,
or ``[erased]`` after the subject's erasure (``subject_id`` says whose).
"""

from __future__ import annotations

from typing import Annotated, Any, Literal
from uuid import UUID

from fastapi import APIRouter, Depends, Query, Request
from pydantic import BaseModel, Field, StrictInt, StrictStr
from starlette.responses import Response

from api import models
from api.auth import Principal
from api.dependencies import authorize
from api.problems import ApiProblem
from api.routes.ledger import READ_RESPONSES, WRITE_EXTRA, WRITE_RESPONSES
from api.routes.subjects import subject_registry
from api.state import api_state, context_for, idempotency_key, json_response, run_idempotent
from domain.sanctions.matching import (
    FILE_BYTES_MAX,
    PARTY_NAME_LENGTH_MAX,
    SOURCE_LENGTH_MAX,
    THRESHOLD_MAX,
    THRESHOLD_MIN,
)
from domain.sanctions.pending import screening_with_pending
from domain.sanctions.screening import ITEM_ID_LENGTH_MAX, screening_case_id
from domain.sanctions.service import SanctionsScreening
from projections.sanctions.screening_log import QUERY_LIMIT_MAX, ScreeningLog

router = APIRouter(prefix="/v1/sanctions", tags=["sanctions"])

ItemKind = Literal["payment", "receipt", "other"]
CaseStatus = Literal["clear", "pending", "cleared", "rejected", "superseded"]
Result = Literal["clear", "review", "hit"]


# --- requests -----------------------------------------------------------------


class SanctionsListIn(models.Request):
    source: Annotated[StrictStr, Field(min_length=1, max_length=SOURCE_LENGTH_MAX)] = "OFAC SDN"
    sdn_csv: Annotated[
        StrictStr, Field(min_length=1, max_length=FILE_BYTES_MAX, description="the text of sdn.csv")
    ]
    alt_csv: Annotated[
        StrictStr | None,
        Field(max_length=FILE_BYTES_MAX, description="the text of alt.csv (aliases)"),
    ] = None


class ScreeningIn(models.Request):
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


class ListWritten(models.Written):
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


class ScreeningWritten(models.Written):
    case_id: str
    item_kind: str
    item_id: str
    list_version: str
    result: Result
    matches: list[MatchOut]


class DecisionWritten(models.Written):
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


# --- wiring -------------------------------------------------------------------


def sanctions_screening(request: Request) -> SanctionsScreening:
    """This API process's screening commands over its system (built on first use):
    with the subject registry, re-screening pending payments and receipts on a new list."""
    state = api_state(request)
    screening: SanctionsScreening | None = getattr(request.app.state, "sanctions_screening", None)
    if screening is None or screening.app is not state.app:
        screening = screening_with_pending(state.app, subject_registry(request))
        request.app.state.sanctions_screening = screening
    return screening


def screening_log(request: Request) -> ScreeningLog:
    state = api_state(request)
    log: ScreeningLog | None = getattr(request.app.state, "screening_log", None)
    if log is None or log.database is not state.system.database:
        # No projection worker folds this log: every query catches up first.
        log = ScreeningLog(state.system.database, catch_up_on_query=True)
        request.app.state.screening_log = log
    return log


# --- routes -------------------------------------------------------------------


@router.post(
    "/lists",
    status_code=201,
    response_model=ListWritten,
    responses=WRITE_RESPONSES,
    openapi_extra=WRITE_EXTRA,
)
def load_list(
    request: Request,
    body: SanctionsListIn,
    principal: Principal = Depends(authorize("sanctions:load")),
) -> Response:
    """Load a list version (OFAC CSV text) and make it the active one, then re-screen
    the payments and receipts still pending against it. The same files again answer
    ``already_loaded`` and write no list (a re-screening left unfinished is finished)."""
    key = idempotency_key(request)
    screening = sanctions_screening(request)
    context = context_for(request, principal)
    alt_bytes = None if body.alt_csv is None else body.alt_csv.encode("utf-8")
    parsed = screening.parse(body.sdn_csv.encode("utf-8"), alt_bytes)
    known = screening.known_version(parsed.version)
    view: dict[str, Any] = {
        "list_version": parsed.version,
        "source": body.source,
        "entry_count": parsed.entry_count,
        "alias_count": parsed.alias_count,
        "status": "already_loaded" if known else "loaded",
    }
    fingerprinted = {
        "source": body.source,
        "sdn_sha256": parsed.sdn_sha256,
        "alt_sha256": parsed.alt_sha256,
    }
    return run_idempotent(
        request,
        principal,
        key,
        fingerprinted,
        201,
        view,
        lambda: screening.load_parsed(context, parsed, body.source),
    )


@router.get("/lists/current", response_model=ListOut, responses=READ_RESPONSES)
def current_list(
    request: Request, principal: Principal = Depends(authorize("sanctions:read"))
) -> Response:
    """The active list version: digests, counts, who loaded it and when."""
    summary = sanctions_screening(request).current_list()
    if summary is None:
        raise ApiProblem(404, "no_sanctions_list", "no sanctions list is loaded")
    return json_response(200, summary)


@router.post(
    "/screenings",
    status_code=201,
    response_model=ScreeningWritten,
    responses=WRITE_RESPONSES,
    openapi_extra=WRITE_EXTRA,
)
def screen_name(
    request: Request,
    body: ScreeningIn,
    principal: Principal = Depends(authorize("sanctions:screen")),
) -> Response:
    """Screen a name against the active list; recorded as a case (a review or hit then
    awaits a decision like any other). Ad hoc: the name is recorded in the clear, as
    typed; payees and payers are screened through their payment or receipt (sealed)."""
    key = idempotency_key(request)
    screening = sanctions_screening(request)
    context = context_for(request, principal)
    item_id = body.item_id or f"adhoc:{key}"
    assessment = screening.assess(body.party_name, body.threshold)
    view: dict[str, Any] = {
        "case_id": str(screening_case_id(body.item_kind, item_id, assessment.list_version)),
        "item_kind": body.item_kind,
        "item_id": item_id,
        "list_version": assessment.list_version,
        "result": assessment.result,
        "matches": [match.as_dict() for match in assessment.matches],
    }
    return run_idempotent(
        request,
        principal,
        key,
        body.model_dump(),
        201,
        view,
        lambda: screening.record(context, body.item_kind, item_id, assessment),
    )


@router.get("/cases", response_model=CasePage, responses=READ_RESPONSES)
def list_cases(
    request: Request,
    principal: Principal = Depends(authorize("sanctions:read")),
    status: CaseStatus | None = None,
    result: Result | None = None,
    item_kind: ItemKind | None = None,
    item_id: Annotated[str | None, Query(max_length=ITEM_ID_LENGTH_MAX)] = None,
    list_version: Annotated[str | None, Query(max_length=64)] = None,
    screened_from: Annotated[str | None, Query(max_length=64)] = None,
    screened_to: Annotated[str | None, Query(max_length=64)] = None,
    after: Annotated[int, Query(ge=0)] = 0,
    limit: Annotated[int, Query(ge=1, le=QUERY_LIMIT_MAX)] = 100,
) -> Response:
    """Cases from the screening log in the order of their latest screening."""
    found = screening_log(request).cases(
        status=status,
        result=result,
        item_kind=item_kind,
        item_id=item_id,
        list_version=list_version,
        screened_from=screened_from,
        screened_to=screened_to,
        after=after,
        limit=limit,
    )
    next_after = found[-1]["screened_position"] if len(found) == limit else None
    return json_response(200, {"cases": found, "next_after": next_after})


@router.get("/cases/{case_id}", response_model=CaseOut, responses=READ_RESPONSES)
def read_case(
    request: Request,
    case_id: UUID,
    principal: Principal = Depends(authorize("sanctions:read")),
) -> Response:
    """One case as it stands in the log (a data subject's name opened, or ``[erased]``)."""
    screening = sanctions_screening(request)
    return json_response(200, screening.case_view(screening.case(case_id)))


def _decide(
    request: Request, case_id: UUID, body: models.ReasonIn, principal: Principal, status: str
) -> Response:
    key = idempotency_key(request)
    screening = sanctions_screening(request)
    context = context_for(request, principal)
    decide = screening.clear if status == "cleared" else screening.reject
    return run_idempotent(
        request,
        principal,
        key,
        body.model_dump(),
        200,
        {"case_id": str(case_id), "status": status, "reason": body.reason},
        lambda: decide(context, case_id, body.reason),
    )


@router.post(
    "/cases/{case_id}/clear",
    response_model=DecisionWritten,
    responses=WRITE_RESPONSES,
    openapi_extra=WRITE_EXTRA,
)
def clear_case(
    request: Request,
    case_id: UUID,
    body: models.ReasonIn,
    principal: Principal = Depends(authorize("sanctions:decide")),
) -> Response:
    """Clear a review or hit (a false positive): the item may proceed. Once per case."""
    return _decide(request, case_id, body, principal, "cleared")


@router.post(
    "/cases/{case_id}/reject",
    response_model=DecisionWritten,
    responses=WRITE_RESPONSES,
    openapi_extra=WRITE_EXTRA,
)
def reject_case(
    request: Request,
    case_id: UUID,
    body: models.ReasonIn,
    principal: Principal = Depends(authorize("sanctions:decide")),
) -> Response:
    """Reject a review or hit: the match stands and the item must not proceed. Once per case."""
    return _decide(request, case_id, body, principal, "rejected")
