"""/v1 tokens and identity: issuing and revoking bearer tokens (admin)."""

from __future__ import annotations

from typing import Any
from uuid import UUID

import orjson
from fastapi import APIRouter, Depends, Request
from starlette.responses import Response

from api import models
from api.auth import Principal
from api.dependencies import authorize
from api.routes.ledger import READ_RESPONSES, WRITE_EXTRA, WRITE_RESPONSES
from api.state import api_state, context_for, idempotency_key, json_response, run_idempotent
from domain.access.tokens import new_token, secret_digest

router = APIRouter(prefix="/v1")


@router.get("/me", response_model=models.WhoAmI, responses=READ_RESPONSES, tags=["access"])
def who_am_i(
    request: Request, principal: Principal = Depends(authorize("ledger:read"))
) -> Response:
    """The actor and role the presented token stands for."""
    return json_response(
        200, {"actor": principal.actor, "role": principal.role, "token_id": principal.token_id}
    )


@router.post(
    "/tokens",
    status_code=201,
    response_model=models.TokenWritten,
    responses=WRITE_RESPONSES,
    openapi_extra=WRITE_EXTRA,
    tags=["access"],
)
def issue_token(
    request: Request,
    body: models.TokenIn,
    principal: Principal = Depends(authorize("tokens:write")),
) -> Response:
    """Issue a token acting as ``actor`` in ``role``. The token is in this response only;
    a replay of the request answers without it."""
    key = idempotency_key(request)
    state = api_state(request)
    context = context_for(request, principal)
    token_id, text = new_token()
    view: dict[str, Any] = {
        "token_id": token_id.hex,
        "actor": body.actor,
        "role": body.role,
        "note": body.note,
        "token": None,
    }
    response = run_idempotent(
        request,
        principal,
        key,
        body.model_dump(),
        201,
        view,
        lambda: state.app.issue_token(
            context,
            body.actor,
            body.role,
            lambda secret: secret_digest(state.settings.secret_bytes, secret),
            note=body.note,
            token=(token_id, text),
        ),
    )
    if response.headers.get("idempotency-replayed") != "true":
        # First answer: the only time the token text leaves the server.
        shown = {**orjson.loads(bytes(response.body)), "token": text}
        return json_response(201, shown)
    return response


@router.get("/tokens", response_model=models.TokenList, responses=READ_RESPONSES, tags=["access"])
def list_tokens(
    request: Request, principal: Principal = Depends(authorize("tokens:read"))
) -> Response:
    """Every token ever issued (never its secret)."""
    state = api_state(request)
    return json_response(200, {"tokens": [token.as_dict() for token in state.app.list_tokens()]})


@router.post(
    "/tokens/{token_id}/revoke",
    response_model=models.Written,
    responses=WRITE_RESPONSES,
    openapi_extra=WRITE_EXTRA,
    tags=["access"],
)
def revoke_token(
    request: Request,
    token_id: UUID,
    body: models.ReasonIn,
    principal: Principal = Depends(authorize("tokens:write")),
) -> Response:
    """Revoke a token; it stops working at once here and within the token cache time elsewhere."""
    key = idempotency_key(request)
    state = api_state(request)
    context = context_for(request, principal)
    response = run_idempotent(
        request,
        principal,
        key,
        body.model_dump(),
        200,
        {},
        lambda: state.app.revoke_token(context, token_id, body.reason),
    )
    state.tokens.forget(token_id)
    return response
