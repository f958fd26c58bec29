"""/v1/audit: the audit trail (auditor and compliance roles).

Every read here is itself recorded in the access log (who read what, when;
``GET /v1/audit/access``), apart from the business log, so the audit trail
shows its own readers without its extract at the head changing on every read.
"""

from __future__ import annotations

import base64
from typing import Annotated, Any, Literal
from uuid import UUID

from fastapi import Depends, Path, Query, Request
from starlette.responses import Response, StreamingResponse

from api.auth import Principal
from api.dependencies import StateDep
from api.permissions import AuditReader
from api.problems import ApiProblem
from api.routing import area_router
from api.schemas.audit import (
    AuditPage,
    ChainReport,
    ConsistencyProofOut,
    HistoryOut,
    InclusionProofOut,
)
from api.schemas.common import PAGE_SIZE_MAX, POSITION_MAX, MinPosition
from api.state import (
    ApiState,
    audit_position,
    json_response,
    reader_database,
    record_access,
    wait_for_position,
)

router = area_router("/v1/audit", tags=["audit"])

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


@router.get("/events", response_model=AuditPage)
def audit_events(
    request: Request,
    principal: AuditReader,
    state: StateDep,
    filters: dict[str, Any] = Depends(_filters),
    cursor: Annotated[str | None, Query(max_length=200)] = None,
    limit: Annotated[int, Query(ge=1, le=PAGE_SIZE_MAX)] = 100,
    min_position: MinPosition = None,
) -> Response:
    """Every event of the log with its position, time, entity, actor and payload, filtered,
    in position order, a page at a time (``next_cursor`` continues)."""
    wait_for_position(state, min_position, lambda: audit_position(state))
    page = state.audit.query(**filters, cursor=cursor, limit=limit)
    _record_read(request, principal, "audit events")
    return json_response(200, {"events": page.events, "next_cursor": page.next_cursor})


@router.get("/entities/{entity_id}/history", response_model=HistoryOut)
def entity_history(
    request: Request,
    entity_id: str,
    principal: AuditReader,
    state: StateDep,
    min_position: MinPosition = None,
) -> Response:
    """An entity's whole timeline: each event with the entity's state after it."""
    from projections.audit.timeline import entity_timeline

    wait_for_position(state, min_position, lambda: audit_position(state))
    timeline = entity_timeline(state.app, state.audit, entity_id)
    _record_read(request, principal, f"history of {entity_id[:64]}")
    return json_response(200, {"entity_id": entity_id, "events": timeline})


@router.get(
    "/export",
    responses={
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
    principal: AuditReader,
    state: StateDep,
    filters: dict[str, Any] = Depends(_filters),
    format: Literal["csv", "jsonl"] = "jsonl",
    min_position: MinPosition = None,
) -> StreamingResponse:
    """Export a range of the audit trail as CSV or JSON Lines, streamed in constant memory."""
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


@router.get("/verify", response_model=ChainReport)
def verify_chain(request: Request, state: StateDep, principal: AuditReader) -> Response:
    """Recompute the whole hash chain and check every signed checkpoint (signature, size,
    head, Merkle root) with the server's public key; report the first bad position."""
    from adapters.chain_store import verify_chain as verify

    keys = [state.settings.signer.public_raw] if state.settings.signer is not None else []
    report = verify(reader_database(state), keys)  # the standby when one is configured
    _record_read(request, principal, "chain verification")
    return json_response(200, {**report.as_dict(), "public_key_id": _key_id(state)})


@router.get(
    "/checkpoints",
    response_class=Response,
    responses={200: {"content": {"text/plain": {}}}},
)
def checkpoints(request: Request, state: StateDep, principal: AuditReader) -> Response:
    """Every signed checkpoint as text, blank-line separated (keep a copy elsewhere)."""
    from adapters.chain_store import ChainReader

    with ChainReader(state.system.database) as reader:
        notes = reader.checkpoints()
    _record_read(request, principal, "checkpoints")
    return Response(
        "\n".join(note.text() for note in notes), media_type="text/plain; charset=utf-8"
    )


@router.get("/events/{position}/proof", response_model=InclusionProofOut)
def inclusion_proof(
    request: Request,
    position: Annotated[int, Path(ge=1, le=POSITION_MAX, description="the event's log position")],
    principal: AuditReader,
    state: StateDep,
    tree_size: Annotated[
        int | None, Query(ge=1, description="prove against the checkpoint of this size")
    ] = None,
) -> Response:
    """What an auditor needs to check that the event at ``position`` is covered by a signed
    checkpoint: the event's stored bytes, its leaf hash, the audit path (RFC 6962) and the
    checkpoint text. Check it with ``backoffice verify-proof``."""
    from adapters.chain_store import ChainReader

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


@router.get("/consistency", response_model=ConsistencyProofOut)
def consistency_proof(
    request: Request,
    old_size: Annotated[int, Query(ge=1, le=POSITION_MAX)],
    new_size: Annotated[int, Query(ge=1, le=POSITION_MAX)],
    principal: AuditReader,
    state: StateDep,
) -> Response:
    """RFC 6962 consistency proof: the log of ``old_size`` events is a prefix of the log of
    ``new_size`` events (compare the roots of two checkpoints)."""
    path = state.witness.consistency_proof(old_size, new_size)
    _record_read(request, principal, f"consistency proof {old_size}..{new_size}")
    return json_response(200, {"old_size": old_size, "new_size": new_size, "path": path})


def _key_id(state: ApiState) -> str | None:
    return state.settings.signer.key_id if state.settings.signer is not None else None


# --- the access log -------------------------------------------------------------------

AccessOutcome = Annotated[Literal["denied", "read", "refused"] | None, Query()]


@router.get("/access")
def access_log(
    request: Request,
    principal: AuditReader,
    state: StateDep,
    after: Annotated[int, Query(ge=0, le=POSITION_MAX)] = 0,
    limit: Annotated[int, Query(ge=1, le=PAGE_SIZE_MAX)] = 100,
    outcome: AccessOutcome = None,
) -> Response:
    """The access log, apart from the business log: denied requests (401/403), audited
    reads and refused four-eyes attempts, each with its access-log position, the
    business log position it was recorded at (``log_position``) and its chain link;
    ``limit`` at a time after ``after``. ``counts``: the accesses past the rate limit,
    counted per minute, client address, actor, outcome and status, newest first."""
    access = state.access.access_log
    entries = access.entries(after=after, limit=limit, outcome=outcome)
    body = {
        "entries": [stored.as_view() for stored in entries],
        "next_after": entries[-1].position if len(entries) == limit else None,
        "head": access.head(),
        "counts": access.counts(limit=100),
    }
    _record_read(request, principal, "access log")
    return json_response(200, body)


@router.get("/access/verify")
def verify_access_log(request: Request, principal: AuditReader, state: StateDep) -> Response:
    """Recompute every leaf and link of the access log's hash chain: ``ok`` and the
    findings (a changed entry, a missing position, a link that does not follow)."""
    checked, findings = state.access.access_log.verify()
    _record_read(request, principal, "access log verification")
    return json_response(
        200, {"ok": not findings, "entries_checked": checked, "findings": findings}
    )
