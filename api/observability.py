"""Request plumbing as one pure ASGI middleware (cheaper than one per concern):
correlation ids, the request body bound, Prometheus metrics and one JSON
log line per request.

- ``X-Correlation-ID``: taken from the request when well-formed (printable,
  at most 128 characters), else generated; echoed on the response, recorded
  in every event the request causes and in its log line.
- A body longer than the bound is refused with 413 before it is read
  (declared ``Content-Length``) or as soon as it passes the bound (chunked).
- A route that takes a JSON body (one with a FastAPI body field) gets it
  only when it is JSON as RFC 8259 has it: sent as ``application/json`` (or a
  ``+json`` type; else 415), UTF-8 (else 400 ``malformed_json`` naming the
  byte offset) and with no object key twice (else 422 ``duplicate_key``
  naming the key: parsers disagree on which duplicate wins, so an auditor
  and the API could read different entries from the same bytes). Routes that
  read their own body (bank statements: XML, CSV) choose their own types.
"""

from __future__ import annotations

import json
import logging
import re
import sys
import time
import uuid
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

import orjson
from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram
from starlette.exceptions import HTTPException as StarletteHTTPException

from api.problems import problem_body

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

_CORRELATION_ID = re.compile(r"^[\x21-\x7e]{1,128}\Z")
LOGGER = logging.getLogger("backoffice.api")


class JsonLogFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message and extra fields."""

    RESERVED = frozenset(vars(logging.makeLogRecord({})))

    def format(self, record: logging.LogRecord) -> str:
        out: dict[str, Any] = {
            "time": self.formatTime(record, "%Y-%m-%dT%H:%M:%S") + f".{int(record.msecs):03d}Z",
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        for key, value in vars(record).items():
            if key not in self.RESERVED and not key.startswith("_"):
                out[key] = value
        if record.exc_info:
            out["exception"] = self.formatException(record.exc_info)
        return orjson.dumps(out, default=str).decode()


def configure_json_logging(level: str = "INFO") -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonLogFormatter())
    handler.formatter.converter = time.gmtime  # type: ignore[union-attr]
    for name in ("backoffice.api", "uvicorn", "uvicorn.error"):
        logger = logging.getLogger(name)
        logger.handlers[:] = [handler]
        logger.setLevel(level)
        logger.propagate = False
    logging.getLogger("uvicorn.access").disabled = True  # our own line replaces it


class Metrics:
    """The API's Prometheus metrics, in a registry of its own (one per app)."""

    def __init__(self, registry: CollectorRegistry | None = None) -> None:
        self.registry = registry or CollectorRegistry()
        self.requests = Counter(
            "backoffice_http_requests_total",
            "HTTP requests by route template, method and status",
            ["route", "method", "status"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "backoffice_http_request_duration_seconds",
            "HTTP request latency by route template",
            ["route", "method"],
            buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
            registry=self.registry,
        )
        self.events_appended = Counter(
            "backoffice_events_appended_total",
            "Events this process appended to the log",
            registry=self.registry,
        )
        self.log_head = Gauge(
            "backoffice_log_position",
            "Highest log position (sampled at scrape)",
            registry=self.registry,
        )
        self.projection_lag = Gauge(
            "backoffice_projection_lag_events",
            "Log positions the projection is behind the head (sampled at scrape)",
            ["projection"],
            registry=self.registry,
        )


class BodyRefused(StarletteHTTPException):
    """A request body refused while it is received. An ``HTTPException`` so
    that FastAPI passes it through its body parsing unchanged (it turns any
    other exception there into a generic 400); ``api.error_handlers`` answers
    it as a problem."""

    def __init__(
        self, status: int, code: str, detail: str, errors: list[dict[str, str]] | None = None
    ) -> None:
        super().__init__(status, detail)
        self.code = code
        self.errors = errors or []


def _too_large(body_bytes_max: int) -> BodyRefused:
    return BodyRefused(
        413, "body_too_large", f"the request body is larger than {body_bytes_max} bytes"
    )


def _takes_json(scope: Scope) -> bool:
    """Whether the route the router matched parses its body as JSON."""
    return getattr(scope.get("route"), "body_field", None) is not None


def _is_json_type(content_type: bytes | None) -> bool:
    media_type = (content_type or b"").split(b";", 1)[0].strip().lower()
    return media_type == b"application/json" or (
        media_type.startswith(b"application/") and media_type.endswith(b"+json")
    )


def _refuse_duplicate_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in pairs:
        if key in out:
            raise BodyRefused(
                422,
                "duplicate_key",
                f"the JSON object key {key!r} appears more than once",
                [{"field": key, "code": "duplicate_key", "message": "key given twice"}],
            )
        out[key] = value
    return out


def check_json_body(body: bytes, content_type: bytes | None) -> None:
    """Refuse a JSON route's body unless it is UTF-8 JSON, sent as JSON, with unique keys."""
    if not body:
        return
    if not _is_json_type(content_type):
        given = (content_type or b"").decode("latin-1") or "no Content-Type"
        raise BodyRefused(
            415,
            "unsupported_media_type",
            f"send the body as JSON with Content-Type application/json (not {given})",
        )
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise _malformed(f"the request body is not UTF-8 (byte offset {exc.start})") from exc
    try:
        json.loads(text, object_pairs_hook=_refuse_duplicate_keys)
    except json.JSONDecodeError as exc:
        offset = len(text[: exc.pos].encode("utf-8"))
        raise _malformed(
            f"the request body is not valid JSON: {exc.msg} (byte offset {offset})"
        ) from exc
    except RecursionError as exc:
        raise _malformed("the request body nests too deeply") from exc


def _malformed(detail: str) -> BodyRefused:
    return BodyRefused(
        400,
        "malformed_json",
        detail,
        [{"field": "body", "code": "json_invalid", "message": detail}],
    )


class RequestPlumbing:
    def __init__(self, app: ASGIApp, metrics: Metrics, body_bytes_max: int) -> None:
        self.app = app
        self.metrics = metrics
        self.body_bytes_max = body_bytes_max

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        headers = dict(scope.get("headers") or ())
        given = headers.get(b"x-correlation-id", b"").decode("latin-1")
        correlation_id = given if _CORRELATION_ID.match(given) else str(uuid.uuid4())
        scope.setdefault("state", {})["correlation_id"] = correlation_id
        status_holder = [500]
        response_started = [False]

        async def send_wrapper(message: Message) -> None:
            if message["type"] == "http.response.start":
                response_started[0] = True
                status_holder[0] = message["status"]
                message.setdefault("headers", [])
                message["headers"] = [
                    *message["headers"],
                    (b"x-correlation-id", correlation_id.encode("latin-1")),
                ]
            await send(message)

        declared = headers.get(b"content-length")
        too_large = False
        if declared is not None:
            try:
                too_large = int(declared) > self.body_bytes_max
            except ValueError:
                too_large = True
        receive_checked = self._receive_checked(scope, receive, headers.get(b"content-type"))
        try:
            if too_large:
                await self._refuse(send_wrapper, correlation_id, _too_large(self.body_bytes_max))
            else:
                await self.app(scope, receive_checked, send_wrapper)
        except BodyRefused as refused:
            if not response_started[0]:
                await self._refuse(send_wrapper, correlation_id, refused)
        finally:
            elapsed = time.perf_counter() - started
            route = scope.get("route")
            template = getattr(route, "path", None) or "unmatched"
            method = scope.get("method", "")
            status = status_holder[0]
            self.metrics.requests.labels(template, method, str(status)).inc()
            self.metrics.latency.labels(template, method).observe(elapsed)
            if LOGGER.isEnabledFor(logging.INFO):
                state = scope.get("state", {})
                LOGGER.info(
                    "request",
                    extra={
                        "correlation_id": correlation_id,
                        "method": method,
                        "route": template,
                        "path": scope.get("path", ""),
                        "status": status,
                        "duration_ms": round(elapsed * 1000, 3),
                        "actor": state.get("actor", ""),
                        "client": (scope.get("client") or ("", 0))[0],
                    },
                )

    def _receive_checked(
        self, scope: Scope, receive: Receive, content_type: bytes | None
    ) -> Receive:
        """``receive`` bounded to the body limit however the body is sent. For a
        route taking JSON the whole body is gathered first and checked
        (``check_json_body``), then handed on as one message; the route is known
        by then, as the router matched it before the endpoint asked for the body."""
        seen = [0]
        body_bytes_max = self.body_bytes_max

        async def receive_bounded() -> Message:
            message = await receive()
            if message["type"] == "http.request":
                seen[0] += len(message.get("body", b""))
                if seen[0] > body_bytes_max:
                    raise _too_large(body_bytes_max)
            return message

        async def receive_checked() -> Message:
            if not _takes_json(scope):
                return await receive_bounded()
            chunks = []
            while True:
                message = await receive_bounded()
                if message["type"] != "http.request":
                    return message
                chunks.append(message.get("body", b""))
                if not message.get("more_body", False):
                    break
            body = b"".join(chunks)
            check_json_body(body, content_type)
            return {"type": "http.request", "body": body, "more_body": False}

        return receive_checked

    async def _refuse(self, send: Send, correlation_id: str, refused: BodyRefused) -> None:
        body = orjson.dumps(
            problem_body(
                refused.status_code,
                refused.code,
                str(refused.detail),
                refused.errors,
                correlation_id=correlation_id,
            )
        )
        await send(
            {
                "type": "http.response.start",
                "status": refused.status_code,
                "headers": [
                    (b"content-type", b"application/problem+json"),
                    (b"content-length", str(len(body)).encode()),
                    (b"connection", b"close"),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})
