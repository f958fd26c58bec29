"""What a running API process holds: the system, the group committer, the
audit trail, the token verifier and the metrics; plus the request helpers
every route shares (contexts, access records, JSON responses,
read-your-writes waits). Idempotent writes: ``api.write``."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import orjson
from fastapi import Request
from starlette.responses import Response

from adapters.group_commit import GroupCommitter
from adapters.settings import Settings
from api.auth import Principal, TokenVerifier
from api.observability import Metrics
from api.ports import BuiltSystem
from api.problems import ApiProblem
from domain.kernel.context import Context

REPLAYED_HEADER = "Idempotency-Replayed"


@dataclass
class ApiState:
    settings: Settings
    system: BuiltSystem
    committer: GroupCommitter
    tokens: TokenVerifier
    metrics: Metrics
    audit: Any = None  # projections.audit.AuditTrail
    access: Any = None  # adapters.access_log.AccessRecorder
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
        if self.access is not None:
            self.access.close()
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
    """Append an access record (denied attempt, audited read, refused four-eyes attempt)
    to the access log (``adapters.access_log``), not the business log. Past the rate
    limit of its client address or token it is only counted and the request is
    answered 429 with Retry-After (an audited read is then not served)."""
    import hashlib

    from adapters.access_log import now_utc_text
    from domain.access.access_entries import AccessEntry

    state = api_state(request)
    route = request.scope.get("route")
    entry = AccessEntry(
        recorded_at_utc=now_utc_text(time.time()),
        log_position=log_head(state),
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
    presented = request.headers.get("authorization", "")
    token_key = actor or (hashlib.sha256(presented.encode()).hexdigest()[:32] if presented else "")
    recorded = state.access.record(entry, token_key=token_key)
    if recorded.position is None:
        raise ApiProblem(
            429,
            "too_many_requests",
            f"more than {state.settings.access_records_per_minute} recorded accesses a minute"
            f" from this client or token; retry after {recorded.retry_after_s} s",
            headers={"Retry-After": str(recorded.retry_after_s)},
        )


# --- responses ----------------------------------------------------------------


def json_response(status: int, body: dict[str, Any], *, replayed: bool = False) -> Response:
    """A JSON response; keys sorted, so a replay is byte-identical to the original."""
    headers = {REPLAYED_HEADER: "true"} if replayed else None
    return Response(
        orjson.dumps(body, option=orjson.OPT_SORT_KEYS),
        status_code=status,
        media_type="application/json",
        headers=headers,
    )


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


def wait_for_at_position(
    state: ApiState, at_position: int | None, reached: Callable[[], int]
) -> None:
    """An ``?at_position=`` read answers exactly at that position or not at all:
    beyond the log's head it is refused (422 ``position_beyond_head``: a
    position not yet written has no state to show, and answering at the head
    instead would let a caller cite a position the answer does not reflect);
    at or before the head it waits like ``min_position`` for the projection
    to get there (503 ``position_not_reached`` after the bounded wait)."""
    if at_position is None:
        return
    head = log_head(state)
    if at_position > head:
        raise ApiProblem(
            422,
            "position_beyond_head",
            f"at_position {at_position} is beyond the log's head ({head}); ask for a position"
            " at or before the head (min_position waits for a position still to be written)",
            errors=[
                {"field": "at_position", "code": "position_beyond_head", "message": "beyond head"}
            ],
        )
    wait_for_position(state, at_position, reached)


def reader_database(state: ApiState) -> Any:
    """Where log readers, reports and chain verification read: the standby of
    ``BACKOFFICE_READ_DATABASE_URL``, else the primary."""
    return getattr(state.system, "reader_database", state.system.database)


def replica_position(state: ApiState) -> int:
    """The log position the reader database has replayed (the primary's head without one)."""
    from adapters.replicas import replayed_position

    database = reader_database(state)
    if database is state.system.database:
        return log_head(state)
    return replayed_position(database)


def log_head(state: ApiState) -> int:
    return int(state.app.recorder.max_notification_id() or 0)


def tracked_positions(state: ApiState) -> dict[str, int]:
    """Where each registered projection stands, without folding (health and metrics)."""
    return {
        name: int(projection.tracked_position())
        for name, projection in state.system.tracked.items()
    }


def balances_position(state: ApiState) -> int:
    projections = state.system.projections
    if state.settings.projections == "inline":
        return projections.catch_up()
    return projections.tracked_position()


def audit_position(state: ApiState) -> int:
    if state.settings.projections == "inline":
        return int(state.audit.catch_up())
    return int(state.audit.tracked_position())
