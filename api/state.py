"""What a running API process holds: the system, the group committer, the
audit trail, the token verifier and the metrics; plus the request helpers
every route shares (contexts, access records, idempotent execution,
read-your-writes waits)."""

from __future__ import annotations

import hashlib
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import orjson
from eventsourcing.persistence import IntegrityError
from fastapi import Request
from starlette.responses import Response

from adapters.group_commit import GroupCommitter
from api.auth import Principal, TokenVerifier
from api.observability import Metrics
from api.problems import ApiProblem
from api.settings import ApiSettings
from backoffice.container import System
from domain.access.tokens import CompletedRequest, completed_request_id
from domain.kernel.errors import ConcurrencyConflict, DomainError
from domain.ledger.commands import Context

IDEMPOTENCY_KEY = re.compile(r"^[\x21-\x7e]{1,128}\Z")
REPLAYED_HEADER = "Idempotency-Replayed"


@dataclass
class ApiState:
    settings: ApiSettings
    system: System
    committer: GroupCommitter
    tokens: TokenVerifier
    metrics: Metrics
    audit: Any = None  # projections.audit.AuditTrail
    witness: Any = None  # backoffice.checkpointing.LogWitness
    _stop: threading.Event = field(default_factory=threading.Event)
    _checkpointer: threading.Thread | None = None

    @property
    def app(self) -> Any:
        return self.system.app

    def start_checkpointer(self) -> None:
        """Sign a checkpoint every ``checkpoint_interval_s`` when the log has grown."""
        if self.settings.signer is None or self.settings.checkpoint_interval_s <= 0:
            return
        self._checkpointer = threading.Thread(
            target=self._checkpoint_loop, name="checkpointer", daemon=True
        )
        self._checkpointer.start()

    def _checkpoint_loop(self) -> None:
        import logging
        import uuid

        from adapters.chain_store import ChainReader

        logger = logging.getLogger("backoffice.api")
        while not self._stop.wait(self.settings.checkpoint_interval_s):
            try:
                with ChainReader(self.system.database) as reader:
                    notes = reader.checkpoints()
                    length = reader.length()
                # Nothing new since the last checkpoint (whose own event is one more).
                if length == 0 or (notes and length <= notes[-1].size + 1):
                    continue
                context = Context("system:checkpointer", f"checkpoint-{uuid.uuid4()}")
                signed = self.witness.write_checkpoint(self.app, self.settings.signer, context)
                logger.info("checkpoint signed", extra={"size": signed.size, "root": signed.root})
            except Exception:  # keep signing later; the failure is logged
                logger.exception("checkpoint failed")

    def close(self) -> None:
        self._stop.set()
        if self._checkpointer is not None:
            self._checkpointer.join(timeout=10)
        self.committer.stop()
        if self.audit is not None:
            self.audit.close()
        self.system.close()


def api_state(request: Request) -> ApiState:
    state: ApiState = request.app.state.backoffice
    return state


def correlation_id(request: Request) -> str:
    return str(request.scope.get("state", {}).get("correlation_id", ""))


def context_for(request: Request, principal: Principal) -> Context:
    request.scope.setdefault("state", {})["actor"] = principal.actor
    return Context(actor=principal.actor, correlation_id=correlation_id(request) or "-")


def client_address(request: Request) -> str:
    return request.client.host if request.client else ""


def record_access(
    request: Request,
    *,
    outcome: str,
    status: int,
    actor: str = "",
    role: str = "",
    detail: str = "",
) -> None:
    """Append an access record (denied attempt or audit read) to the log."""
    state = api_state(request)
    route = request.scope.get("route")
    state.app.record_access(
        outcome=outcome,
        status=status,
        actor=actor[:128],
        role=role,
        method=request.method,
        route=str(getattr(route, "path", request.url.path))[:200],
        query=str(request.url.query)[:500],
        client=client_address(request)[:64],
        detail=detail[:500],
        correlation_id=correlation_id(request)[:128] or "-",
    )
    state.metrics.events_appended.inc()


# --- idempotency ------------------------------------------------------------


def idempotency_key(request: Request) -> str:
    key = request.headers.get("idempotency-key")
    if key is None:
        raise ApiProblem(
            400,
            "idempotency_key_required",
            "this request changes something: send an Idempotency-Key header "
            "(a unique string per intended change, at most 128 printable characters)",
            errors=[{"field": "Idempotency-Key", "code": "missing", "message": "required"}],
        )
    if not IDEMPOTENCY_KEY.match(key):
        raise ApiProblem(
            400,
            "idempotency_key_invalid",
            "Idempotency-Key: 1 to 128 printable ASCII characters without spaces",
            errors=[
                {
                    "field": "Idempotency-Key",
                    "code": "invalid",
                    "message": "1-128 printable characters",
                }
            ],
        )
    return key


