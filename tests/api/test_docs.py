"""The API documents itself without the internet: Swagger UI from a package,
every operation naming the roles ``PERMISSIONS`` allows, every JSON write with
a whole-request example its own schema accepts."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from pydantic import TypeAdapter

from adapters.settings import Settings
from api.app import create_app
from api.auth import PERMISSIONS
from api.openapi_docs import api_routes, permission_of

EXTERNAL_URL = re.compile(rb"https?://", re.IGNORECASE)


@pytest.fixture(scope="module")
def client() -> Iterator[TestClient]:
    # The docs need no database: no lifespan, so nothing is opened.
    yield TestClient(create_app(Settings(database_url="sqlite:///openapi-only.db")))


@pytest.fixture(scope="module")
def document(client: TestClient) -> dict[str, Any]:
    return dict(client.app.openapi())  # type: ignore[attr-defined]


def test_the_docs_page_names_no_external_url_and_its_assets_are_served(
    client: TestClient,
) -> None:
    page = client.get("/docs")
    assert page.status_code == 200
    assert not EXTERNAL_URL.search(page.content), page.text
    assets = re.findall(rb'(?:src|href)="([^"]+)"', page.content)
    assert len(assets) >= 3, page.text
    for asset in assets:
        served = client.get(asset.decode())
        assert served.status_code == 200, asset
    assert client.get("/docs/assets/LICENSE").status_code == 200  # Swagger UI's licence
    assert client.get("/redoc").status_code == 404  # ReDoc would need a CDN


def test_every_operation_names_the_roles_its_permission_allows(
    client: TestClient, document: dict[str, Any]
) -> None:
    operations = {
        (method.upper(), path): operation
        for path, item in document["paths"].items()
        for method, operation in item.items()
    }
    checked = 0
    for route in api_routes(client.app.routes):  # type: ignore[attr-defined]
        if not route.include_in_schema:
            continue
        permission = permission_of(route.endpoint)
        for method in route.methods:
            description = operations[(method, route.path)]["description"]
            assert "Roles allowed:" in description, (method, route.path)
            if permission is None:
                assert "no token needed" in description
            else:
                for role in PERMISSIONS[permission]:
                    assert f"`{role}`" in description, (method, route.path, role)
            checked += 1
    assert checked == len(operations)


def test_every_json_write_has_a_whole_request_example_its_schema_accepts(
    client: TestClient, document: dict[str, Any]
) -> None:
    routes = {
        (method.lower(), route.path): route
        for route in api_routes(client.app.routes)  # type: ignore[attr-defined]
        for method in route.methods
    }
    checked = 0
    for path, item in document["paths"].items():
        for method, operation in item.items():
            media = operation.get("requestBody", {}).get("content", {}).get("application/json")
            if media is None:
                continue
            example = media.get("example")
            assert isinstance(example, dict) and example, (method, path)
            field = routes[(method, path)].body_field
            assert field is not None
            TypeAdapter(field.field_info.annotation).validate_python(example)
            checked += 1
    assert checked > 50
