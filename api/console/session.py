"""Console sessions: an API token exchanged for a signed session cookie, and CSRF.

Sign-in checks the token with the API's own check (``api.auth.TokenVerifier``:
the same digests, the same revocation, the same roles). The session is a
cookie ``bo_console``: the token's id, actor and role, an expiry and a random
nonce, signed with HMAC-SHA256 under a key derived from the server secret.
It is HttpOnly, SameSite=Strict, Path=/console, and Secure in production.
Every request checks the signature and the expiry, and asks the log whether
the token was revoked since (a revoked token ends its sessions at once).
Sign-out expires the cookie and remembers the nonce until the session's
expiry in this process.

CSRF: each session has a token, an HMAC of its nonce, that every POST form
carries in a hidden ``csrf_token`` field and the server compares in constant
time. The sign-in form, before any session, is a double submit: a random
value in a SameSite=Strict cookie and in the form must match.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import secrets
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any
from uuid import UUID

import orjson
from fastapi import Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from api.auth import PERMISSIONS, Principal
from api.console.web import ConsoleDenied, SignInRequired
from api.problems import ApiProblem
from api.state import ApiState, api_state, record_access
from domain.access.errors import UnknownToken

COOKIE = "bo_console"
SIGN_IN_COOKIE = "bo_console_sign_in"
COOKIE_PATH = "/console"
SESSION_LIFETIME_S = 4 * 3600
SIGN_IN_FORM_LIFETIME_S = 900
SIGNED_OUT_MAX = 10_000


@dataclass(frozen=True, slots=True)
class ConsoleUser:
    """A signed-in person: the API principal, the session's CSRF token and expiry."""

    principal: Principal
    csrf_token: str
    expires_at: int
    nonce: str

    def may(self, permission: str) -> bool:
        return self.principal.role in PERMISSIONS[permission]


def _key(state: ApiState, purpose: bytes) -> bytes:
    return hmac.new(
        state.settings.secret_bytes, b"backoffice console v1 " + purpose, "sha256"
    ).digest()


def _sign(state: ApiState, payload: bytes) -> str:
    return hmac.new(_key(state, b"session"), payload, hashlib.sha256).hexdigest()


def csrf_token_of(state: ApiState, nonce: str) -> str:
    return hmac.new(_key(state, b"csrf"), nonce.encode(), hashlib.sha256).hexdigest()


def session_cookie(state: ApiState, principal: Principal) -> tuple[str, ConsoleUser]:
    expires_at = int(time.time()) + SESSION_LIFETIME_S
    nonce = secrets.token_hex(16)
    payload = orjson.dumps(
        {
            "t": principal.token_id,
            "a": principal.actor,
            "r": principal.role,
            "e": expires_at,
            "n": nonce,
        }
    )
    encoded = base64.urlsafe_b64encode(payload).decode("ascii").rstrip("=")
    user = ConsoleUser(principal, csrf_token_of(state, nonce), expires_at, nonce)
    return f"{encoded}.{_sign(state, payload)}", user


def _read_cookie(state: ApiState, value: str) -> dict[str, Any] | None:
    encoded, _, signature = value.partition(".")
    try:
        payload = base64.urlsafe_b64decode((encoded + "=" * (-len(encoded) % 4)).encode("ascii"))
    except (binascii.Error, UnicodeError, ValueError):
        return None
    if not hmac.compare_digest(_sign(state, payload), signature):
        return None
    fields: dict[str, Any] = orjson.loads(payload)
    return fields if int(fields["e"]) > time.time() else None


def _signed_out(request: Request) -> dict[str, int]:
    found: dict[str, int] | None = getattr(request.app.state, "console_signed_out", None)
    if found is None:
        found = request.app.state.console_signed_out = {}
    return found


def forget_session(request: Request, user: ConsoleUser) -> None:
    signed_out = _signed_out(request)
    now = time.time()
    if len(signed_out) >= SIGNED_OUT_MAX:
        for nonce in [n for n, expiry in signed_out.items() if expiry <= now]:
            del signed_out[nonce]
    signed_out[user.nonce] = user.expires_at


def _token_live(state: ApiState, token_id: str, role: str) -> bool:
    try:
        token = state.app.get_token(UUID(hex=token_id))
    except (UnknownToken, ValueError):
        return False
    return not token.revoked and token.role == role


async def current_user(request: Request) -> ConsoleUser:
    """The signed-in user of this request; SignInRequired when there is none."""
    state = api_state(request)
    value = request.cookies.get(COOKIE)
    fields = _read_cookie(state, value) if value else None
    if fields is None or str(fields["n"]) in _signed_out(request):
        raise SignInRequired()
    if not await run_in_threadpool(_token_live, state, str(fields["t"]), str(fields["r"])):
        raise SignInRequired()
    principal = Principal(str(fields["a"]), str(fields["r"]), str(fields["t"]))
    user = ConsoleUser(
        principal, csrf_token_of(state, str(fields["n"])), int(fields["e"]), str(fields["n"])
    )
    scope_state = request.scope.setdefault("state", {})
    scope_state["actor"] = principal.actor
    scope_state["console_user"] = user
    return user


def require(permission: str) -> Callable[[Request], Awaitable[ConsoleUser]]:
    """A dependency: the signed-in user if the role may ``permission`` (else a 403 page,
    recorded as a denied attempt like the API's)."""
    roles = PERMISSIONS[permission]  # an unknown permission fails at import

    async def dependency(request: Request) -> ConsoleUser:
        user = await current_user(request)
        if user.principal.role not in roles:
            detail = f"role {user.principal.role} may not {permission}; allowed: {', '.join(roles)}"
            await run_in_threadpool(
                lambda: record_access(
                    request,
                    outcome="denied",
                    status=403,
                    actor=user.principal.actor,
                    role=user.principal.role,
                    detail=f"console: {detail}",
                )
            )
            raise ConsoleDenied(detail, user)
        return user

    dependency.__name__ = f"console_{permission.replace(':', '_')}"
    return dependency


def check_csrf(user: ConsoleUser, fields: dict[str, str]) -> None:
    """The form's ``csrf_token`` is this session's (a 403 otherwise)."""
    if not hmac.compare_digest(fields.get("csrf_token", ""), user.csrf_token):
        raise ApiProblem(
            403, "csrf_failed", "the form is stale or not from this console; reload it"
        )


def set_cookie(request: Request, response: Response, name: str, value: str, max_age: int) -> None:
    response.set_cookie(
        name,
        value,
        max_age=max_age,
        path=COOKIE_PATH,
        httponly=True,
        samesite="strict",
        secure=api_state(request).settings.environment == "production",
    )


def clear_cookie(request: Request, response: Response, name: str) -> None:
    set_cookie(request, response, name, "", 0)
