"""Every error leaves as RFC 9457 application/problem+json with a stable code."""

from __future__ import annotations

import importlib
import pkgutil
import time
from collections.abc import Iterator
from typing import Any

import pytest
from eventsourcing.persistence import OperationalError
from fastapi.testclient import TestClient

import domain
from api.error_status import status_for
from domain.kernel import errors as domain_errors
from domain.kernel import limits
from tests.api.support import ApiHarness, entry_body, new_key, open_usd_chart, running_api

PROBLEM_KEYS = {"type", "title", "status", "code", "detail", "errors", "correlation_id"}


def assert_problem(
    response: Any, status: int, code: str, field: str | None = None
) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    body = response.json()
    assert set(body) == PROBLEM_KEYS, body
    assert body["status"] == status and body["code"] == code
    assert body["type"] == f"urn:backoffice:problem:{code}"
    assert isinstance(body["detail"], str) and body["detail"]
    assert body["correlation_id"] == response.headers["X-Correlation-ID"]
    for error in body["errors"]:
        assert set(error) == {"field", "code", "message"}
    if field is not None:
        assert field in {error["field"] for error in body["errors"]}, body["errors"]
    return body


@pytest.fixture
def api(database_url: str) -> Iterator[ApiHarness]:
    with running_api(database_url, read_wait_s=0.1) as harness:
        open_usd_chart(harness)
        yield harness


def test_request_errors(api: ApiHarness) -> None:
    body = entry_body("Expenses:Rent", "Equity:Capital", "1.00")
    client = api.client
    assert_problem(
        client.post("/v1/journal-entries", json=body, headers=api.headers("poster")),
        400,
        "idempotency_key_required",
        "Idempotency-Key",
    )
    assert_problem(
        client.post("/v1/journal-entries", json=body, headers=api.headers("poster", "has space")),
        400,
        "idempotency_key_invalid",
    )
    assert_problem(
        client.post(
            "/v1/journal-entries",
            content=b"{",
            headers={**api.headers("poster", new_key()), "content-type": "application/json"},
        ),
        400,
        "malformed_json",
    )
    assert_problem(client.post("/v1/journal-entries", json=body), 401, "unauthenticated")
    assert_problem(
        client.post("/v1/journal-entries", json=body, headers=api.headers("auditor", new_key())),
        403,
        "forbidden",
    )
    assert_problem(client.get("/v1/nothing-here"), 404, "not_found")
    assert_problem(
        client.delete("/v1/journal-entries", headers=api.headers("poster")),
        405,
        "method_not_allowed",
    )
    assert_problem(api.get("/v1/accounts/Nope:Nope"), 404, "unknown_account")
    assert_problem(
        api.get("/v1/journal-entries/00000000-0000-0000-0000-000000000000"), 404, "unknown_entry"
    )
    assert_problem(api.get("/v1/journal-entries/not-a-uuid"), 422, "validation_failed", "entry_id")
    assert_problem(
        api.get("/v1/trial-balance", params={"min_position": 10**12}), 503, "position_not_reached"
    )


def test_amounts_are_decimal_strings_only(api: ApiHarness) -> None:
    for bad, code in (
        (100, "validation_failed"),
        (1.5, "validation_failed"),
        ("NaN", "invalid_amount"),
        ("1e3", "invalid_amount"),
        ("1.001", "invalid_amount"),
        ("-1.00", "invalid_amount"),
        ("Infinity", "invalid_amount"),
    ):
        body = entry_body("Expenses:Rent", "Equity:Capital", "1.00")
        body["postings"][0]["amount"] = bad
        before = api.event_count()
        response = api.post("/v1/journal-entries", "poster", body)
        assert_problem(response, 422, code, "postings[0].amount")
        assert api.event_count() == before  # nothing written


