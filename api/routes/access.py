"""/v1 tokens and identity: issuing and revoking bearer tokens (admin)."""

from __future__ import annotations

from typing import Any
from uuid import UUID

import orjson
from starlette.responses import Response

from api.dependencies import BackOfficeDep, StateDep
from api.permissions import LedgerReader, TokensReader, TokensWrite
from api.routing import area_router
from api.schemas.access import TokenIn, TokenList, TokenWritten, WhoAmI
from api.schemas.common import ReasonIn, Written
from api.state import REPLAYED_HEADER, json_response
from domain.access.tokens import new_token, secret_digest

router = area_router(tags=["access"])


@router.get("/me", response_model=WhoAmI)
def who_am_i(principal: LedgerReader) -> Response:
    """The actor and role the presented token stands for."""
    return json_response(
        200, {"actor": principal.actor, "role": principal.role, "token_id": principal.token_id}
    )


@router.post("/tokens", status_code=201, response_model=TokenWritten)
def issue_token(
    body: TokenIn, write: TokensWrite, state: StateDep, ledger: BackOfficeDep
) -> Response:
    """Issue a token acting as ``actor`` in ``role``. The token is in this response only;
    a replay of the request answers without it."""
    token_id, text = new_token()
    secret = state.settings.secret_bytes
    view: dict[str, Any] = {
        "token_id": token_id.hex,
        "actor": body.actor,
        "role": body.role,
        "note": body.note,
        "token": None,
    }
    response = write.run(
        lambda context: ledger.issue_token(
            context,
            body.actor,
            body.role,
            lambda presented: secret_digest(secret, presented),
            note=body.note,
            token=(token_id, text),
        ),
        body=body,
        answer=view,
        status=201,
    )
    if response.headers.get(REPLAYED_HEADER) != "true":
        # First answer: the only time the token text leaves the server.
        return json_response(201, {**orjson.loads(bytes(response.body)), "token": text})
    return response


@router.get("/tokens", response_model=TokenList)
def list_tokens(principal: TokensReader, ledger: BackOfficeDep) -> Response:
    """Every token ever issued (never its secret)."""
    return json_response(200, {"tokens": [token.as_dict() for token in ledger.list_tokens()]})


@router.post("/tokens/{token_id}/revoke", response_model=Written)
def revoke_token(
    token_id: UUID, body: ReasonIn, write: TokensWrite, state: StateDep, ledger: BackOfficeDep
) -> Response:
    """Revoke a token; it stops working at once here and within the token cache time elsewhere."""
    response = write.run(
        lambda context: ledger.revoke_token(context, token_id, body.reason),
        body=body,
        answer={},
    )
    state.tokens.forget(token_id)
    return response
