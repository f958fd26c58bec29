"""Every POST goes through the one write path, and routers build no services.

The write path itself (replay byte for byte, a reused key refused, the
record in the same commit) is pinned down by test_idempotency.py and the
role matrix; these tests pin down that no route goes around it.
"""

from __future__ import annotations

import ast
from pathlib import Path

from fastapi.routing import APIRoute, iter_route_contexts

from adapters.settings import Settings
from api.app import create_app
from api.dependencies import READ_DEPENDENCIES, WRITE_DEPENDENCIES
from api.routing import IDEMPOTENCY_PARAMETER, dependencies_of

ROUTES_DIR = Path(__file__).parents[2] / "api" / "routes"
SERVICE_CLASSES = {
    "BackOffice",
    "BankReconciler",
    "Payments",
    "ProjectionService",
    "Receipts",
    "ReportService",
    "SanctionsScreening",
    "SanctionsScreeningPort",
    "ScreeningLog",
    "Settlements",
    "SubjectKeyStore",
    "SubjectRegistry",
}


def v1_routes() -> list[APIRoute]:
    app = create_app(Settings(database_url="sqlite:///:memory:"))  # nothing opened before startup
    found = []
    for context in iter_route_contexts(app.routes):
        route = context.original_route
        if isinstance(route, APIRoute) and (context.path or "").startswith("/v1"):
            found.append(route)
    return found


READ_ONLY_POSTS = {"/v1/payroll/calculations"}  # computes from its body, writes nothing


def test_every_v1_post_takes_a_write_and_every_other_route_a_reader() -> None:
    routes = v1_routes()
    assert len(routes) >= 70
    for route in routes:
        dependencies = dependencies_of(route.endpoint)
        writes = [dependency for dependency in dependencies if dependency in WRITE_DEPENDENCIES]
        reads = [dependency for dependency in dependencies if dependency in READ_DEPENDENCIES]
        if "POST" in (route.methods or set()) and route.path not in READ_ONLY_POSTS:
            assert len(writes) == 1 and not reads, (route.path, dependencies)
        else:
            assert len(reads) == 1 and not writes, (route.path, dependencies)


def test_every_write_documents_the_idempotency_key_and_the_write_problems() -> None:
    app = create_app(Settings(database_url="sqlite:///:memory:"))
    for path, operations in app.openapi()["paths"].items():
        post = operations.get("post")
        if post is None or path in READ_ONLY_POSTS:
            continue
        assert IDEMPOTENCY_PARAMETER in post["parameters"], path
        problems = {
            status
            for status, response in post["responses"].items()
            if "application/problem+json" in response.get("content", {})
        }
        assert {"400", "401", "403", "409", "413", "422", "503"} <= problems, path


def test_no_router_builds_a_service() -> None:
    built = []
    for module in sorted(ROUTES_DIR.glob("*.py")):
        for node in ast.walk(ast.parse(module.read_text())):
            if not isinstance(node, ast.Call):
                continue
            called = node.func
            if isinstance(called, ast.Name) and called.id in SERVICE_CLASSES:
                built.append(f"{module.name}:{node.lineno} {called.id}(...)")
    assert built == []
