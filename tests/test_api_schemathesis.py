"""Schemathesis over the whole OpenAPI schema of the API, on each backend.

Every operation of ``app.openapi()`` gets generated requests (positive: data the
schema allows; negative: data it refuses), sent in process through the test
client of a running API, and each response is checked against the schema:
no server error, a documented status, the documented content type and headers,
a body matching the documented schema, and (negative cases) a 4xx.

Each request carries a token whose role may call the operation
(``OPERATION_ROLES``) and a fresh Idempotency-Key (unless the case is testing
that header). Half the positive cases get real path parameters (an existing
account, a fresh pending entry, a fresh token...) so success responses are
checked too, not only 404s.

Deterministic: Hypothesis runs from ``SEED`` (printed; override with
``BACKOFFICE_SCHEMATHESIS_SEED``) with no example database.
"""

from __future__ import annotations

import collections
import itertools
import os
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, seed, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.core.parameters import ParameterLocation
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tests.api_support import ApiHarness, entry_body, open_usd_chart, running_api
from tests.conftest import PG_ENV, _schema_url, drop_schema, postgres_base_url

SEED = int(os.environ.get("BACKOFFICE_SCHEMATHESIS_SEED", "20260115"))
POSITIVE_EXAMPLES = 30
NEGATIVE_EXAMPLES = 15


@schemathesis.check
def not_a_server_error_but_a_bounded_wait(ctx: Any, response: Any, case: Any) -> bool | None:
    """``not_a_server_error``, except the documented 503 of a read whose ``min_position`` the
    store has not reached within the bounded wait (problem code ``position_not_reached``,
    with Retry-After): generated positions are mostly beyond the log head."""
    if response.status_code == 503 and "min_position" in (case.query or {}):
        try:
            code = response.json().get("code")
        except ValueError:
            code = None
        if code == "position_not_reached" and response.headers.get("retry-after"):
            return True
    return not_a_server_error(ctx, response, case)


CHECKS = [
    not_a_server_error_but_a_bounded_wait,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]
NEGATIVE_CHECKS = [*CHECKS, negative_data_rejection]

# A role allowed to call each operation (None: no token needed).
OPERATION_ROLES: dict[str, str | None] = {
    "POST /v1/assets": "admin",
    "POST /v1/accounts": "admin",
    "GET /v1/accounts": "poster",
    "GET /v1/accounts/{code}": "approver",
    "POST /v1/accounts/{code}/close": "admin",
    "GET /v1/accounts/{code}/balance": "compliance",
    "GET /v1/trial-balance": "auditor",
    "POST /v1/journal-entries": "poster",
    "GET /v1/journal-entries/{entry_id}": "admin",
    "POST /v1/journal-entries/{entry_id}/post": "approver",
    "POST /v1/journal-entries/{entry_id}/void": "approver",
    "POST /v1/journal-entries/{entry_id}/reversal": "poster",
    "POST /v1/periods/{period}/close": "admin",
    "POST /v1/periods/{period}/reopen": "admin",
    "GET /v1/me": "auditor",
    "POST /v1/tokens": "admin",
    "GET /v1/tokens": "auditor",
    "POST /v1/tokens/{token_id}/revoke": "admin",
    "GET /v1/audit/events": "auditor",
    "GET /v1/audit/entities/{entity_id}/history": "compliance",
    "GET /v1/audit/export": "auditor",
    "GET /v1/audit/verify": "auditor",
    "GET /v1/audit/checkpoints": "compliance",
    "GET /v1/audit/events/{position}/proof": "auditor",
    "GET /v1/audit/consistency": "auditor",
    "POST /v1/subjects": "poster",
    "GET /v1/subjects/{subject_id}": "auditor",
    "POST /v1/subjects/{subject_id}/details": "admin",
    "POST /v1/subjects/{subject_id}/holds": "compliance",
    "POST /v1/subjects/{subject_id}/holds/{hold_id}/lift": "compliance",
    "POST /v1/subjects/{subject_id}/erasure": "admin",
    "GET /health/live": None,
    "GET /health/ready": None,
    "GET /metrics": None,
}


def _schema_document() -> dict[str, Any]:
    from api.app import create_app
    from api.settings import ApiSettings

    # The schema needs no store: create_app opens none before startup.
    return create_app(ApiSettings(database_url="sqlite:///:memory:")).openapi()