def request_fingerprint(method: str, route: str, path: str, body: Any) -> str:
    canonical = orjson.dumps(
        {"method": method, "route": route, "path": path, "body": body}, option=orjson.OPT_SORT_KEYS
    )
    return hashlib.sha256(canonical).hexdigest()


def json_response(status: int, body: dict[str, Any], *, replayed: bool = False) -> Response:
    """A JSON response; keys sorted, so a replay is byte-identical to the original."""
    headers = {REPLAYED_HEADER: "true"} if replayed else None
    return Response(
        orjson.dumps(body, option=orjson.OPT_SORT_KEYS),
        status_code=status,
        media_type="application/json",
        headers=headers,
    )


def run_idempotent(
    request: Request,
    principal: Principal,
    key: str,
    body: Any,
    status: int,
    response_body: dict[str, Any],
    effect: Callable[[], Any],
) -> Response:
    """Run ``effect`` at most once per (actor, key); answer the same each time.

    The response (without its position) is recorded as a ``CompletedRequest``
    in the same commit as the effect. A retry with the same body gets the
    recorded status and body with ``Idempotency-Replayed: true``; a different
    body under the same key is a 422; a request racing the first one either
    sees its record (replay) or the domain's refusal of a second effect.
    """
    state = api_state(request)
    app = state.app
    route = request.scope.get("route")
    route_path = str(getattr(route, "path", request.url.path))
    fingerprint = request_fingerprint(request.method, route_path, request.url.path, body)
    existing = app.completed_request(principal.actor, key)
    if existing is not None:
        return _replay(state, existing, fingerprint, key)
    context = context_for(request, principal)

    def make_record() -> CompletedRequest:
        return CompletedRequest._create(
            CompletedRequest.RequestCompleted,
            id=completed_request_id(principal.actor, key),
            key=key,
            method=request.method,
            route=request.url.path,
            fingerprint=fingerprint,
            status=status,
            body=response_body,
            actor=principal.actor,
            correlation_id=context.correlation_id,
        )

    try:
        with app.riding(make_record) as rider_position:
            effect()
            position = rider_position()
            if position is None:
                # The effect wrote nothing (already so: the same list again, an
                # item screened before). The record is saved by itself, so the
                # key is spent and the answer has a log position.
                try:
                    app.save()
                except IntegrityError:  # the same key completed concurrently
                    raise ConcurrencyConflict("the request was completed concurrently") from None
                position = rider_position()
    except DomainError:
        raced = app.completed_request(principal.actor, key)
        if raced is not None:
            return _replay(state, raced, fingerprint, key)
        raise
    state.metrics.events_appended.inc(2)
    return json_response(status, {**response_body, "position": position})


def _replay(state: ApiState, record: CompletedRequest, fingerprint: str, key: str) -> Response:
    if record.fingerprint != fingerprint:
        raise ApiProblem(
            422,
            "idempotency_key_reused",
            f"Idempotency-Key {key!r} was used before for a different request",
            errors=[
                {
                    "field": "Idempotency-Key",
                    "code": "reused",
                    "message": "used for another request",
                }
            ],
        )
    position = state.app.position_of(record.id, 1)
    return json_response(record.status, {**record.body, "position": position}, replayed=True)


# --- read-your-writes -------------------------------------------------------

POLL_INTERVAL_S = 0.02


def wait_for_position(
    state: ApiState, min_position: int | None, reached: Callable[[], int]
) -> None:
    """Return once ``reached()`` >= ``min_position``; a 503 after the bounded wait."""
    if min_position is None:
        return
    deadline = time.monotonic() + state.settings.read_wait_s
    while True:
        current = reached()
        if current >= min_position:
            return
        if time.monotonic() >= deadline:
            raise ApiProblem(
                503,
                "position_not_reached",
                f"the projection is at log position {current}, not yet at {min_position}; retry shortly",
                headers={"Retry-After": "1"},
            )
        time.sleep(POLL_INTERVAL_S)


def log_head(state: ApiState) -> int:
    return int(state.app.recorder.max_notification_id() or 0)


def tracked_positions(state: ApiState) -> dict[str, int]:
    """Where each projection stands, without folding (health and metrics)."""
    projections = state.system.projections
    projections._ensure_tables()
    state.audit._ensure_tables()
    return {
        "balances": int(projections.store.tracked_position()),
        "audit": int(state.audit.store.tracked_position()),
    }


def balances_position(state: ApiState) -> int:
    projections = state.system.projections
    if state.settings.projections == "inline":
        return projections.catch_up()
    return tracked_positions(state)["balances"]


def audit_position(state: ApiState) -> int:
    if state.settings.projections == "inline":
        return int(state.audit.catch_up())
    return tracked_positions(state)["audit"]
