"""/v1/audit: the audit trail (auditor and compliance roles).

Every read here is itself recorded in the log (who read what, when), so the
audit trail shows its own readers.
"""

from __future__ import annotations

import base64
from typing import Annotated, Any, Literal
from uuid import UUID

from fastapi import APIRouter, Depends, Path, Query, Request
from starlette.responses import Response, StreamingResponse

from api import models
from api.auth import Principal
from api.dependencies import authorize
from api.problems import ApiProblem
from api.routes.ledger import POSITION_MAX, READ_RESPONSES, MinPosition
from api.state import api_state, audit_position, json_response, record_access, wait_for_position

router = APIRouter(prefix="/v1/audit", tags=["audit"])

PAGE_SIZE_MAX = 1000
Text = Annotated[str | None, Query(max_length=200)]
Time = Annotated[
    str | None, Query(max_length=40, description="ISO 8601 time, e.g. 2026-01-31T00:00:00Z")
]
Position = Annotated[int | None, Query(ge=0, le=POSITION_MAX)]


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
    from projections.audit.timeline import entity_timeline

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


# --- tamper evidence ---------------------------------------------------------------


@router.get("/verify", response_model=models.ChainReport, responses=READ_RESPONSES)
def verify_chain(
    request: Request, principal: Principal = Depends(authorize("audit:read"))
) -> Response:
    """Recompute the whole hash chain and check every signed checkpoint (signature, size,
    head, Merkle root) with the server's public key; report the first bad position."""
    from adapters.chain_store import verify_chain as verify

    state = api_state(request)
    keys = [state.settings.signer.public_raw] if state.settings.signer is not None else []
    report = verify(state.system.database, keys)
    _record_read(request, principal, "chain verification")
    return json_response(200, {**report.as_dict(), "public_key_id": _key_id(state)})


@router.get(
    "/checkpoints",
    response_class=Response,
    responses={**READ_RESPONSES, 200: {"content": {"text/plain": {}}}},
)
def checkpoints(
    request: Request, principal: Principal = Depends(authorize("audit:read"))
) -> Response:
    """Every signed checkpoint as text, blank-line separated (keep a copy elsewhere)."""
    from adapters.chain_store import ChainReader

    state = api_state(request)
    with ChainReader(state.system.database) as reader:
        notes = reader.checkpoints()
    _record_read(request, principal, "checkpoints")
    return Response(
        "\n".join(note.text() for note in notes), media_type="text/plain; charset=utf-8"
    )


@router.get(
    "/events/{position}/proof", response_model=models.InclusionProofOut, responses=READ_RESPONSES
)
def inclusion_proof(
    request: Request,
    position: Annotated[int, Path(ge=1, le=POSITION_MAX, description="the event's log position")],
    principal: Principal = Depends(authorize("audit:read")),
    tree_size: Annotated[
        int | None, Query(ge=1, description="prove against the checkpoint of this size")
    ] = None,
) -> Response:
    """What an auditor needs to check that the event at ``position`` is covered by a signed
    checkpoint: the event's stored bytes, its leaf hash, the audit path (RFC 6962) and the
    checkpoint text. Check it with ``backoffice verify-proof``."""
    from adapters.chain_store import ChainReader

    state = api_state(request)
    with ChainReader(state.system.database) as reader:
        chain_position = reader.chain_position_of(position)
        if chain_position is None:
            raise ApiProblem(404, "unknown_position", f"no event at log position {position}")
        found = reader.event_at(chain_position)
    assert found is not None
    proof = state.witness.inclusion_proof(chain_position, tree_size)
    topic, originator_id, version, stored_state = found[1]
    _record_read(request, principal, f"inclusion proof for {position}")
    return json_response(
        200,
        {
            **proof.as_dict(),
            "log_position": position,
            "event": {
                "topic": topic,
                "originator_id": str(originator_id)
                if len(str(originator_id)) == 36
                else str(UUID(hex=str(originator_id))),
                "originator_version": version,
                "state_base64": base64.b64encode(stored_state).decode("ascii"),
            },
        },
    )


@router.get("/consistency", response_model=models.ConsistencyProofOut, responses=READ_RESPONSES)
def consistency_proof(
    request: Request,
    old_size: Annotated[int, Query(ge=1, le=POSITION_MAX)],
    new_size: Annotated[int, Query(ge=1, le=POSITION_MAX)],
    principal: Principal = Depends(authorize("audit:read")),
) -> Response:
    """RFC 6962 consistency proof: the log of ``old_size`` events is a prefix of the log of
    ``new_size`` events (compare the roots of two checkpoints)."""
    state = api_state(request)
    path = state.witness.consistency_proof(old_size, new_size)
    _record_read(request, principal, f"consistency proof {old_size}..{new_size}")
    return json_response(200, {"old_size": old_size, "new_size": new_size, "path": path})


def _key_id(state: Any) -> str | None:
    return state.settings.signer.key_id if state.settings.signer is not None else None