SCHEMA_DOCUMENT = _schema_document()
OPERATIONS = sorted(
    f"{method.upper()} {path}"
    for path, operations in SCHEMA_DOCUMENT["paths"].items()
    for method in operations
)
# Operations with something to negate (parameters, a body, a token): the others have no negative cases.
NEGATIVE_OPERATIONS = sorted(
    f"{method.upper()} {path}"
    for path, operations in SCHEMA_DOCUMENT["paths"].items()
    for method, operation in operations.items()
    if operation.get("parameters") or operation.get("requestBody") or operation.get("security")
)
STATUSES: dict[tuple[str, str], collections.Counter[int]] = collections.defaultdict(
    collections.Counter
)
_unique = itertools.count(1)


def test_every_operation_has_a_role() -> None:
    assert set(OPERATIONS) == set(OPERATION_ROLES)


# --- one running API per backend ---------------------------------------------------


@dataclass
class Target:
    api: ApiHarness
    schema: Any  # schemathesis OpenApiSchema
    posted_entry: str

    def entry(self, *, pending: bool) -> str:
        body = entry_body("Assets:Bank", "Equity:Capital", "1.00", pending=pending)
        response = self.api.post("/v1/journal-entries", "poster", body)
        assert response.status_code == 201, response.text
        return str(response.json()["id"])

    def account(self) -> str:
        code = f"Assets:Petty{next(_unique)}"
        body = {"code": code, "name": code, "type": "asset", "assets": ["USD"], "flags": []}
        response = self.api.post("/v1/accounts", "admin", body)
        assert response.status_code == 201, response.text
        return code

    @staticmethod
    def period() -> str:
        n = next(_unique)
        return f"{1800 + n // 12:04d}-{n % 12 + 1:02d}"

    def closed_period(self) -> str:
        period = self.period()
        response = self.api.post(f"/v1/periods/{period}/close", "admin", {"reason": "setup"})
        assert response.status_code == 200, response.text
        return period

    def token_id(self) -> str:
        response = self.api.post(
            "/v1/tokens", "admin", {"actor": f"fuzzed-{next(_unique)}", "role": "poster"}
        )
        assert response.status_code == 201, response.text
        return str(response.json()["token_id"])

    def known_path_parameters(self, label: str) -> dict[str, str]:
        """Path parameters naming things that exist (fresh ones for operations that change them)."""
        path = label.split(" ", 1)[1]
        if "{code}" in path:
            return {"code": self.account() if path.endswith("/close") else "Assets:Bank"}
        if "{entry_id}" in path:
            if path.endswith(("/post", "/void")):
                return {"entry_id": self.entry(pending=True)}
            if path.endswith("/reversal"):
                return {"entry_id": self.entry(pending=False)}
            return {"entry_id": self.posted_entry}
        if "{period}" in path:
            return {"period": self.closed_period() if path.endswith("/reopen") else self.period()}
        if "{token_id}" in path:
            return {"token_id": self.token_id()}
        if "{entity_id}" in path:
            return {"entity_id": self.posted_entry}
        if "{position}" in path:
            self.api.checkpoint()
            return {"position": "1"}
        if "{subject_id}" in path:
            return self.subject(held="{hold_id}" in path)
        assert "{" not in path, f"no known values for the path parameters of {label}"
        return {}

    def subject(self, *, held: bool) -> dict[str, str]:
        """A fresh data subject (and, if ``held``, a fresh legal hold on it)."""
        body = {"reference": f"FZ-{next(_unique)}", "kind": "payee", "fields": {"name": "Payee"}}
        response = self.api.post("/v1/subjects", "admin", body)
        assert response.status_code == 201, response.text
        found = {"subject_id": str(response.json()["subject_id"])}
        if held:
            path = f"/v1/subjects/{found['subject_id']}/holds"
            response = self.api.post(path, "compliance", {"reason": "AML retention"})
            assert response.status_code == 201, response.text
            found["hold_id"] = str(response.json()["hold_id"])
        return found


