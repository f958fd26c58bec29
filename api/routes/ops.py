"""Operations: liveness, readiness and Prometheus metrics (no token needed)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from starlette.responses import Response

from api import models
from api.state import api_state, json_response, log_head, tracked_positions

router = APIRouter(tags=["operations"])


@router.get("/health/live", response_model=models.Health)
def live() -> Response:
    """The process answers."""
    return json_response(200, {"status": "ok"})


@router.get(
    "/health/ready", response_model=models.Health, responses={503: {"model": models.Health}}
)
def ready(request: Request) -> Response:
    """The database answers and no projection is more than ``BACKOFFICE_READY_LAG_MAX``
    log positions behind the head; reports how far each one is behind. 503 names the
    projections over the limit. In inline mode the probe folds a projection past the
    limit first, as the next read of it would (an instance that no read reaches,
    say after a restart behind a load balancer, is not left unready forever); it
    is unready when that fold fails. With workers, lag means the worker is behind
    or stopped. Liveness (``/health/live``) does not look."""
    state = api_state(request)
    try:
        head = log_head(state)
        positions = tracked_positions(state)
        if state.settings.projections == "inline":
            positions = _folded_past_the_limit(state, head, positions)
    except Exception as exc:  # any failure to reach the database means not ready
        return json_response(
            503, {"status": "unavailable", "detail": f"database: {type(exc).__name__}"}
        )
    lag: dict[str, Any] = {name: max(0, head - position) for name, position in positions.items()}
    lag_max = state.settings.ready_lag_max
    lagging = sorted(name for name, behind in lag.items() if behind > lag_max)
    body: dict[str, Any] = {
        "status": "ok",
        "log_position": head,
        "projection_lag": lag,
        "projection_lag_max": lag_max,
        "projections": state.settings.projections,
    }
    if lagging:
        detail = ", ".join(f"{name} {lag[name]} behind" for name in lagging)
        body.update(
            status="unavailable",
            detail=f"projections more than {lag_max} log positions behind: {detail}",
            lagging=lagging,
        )
        return json_response(503, body)
    return json_response(200, body)


@router.get("/metrics", response_class=Response, responses={200: {"content": {"text/plain": {}}}})
def metrics(request: Request) -> Response:
    """Prometheus text format: requests, latency, events appended, projection lag."""
    state = api_state(request)
    try:
        head = log_head(state)
        state.metrics.log_head.set(head)
        for name, position in tracked_positions(state).items():
            state.metrics.projection_lag.labels(name).set(max(0, head - position))
    except Exception:  # metrics still answer when the database does not
        pass
    return Response(generate_latest(state.metrics.registry), media_type=CONTENT_TYPE_LATEST)


def _folded_past_the_limit(state: Any, head: int, positions: dict[str, int]) -> dict[str, int]:
    """Inline mode: catch up every projection more than the limit behind the head."""
    limit = state.settings.ready_lag_max
    for name, position in positions.items():
        if head - position > limit:
            positions[name] = int(state.system.tracked[name].catch_up())
    return positions
