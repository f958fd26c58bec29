"""Every error leaves as application/problem+json: the API's exception handlers.

Domain refusals carry a stable code and get their status from the one table
(``api.error_status``); request validation names the fields at fault; a
database that does not answer is a 503 with Retry-After (a full disk a
507), raised by the library, psycopg, sqlite3 or our own stores alike;
anything else is a logged 500 that says only its correlation id.
"""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Awaitable, Callable
from typing import Any

import psycopg
from eventsourcing.persistence import OperationalError as StoreOperationalError
from eventsourcing.persistence import PersistenceError
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import Response

from adapters.connections import database_fault
from adapters.database import DatabaseUnavailable
from api.error_status import status_for
from api.observability import BodyRefused
from api.problems import ApiProblem, problem_response
from api.state import correlation_id
from domain.kernel.errors import DomainError

LOGGER = logging.getLogger("backoffice.api")
VALIDATION_ERRORS_MAX = 50
HTTP_CODES = {404: "not_found", 405: "method_not_allowed", 415: "unsupported_media_type"}


def _field_of(location: tuple[Any, ...] | list[Any]) -> str:
    parts = list(location)
    if parts and parts[0] in ("body", "query", "path", "header", "cookie"):
        parts = parts[1:]
    text = ""
    for part in parts:
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            text += f".{part}" if text else str(part)
    return text or "body"


async def api_problem(request: Request, exc: ApiProblem) -> Response:
    return problem_response(
        exc.status,
        exc.code,
        exc.detail,
        errors=exc.errors,
        headers=exc.headers,
        correlation_id=correlation_id(request),
    )


async def domain_error(request: Request, exc: DomainError) -> Response:
    errors = [{"field": exc.field, "code": exc.code, "message": exc.message}] if exc.field else []
    return problem_response(
        status_for(exc),
        exc.code,
        exc.message,
        errors=errors,
        correlation_id=correlation_id(request),
    )


async def validation_error(request: Request, exc: RequestValidationError) -> Response:
    problems = exc.errors()
    if any(error.get("type") == "json_invalid" for error in problems):
        return problem_response(
            400,
            "malformed_json",
            "the request body is not valid JSON",
            errors=[{"field": "body", "code": "json_invalid", "message": "not valid JSON"}],
            correlation_id=correlation_id(request),
        )
    errors = [
        {
            "field": _field_of(error.get("loc", ())),
            "code": str(error.get("type", "invalid")),
            "message": str(error.get("msg", "invalid")),
        }
        for error in problems[:VALIDATION_ERRORS_MAX]
    ]
    fields = ", ".join(sorted({error["field"] for error in errors}))
    return problem_response(
        422,
        "validation_failed",
        f"the request is not valid: {fields}",
        errors=errors,
        correlation_id=correlation_id(request),
    )


async def body_refused(request: Request, exc: BodyRefused) -> Response:
    return problem_response(
        exc.status_code,
        exc.code,
        str(exc.detail),
        errors=exc.errors,
        correlation_id=correlation_id(request),
    )


async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
    return problem_response(
        exc.status_code,
        HTTP_CODES.get(exc.status_code, f"http_{exc.status_code}"),
        str(exc.detail),
        headers=dict(exc.headers or {}),
        correlation_id=correlation_id(request),
    )


async def unavailable(request: Request, exc: Exception) -> Response:
    """A database error by its class (``adapters.connections.database_fault``):
    unreachable, restarting, dropped connection, lock timeout -> 503; disk
    full -> 507; both with Retry-After and nothing written. Any other
    database error (a refused statement, a missing privilege) is a bug: 500."""
    fault = database_fault(exc)
    if fault is None:
        return await internal_error(request, exc)
    LOGGER.warning(
        "database unavailable" if fault == "unavailable" else "database disk full",
        extra={"correlation_id": correlation_id(request), "error": repr(exc)[:500]},
    )
    if fault == "disk_full":
        return problem_response(
            507,
            "insufficient_storage",
            "the database has no space left; nothing was written; retry later",
            headers={"Retry-After": "10"},
            correlation_id=correlation_id(request),
        )
    return problem_response(
        503,
        "database_unavailable",
        "the database did not answer in time; retry shortly",
        headers={"Retry-After": "2"},
        correlation_id=correlation_id(request),
    )


async def internal_error(request: Request, exc: Exception) -> Response:
    LOGGER.exception("unhandled error", extra={"correlation_id": correlation_id(request)})
    return problem_response(
        500,
        "internal_error",
        "an internal error occurred; it has been logged with this correlation id",
        correlation_id=correlation_id(request),
    )


Handler = Callable[[Request, Any], Awaitable[Response]]
HANDLERS: tuple[tuple[type[Exception], Handler], ...] = (
    (ApiProblem, api_problem),
    (DomainError, domain_error),
    (RequestValidationError, validation_error),
    (BodyRefused, body_refused),
    (StarletteHTTPException, http_error),
    (DatabaseUnavailable, unavailable),
    (StoreOperationalError, unavailable),
    (PersistenceError, unavailable),
    (psycopg.Error, unavailable),
    (sqlite3.Error, unavailable),
    (Exception, internal_error),
)


def install_error_handlers(app: FastAPI) -> None:
    """Every error leaves as application/problem+json."""
    for error_class, handler in HANDLERS:
        app.add_exception_handler(error_class, handler)
