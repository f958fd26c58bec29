"""/v1/reports: reports computed from the log as of a position, filed and explained.

Reading a report needs ``reports:read`` (compliance, auditor); filing one
``reports:file`` (compliance). Every read is recorded in the log as an
access record, like reads of the audit trail.

A report's own parameters are query parameters (``GET /v1/reports`` lists
each report's); ``as_of_position`` (default: the log's head) and ``format``
(``json``, ``csv`` or ``provenance``) are the route's. JSON is the envelope
of ``projections/reports/output.py``, streamed, digest last; CSV is pure
data with the provenance in ``X-Report-*`` headers (computed in a first
pass, so the headers can precede the streamed rows); ``provenance`` is the
envelope without its rows.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal
from uuid import UUID, uuid4

from fastapi import Path, Query, Request
from starlette.responses import Response, StreamingResponse

from api.auth import Principal
from api.dependencies import ReportsDep
from api.permissions import ReportsFile, ReportsReader
from api.routing import area_router
from api.schemas.common import POSITION_MAX
from api.schemas.reporting import FilingIn
from api.state import json_response, record_access
from projections.reports.framework import canonical
from projections.reports.service import EXPLAIN_LIMIT_DEFAULT, EXPLAIN_LIMIT_MAX, ReportService

router = area_router("/v1/reports", tags=["reports"])

ROUTE_QUERY = frozenset({"as_of_position", "format"})
HEADER_BYTES_MAX = 4000
ReportName = Annotated[
    str, Path(min_length=1, max_length=64, description="a report name (GET /v1/reports)")
]
AsOfPosition = Annotated[
    int | None,
    Query(ge=0, le=POSITION_MAX, description="compute as of this log position (default: head)"),
]


def _record_read(request: Request, principal: Principal, what: str) -> None:
    record_access(
        request, outcome="read", status=200, actor=principal.actor, role=principal.role, detail=what
    )


def _report_parameters(request: Request) -> dict[str, str]:
    return {name: value for name, value in request.query_params.items() if name not in ROUTE_QUERY}


@router.get("")
def list_reports(principal: ReportsReader) -> Response:
    """Every report: its name, title, parameters, columns and scope (the events it reads)."""
    return json_response(200, {"reports": ReportService.catalog()})


@router.get("/filings/{filing_id}")
def get_filing(
    request: Request, filing_id: UUID, principal: ReportsReader, reports: ReportsDep
) -> Response:
    """A filing, the report re-computed at the filed position (``reproduction.matches``: same
    digest) and as known now, at the head (``now.changed``: its digest differs)."""
    view = reports.filing(filing_id)
    _record_read(request, principal, f"report filing {filing_id}")
    return json_response(200, view)


@router.get("/filings/{filing_id}/explain")
def explain_filing(
    request: Request,
    filing_id: UUID,
    principal: ReportsReader,
    reports: ReportsDep,
    row: Annotated[int | None, Query(ge=0, description="the row's index, from 0")] = None,
    row_key: Annotated[str | None, Query(max_length=200, description="the row's key")] = None,
    after_position: Annotated[int, Query(ge=0, le=POSITION_MAX)] = 0,
    limit: Annotated[int, Query(ge=1, le=EXPLAIN_LIMIT_MAX)] = EXPLAIN_LIMIT_DEFAULT,
) -> Response:
    """The events behind one row of a filed report (position, type, aggregate, actor, payload
    with long fields elided), ``limit`` at a time after ``after_position``."""
    explained = reports.explain(
        filing_id, row=row, row_key=row_key, after_position=after_position, limit=limit
    )
    _record_read(request, principal, f"explain report filing {filing_id}")
    return json_response(200, explained)


@router.get(
    "/{name}",
    responses={
        200: {
            "content": {
                "application/json": {"schema": {"type": "object"}},
                "text/csv": {"schema": {"type": "string"}},
            },
            "description": "the report (streamed)",
        },
    },
    response_class=StreamingResponse,
)
def get_report(
    request: Request,
    name: ReportName,
    principal: ReportsReader,
    service: ReportsDep,
    as_of_position: AsOfPosition = None,
    format: Literal["json", "csv", "provenance"] = "json",
) -> Response:
    """The report as of ``as_of_position``; the report's parameters are further query parameters."""
    prepared = service.prepare(name, _report_parameters(request), as_of_position)
    headers = {"X-Report-As-Of-Position": str(prepared.as_of_position)}
    if format == "provenance":
        summary = service.summary(prepared)
        _record_read(request, principal, f"report {name} provenance")
        return json_response(200, summary)
    if format == "csv":
        summary = service.summary(prepared)  # first pass: the digest goes in the headers
        headers |= _provenance_headers(summary)
        headers["Content-Disposition"] = (
            f'attachment; filename="{prepared.report.name}-{prepared.as_of_position}.csv"'
        )
        chunks = service.start(prepared).csv_chunks()
        media_type = "text/csv; charset=utf-8"
    else:
        chunks = service.start(prepared).json_chunks()
        media_type = "application/json"
    _record_read(request, principal, f"report {name} ({format})")
    return StreamingResponse(chunks, media_type=media_type, headers=headers)


def _provenance_headers(summary: dict[str, Any]) -> dict[str, str]:
    headers = {
        "X-Report-Name": str(summary["report"]),
        "X-Report-Parameters": canonical(summary["parameters"]).decode("ascii", "replace"),
        "X-Report-Digest": str(summary["digest"]),
        "X-Report-Digest-Version": str(summary["digest_version"]),
        "X-Report-Row-Count": str(summary["row_count"]),
    }
    ranges = canonical(summary["generated_from"]).decode()
    if len(ranges) <= HEADER_BYTES_MAX:
        headers["X-Report-Generated-From"] = ranges
    return headers


@router.post("/{name}/filings", status_code=201)
def file_report(
    name: ReportName, body: FilingIn, write: ReportsFile, service: ReportsDep
) -> Response:
    """Compute the report (at ``as_of_position``, default the head) and record its filing:
    who, which report and parameters, the position and the digest."""
    replayed = write.replay(body)
    if replayed is not None:  # a retry: answered from the record, nothing computed
        return replayed
    prepared = service.prepare(name, body.parameters, body.as_of_position)
    summary = service.summary(prepared)
    filing_id = uuid4()
    answer = {
        "filing_id": str(filing_id),
        "report": prepared.report.name,
        "parameters": prepared.parameters,
        "as_of_position": prepared.as_of_position,
        "digest": summary["digest"],
        "digest_version": summary["digest_version"],
        "row_count": summary["row_count"],
        "filed_by": write.principal.actor,
    }
    return write.run(
        lambda context: service.record_filing(context, prepared, summary, filing_id),
        body=body,
        answer=answer,
        status=201,
    )
