"""Console: audit trail search and export, entity timelines (auditor, compliance)."""

from __future__ import annotations

from typing import Annotated, Any
from uuid import UUID

import orjson
from fastapi import APIRouter, Depends, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response, StreamingResponse

from api.console.session import ConsoleUser, require
from api.console.web import ConsoleRoute, audited_read, query_int, query_text, render
from api.problems import ApiProblem
from api.state import ApiState, api_state
from domain.kernel.errors import UnknownEntity

router = APIRouter(prefix="/console", route_class=ConsoleRoute, include_in_schema=False)

AuditUser = Annotated[ConsoleUser, Depends(require("audit:read"))]
PAGE_ROWS = 50
FILTERS = ("entity_id", "actor", "event_type", "recorded_from", "recorded_to")
POSITION_FILTERS = ("position_from", "position_to")


def _filters(request: Request) -> dict[str, Any]:
    found: dict[str, Any] = {name: query_text(request, name) for name in FILTERS}
    found |= {name: query_int(request, name) for name in POSITION_FILTERS}
    return found


def _payload_text(payload: Any) -> str:
    return orjson.dumps(payload, option=orjson.OPT_SORT_KEYS).decode()[:600]


@router.get("/audit")
async def audit_page(request: Request, user: AuditUser) -> Response:
    state = api_state(request)
    filters = _filters(request)
    cursor = query_text(request, "cursor", 200)
    page = await run_in_threadpool(
        lambda: state.audit.query(**filters, cursor=cursor, limit=PAGE_ROWS)
    )
    events = [{**event, "payload_text": _payload_text(event["payload"])} for event in page.events]
    await audited_read(request, user, "audit trail search")
    shown = {name: value for name, value in filters.items() if value is not None}
    return render(
        request,
        "audit.html",
        {"events": events, "filters": filters, "shown": shown, "next_cursor": page.next_cursor},
        user=user,
    )


@router.get("/audit/export")
async def audit_export(request: Request, user: AuditUser) -> Response:
    """The matching events as CSV or JSON lines, streamed (as ``GET /v1/audit/export``)."""
    state = api_state(request)
    format = query_text(request, "format", 8) or "csv"
    if format not in ("csv", "jsonl"):
        raise ApiProblem(422, "validation_failed", "format: csv or jsonl")
    filters = _filters(request)
    chunks = await run_in_threadpool(lambda: state.audit.export(format, **filters))
    await audited_read(request, user, f"audit export ({format})")
    return StreamingResponse(
        chunks,
        media_type="text/csv" if format == "csv" else "application/x-ndjson",
        headers={"Content-Disposition": f'attachment; filename="audit.{format}"'},
    )


def _entity_id(state: ApiState, key: str) -> str:
    """A UUID as given, or the aggregate id of an account code (the business key)."""
    try:
        return str(UUID(key))
    except ValueError:
        pass
    for info in state.system.projections.accounts():
        if info.code == key:
            return info.account_id
    raise UnknownEntity(f"no entity or account {key[:64]!r}", field="entity_id")


def timeline_figures(state: ApiState, key: str) -> dict[str, Any]:
    from projections.audit.timeline import entity_timeline

    entity_id = _entity_id(state, key)
    timeline = entity_timeline(state.app, state.audit, entity_id)
    steps = [
        {
            **step,
            "payload_text": _payload_text(step["payload"]),
            "state_text": orjson.dumps(
                step["state_after"], option=orjson.OPT_SORT_KEYS | orjson.OPT_INDENT_2
            ).decode()[:4000],
        }
        for step in timeline
    ]
    return {"entity_id": entity_id, "key": key, "steps": steps}


@router.get("/entities")
async def entities_page(request: Request, user: AuditUser) -> Response:
    key = query_text(request, "id", 200)
    figures: dict[str, Any] = {"key": key, "steps": None, "entity_id": None}
    if key is not None:
        figures = await run_in_threadpool(timeline_figures, api_state(request), key)
    await audited_read(request, user, f"entity timeline {key or ''}".strip())
    return render(request, "timeline.html", figures, user=user)


@router.get("/entities/{entity_id}")
async def entity_page(request: Request, entity_id: str, user: AuditUser) -> Response:
    if len(entity_id) > 200:
        raise ApiProblem(422, "validation_failed", "entity: at most 200 characters")
    figures = await run_in_threadpool(timeline_figures, api_state(request), entity_id)
    await audited_read(request, user, f"entity timeline {entity_id}")
    return render(request, "timeline.html", figures, user=user)
