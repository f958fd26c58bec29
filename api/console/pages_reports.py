"""Console: reports and financial statements: pick, set parameters, run, download
(JSON, CSV, PDF), file, explain a row down to its events."""

from __future__ import annotations

from typing import Annotated, Any
from uuid import UUID, uuid4

import orjson
from fastapi import APIRouter, Depends, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import RedirectResponse, Response, StreamingResponse

from api.console.pdf import report_pdf
from api.console.session import ConsoleUser, check_csrf, require
from api.console.web import ConsoleRoute, audited_read, form_fields, query_int, render
from api.console.writes import console_write, new_key, run
from api.problems import ApiProblem
from api.state import api_state
from projections.reports import get_report, report_catalog
from projections.reports.framework import canonical
from projections.reports.output import PreparedReport, csv_cell
from projections.reports.service import ReportService

router = APIRouter(prefix="/console", route_class=ConsoleRoute, include_in_schema=False)

ReportUser = Annotated[ConsoleUser, Depends(require("reports:read"))]
FileUser = Annotated[ConsoleUser, Depends(require("reports:file"))]
ROWS_SHOWN_MAX = 500
STATEMENTS = ("trial-balance", "balance-sheet", "income-statement")
ROUTE_FIELDS = frozenset({"as_of_position", "format", "run", "csrf_token", "idempotency_key"})


def _service(request: Request) -> ReportService:
    return api_state(request).system.services.reports


def _parameters(source: Any, name: str) -> dict[str, str]:
    """The report's own parameters from a query or form (empty ones left out)."""
    known = {spec.name for spec in get_report(name).parameters}
    return {k: str(v) for k, v in source.items() if k in known and str(v).strip()}


def _cells(row: Any, columns: tuple[str, ...]) -> list[str]:
    return [csv_cell(row.key if name == "key" else row.values[name]) for name in columns]


def computed(service: ReportService, prepared: PreparedReport) -> dict[str, Any]:
    output = service.start(prepared)
    columns = tuple(prepared.report.columns)
    rows = []
    for index, (row, _line) in enumerate(output.rows()):
        if index < ROWS_SHOWN_MAX:
            rows.append(_cells(row, columns))
    return {"columns": columns, "rows": rows, "summary": output.summary()}


async def _report_page(request: Request, name: str, user: ConsoleUser, statement: bool) -> Response:
    report = get_report(name)
    parameters = _parameters(request.query_params, name)
    as_of_position = query_int(request, "as_of_position")
    figures: dict[str, Any] = {
        "report": report,
        "parameters": parameters,
        "as_of_position": as_of_position,
        "statement": statement,
        "statements": STATEMENTS,
        "result": None,
        "idempotency_key": new_key(),
    }
    required = all(spec.name in parameters for spec in report.parameters if spec.required)
    if "run" in request.query_params or (statement and required):
        service = _service(request)
        prepared = await run_in_threadpool(service.prepare, name, parameters, as_of_position)
        figures["result"] = await run_in_threadpool(computed, service, prepared)
        figures["query"] = {**prepared.parameters, "as_of_position": prepared.as_of_position}
    await audited_read(request, user, f"report {name}")
    return render(request, "report.html", figures, user=user)


@router.get("/reports")
async def reports_page(request: Request, user: ReportUser) -> Response:
    await audited_read(request, user, "reports")
    return render(request, "reports.html", {"reports": list(report_catalog().values())}, user=user)


@router.get("/reports/{name}")
async def report_page(request: Request, name: str, user: ReportUser) -> Response:
    return await _report_page(request, name, user, statement=False)


@router.get("/statements/{name}")
async def statement_page(request: Request, name: str, user: ReportUser) -> Response:
    if name not in STATEMENTS:
        raise ApiProblem(404, "not_found", f"statements: {', '.join(STATEMENTS)}")
    return await _report_page(request, name, user, statement=True)


def _pdf(service: ReportService, prepared: PreparedReport) -> bytes:
    output = service.start(prepared)
    columns = tuple(prepared.report.columns)
    rows = [_cells(row, columns) for row, _line in output.rows()]
    return report_pdf(output.summary(), prepared.report.title, columns, rows)