def test_bounds_are_4xx_and_fast(api: ApiHarness) -> None:
    many = entry_body("Expenses:Rent", "Equity:Capital", "1.00")
    many["postings"] = many["postings"] * (limits.POSTINGS_PER_ENTRY_MAX // 2 + 1)
    started = time.perf_counter()
    assert_problem(
        api.post("/v1/journal-entries", "poster", many), 422, "validation_failed", "postings"
    )
    long_text = entry_body(
        "Expenses:Rent",
        "Equity:Capital",
        "1.00",
        description="x" * (limits.DESCRIPTION_LENGTH_MAX + 1),
    )
    assert_problem(
        api.post("/v1/journal-entries", "poster", long_text),
        422,
        "validation_failed",
        "description",
    )
    metadata = entry_body(
        "Expenses:Rent",
        "Equity:Capital",
        "1.00",
        metadata={f"k{i}": "v" for i in range(limits.METADATA_KEYS_MAX + 1)},
    )
    assert_problem(
        api.post("/v1/journal-entries", "poster", metadata), 422, "validation_failed", "metadata"
    )
    assert_problem(
        api.get("/v1/accounts", params={"limit": 1001}), 422, "validation_failed", "limit"
    )
    assert_problem(
        api.get("/v1/audit/events", params={"limit": 1001}), 422, "validation_failed", "limit"
    )
    huge = api.client.post(
        "/v1/journal-entries",
        content=b"[" + b"1," * 200_000 + b"1]",
        headers={**api.headers("poster", new_key()), "content-type": "application/json"},
    )
    assert_problem(huge, 413, "body_too_large")
    assert time.perf_counter() - started < 5.0
    unknown_field = {
        **entry_body("Expenses:Rent", "Equity:Capital", "1.00"),
        "actor": "someone-else",
    }
    assert_problem(
        api.post("/v1/journal-entries", "poster", unknown_field), 422, "validation_failed", "actor"
    )


def test_domain_refusals(api: ApiHarness) -> None:
    assert_problem(
        api.post(
            "/v1/journal-entries", "poster", entry_body("Expenses:Rent", "Assets:Bank", "1.00")
        ),
        409,
        "insufficient_funds",
    )
    unbalanced = entry_body("Expenses:Rent", "Equity:Capital", "1.00")
    unbalanced["postings"][1]["amount"] = "2.00"
    assert_problem(api.post("/v1/journal-entries", "poster", unbalanced), 422, "unbalanced_entry")
    assert_problem(
        api.post("/v1/journal-entries", "poster", entry_body("Expenses:Rent", "Nope:Nope", "1.00")),
        404,
        "unknown_account",
    )
    key = new_key()
    api.post(
        "/v1/journal-entries",
        "poster",
        entry_body("Expenses:Rent", "Equity:Capital", "1.00"),
        key=key,
    )
    assert_problem(
        api.post(
            "/v1/journal-entries",
            "poster",
            entry_body("Expenses:Rent", "Equity:Capital", "2.00"),
            key=key,
        ),
        422,
        "idempotency_key_reused",
        "Idempotency-Key",
    )


def every_domain_error_class() -> list[type[domain_errors.DomainError]]:
    """Every refusal of every area (each area keeps its own ``errors`` module)."""
    for module in pkgutil.walk_packages(domain.__path__, "domain."):
        if module.name.endswith(".errors"):
            importlib.import_module(module.name)
    found: dict[type[domain_errors.DomainError], None] = {}
    pending = [domain_errors.DomainError]
    while pending:
        cls = pending.pop()
        if cls.__module__.startswith("domain.") and cls not in found:
            found[cls] = None
            pending.extend(cls.__subclasses__())
    return list(found)


def test_every_refusal_has_a_code_of_its_own() -> None:
    # A subclass may share its parent's code by not naming one (a ListChanged
    # is a concurrency_conflict); two classes naming the same code may not.
    classes = [cls for cls in every_domain_error_class() if "code" in vars(cls)]
    codes = [cls.code for cls in classes]
    duplicated = sorted({code for code in codes if codes.count(code) > 1})
    assert len(classes) > 70 and duplicated == [], [
        f"{cls.__module__}.{cls.__qualname__}" for cls in classes if cls.code in duplicated
    ]


@pytest.mark.parametrize(
    "error_class",
    sorted(every_domain_error_class(), key=lambda cls: f"{cls.__module__}.{cls.__name__}"),
)
def test_every_domain_error_class_maps_to_its_problem(
    sqlite_url: str, error_class: type[domain_errors.DomainError]
) -> None:
    with running_api(sqlite_url) as api:

        def refuse(*args: Any, **kwargs: Any) -> Any:
            # Some refusals take their own arguments; every one is a DomainError.
            error = error_class.__new__(error_class)
            domain_errors.DomainError.__init__(error, "refused for the test", field="some_field")
            raise error

        api.system.app.close_period = refuse  # type: ignore[method-assign]
        response = api.post("/v1/periods/2026-01/close", "admin", {"reason": "r"})
        body = assert_problem(response, status_for(error_class), error_class.code, "some_field")
        assert body["detail"] == "refused for the test"


def test_database_trouble_is_503_and_a_bug_is_a_500_problem(sqlite_url: str) -> None:
    with running_api(sqlite_url) as api:

        def unavailable(*args: Any, **kwargs: Any) -> Any:
            raise OperationalError("connection refused")

        api.system.app.close_period = unavailable  # type: ignore[method-assign]
        response = api.post("/v1/periods/2026-01/close", "admin", {"reason": "r"})
        assert_problem(response, 503, "database_unavailable")
        assert response.headers["Retry-After"] == "2"

        def bug(*args: Any, **kwargs: Any) -> Any:
            raise RuntimeError("a bug")

        api.system.app.close_period = bug  # type: ignore[method-assign]
        with TestClient(api.client.app, raise_server_exceptions=False) as quiet:
            quiet.app.state.backoffice = api.client.app.state.backoffice  # type: ignore[attr-defined]
            response = quiet.post(
                "/v1/periods/2026-01/close",
                json={"reason": "r"},
                headers=api.headers("admin", new_key()),
            )
        assert response.status_code == 500
        assert response.json()["code"] == "internal_error"
        assert "a bug" not in response.text  # no internals leak


def test_a_report_name_over_its_bound_is_refused_before_any_work(sqlite_url: str) -> None:
    with running_api(sqlite_url) as api:
        assert_problem(api.get("/v1/reports/" + "x" * 65), 422, "validation_failed", "name")
        assert_problem(api.get("/v1/reports/no-such-report"), 404, "unknown_report")
