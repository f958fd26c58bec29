"""/v1 bank statements and reconciliation.

``POST /v1/bank-statements?account=...[&format=camt053|csv]`` takes the
statement file as the raw request body (``Content-Type: application/xml``,
``text/xml`` or ``text/csv``; the format follows the content type unless
given). Multipart upload is not offered: it would need python-multipart, a
dependency the API does not otherwise have. The body limit is the API's
``BACKOFFICE_BODY_BYTES_MAX``.

Permissions (``api.auth.PERMISSIONS``): ``bank:write`` imports, ``bank:match``
runs matching and matches by hand, ``bank:read`` reads. Every POST is
idempotent under its Idempotency-Key (``run_idempotent``): the response is
decided before the effect (a plan computed without writing), and the effect
records exactly that plan or is refused.
"""

from __future__ import annotations

import hashlib
from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Depends, Query, Request
from pydantic import BaseModel, ConfigDict, Field, StrictStr
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from api.auth import Principal
from api.dependencies import authorize
from api.problems import ApiProblem
from api.routes.ledger import READ_RESPONSES, WRITE_EXTRA, WRITE_RESPONSES, _problem
from api.state import api_state, context_for, idempotency_key, json_response, run_idempotent
from domain.banking.matching import WINDOW_DAYS_DEFAULT, WINDOW_DAYS_MAX
from domain.banking.service import BankReconciler
from domain.kernel import limits

router = APIRouter(prefix="/v1")
CONTENT_FORMATS = {
    "application/xml": "camt053",
    "text/xml": "camt053",
    "text/csv": "csv",
}
FormatQuery = Annotated[str | None, Query(alias="format", pattern="^(camt053|csv)$")]


class EntryIdIn(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    entry_id: UUID


class ReasonIn(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    reason: Annotated[StrictStr, Field(min_length=1, max_length=limits.REASON_LENGTH_MAX)]


def _reconciler(request: Request) -> BankReconciler:
    state = api_state(request)
    return BankReconciler(state.app, state.system.projections)


def _format_of(request: Request, chosen: str | None) -> str:
    if chosen is not None:
        return chosen
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    found = CONTENT_FORMATS.get(content_type)
    if found is None:
        raise ApiProblem(
            415,
            "unsupported_media_type",
            "send the statement as the body with Content-Type application/xml, text/xml or"
            " text/csv (or name it with ?format=camt053|csv)",
        )
    return found


@router.post(
    "/bank-statements",
    status_code=201,
    responses={**WRITE_RESPONSES, 415: _problem("a content type other than the statement formats")},
    openapi_extra={
        **WRITE_EXTRA,
        "requestBody": {
            "required": True,
            "content": {
                "application/xml": {"schema": {"type": "string"}},
                "text/xml": {"schema": {"type": "string"}},
                "text/csv": {"schema": {"type": "string"}},
            },
        },
    },
    tags=["bank"],
)
async def import_statements(
    request: Request,
    account: Annotated[str, Query(min_length=1, max_length=limits.ACCOUNT_CODE_LENGTH_MAX)],
    source_format: FormatQuery = None,
    principal: Principal = Depends(authorize("bank:write")),
) -> Response:
    """Import every statement of a camt.053/camt.054 or CSV file into ``account``.

    Answers each statement's id, line count and balance check. A statement
    imported before with the same content is not imported again; with other
    content it is refused (409)."""
    key = idempotency_key(request)
    chosen = _format_of(request, source_format)
    raw = await request.body()
    return await run_in_threadpool(_import, request, principal, key, raw, account, chosen)


def _import(
    request: Request, principal: Principal, key: str, raw: bytes, account: str, chosen: str
) -> Response:
    reconciler = _reconciler(request)
    context = context_for(request, principal)
    plan = reconciler.plan_import(raw, account, chosen)
    view = {
        "account": plan.ledger_account,
        "statements": [item.as_view() for item in plan.statements],
    }
    body = {"account": account, "format": chosen, "sha256": hashlib.sha256(raw).hexdigest()}
    return run_idempotent(
        request,
        principal,
        key,
        body,
        201,
        view,
        lambda: reconciler.commit_import(context, plan),
    )


@router.get("/bank-statements/{statement_id}", responses=READ_RESPONSES, tags=["bank"])
def get_statement(
    request: Request,
    statement_id: UUID,
    principal: Principal = Depends(authorize("bank:read")),
) -> Response:
    """An imported statement: its lines (amounts in minor units and as decimal strings),
    balances, balance check and each line's match."""
    return json_response(200, _reconciler(request).statement_view(statement_id))


@router.post(
    "/reconciliations/{account}/{period}/run",
    responses=WRITE_RESPONSES,
    openapi_extra=WRITE_EXTRA,
    tags=["bank"],
)
def run_matching(
    request: Request,
    account: str,
    period: str,
    window_days: Annotated[int, Query(ge=0, le=WINDOW_DAYS_MAX)] = WINDOW_DAYS_DEFAULT,
    principal: Principal = Depends(authorize("bank:match")),
) -> Response:
    """Match the period's unmatched statement lines automatically (by reference, then
    amount and date within ``window_days``); answers the new matches."""
    key = idempotency_key(request)
    reconciler = _reconciler(request)
    context = context_for(request, principal)
    matches, version = reconciler.plan_run(account, period, window_days)
    view = {
        "account": account,
        "period": period,
        "matches": [{"line_id": m.line_id, "entry_id": m.entry_id, "how": m.how} for m in matches],
    }
    return run_idempotent(
        request,
        principal,
        key,
        {"window_days": window_days},
        200,
        view,
        lambda: reconciler.apply_matches(context, account, matches, version),
    )


@router.get("/reconciliations/{account}/{period}", responses=READ_RESPONSES, tags=["bank"])
def get_report(
    request: Request,
    account: str,
    period: str,
    principal: Principal = Depends(authorize("bank:read")),
) -> Response:
    """The reconciliation report: matched pairs, unmatched lines and ledger movements,
    the statement's closing balance against the ledger's and the difference."""
    return json_response(200, _reconciler(request).report(account, period).as_dict())


@router.post(
    "/reconciliations/lines/{line_id}/match",
    responses=WRITE_RESPONSES,
    openapi_extra=WRITE_EXTRA,
    tags=["bank"],
)
def match_line(
    request: Request,
    line_id: str,
    body: EntryIdIn,
    principal: Principal = Depends(authorize("bank:match")),
) -> Response:
    """Match a statement line to a journal entry by hand."""
    key = idempotency_key(request)
    reconciler = _reconciler(request)
    context = context_for(request, principal)
    view = {"line_id": line_id, "entry_id": str(body.entry_id), "how": "manual"}
    return run_idempotent(
        request,
        principal,
        key,
        body.model_dump(mode="json"),
        200,
        view,
        lambda: reconciler.match(context, line_id, body.entry_id),
    )


@router.post(
    "/reconciliations/lines/{line_id}/unmatch",
    responses=WRITE_RESPONSES,
    openapi_extra=WRITE_EXTRA,
    tags=["bank"],
)
def unmatch_line(
    request: Request,
    line_id: str,
    body: ReasonIn,
    principal: Principal = Depends(authorize("bank:match")),
) -> Response:
    """Undo a line's match, with the reason."""
    key = idempotency_key(request)
    reconciler = _reconciler(request)
    context = context_for(request, principal)
    return run_idempotent(
        request,
        principal,
        key,
        body.model_dump(),
        200,
        {"line_id": line_id},
        lambda: reconciler.unmatch(context, line_id, body.reason),
    )
