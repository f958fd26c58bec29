"""The FastAPI application: ``create_app()`` builds it from the settings.

``backoffice serve`` runs it under uvicorn (``backoffice.serving:create_served_app``
as a factory, so each worker process builds its own system). Endpoints are plain
``def``: the event store is synchronous, so they run in the thread pool and
the event loop never blocks. Responses are serialised with orjson.
"""

from __future__ import annotations

import gc
import importlib
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from adapters.group_commit import GroupCommitter
from adapters.settings import Settings
from api.auth import TokenVerifier
from api.error_handlers import install_error_handlers
from api.observability import Metrics, RequestPlumbing, configure_json_logging
from api.openapi_docs import install_docs
from api.ports import BuildSystem, BuiltSystem
from api.state import ApiState
from replay.checkpointing import LogWitness

LOGGER = logging.getLogger("backoffice.api")
API_VERSION = "1.0.0"
ROUTERS = (
    "routes.ledger",
    "routes.account_ledger",
    "routes.access",
    "routes.audit",
    "routes.ops",
    "routes.subjects",
    "routes.settlements",
    "routes.sanctions",
    "routes.banking",
    "routes.payments",
    "routes.receipts",
    "routes.reporting",
    "routes.billing",
    "routes.billing_bills",
    "routes.billing_allocations",
    "routes.inventory",
    "routes.payroll",
    "console",
)
"""The API's routers (modules in api/routes/, one per area, each with a ``router``), in the order of the docs."""


def create_app(
    settings: Settings | None = None,
    *,
    system: BuiltSystem | None = None,
    build: BuildSystem | None = None,
) -> FastAPI:
    """The API over the event store named by ``settings`` (default: read from the
    environment, as uvicorn's factory calls it in each worker).

    ``system``: an already built system (tests, the CLI); the app then does not
    close it. ``build``: how a served process builds its own at startup (the
    composition root's, handed in by ``backoffice.serving``).
    """
    if settings is None:
        settings = Settings.from_environment()
    if settings.json_logs:  # set by `backoffice serve` for its workers
        configure_json_logging(settings.log_level)
    metrics = Metrics()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        state = start_state(settings, metrics, system, build)
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
                if state.access is not None:
                    state.access.close()

    app = FastAPI(
        title="Back office API",
        version=API_VERSION,
        summary="Event-sourced back office: post journal entries, query balances and the audit trail.",
        lifespan=lifespan,
        # /docs from packaged assets (api.openapi_docs); ReDoc exists only on a CDN.
        docs_url=None,
        redoc_url=None,
        # Metrics and logs are our own (Prometheus, JSON lines); FastAPI's native
        # OpenTelemetry hooks would cost a check per request for nothing.
        telemetry={"tracing": False, "metrics": False, "logs": False, "operation_spans": False},
    )
    for name in ROUTERS:
        app.include_router(importlib.import_module(f"api.{name}").router)
    install_docs(app)
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


def start_state(
    settings: Settings, metrics: Metrics, system: BuiltSystem | None, build: BuildSystem | None
) -> ApiState:
    from adapters.access_log import AccessLog, AccessRecorder
    from domain.access.access_entries import AccessRateLimiter
    from projections.audit.trail import AuditTrail

    owned = system is None
    if system is None:
        # Only the served app starts without a system; the OpenAPI document
        # needs neither.
        assert build is not None, "create_app needs a system or a way to build one"
        system = build(settings)
    inline = settings.projections == "inline"
    system.projections.catch_up_on_query = inline
    try:
        committer = GroupCommitter(system.app).start()
        audit = AuditTrail(system.database, catch_up_on_query=inline)
        if getattr(system, "read_database", None) is not None:
            audit.read_log_from(system.read_database)  # type: ignore[attr-defined]
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
        access=AccessRecorder(
            AccessLog(system.database, create_tables=settings.create_tables),
            AccessRateLimiter(settings.access_records_per_minute, window_s=60),
        ),
    )
    state.start_checkpointer()
    return state
