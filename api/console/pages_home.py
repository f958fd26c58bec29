"""Console: sign-in and sign-out, the home page, chain verification, static files."""

from __future__ import annotations

import datetime as dt
import secrets
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import RedirectResponse, Response

from api.auth import TokenCheckFailed
from api.console.session import (
    COOKIE,
    SESSION_LIFETIME_S,
    SIGN_IN_COOKIE,
    SIGN_IN_FORM_LIFETIME_S,
    ConsoleUser,
    check_csrf,
    clear_cookie,
    forget_session,
    require,
    session_cookie,
    set_cookie,
)
from api.console.web import (
    ConsoleRoute,
    audited_read,
    error_page,
    form_fields,
    render,
    secure,
)
from api.problems import ApiProblem
from api.state import ApiState, api_state, log_head, record_access, tracked_positions

router = APIRouter(prefix="/console", route_class=ConsoleRoute, include_in_schema=False)

User = Annotated[ConsoleUser, Depends(require("console:use"))]
AuditUser = Annotated[ConsoleUser, Depends(require("audit:read"))]
STATIC_TYPES = {".css": "text/css; charset=utf-8", ".js": "text/javascript; charset=utf-8"}
STATIC_FILES = ("console.css", "console.js")


def _safe_next(value: str | None) -> str:
    """Only a console path: never an absolute URL or another site (open redirect)."""
    if value and value.startswith("/console") and "//" not in value and "\\" not in value:
        return value
    return "/console"


@router.get("/sign-in")
def sign_in_page(request: Request, next: str | None = None) -> Response:
    form_token = secrets.token_hex(16)
    response = render(
        request,
        "sign_in.html",
        {
            "csrf_token": form_token,
            "next": _safe_next(next),
            "lifetime_h": SESSION_LIFETIME_S // 3600,
        },
    )
    set_cookie(request, response, SIGN_IN_COOKIE, form_token, SIGN_IN_FORM_LIFETIME_S)
    return response


@router.post("/sign-in")
async def sign_in(request: Request) -> Response:
    fields = await form_fields(request)
    expected = request.cookies.get(SIGN_IN_COOKIE, "")
    if not expected or not secrets.compare_digest(fields.get("csrf_token", ""), expected):
        raise ApiProblem(403, "csrf_failed", "the sign-in form is stale; reload it")
    state = api_state(request)
    token = fields.get("token", "").strip()
    try:
        principal = await run_in_threadpool(state.tokens.verify, f"Bearer {token}")
    except TokenCheckFailed as failure:
        actor, detail = failure.actor, failure.detail
        await run_in_threadpool(
            lambda: record_access(
                request,
                outcome="denied",
                status=401,
                actor=actor,
                detail=f"console sign-in: {detail}",
            )
        )
        form_token = secrets.token_hex(16)
        refused = render(
            request,
            "sign_in.html",
            {
                "csrf_token": form_token,
                "next": _safe_next(fields.get("next")),
                "lifetime_h": SESSION_LIFETIME_S // 3600,
                "error": detail,
            },
            status=401,
        )
        set_cookie(request, refused, SIGN_IN_COOKIE, form_token, SIGN_IN_FORM_LIFETIME_S)
        return refused
    value, _user = session_cookie(state, principal)
    await run_in_threadpool(
        lambda: record_access(
            request,
            outcome="read",
            status=303,
            actor=principal.actor,
            role=principal.role,
            detail="console sign-in",
        )
    )
    response = RedirectResponse(_safe_next(fields.get("next")), status_code=303)
    set_cookie(request, response, COOKIE, value, SESSION_LIFETIME_S)
    clear_cookie(request, response, SIGN_IN_COOKIE)
    return response


@router.post("/sign-out")
async def sign_out(request: Request, user: User) -> Response:
    check_csrf(user, await form_fields(request))
    forget_session(request, user)
    response = RedirectResponse("/console/sign-in", status_code=303)
    clear_cookie(request, response, COOKIE)
    return response


def home_figures(state: ApiState, user: ConsoleUser, request: Request) -> dict[str, Any]:
    from adapters.chain_store import ChainReader

    head = log_head(state)
    with ChainReader(state.system.database) as reader:
        notes = reader.checkpoints()
    today = dt.datetime.now(dt.UTC).date().isoformat()
    ledger = state.system.tracked["account_ledger"]
    held = len(state.system.services.payments.list_payments("held"))
    open_cases = None
    if user.may("sanctions:read"):
        open_cases = len(state.system.services.screening_log.cases(status="pending", limit=1000))
    return {
        "head": head,
        "checkpoint": notes[-1] if notes else None,
        "verification": getattr(request.app.state, "console_chain_report", None),
        "projections": sorted(tracked_positions(state).items()),
        "entries_today": ledger.entries_recorded_since(f"{today}T00:00:00"),
        "today": today,
        "held_payments": held,
        "open_cases": open_cases,
    }


@router.get("")
async def home(request: Request, user: User) -> Response:
    state = api_state(request)
    figures = await run_in_threadpool(home_figures, state, user, request)
    await audited_read(request, user, "home")
    return render(request, "home.html", figures, user=user)


@router.post("/verify")
async def verify(request: Request, user: AuditUser) -> Response:
    """Recompute the hash chain and check the checkpoints, as ``GET /v1/audit/verify``."""
    from adapters.chain_store import verify_chain

    check_csrf(user, await form_fields(request))
    state = api_state(request)
    keys = [state.settings.signer.public_raw] if state.settings.signer is not None else []
    report = await run_in_threadpool(verify_chain, state.system.database, keys)
    request.app.state.console_chain_report = {
        **report.as_dict(),
        "at": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M:%S UTC"),
    }
    await audited_read(request, user, "chain verification")
    return RedirectResponse("/console", status_code=303)


@router.get("/static/{name}")
def static(request: Request, name: str) -> Response:
    """The console's own assets, from a fixed list (no path from the request reaches the disk)."""
    from api.console.web import TEMPLATES

    if name not in STATIC_FILES:
        return error_page(request, 404, "Not found", f"no static file {name[:64]!r}")
    path = TEMPLATES.parent / "static" / name
    media_type = STATIC_TYPES[path.suffix]
    return secure(Response(path.read_bytes(), media_type=media_type), cache_ok=True)