def _build_target(url: str) -> Iterator[Target]:
    # A short read-your-writes wait: generated min_position values are mostly beyond the head.
    with running_api(url, read_wait_s=0.05) as api:
        open_usd_chart(api)
        funding = api.post(
            "/v1/journal-entries", "poster", entry_body("Assets:Bank", "Equity:Capital", "1000.00")
        )
        assert funding.status_code == 201, funding.text
        schema = schemathesis.openapi.from_dict(_schema_document())
        yield Target(api, schema, str(funding.json()["id"]))


@pytest.fixture(
    scope="module", params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]
)
def target(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Target]:
    print(f"schemathesis: hypothesis seed {SEED} (BACKOFFICE_SCHEMATHESIS_SEED)")
    if request.param == "sqlite":
        yield from _build_target(f"sqlite:///{tmp_path_factory.mktemp('fuzz') / 'backoffice.db'}")
        return
    base = postgres_base_url()
    if base is None:
        pytest.skip(
            f"PostgreSQL test: set {PG_ENV} (e.g. postgresql://postgres@127.0.0.1:5432/test)"
        )
    schema = f"bo_fuzz_{uuid.uuid4().hex[:12]}"
    try:
        yield from _build_target(_schema_url(base, schema))
    finally:
        drop_schema(base, schema)


# --- sending a case through the running API -----------------------------------------


def _negated(case: Any, location: ParameterLocation) -> bool:
    meta = case.meta
    if meta is None:
        return False
    component = meta.components.get(location)
    return component is not None and component.mode == GenerationMode.NEGATIVE


def _send(target: Target, case: Any, label: str) -> Any:
    """Send ``case`` with an allowed role's token and (unless the header is the point) a fresh key."""
    role = OPERATION_ROLES[label]
    headers: dict[str, str] = {}
    if role is not None:
        headers["Authorization"] = f"Bearer {target.api.tokens[role]}"
    if _negated(case, ParameterLocation.HEADER):
        headers = {}  # the case is about its (missing or invalid) headers: send them as generated
    elif case.method == "POST":
        headers["Idempotency-Key"] = f"fuzz-{uuid.uuid4().hex}"
    kwargs = case.as_transport_kwargs(base_url="http://testserver", headers=headers)
    request: dict[str, Any] = {
        "method": kwargs["method"],
        "url": kwargs["url"],
        "headers": kwargs.get("headers") or {},
        "params": kwargs.get("params") or None,
    }
    if "json" in kwargs:
        request["json"] = kwargs["json"]
    elif kwargs.get("data") is not None:
        request["content"] = kwargs["data"]
    assert not kwargs.get("files"), "no operation takes multipart bodies"
    return target.api.client.request(**request)


def _run(target: Target, label: str, mode: GenerationMode, examples: int) -> None:
    operation = target.schema.find_operation_by_label(label)
    assert operation is not None, label
    checks = CHECKS if mode == GenerationMode.POSITIVE else NEGATIVE_CHECKS
    known = st.booleans() if mode == GenerationMode.POSITIVE and "{" in label else st.just(False)

    @seed(SEED)
    @settings(
        max_examples=examples,
        database=None,
        deadline=None,
        derandomize=False,
        phases=(Phase.explicit, Phase.generate, Phase.shrink),
        suppress_health_check=list(HealthCheck),
        print_blob=True,
    )
    @given(case=operation.as_strategy(generation_mode=mode), use_known=known)
    def run(case: Any, use_known: bool) -> None:
        if use_known:
            case.path_parameters = {
                **(case.path_parameters or {}),
                **target.known_path_parameters(label),
            }
        response = _send(target, case, label)
        STATUSES[(label, mode.value)][response.status_code] += 1
        case.validate_response(response, checks=checks)

    try:
        run()
    except BaseException as exc:
        exc.add_note(f"hypothesis seed {SEED} (set BACKOFFICE_SCHEMATHESIS_SEED to change it)")
        raise
    print(f"{label} [{mode.value}] statuses: {dict(sorted(STATUSES[(label, mode.value)].items()))}")


