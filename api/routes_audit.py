"""/v1/audit: the audit trail (auditor and compliance roles).

Every read here is itself recorded in the log (who read what, when), so the
audit trail shows its own readers.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Request
from starlette.responses import Response, StreamingResponse

from api import models
from api.auth import Principal
from api.dependencies import authorize
from api.routes_ledger import READ_RESPONSES, MinPosition
from api.state import api_state, audit_position, json_response, record_access, wait_for_position

router = APIRouter(prefix="/v1/audit", tags=["audit"])

PAGE_SIZE_MAX = 1000
Text = Annotated[str | None, Query(max_length=200)]
Time = Annotated[
    str | None, Query(max_length=40, description="ISO 8601 time, e.g. 2026-01-31T00:00:00Z")
]
Position = Annotated[int | None, Query(ge=0)]


def _filters(
    entity_id: Text = None,
    actor: Text = None,
    event_type: Text = None,
    recorded_from: Time = None,
    recorded_to: Time = None,
    position_from: Position = None,
    position_to: Position = None,
) -> dict[str, Any]:
    return {
        "entity_id": entity_id,
        "actor": actor,
        "event_type": event_type,
        "recorded_from": recorded_from,
        "recorded_to": recorded_to,
        "position_from": position_from,
        "position_to": position_to,
    }


def _record_read(request: Request, principal: Principal, what: str) -> None:
    record_access(
        request, outcome="read", status=200, actor=principal.actor, role=principal.role, detail=what
    )


@router.get("/events", response_model=models.AuditPage, responses=READ_RESPONSES)
def audit_events(
    request: Request,
    principal: Principal = Depends(authorize("audit:read")),
    filters: dict[str, Any] = Depends(_filters),
    cursor: Annotated[str | None, Query(max_length=200)] = None,
    limit: Annotated[int, Query(ge=1, le=PAGE_SIZE_MAX)] = 100,
    min_position: MinPosition = None,
) -> Response:
    """Every event of the log with its position, time, entity, actor and payload, filtered,
    in position order, a page at a time (``next_cursor`` continues)."""
    state = api_state(request)
    wait_for_position(state, min_position, lambda: audit_position(state))
    page = state.audit.query(**filters, cursor=cursor, limit=limit)
    _record_read(request, principal, "audit events")
    return json_response(200, {"events": page.events, "next_cursor": page.next_cursor})


@router.get(
    "/entities/{entity_id}/history", response_model=models.HistoryOut, responses=READ_RESPONSES
)
def entity_history(
    request: Request,
    entity_id: str,
    principal: Principal = Depends(authorize("audit:read")),
    min_position: MinPosition = None,
) -> Response:
    """An entity's whole timeline: each event with the entity's state after it."""
    from projections.audit_timeline import entity_timeline

    state = api_state(request)
    wait_for_position(state, min_position, lambda: audit_position(state))
    timeline = entity_timeline(state.app, state.audit, entity_id)
    _record_read(request, principal, f"history of {entity_id[:64]}")
    return json_response(200, {"entity_id": entity_id, "events": timeline})


@router.get(
    "/export",
    responses={
        **READ_RESPONSES,
        200: {
            "content": {
                "text/csv": {"schema": {"type": "string"}},
                "application/x-ndjson": {"schema": {"type": "string"}},
            },
            "description": "the events, streamed",
        },
    },
    response_class=StreamingResponse,
)
def audit_export(
    request: Request,
    principal: Principal = Depends(authorize("audit:read")),
    filters: dict[str, Any] = Depends(_filters),
    format: Literal["csv", "jsonl"] = "jsonl",
    min_position: MinPosition = None,
) -> StreamingResponse:
    """Export a range of the audit trail as CSV or JSON Lines, streamed in constant memory."""
    state = api_state(request)
    wait_for_position(state, min_position, lambda: audit_position(state))
    chunks = state.audit.export(format, **filters)
    _record_read(request, principal, f"audit export ({format})")
    media_type = "text/csv" if format == "csv" else "application/x-ndjson"
    filename = f"audit.{'csv' if format == 'csv' else 'jsonl'}"
    return StreamingResponse(
        chunks,
        media_type=media_type,
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )
