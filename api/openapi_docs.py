"""The API's documentation, in one place: who may call each operation, a whole
request for each write, and Swagger UI served from a package.

- Roles: every operation's description ends with the roles
  ``api.auth.PERMISSIONS`` allows it, read from the one permission dependency
  the route declares (``api.permissions``), so the page cannot drift from
  the table the API enforces.
- Examples: every JSON request body gets one example holding every field,
  built from its schema (a field's own ``examples`` first, then its format,
  enum, bounds and name), so a reader sees the whole request at once.
- Swagger UI: its assets come from the ``swagger-ui-py`` wheel (Swagger UI
  5, Apache-2.0, its LICENSE beside the files) and are served under
  ``/docs/assets``: the page names no external URL and works offline. ReDoc
  (only on a CDN) is not served.
"""

from __future__ import annotations

import importlib.util
import inspect
import re
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

from fastapi import FastAPI
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.openapi.utils import get_openapi
from fastapi.routing import APIRoute
from starlette.requests import Request
from starlette.responses import HTMLResponse
from starlette.routing import BaseRoute
from starlette.staticfiles import StaticFiles

from api.auth import PERMISSIONS
from api.dependencies import READ_DEPENDENCIES, WRITE_DEPENDENCIES
from api.routing import dependencies_of

DOCS_ASSETS_PATH = "/docs/assets"
ROLES_HEADING = "Roles allowed:"
EXAMPLE_DEPTH_MAX = 8


def swagger_ui_static_dir() -> Path:
    """Where the ``swagger-ui-py`` wheel keeps Swagger UI's files (found without
    importing the package, which would pull in its own web-framework glue)."""
    spec = importlib.util.find_spec("swagger_ui")
    assert spec is not None and spec.submodule_search_locations, "swagger-ui-py is installed"
    return Path(next(iter(spec.submodule_search_locations))) / "static"


def install_docs(app: FastAPI) -> None:
    """``/docs`` from packaged assets, and the OpenAPI document with roles and examples."""
    app.mount(DOCS_ASSETS_PATH, StaticFiles(directory=swagger_ui_static_dir()), name="docs-assets")

    async def swagger_ui(request: Request) -> HTMLResponse:
        root = request.scope.get("root_path", "").rstrip("/")
        return get_swagger_ui_html(
            openapi_url=f"{root}{app.openapi_url}",
            title=f"{app.title} - docs",
            swagger_js_url=f"{root}{DOCS_ASSETS_PATH}/swagger-ui-bundle.js",
            swagger_css_url=f"{root}{DOCS_ASSETS_PATH}/swagger-ui.css",
            swagger_favicon_url=f"{root}{DOCS_ASSETS_PATH}/favicon-32x32.png",
            # No validator badge: it would send the document to an outside service.
            swagger_ui_parameters={"validatorUrl": None},
        )

    app.add_route("/docs", swagger_ui, include_in_schema=False)

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            document = get_openapi(
                title=app.title,
                version=app.version,
                summary=app.summary,
                description=app.description,
                routes=app.routes,
            )
            add_request_examples(document)
            app.openapi_schema = document
        return app.openapi_schema

    describe_roles(app)
    app.openapi = openapi  # type: ignore[method-assign]


# --- roles --------------------------------------------------------------------------


def permission_of(endpoint: Callable[..., Any]) -> str | None:
    """The permission of the one ``authorize``/``authorize_write`` dependency
    ``endpoint`` declares (each closes over its permission), or None."""
    for dependency in dependencies_of(endpoint):
        if dependency in READ_DEPENDENCIES or dependency in WRITE_DEPENDENCIES:
            permission = inspect.getclosurevars(dependency).nonlocals.get("permission")
            assert isinstance(permission, str), f"{dependency} closes over its permission"
            return permission
    return None


def roles_sentence(permission: str | None) -> str:
    if permission is None:
        return f"{ROLES_HEADING} anyone; no token needed."
    roles = ", ".join(f"`{role}`" for role in PERMISSIONS[permission])
    return f"{ROLES_HEADING} {roles} (permission `{permission}`)."


def api_routes(routes: Iterable[BaseRoute]) -> Iterator[APIRoute]:
    """Every ``APIRoute`` under ``routes``, through included routers."""
    for route in routes:
        if isinstance(route, APIRoute):
            yield route
        included = getattr(route, "original_router", None)  # FastAPI's included router
        if included is not None:
            yield from api_routes(included.routes)


def describe_roles(app: FastAPI) -> None:
    """End every operation's description with its roles (``PERMISSIONS``)."""
    for route in api_routes(app.routes):
        if not route.include_in_schema:
            continue
        description = (route.description or route.summary or route.name).strip()
        if ROLES_HEADING in description:
            continue
        sentence = roles_sentence(permission_of(route.endpoint))
        route.description = f"{description}\n\n{sentence}"


# --- whole-request examples --------------------------------------------------------


def add_request_examples(document: dict[str, Any]) -> None:
    """Give every JSON request body without one an example of every field."""
    components = document.get("components", {}).get("schemas", {})
    for item in document.get("paths", {}).values():
        for operation in item.values():
            if not isinstance(operation, dict):
                continue
            content = operation.get("requestBody", {}).get("content", {})
            media = content.get("application/json")
            if media is None or "example" in media or "examples" in media:
                continue
            media["example"] = example_of(media.get("schema", {}), components)


def _resolve(schema: dict[str, Any], components: dict[str, Any]) -> dict[str, Any]:
    reference = schema.get("$ref")
    if isinstance(reference, str) and reference.startswith("#/components/schemas/"):
        return dict(components.get(reference.rsplit("/", 1)[-1], {}))
    return schema


def example_of(
    schema: dict[str, Any], components: dict[str, Any], name: str = "", depth: int = 0
) -> Any:
    """A value ``schema`` accepts, for the docs; every property of an object included."""
    schema = _resolve(schema, components)
    if depth > EXAMPLE_DEPTH_MAX:
        return None
    for key in ("examples", "example", "default", "const", "enum"):
        if key in schema and schema[key] is not None:
            found = schema[key]
            return found[0] if key in ("examples", "enum") and isinstance(found, list) else found
    for key in ("anyOf", "oneOf", "allOf"):
        if key in schema:
            choices = [item for item in schema[key] if item.get("type") != "null"]
            if choices:
                return example_of(choices[0], components, name, depth + 1)
            return None
    kind = schema.get("type")
    if kind == "object" or "properties" in schema:
        return {
            field: example_of(sub, components, field, depth + 1)
            for field, sub in schema.get("properties", {}).items()
        }
    if kind == "array":
        item = example_of(schema.get("items", {}), components, name, depth + 1)
        return [item] * max(1, int(schema.get("minItems", 1)))
    if kind == "integer":
        return int(schema.get("minimum", schema.get("exclusiveMinimum", 0) + 1))
    if kind == "number":
        return 1
    if kind == "boolean":
        return False
    if kind == "string":
        return _string_example(schema, name)
    return None


STRING_BY_FORMAT = {
    "date": "2026-01-15",
    "date-time": "2026-01-15T09:30:00Z",
    "uuid": "3f2c1a4e-7b8d-4c6e-9a1b-2d3e4f5a6b7c",
    "email": "someone@example.com",
}
STRING_BY_NAME = (
    ("amount", "125.00"),
    ("currency", "USD"),
    ("asset", "USD"),
    ("account", "Assets:Bank"),
    ("date", "2026-01-15"),
    ("period", "2026-01"),
    ("country", "US"),
    ("iban", "DE89370400440532013000"),
    ("reason", "correction agreed with the controller"),
    ("name", "Acme Supplies Ltd"),
    ("role", "poster"),
    ("actor", "alice"),
)


def _string_example(schema: dict[str, Any], name: str) -> str:
    """The first candidate the string's format, pattern and length bounds accept."""
    if schema.get("format") in STRING_BY_FORMAT:
        return STRING_BY_FORMAT[schema["format"]]
    lowered = name.lower()
    candidates = [text for fragment, text in STRING_BY_NAME if fragment in lowered]
    candidates += [lowered.replace("_", "-"), lowered.replace("_", ""), "A1", "ABC", "1", "a"]
    pattern = schema.get("pattern")
    low, high = int(schema.get("minLength", 0)), int(schema.get("maxLength", 10**6))
    for text in candidates:
        text = (text * (low // max(1, len(text)) + 1))[: max(low, min(len(text), high))]
        if text and (pattern is None or re.search(pattern, text)):
            return text
    return candidates[0]
