"""What every console page shares: templates, security headers, errors, forms.

Templates are Jinja2 with autoescape on for every template (``.html``), so
every value a page shows is escaped unless a template says otherwise (none
does). Every console response leaves with the same headers: a
Content-Security-Policy that admits scripts, styles and images from this
origin only (no inline script, no inline style), ``frame-ancestors 'none'``,
no referrer, no sniffing, no caching of pages that show ledger data.

``ConsoleRoute`` turns the console's refusals into pages rather than
problem documents: no session is a redirect to the sign-in page, a role
without the right a 403 page, a domain refusal the page of its status.
"""

from __future__ import annotations

import urllib.parse
from collections.abc import Callable, Coroutine, Mapping
from functools import cache
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.routing import APIRoute
from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.concurrency import run_in_threadpool
from starlette.responses import HTMLResponse, RedirectResponse, Response

from api.error_status import status_for
from api.problems import ApiProblem
from api.state import record_access
from domain.kernel.errors import DomainError
from domain.kernel.money import format_amount

TEMPLATES = Path(__file__).parent / "templates"
CONTENT_SECURITY_POLICY = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; "
    "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
)
SECURITY_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cross-Origin-Opener-Policy": "same-origin",
}
FORM_BYTES_MAX = 16_384
FORM_FIELDS_MAX = 40


class SignInRequired(Exception):
    """No valid console session: the browser goes to the sign-in page."""


class ConsoleDenied(Exception):
    """The signed-in role may not see this page (a 403 page)."""

    def __init__(self, detail: str, user: Any) -> None:
        super().__init__(detail)
        self.detail = detail
        self.user = user


@cache
def environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=select_autoescape(enabled_extensions=("html",), default=True),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["amount"] = format_amount
    env.globals["urlencode"] = urllib.parse.urlencode
    return env


def secure(response: Response, *, cache_ok: bool = False) -> Response:
    for name, value in SECURITY_HEADERS.items():
        response.headers[name] = value
    if not cache_ok:
        response.headers["Cache-Control"] = "no-store"
    return response


def render(
    request: Request,
    template: str,
    context: Mapping[str, Any],
    *,
    user: Any = None,
    status: int = 200,
) -> HTMLResponse:
    """The page ``template`` with ``context``; ``user`` (a ``ConsoleUser``) for the menu."""
    html = (
        environment()
        .get_template(template)
        .render({**context, "user": user, "path": request.url.path})
    )
    return HTMLResponse(html, status_code=status)


def error_page(
    request: Request, status: int, title: str, detail: str, user: Any = None
) -> Response:
    return render(
        request,
        "error.html",
        {"status": status, "title": title, "detail": detail},
        user=user,
        status=status,
    )


class ConsoleRoute(APIRoute):
    """A console route: refusals become pages, and every response gets the headers."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def console_handler(request: Request) -> Response:
            try:
                response = await handler(request)
            except SignInRequired:
                target = urllib.parse.urlencode({"next": request.url.path})
                response = RedirectResponse(f"/console/sign-in?{target}", status_code=303)
            except ConsoleDenied as denied:
                response = error_page(request, 403, "Not allowed", denied.detail, denied.user)
            except DomainError as refusal:
                user = request.scope.get("state", {}).get("console_user")
                response = error_page(
                    request, status_for(refusal), "Refused", refusal.message, user
                )
            except ApiProblem as problem:
                user = request.scope.get("state", {}).get("console_user")
                response = error_page(request, problem.status, "Refused", problem.detail, user)
            return secure(response, cache_ok=request.url.path.startswith("/console/static/"))

        return console_handler


async def form_fields(request: Request) -> dict[str, str]:
    """The fields of a URL-encoded form (one value each; bounded in size and count)."""
    if request.headers.get("content-type", "").split(";")[0].strip() != (
        "application/x-www-form-urlencoded"
    ):
        raise ApiProblem(415, "unsupported_media_type", "a form is sent URL-encoded")
    body = await request.body()
    if len(body) > FORM_BYTES_MAX:
        raise ApiProblem(413, "form_too_large", f"a form is at most {FORM_BYTES_MAX} bytes")
    try:
        pairs = urllib.parse.parse_qsl(
            body.decode("utf-8"), keep_blank_values=True, max_num_fields=FORM_FIELDS_MAX
        )
    except (UnicodeDecodeError, ValueError):
        raise ApiProblem(400, "malformed_form", "the form could not be read") from None
    return dict(pairs)


async def audited_read(request: Request, user: Any, what: str) -> None:
    """Record the page view as an audited read in the access log (as the API's reads)."""
    await run_in_threadpool(
        lambda: record_access(
            request,
            outcome="read",
            status=200,
            actor=user.principal.actor,
            role=user.principal.role,
            detail=f"console: {what}"[:500],
        )
    )


def query_text(request: Request, name: str, length_max: int = 200) -> str | None:
    """A query parameter, stripped, None when empty; over ``length_max`` a 422."""
    value = request.query_params.get(name)
    if value is None or not value.strip():
        return None
    if len(value) > length_max:
        raise ApiProblem(422, "validation_failed", f"{name}: at most {length_max} characters")
    return value.strip()


def query_int(request: Request, name: str) -> int | None:
    value = query_text(request, name, 20)
    if value is None:
        return None
    if not value.isdigit():
        raise ApiProblem(422, "validation_failed", f"{name}: a whole number")
    return int(value)
