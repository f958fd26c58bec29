"""/v1 bank statements and reconciliation.

``POST /v1/bank-statements?account=...[&format=camt053|csv]`` takes the
statement file as the raw request body (``Content-Type: application/xml``,
``text/xml`` or ``text/csv``; the format follows the content type unless
given). Multipart upload is not offered: it would need python-multipart, a
dependency the API does not otherwise have. The body limit is the API's
``BACKOFFICE_BODY_BYTES_MAX``.

Permissions (``api.auth.PERMISSIONS``): ``bank:write`` imports, ``bank:match``
runs matching and matches by hand, ``bank:read`` reads. Every POST is
idempotent under its Idempotency-Key (``api.write``): the response is
decided before the effect (a plan computed without writing), and the effect
records exactly that plan or is refused.
"""

from __future__ import annotations

import hashlib
from typing import Annotated
from uuid import UUID

from fastapi import Query, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from api.dependencies import ReconciliationDep
from api.permissions import BankMatch, BankReader, BankWrite
from api.problems import ApiProblem
from api.routing import area_router, problem
from api.schemas.banking import EntryIdIn
from api.schemas.common import ReasonIn
from api.state import json_response
from api.write import Write
from domain.banking.matching import WINDOW_DAYS_DEFAULT, WINDOW_DAYS_MAX
from domain.banking.service import BankReconciler
from domain.kernel import limits

router = area_router(tags=["bank"])
CONTENT_FORMATS = {
    "application/xml": "camt053",
    "text/xml": "camt053",
    "text/csv": "csv",
}
FormatQuery = Annotated[str | None, Query(alias="format", pattern="^(camt053|csv)$")]
STATEMENT_BODY = {
    "required": True,
    "content": {
        "application/xml": {"schema": {"type": "string"}},
        "text/xml": {"schema": {"type": "string"}},
        "text/csv": {"schema": {"type": "string"}},
    },
}


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
    responses={415: problem("a content type other than the statement formats")},
    openapi_extra={"requestBody": STATEMENT_BODY},
)
async def import_statements(
    request: Request,
    account: Annotated[str, Query(min_length=1, max_length=limits.ACCOUNT_CODE_LENGTH_MAX)],
    write: BankWrite,
    reconciler: ReconciliationDep,
    source_format: FormatQuery = None,
) -> Response:
    """Import every statement of a camt.053/camt.054 or CSV file into ``account``.

    Answers each statement's id, line count and balance check. A statement
    imported before with the same content is not imported again; with other
    content it is refused (409)."""
    chosen = _format_of(request, source_format)
    raw = await request.body()
    return await run_in_threadpool(_import, write, reconciler, raw, account, chosen)


def _import(
    write: Write, reconciler: BankReconciler, raw: bytes, account: str, chosen: str
) -> Response:
    plan = reconciler.plan_import(raw, account, chosen)
    view = {
        "account": plan.ledger_account,
        "statements": [item.as_view() for item in plan.statements],
    }
    return write.run(
        lambda context: reconciler.commit_import(context, plan),
        body={"account": account, "format": chosen, "sha256": hashlib.sha256(raw).hexdigest()},
        answer=view,
        status=201,
    )


@router.get("/bank-statements/{statement_id}")
def get_statement(
    statement_id: UUID, principal: BankReader, reconciler: ReconciliationDep
) -> Response:
    """An imported statement: its lines (amounts in minor units and as decimal strings),
    balances, balance check and each line's match."""
    return json_response(200, reconciler.statement_view(statement_id))


@router.post("/reconciliations/{account}/{period}/run")
def run_matching(
    account: str,
    period: str,
    write: BankMatch,
    reconciler: ReconciliationDep,
    window_days: Annotated[int, Query(ge=0, le=WINDOW_DAYS_MAX)] = WINDOW_DAYS_DEFAULT,
) -> Response:
    """Match the period's unmatched statement lines automatically (by reference, then
    amount and date within ``window_days``); answers the new matches."""
    matches, version = reconciler.plan_run(account, period, window_days)
    view = {
        "account": account,
        "period": period,
        "matches": [{"line_id": m.line_id, "entry_id": m.entry_id, "how": m.how} for m in matches],
    }
    return write.run(
        lambda context: reconciler.apply_matches(context, account, matches, version),
        body={"window_days": window_days},
        answer=view,
    )


@router.get("/reconciliations/{account}/{period}")
def get_report(
    account: str, period: str, principal: BankReader, reconciler: ReconciliationDep
) -> Response:
    """The reconciliation report: matched pairs, unmatched lines and ledger movements,
    the statement's closing balance against the ledger's and the difference."""
    return json_response(200, reconciler.report(account, period).as_dict())


@router.post("/reconciliations/lines/{line_id}/match")
def match_line(
    line_id: str, body: EntryIdIn, write: BankMatch, reconciler: ReconciliationDep
) -> Response:
    """Match a statement line to a journal entry by hand."""
    return write.run(
        lambda context: reconciler.match(context, line_id, body.entry_id),
        body=body,
        answer={"line_id": line_id, "entry_id": str(body.entry_id), "how": "manual"},
    )


@router.post("/reconciliations/lines/{line_id}/unmatch")
def unmatch_line(
    line_id: str, body: ReasonIn, write: BankMatch, reconciler: ReconciliationDep
) -> Response:
    """Undo a line's match, with the reason."""
    return write.run(
        lambda context: reconciler.unmatch(context, line_id, body.reason),
        body=body,
        answer={"line_id": line_id},
    )