def _known_good(
    target: Target, label: str
) -> tuple[dict[str, Any], dict[str, Any] | None, Any, int]:
    """Path parameters, query, body and success status of a request that must succeed."""
    reason = {"reason": "checked by schemathesis"}
    path = target.known_path_parameters(label) if "{" in label else {}
    n = next(_unique)
    table: dict[str, tuple[dict[str, Any] | None, Any, int]] = {
        "POST /v1/assets": (None, {"code": f"FZ{n}", "scale": 3, "name": "fuzz"}, 201),
        "POST /v1/accounts": (
            None,
            {
                "code": f"Income:Fuzz{n}",
                "name": "fuzz",
                "type": "income",
                "assets": ["USD"],
                "flags": [],
            },
            201,
        ),
        "GET /v1/accounts": ({"limit": 2}, None, 200),
        "GET /v1/accounts/{code}": (None, None, 200),
        "POST /v1/accounts/{code}/close": (None, reason, 200),
        "GET /v1/accounts/{code}/balance": ({"as_of": "2026-12-31"}, None, 200),
        "GET /v1/trial-balance": ({"at_position": 3}, None, 200),
        "POST /v1/journal-entries": (
            None,
            entry_body("Expenses:Rent", "Assets:Bank", "2.50", description="rent"),
            201,
        ),
        "GET /v1/journal-entries/{entry_id}": ({"min_position": 1}, None, 200),
        "POST /v1/journal-entries/{entry_id}/post": (None, None, 200),
        "POST /v1/journal-entries/{entry_id}/void": (None, reason, 200),
        "POST /v1/journal-entries/{entry_id}/reversal": (
            None,
            {**reason, "effective_date": "2026-02-01"},
            201,
        ),
        "POST /v1/periods/{period}/close": (None, reason, 200),
        "POST /v1/periods/{period}/reopen": (None, reason, 200),
        "GET /v1/me": (None, None, 200),
        "POST /v1/tokens": (None, {"actor": f"fuzz-{n}", "role": "compliance", "note": "n"}, 201),
        "GET /v1/tokens": (None, None, 200),
        "POST /v1/tokens/{token_id}/revoke": (None, reason, 200),
        "GET /v1/audit/events": ({"limit": 3, "position_from": 2}, None, 200),
        "GET /v1/audit/entities/{entity_id}/history": (None, None, 200),
        "GET /v1/audit/export": ({"format": "jsonl", "position_to": 4}, None, 200),
        "GET /v1/audit/verify": (None, None, 200),
        "GET /v1/audit/checkpoints": (None, None, 200),
        "GET /v1/audit/events/{position}/proof": (None, None, 200),
        "GET /v1/audit/consistency": ({"old_size": 1, "new_size": 2}, None, 200),
        "POST /v1/subjects": (
            None,
            {
                "reference": f"FZ-known-{n}",
                "kind": "customer",
                "fields": {"name": "A Customer", "email": "customer@example.org"},
            },
            201,
        ),
        "GET /v1/subjects/{subject_id}": (None, None, 200),
        "POST /v1/subjects/{subject_id}/details": (None, {"fields": {"phone": "+1 555 0100"}}, 200),
        "POST /v1/subjects/{subject_id}/holds": (None, {**reason, "until": "2199-12-31"}, 201),
        "POST /v1/subjects/{subject_id}/holds/{hold_id}/lift": (None, reason, 200),
        "POST /v1/subjects/{subject_id}/erasure": (None, reason, 200),
        "GET /health/live": (None, None, 200),
        "GET /health/ready": (None, None, 200),
        "GET /metrics": (None, None, 200),
    }
    query, body, status = table[label]
    return path, query, body, status


@pytest.mark.parametrize("label", OPERATIONS)
def test_known_good_request(target: Target, label: str) -> None:
    """One request per operation that must succeed, so every success response is checked too."""
    operation = target.schema.find_operation_by_label(label)
    assert operation is not None, label
    path, query, body, status = _known_good(target, label)
    fields: dict[str, Any] = {"path_parameters": path, "query": query}
    if body is not None:
        fields["body"] = body
        fields["media_type"] = "application/json"
    case = operation.Case(**fields)
    response = _send(target, case, label)
    assert response.status_code == status, response.text
    case.validate_response(response, checks=CHECKS)


@pytest.mark.parametrize("label", OPERATIONS)
def test_positive(target: Target, label: str) -> None:
    _run(target, label, GenerationMode.POSITIVE, POSITIVE_EXAMPLES)


@pytest.mark.parametrize("label", NEGATIVE_OPERATIONS)
def test_negative(target: Target, label: str) -> None:
    _run(target, label, GenerationMode.NEGATIVE, NEGATIVE_EXAMPLES)
