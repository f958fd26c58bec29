"""The routers' route class: the shared OpenAPI documentation, in one place.

A route is documented by what it depends on, not by what it repeats: one
taking a ``Write`` (``api.permissions``: ``<Area><Verb>``) gets the
Idempotency-Key header parameter and the problems every write may answer;
one taking an authorised ``Principal`` (``<Area>Reader``) the problems every
read may answer. A route adds its own (bank statements: 415) with
``responses=``; its own entries win.
"""

from __future__ import annotations

import inspect
import typing
from collections.abc import Callable
from typing import Any

from fastapi import APIRouter, params
from fastapi.routing import APIRoute

from api.dependencies import READ_DEPENDENCIES, WRITE_DEPENDENCIES
from api.schemas.common import Problem
from api.write import IDEMPOTENCY_HEADER

Responses = dict[int | str, dict[str, Any]]


def problem(description: str | None = None) -> dict[str, Any]:
    """An error response: a Problem, sent as application/problem+json (FastAPI also lists the
    model under application/json; the problem+json entry is the media type actually sent)."""
    declared: dict[str, Any] = {
        "model": Problem,
        "content": {
            "application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}
        },
    }
    if description is not None:
        declared["description"] = description
    return declared


WRITE_RESPONSES: Responses = {
    400: problem("missing or invalid Idempotency-Key"),
    401: problem(),
    403: problem(),
    404: problem(),
    409: problem(),
    413: problem(),
    422: problem(),
    503: problem(),
}
READ_RESPONSES: Responses = {
    401: problem(),
    403: problem(),
    404: problem(),
    422: problem(),
    503: problem(),
}
IDEMPOTENCY_PARAMETER: dict[str, Any] = {
    "name": IDEMPOTENCY_HEADER,
    "in": "header",
    "required": True,
    "schema": {"type": "string", "minLength": 1, "maxLength": 128, "pattern": "^[!-~]+$"},
    "description": "one key per intended change; a retry with the same key and body is answered "
    "with the original response (and Idempotency-Replayed: true)",
}


def dependencies_of(endpoint: Callable[..., Any]) -> list[Callable[..., Any]]:
    """The dependencies ``endpoint``'s parameters declare (``Annotated[..., Depends(x)]``
    or ``= Depends(x)``)."""
    hints = typing.get_type_hints(endpoint, include_extras=True)
    found = []
    for name, parameter in inspect.signature(endpoint).parameters.items():
        declared = [*getattr(hints.get(name), "__metadata__", ()), parameter.default]
        found += [item.dependency for item in declared if isinstance(item, params.Depends)]
    return [dependency for dependency in found if dependency is not None]


def with_idempotency_parameter(extra: dict[str, Any] | None) -> dict[str, Any]:
    extra = dict(extra or {})
    declared = list(extra.get("parameters", []))
    if not any(item.get("name") == IDEMPOTENCY_HEADER for item in declared):
        declared.insert(0, IDEMPOTENCY_PARAMETER)
    extra["parameters"] = declared
    return extra


class DocumentedRoute(APIRoute):
    """An ``APIRoute`` documenting the shared problems and headers of its kind."""

    def __init__(
        self,
        path: str,
        endpoint: Callable[..., Any],
        *,
        responses: Responses | None = None,
        openapi_extra: dict[str, Any] | None = None,
        **options: Any,
    ) -> None:
        dependencies = dependencies_of(endpoint)
        if any(dependency in WRITE_DEPENDENCIES for dependency in dependencies):
            responses = {**WRITE_RESPONSES, **(responses or {})}
            openapi_extra = with_idempotency_parameter(openapi_extra)
        elif any(dependency in READ_DEPENDENCIES for dependency in dependencies):
            responses = {**READ_RESPONSES, **(responses or {})}
        super().__init__(
            path, endpoint, responses=responses, openapi_extra=openapi_extra, **options
        )


def area_router(prefix: str = "/v1", **options: Any) -> APIRouter:
    """The router of one area: its routes documented by ``DocumentedRoute``."""
    return APIRouter(prefix=prefix, route_class=DocumentedRoute, **options)
