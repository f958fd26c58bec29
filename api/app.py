"""The FastAPI application: ``create_app()`` builds it from the environment.

``backoffice serve`` runs it under uvicorn (``api.app:create_app`` as a
factory, so each worker process builds its own). Endpoints are plain
``def``: the event store is synchronous, so they run in the thread pool and
the event loop never blocks. Responses are serialised with orjson.
"""

from __future__ import annotations

import gc
import importlib
import logging
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from eventsourcing.persistence import OperationalError as StoreOperationalError
from eventsourcing.persistence import PersistenceError
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import Response

from adapters.database import DatabaseUnavailable
from adapters.group_commit import GroupCommitter
from api.auth import TokenVerifier
from api.error_status import status_for
from api.observability import Metrics, RequestPlumbing, configure_json_logging
from api.problems import ApiProblem, problem_response
from api.settings import ApiSettings
from api.state import ApiState, correlation_id
from backoffice.container import System, build_system
from domain.kernel.errors import DomainError
from replay.checkpointing import LogWitness

LOGGER = logging.getLogger("backoffice.api")
API_VERSION = "1.0.0"
ROUTERS = (
    "routes.ledger",
    "routes.access",
    "routes.audit",
    "routes.ops",
    "routes.subjects",
    "routes.settlements",
    "routes.sanctions",
    "routes.banking",
    "routes.payments",
    "routes.reporting",
)
"""The API's routers (modules in api/routes/, one per area, each with a ``router``), in the order of the docs."""


def create_app(settings: ApiSettings | None = None, *, system: System | None = None) -> FastAPI:
    """The API over the event store named by ``settings`` (default: the environment).

    ``system``: an already built system (tests); the app then does not close it.
    """
    settings = settings or ApiSettings.from_environment()
    if os.environ.get("BACKOFFICE_JSON_LOGS") == "1":  # set by `backoffice serve`
        configure_json_logging(os.environ.get("BACKOFFICE_LOG_LEVEL", "INFO"))
    metrics = Metrics()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        state = start_state(settings, metrics, system)
        app.state.backoffice = state
        if system is None:  # a served process (not a test harness): tune the collector
            tune_garbage_collector()
        try:
            yield
        finally:
            if system is None:
                state.close()
            else:
                state._stop.set()
                state.committer.stop()
                if state.audit is not None:
                    state.audit.close()

    app = FastAPI(
        title="Back office API",
        version=API_VERSION,
        summary="Event-sourced back office: post journal entries, query balances and the audit trail.",
        lifespan=lifespan,
        # Metrics and logs are our own (Prometheus, JSON lines); FastAPI's native
        # OpenTelemetry hooks would cost a check per request for nothing.
        telemetry={"tracing": False, "metrics": False, "logs": False, "operation_spans": False},
    )
    for name in ROUTERS:
        app.include_router(importlib.import_module(f"api.{name}").router)
    install_error_handlers(app)
    app.add_middleware(RequestPlumbing, metrics=metrics, body_bytes_max=settings.body_bytes_max)
    return app


GC_THRESHOLD_YOUNG = 20_000


def tune_garbage_collector() -> None:
    """Move what startup allocated out of the collector's sight and collect the
    young generation less often: each request allocates many short-lived objects
    that reference counting frees, and frequent full collections over a large
    heap showed up as tens of milliseconds in the latency tail."""
    gc.collect()
    gc.freeze()
    _, middle, old = gc.get_threshold()
    gc.set_threshold(GC_THRESHOLD_YOUNG, middle, old)


def start_state(settings: ApiSettings, metrics: Metrics, system: System | None) -> ApiState:
    from projections.audit.trail import AuditTrail

    owned = system is None
    system = system or build_system(settings.database_url)
    inline = settings.projections == "inline"
    system.projections.catch_up_on_query = inline
    try:
        committer = GroupCommitter(system.app).start()
        audit = AuditTrail(system.database, catch_up_on_query=inline)
    except BaseException:
        if owned:
            system.close()
        raise
    state = ApiState(
        settings=settings,
        system=system,
        committer=committer,
        tokens=TokenVerifier(system.app, settings.secret_bytes, settings.token_cache_s),
        metrics=metrics,
        audit=audit,
        witness=LogWitness(system.database),
    )
    state.start_checkpointer()
    return state


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


def install_error_handlers(app: FastAPI) -> None:
    """Every error leaves as application/problem+json."""

    @app.exception_handler(ApiProblem)
    async def api_problem(request: Request, exc: ApiProblem) -> Response:
        return problem_response(
            exc.status,
            exc.code,
            exc.detail,
            errors=exc.errors,
            headers=exc.headers,
            correlation_id=correlation_id(request),
        )

    @app.exception_handler(DomainError)
    async def domain_error(request: Request, exc: DomainError) -> Response:
        errors = (
            [{"field": exc.field, "code": exc.code, "message": exc.message}] if exc.field else []
        )
        return problem_response(
            status_for(exc),
            exc.code,
            exc.message,
            errors=errors,
            correlation_id=correlation_id(request),
        )

    @app.exception_handler(RequestValidationError)
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
            for error in problems[:50]
        ]
        fields = ", ".join(sorted({error["field"] for error in errors}))
        return problem_response(
            422,
            "validation_failed",
            f"the request is not valid: {fields}",
            errors=errors,
            correlation_id=correlation_id(request),
        )

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        codes = {404: "not_found", 405: "method_not_allowed", 415: "unsupported_media_type"}
        return problem_response(
            exc.status_code,
            codes.get(exc.status_code, f"http_{exc.status_code}"),
            str(exc.detail),
            headers=dict(exc.headers or {}),
            correlation_id=correlation_id(request),
        )

    async def unavailable(request: Request, exc: Exception) -> Response:
        LOGGER.warning(
            "database unavailable",
            extra={"correlation_id": correlation_id(request), "error": repr(exc)[:500]},
        )
        return problem_response(
            503,
            "database_unavailable",
            "the database did not answer in time; retry shortly",
            headers={"Retry-After": "2"},
            correlation_id=correlation_id(request),
        )

    for error_class in (DatabaseUnavailable, StoreOperationalError, PersistenceError):
        app.add_exception_handler(error_class, unavailable)

    @app.exception_handler(Exception)
    async def internal_error(request: Request, exc: Exception) -> Response:
        LOGGER.exception("unhandled error", extra={"correlation_id": correlation_id(request)})
        return problem_response(
            500,
            "internal_error",
            "an internal error occurred; it has been logged with this correlation id",
            correlation_id=correlation_id(request),
        )