@router.get("/reports/{name}/download")
async def report_download(request: Request, name: str, user: ReportUser) -> Response:
    """The report as JSON (the API's envelope), CSV (provenance in headers) or PDF."""
    format = request.query_params.get("format", "json")
    if format not in ("json", "csv", "pdf"):
        raise ApiProblem(422, "validation_failed", "format: json, csv or pdf")
    service = _service(request)
    prepared = await run_in_threadpool(
        service.prepare,
        name,
        _parameters(request.query_params, name),
        query_int(request, "as_of_position"),
    )
    filename = f"{prepared.report.name}-{prepared.as_of_position}.{format}"
    headers = {
        "Content-Disposition": f'attachment; filename="{filename}"',
        "X-Report-As-Of-Position": str(prepared.as_of_position),
    }
    await audited_read(request, user, f"report {name} ({format})")
    if format == "pdf":
        document = await run_in_threadpool(_pdf, service, prepared)
        return Response(document, media_type="application/pdf", headers=headers)
    if format == "csv":
        summary = await run_in_threadpool(service.summary, prepared)
        headers["X-Report-Digest"] = str(summary["digest"])
        headers["X-Report-Parameters"] = canonical(summary["parameters"]).decode("ascii", "replace")
        output = service.start(prepared)
        return StreamingResponse(
            output.csv_chunks(), media_type="text/csv; charset=utf-8", headers=headers
        )
    output = service.start(prepared)
    return StreamingResponse(output.json_chunks(), media_type="application/json", headers=headers)


@router.get("/reports/{name}/explain")
async def explain_page(request: Request, name: str, user: ReportUser) -> Response:
    row = query_int(request, "row")
    if row is None:
        raise ApiProblem(422, "validation_failed", "row: which row to explain")
    service = _service(request)
    prepared = await run_in_threadpool(
        service.prepare,
        name,
        _parameters(request.query_params, name),
        query_int(request, "as_of_position"),
    )
    explained = await run_in_threadpool(lambda: service.explain_row(prepared, row=row, limit=200))
    await audited_read(request, user, f"explain report {name} row {row}")
    return render(request, "explain.html", {"explained": explained, "filing_id": None}, user=user)


@router.post("/reports/{name}/file")
async def file_report(request: Request, name: str, user: FileUser) -> Response:
    """File the report as ``POST /v1/reports/{name}/filings`` does (the same service)."""
    fields = await form_fields(request)
    check_csrf(user, fields)
    write = console_write(request, user, fields)
    service = _service(request)
    position = fields.get("as_of_position", "")
    parameters = _parameters(fields, name)
    as_of_position = int(position) if position.isdigit() else None
    body = {"parameters": parameters, "as_of_position": as_of_position}

    def filed() -> dict[str, Any]:
        replayed = write.replay(body)
        if replayed is not None:
            answer: dict[str, Any] = orjson.loads(bytes(replayed.body))
            return answer
        prepared = service.prepare(name, parameters, as_of_position)
        summary = service.summary(prepared)
        filing_id = uuid4()
        answer = {
            "filing_id": str(filing_id),
            "report": prepared.report.name,
            "as_of_position": prepared.as_of_position,
            "digest": summary["digest"],
            "filed_by": user.principal.actor,
        }
        return run(
            write,
            lambda context: service.record_filing(context, prepared, summary, filing_id),
            body=body,
            answer=answer,
        )

    answer = await run_in_threadpool(filed)
    return RedirectResponse(f"/console/filings/{answer['filing_id']}", status_code=303)


@router.get("/filings/{filing_id}")
async def filing_page(request: Request, filing_id: UUID, user: ReportUser) -> Response:
    view = await run_in_threadpool(_service(request).filing, filing_id)
    await audited_read(request, user, f"report filing {filing_id}")
    return render(request, "filing.html", {"view": view, "filing_id": str(filing_id)}, user=user)


@router.get("/filings/{filing_id}/explain")
async def filing_explain_page(request: Request, filing_id: UUID, user: ReportUser) -> Response:
    row = query_int(request, "row")
    if row is None:
        raise ApiProblem(422, "validation_failed", "row: which row to explain")
    explained = await run_in_threadpool(
        lambda: _service(request).explain(filing_id, row=row, limit=200)
    )
    await audited_read(request, user, f"explain report filing {filing_id}")
    return render(
        request, "explain.html", {"explained": explained, "filing_id": str(filing_id)}, user=user
    )
