"""Request plumbing as one pure ASGI middleware (cheaper than one per concern):
correlation ids, the request body bound, Prometheus metrics and one JSON
log line per request.

- ``X-Correlation-ID``: taken from the request when well-formed (printable,
  at most 128 characters), else generated; echoed on the response, recorded
  in every event the request causes and in its log line.
- A body longer than the bound is refused with 413 before it is read
  (declared ``Content-Length``) or as soon as it passes the bound (chunked).
"""

from __future__ import annotations

import logging
import re
import sys
import time
import uuid
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

import orjson
from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

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


class BodyTooLarge(Exception):
    pass


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
        seen = [0]

        async def receive_bounded() -> Message:
            message = await receive()
            if message["type"] == "http.request":
                seen[0] += len(message.get("body", b""))
                if seen[0] > self.body_bytes_max:
                    raise BodyTooLarge
            return message

        try:
            if too_large:
                await self._too_large(send_wrapper, correlation_id)
            else:
                await self.app(scope, receive_bounded, send_wrapper)
        except BodyTooLarge:
            if not response_started[0]:
                await self._too_large(send_wrapper, correlation_id)
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

    async def _too_large(self, send: Send, correlation_id: str) -> None:
        body = orjson.dumps(
            problem_body(
                413,
                "body_too_large",
                f"the request body is larger than {self.body_bytes_max} bytes",
                correlation_id=correlation_id,
            )
        )
        await send(
            {
                "type": "http.response.start",
                "status": 413,
                "headers": [
                    (b"content-type", b"application/problem+json"),
                    (b"content-length", str(len(body)).encode()),
                    (b"connection", b"close"),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})
