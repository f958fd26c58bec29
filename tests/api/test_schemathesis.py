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
import re
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
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

from tests.api.support import ApiHarness, entry_body, open_usd_chart, running_api
from tests.api.test_roles import ENDPOINT_CALLS, World
from tests.banking.camt_support import Ntry, Stmt, camt053
from tests.conftest import PG_ENV, _schema_url, drop_schema, postgres_base_url
from tests.inventory.api_support import inventory_known_good, known_sku
from tests.payments.support import (
    GOOD_ROUTING,
    ApiPayments,
    api_payment_body,
    api_receipt_body,
    open_payment_books,
)

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
    "GET /v1/accounts/{code}/ledger": "auditor",
    "GET /v1/trial-balance": "auditor",
    "POST /v1/journal-entries": "poster",
    "GET /v1/journal-entries/{entry_id}": "admin",
    "POST /v1/journal-entries/{entry_id}/post": "approver",
    "POST /v1/journal-entries/{entry_id}/void": "approver",
    "POST /v1/journal-entries/{entry_id}/reversal": "poster",
    "POST /v1/periods/{period}/close": "admin",
    "POST /v1/periods/{period}/reopen": "admin",
    "POST /v1/periods/{year}/year-end": "admin",
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
    "GET /v1/audit/access": "auditor",
    "GET /v1/audit/access/verify": "auditor",
    "POST /v1/subjects": "poster",
    "GET /v1/subjects/{subject_id}": "auditor",
    "POST /v1/subjects/{subject_id}/details": "admin",
    "POST /v1/subjects/{subject_id}/holds": "compliance",
    "POST /v1/subjects/{subject_id}/holds/{hold_id}/lift": "compliance",
    "POST /v1/subjects/{subject_id}/erasure": "admin",
    "POST /v1/obligations": "poster",
    "GET /v1/obligations/{obligation_id}": "auditor",
    "POST /v1/obligations/{obligation_id}/cancel": "poster",
    "POST /v1/settlements": "poster",
    "GET /v1/settlements/{instruction_id}": "compliance",
    "POST /v1/settlements/{instruction_id}/confirmation": "poster",
    "POST /v1/settlements/{instruction_id}/settle": "approver",
    "POST /v1/settlements/{instruction_id}/fail": "approver",
    "POST /v1/settlements/{instruction_id}/reschedule": "approver",
    "POST /v1/settlements/{instruction_id}/cancel": "approver",
    "POST /v1/sanctions/lists": "admin",
    "GET /v1/sanctions/lists/current": "auditor",
    "POST /v1/sanctions/screenings": "compliance",
    "GET /v1/sanctions/cases": "auditor",
    "GET /v1/sanctions/cases/{case_id}": "compliance",
    "POST /v1/sanctions/cases/{case_id}/clear": "compliance",
    "POST /v1/sanctions/cases/{case_id}/reject": "compliance",
    "POST /v1/bank-statements": "poster",
    "GET /v1/bank-statements/{statement_id}": "auditor",
    "POST /v1/reconciliations/{account}/{period}/run": "approver",
    "GET /v1/reconciliations/{account}/{period}": "compliance",
    "POST /v1/reconciliations/lines/{line_id}/match": "approver",
    "POST /v1/reconciliations/lines/{line_id}/unmatch": "approver",
    "POST /v1/payments": "poster",
    "GET /v1/payments": "compliance",
    "GET /v1/payments/{payment_id}": "auditor",
    "POST /v1/payments/{payment_id}/screen": "poster",
    "POST /v1/payments/{payment_id}/amend": "poster",
    "POST /v1/payments/{payment_id}/approve": "approver",
    "POST /v1/payments/{payment_id}/submit": "approver",
    "POST /v1/payments/{payment_id}/settle": "poster",
    "POST /v1/payments/{payment_id}/fail": "approver",
    "POST /v1/payments/{payment_id}/return": "poster",
    "POST /v1/payments/{payment_id}/cancel": "approver",
    "POST /v1/receipts": "poster",
    "GET /v1/receipts": "admin",
    "GET /v1/receipts/{receipt_id}": "approver",
    "POST /v1/receipts/{receipt_id}/post": "poster",
    "GET /v1/reports": "auditor",
    "GET /v1/reports/{name}": "compliance",
    "POST /v1/reports/{name}/filings": "compliance",
    "GET /v1/reports/filings/{filing_id}": "auditor",
    "GET /v1/reports/filings/{filing_id}/explain": "compliance",
    "POST /v1/billing/parties": "billing",
    "GET /v1/billing/parties/{party_id}": "auditor",
    "POST /v1/billing/parties/{party_id}/changes": "billing",
    "POST /v1/billing/invoices": "billing",
    "GET /v1/billing/invoices": "approver",
    "GET /v1/billing/invoices/{invoice_id}": "billing",
    "POST /v1/billing/invoices/{invoice_id}/issue": "billing",
    "POST /v1/billing/invoices/{invoice_id}/credit-notes": "billing",
    "POST /v1/billing/invoices/{invoice_id}/write-off": "billing",
    "GET /v1/billing/credit-notes/{credit_note_id}": "auditor",
    "POST /v1/billing/bills": "billing",
    "GET /v1/billing/bills": "auditor",
    "GET /v1/billing/bills/{bill_id}": "approver",
    "POST /v1/billing/bills/{bill_id}/approve": "approver",
    "POST /v1/billing/bills/{bill_id}/payments": "billing",
    "POST /v1/billing/allocations/receipts/{receipt_id}": "billing",
    "POST /v1/billing/allocations/payments/{payment_id}": "billing",
    "GET /v1/billing/remittances/{remittance_id}": "auditor",
    "POST /v1/billing/remittances/{remittance_id}/allocations/{allocation_id}/undo": "billing",
    "POST /v1/billing/remittances/{remittance_id}/refunds": "billing",
    "GET /v1/billing/open-items": "billing",
    "POST /v1/payroll/calculations": "payroll",
    "POST /v1/payroll/employees": "payroll",
    "GET /v1/payroll/employees": "approver",
    "GET /v1/payroll/employees/{employee_id}": "auditor",
    "POST /v1/payroll/employees/{employee_id}/pay-changes": "payroll",
    "POST /v1/payroll/employees/{employee_id}/tax-profile-changes": "payroll",
    "POST /v1/payroll/employees/{employee_id}/termination": "payroll",
    "POST /v1/payroll/runs": "payroll",
    "GET /v1/payroll/runs": "auditor",
    "GET /v1/payroll/runs/{run_id}": "approver",
    "GET /v1/payroll/runs/{run_id}/payslips": "payroll",
    "GET /v1/payroll/runs/{run_id}/payslips/{employee_id}": "auditor",
    "POST /v1/payroll/runs/{run_id}/calculate": "payroll",
    "POST /v1/payroll/runs/{run_id}/approve": "approver",
    "POST /v1/payroll/runs/{run_id}/pay": "payroll",
    "POST /v1/payroll/runs/{run_id}/cancel": "payroll",
    "POST /v1/inventory/items": "inventory",
    "GET /v1/inventory/items": "auditor",
    "GET /v1/inventory/items/{sku}": "inventory",
    "GET /v1/inventory/items/{sku}/movements": "approver",
    "POST /v1/inventory/locations": "inventory",
    "POST /v1/inventory/receipts": "inventory",
    "POST /v1/inventory/issues": "inventory",
    "POST /v1/inventory/transfers": "inventory",
    "POST /v1/inventory/returns": "inventory",
    "POST /v1/inventory/adjustments": "inventory",
    "POST /v1/inventory/counts": "inventory",
    "GET /v1/inventory/valuation": "compliance",
    "GET /v1/inventory/cogs": "auditor",
    "GET /health/live": None,
    "GET /health/ready": None,
    "GET /metrics": None,
}


def _schema_document() -> dict[str, Any]:
    from adapters.settings import Settings
    from api.app import create_app

    # The schema needs no store: create_app opens none before startup.
    return create_app(Settings(database_url="sqlite:///:memory:")).openapi()


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
_periods = itertools.count(1)  # its own count: months from 1800 on, never reaching 2026


def test_every_operation_has_a_role() -> None:
    assert set(OPERATIONS) == set(OPERATION_ROLES)


# --- one running API per backend ---------------------------------------------------


SETTLEMENT_DATE = "2026-01-31"
XML = {"Content-Type": "application/xml"}


def sanctions_list(extra: str = "") -> dict[str, Any]:
    """A small list in OFAC's CSV format (``extra``: one more listed name, a new version)."""
    empty = "-0- "

    def sdn(ent_num: int, name: str) -> str:
        return ",".join(
            [str(ent_num), f'"{name}"', '"individual"', '"SDGT"', *([empty] * 7), empty]
        )

    lines = [sdn(101, "KESTREL, Anatol"), sdn(102, "WIDGEON, Marta")]
    if extra:
        lines.append(sdn(1000 + next(_unique), extra))
    alt = ",".join(["101", "9001", '"aka"', '"KESTREL, Tolya"', empty])
    return {
        "source": "schemathesis",
        "sdn_csv": "\r\n".join(lines) + "\r\n",
        "alt_csv": alt + "\r\n",
    }


def statement_xml(amounts: list[str]) -> bytes:
    """A camt.053 file with one fresh USD statement crediting ``amounts`` in January 2026."""
    statement = Stmt(
        statement_id=f"FUZZ-{next(_unique)}",
        entries=[Ntry(amount, currency="USD") for amount in amounts],
        currency="USD",
        opening="0.00",
    )
    return camt053([statement])


@dataclass
class Target:
    api: ApiHarness
    schema: Any  # schemathesis OpenApiSchema
    posted_entry: str
    screening_case: str = ""  # a case recorded at setup
    bank_account: str = ""  # a ledger account with an imported January statement
    bank_statement: str = ""  # that statement's id
    line_entries: dict[str, str] = field(default_factory=dict)  # fresh line id -> its entry
    payment: str = ""  # a payment awaiting approval
    receipt: str = ""  # a posted receipt
    report_position: int = 0  # the log's head once set up
    filing: str = ""  # a filing of the January trial balance as of ``report_position``
    money: ApiPayments = field(init=False)  # fresh payments and receipts in a given state
    _world: World | None = field(default=None, init=False)  # the role matrix's, over ``api``

    def __post_init__(self) -> None:
        self.money = ApiPayments(self.api)

    @property
    def world(self) -> World:
        """The role matrix's world over this API (its billing documents, payroll runs,
        years with income), for the operations whose calls come from the matrix."""
        if self._world is None:
            self._world = World(self.api, self.posted_entry, "", "")
            self._world.money = self.money
        return self._world

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
        n = next(_periods)
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
        if _from_matrix(label):
            return matrix_known_good(self, label)[0]
        if "{code}" in path:
            return {"code": self.account() if path.endswith("/close") else "Assets:Bank"}
        if "{entry_id}" in path:
            if path.endswith(("/post", "/void")):
                return {"entry_id": self.entry(pending=True)}
            if path.endswith("/reversal"):
                return {"entry_id": self.entry(pending=False)}
            return {"entry_id": self.posted_entry}
        if "{account}" in path:
            account = self.reconciliation_to_run() if path.endswith("/run") else self.bank_account
            return {"account": account, "period": "2026-01"}
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
        if "{obligation_id}" in path:
            return {"obligation_id": self.obligation()}
        if "{instruction_id}" in path:
            return {
                "instruction_id": self.instruction(
                    confirmed=path.endswith("/settle"), failed=path.endswith("/reschedule")
                )
            }
        if "{case_id}" in path:
            fresh = path.endswith(("/clear", "/reject"))
            return {"case_id": self.hit_case() if fresh else self.screening_case}
        if "{statement_id}" in path:
            return {"statement_id": self.bank_statement}
        if "{line_id}" in path:
            return {"line_id": self.matched_line() if path.endswith("/unmatch") else self.line()}
        if "{payment_id}" in path:
            return {"payment_id": self.payment_for(path)}
        if "{receipt_id}" in path:
            fresh = path.endswith("/post")
            return {"receipt_id": self.money.cleared_receipt() if fresh else self.receipt}
        if "{filing_id}" in path:
            return {"filing_id": self.filing}
        if "{name}" in path:
            return {"name": "trial-balance"}
        if "{sku}" in path:
            return known_sku(self.api)
        assert "{" not in path, f"no known values for the path parameters of {label}"
        return {}

    def payment_for(self, path: str) -> str:
        """A payment in the state the operation acts on (fresh for a change)."""
        step = path.rsplit("/", 1)[-1]
        if step == "screen":
            return self.money.unscreened()
        if step in ("amend", "approve", "cancel"):
            return self.money.payment()
        states = {"submit": "funds_reserved", "settle": "submitted", "fail": "submitted"}
        if step in states:
            return self.money.payment(states[step])
        if step == "return":
            return self.money.payment("settled")
        return self.payment

    def obligation(self) -> str:
        """A fresh open receivable of 10.00 USD from counterparty CP-1."""
        body = {
            "counterparty": "CP-1",
            "direction": "receivable",
            "amount": "10.00",
            "asset": "USD",
            "due_date": SETTLEMENT_DATE,
            "reference": f"fz-inv-{next(_unique)}",
            "account": self.account(),
        }
        response = self.api.post("/v1/obligations", "poster", body)
        assert response.status_code == 201, response.text
        return str(response.json()["id"])

    def instruction(self, *, confirmed: bool = False, failed: bool = False) -> str:
        """A fresh instruction netting one fresh obligation (confirmed or failed if asked)."""
        body = {
            "counterparty": "CP-1",
            "asset": "USD",
            "value_date": SETTLEMENT_DATE,
            "cash_account": "Assets:Bank",
            "obligation_ids": [self.obligation()],
        }
        response = self.api.post("/v1/settlements", "poster", body)
        assert response.status_code == 201, response.text
        instruction = str(response.json()["id"])
        if confirmed:
            answer = self.api.post(
                f"/v1/settlements/{instruction}/confirmation", "poster", CONFIRMATION
            )
            assert answer.status_code == 200, answer.text
        if failed:
            answer = self.api.post(
                f"/v1/settlements/{instruction}/fail", "approver", {"reason": "no funds"}
            )
            assert answer.status_code == 200, answer.text
        return instruction

    def hit_case(self) -> str:
        """A fresh undecided case: a listed name screened as a new item."""
        body = {"party_name": "KESTREL, Anatol", "item_id": f"fuzz-{next(_unique)}"}
        response = self.api.post("/v1/sanctions/screenings", "compliance", body)
        assert response.status_code == 201, response.text
        return str(response.json()["case_id"])

    def import_statement(self, account: str, amounts: list[str]) -> str:
        response = self.api.client.post(
            "/v1/bank-statements",
            params={"account": account},
            content=statement_xml(amounts),
            headers={**self.api.headers("poster", f"fz-import-{next(_unique)}"), **XML},
        )
        assert response.status_code == 201, response.text
        (statement,) = response.json()["statements"]
        return str(statement["id"])

    def money_in(self, account: str, amount: str) -> str:
        body = entry_body(account, "Equity:Capital", amount, date="2026-01-05")
        response = self.api.post("/v1/journal-entries", "poster", body)
        assert response.status_code == 201, response.text
        return str(response.json()["id"])

    def reconciliation_to_run(self) -> str:
        """A fresh account whose January statement line awaits matching."""
        account = self.account()
        self.money_in(account, "5.00")
        self.import_statement(account, ["5.00"])
        return account

    def line(self) -> str:
        """A fresh unmatched statement line (its entry in ``line_entries``)."""
        account = self.account()
        entry = self.money_in(account, "6.00")
        line = f"{self.import_statement(account, ['6.00'])}:0"
        self.line_entries[line] = entry
        return line

    def matched_line(self) -> str:
        line = self.line()
        path = f"/v1/reconciliations/lines/{line}/match"
        response = self.api.post(path, "approver", {"entry_id": self.line_entries[line]})
        assert response.status_code == 200, response.text
        return line

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
        target = Target(api, schema, str(funding.json()["id"]))
        loaded = api.post("/v1/sanctions/lists", "compliance", sanctions_list())
        assert loaded.status_code == 201, loaded.text
        target.screening_case = target.hit_case()
        target.bank_account = target.account()
        target.money_in(target.bank_account, "7.00")
        target.bank_statement = target.import_statement(target.bank_account, ["7.00", "1.00"])
        open_payment_books(api)  # payees are screened against the list loaded above
        target.payment = target.money.payment()
        target.receipt = target.money.receipt()
        target.report_position = api.event_count()
        body = {"parameters": {"period": "2026-01"}}
        filed = api.post("/v1/reports/trial-balance/filings", "compliance", body)
        assert filed.status_code == 201, filed.text
        target.filing = str(filed.json()["filing_id"])
        yield target


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


@dataclass(frozen=True)
class RawBody:
    """A request body that is not JSON (a statement file)."""

    content: bytes
    media_type: str


CONFIRMATION = {"amount": "10.00", "direction": "we_receive", "value_date": SETTLEMENT_DATE}


def _from_matrix(label: str) -> bool:
    """Operations whose known-good request is the role matrix's call (tests/api/test_roles.py)."""
    route = label.split(" ", 1)[1]
    return route.startswith(("/v1/billing/", "/v1/payroll/")) or route.endswith("/year-end")


def _path_parameters(template: str, path: str) -> dict[str, str]:
    """The values of ``template``'s ``{name}`` segments in the concrete ``path``."""
    pattern = re.sub(r"\\\{(\w+)\\\}", r"(?P<\1>[^/]+)", re.escape(template))
    found = re.fullmatch(pattern, path)
    assert found is not None, (template, path)
    return found.groupdict()


def matrix_known_good(
    target: Target, label: str
) -> tuple[dict[str, Any], dict[str, Any] | None, Any, int]:
    """The role matrix's call of ``label`` over the target's API: path parameters
    (read off its concrete path), query, body and success status."""
    method, route = label.split(" ", 1)
    prepare, status = ENDPOINT_CALLS[(method, route)]
    call = prepare(target.world)
    assert call.content is None, "the matrix's billing and payroll calls are JSON"
    return _path_parameters(route, call.path), call.params, call.body, status


def _known_good(
    target: Target, label: str
) -> tuple[dict[str, Any], dict[str, Any] | None, Any, int]:
    """Path parameters, query, body and success status of a request that must succeed."""
    if label.split(" ", 1)[1].startswith("/v1/inventory/"):
        return inventory_known_good(target, label)
    if _from_matrix(label):
        return matrix_known_good(target, label)
    reason = {"reason": "checked by schemathesis"}
    path = target.known_path_parameters(label) if "{" in label else {}
    n = next(_unique)
    # Fresh resources only for the operation asked about (the table is built each call).
    needs_account = label in ("POST /v1/obligations", "POST /v1/bank-statements")
    fresh_account = target.account() if needs_account else ""
    fresh_obligation = target.obligation() if label == "POST /v1/settlements" else ""
    seen = (  # the content the approver reviewed
        target.money.view(path["payment_id"])["content_fingerprint"]
        if label == "POST /v1/payments/{payment_id}/approve"
        else ""
    )
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
        "GET /v1/accounts/{code}/ledger": ({"asset": "USD"}, None, 200),
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
        "GET /v1/audit/access": ({"limit": 5}, None, 200),
        "GET /v1/audit/access/verify": (None, None, 200),
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
        "POST /v1/obligations": (
            None,
            {
                "counterparty": "CP-2",
                "direction": "payable",
                "amount": "4.00",
                "asset": "USD",
                "due_date": SETTLEMENT_DATE,
                "reference": f"fz-bill-{n}",
                "account": fresh_account,
            },
            201,
        ),
        "GET /v1/obligations/{obligation_id}": (None, None, 200),
        "POST /v1/obligations/{obligation_id}/cancel": (None, reason, 200),
        "POST /v1/settlements": (
            None,
            {
                "counterparty": "CP-1",
                "asset": "USD",
                "value_date": SETTLEMENT_DATE,
                "cash_account": "Assets:Bank",
                "obligation_ids": [fresh_obligation],
            },
            201,
        ),
        "GET /v1/settlements/{instruction_id}": (None, None, 200),
        "POST /v1/settlements/{instruction_id}/confirmation": (None, CONFIRMATION, 200),
        "POST /v1/settlements/{instruction_id}/settle": (None, None, 200),
        "POST /v1/settlements/{instruction_id}/fail": (None, reason, 200),
        "POST /v1/settlements/{instruction_id}/reschedule": (
            None,
            {"value_date": "2026-02-02"},
            200,
        ),
        "POST /v1/settlements/{instruction_id}/cancel": (None, reason, 200),
        "POST /v1/sanctions/lists": (None, sanctions_list(extra=f"PETREL {n}, Ivo"), 201),
        "GET /v1/sanctions/lists/current": (None, None, 200),
        "POST /v1/sanctions/screenings": (
            None,
            {"party_name": "Widgeon, Marta", "item_kind": "payment", "item_id": f"fz-pay-{n}"},
            201,
        ),
        "GET /v1/sanctions/cases": ({"status": "pending", "limit": 5}, None, 200),
        "GET /v1/sanctions/cases/{case_id}": (None, None, 200),
        "POST /v1/sanctions/cases/{case_id}/clear": (None, reason, 200),
        "POST /v1/sanctions/cases/{case_id}/reject": (None, reason, 200),
        "POST /v1/bank-statements": (
            {"account": fresh_account},
            RawBody(statement_xml(["3.00"]), "application/xml"),
            201,
        ),
        "GET /v1/bank-statements/{statement_id}": (None, None, 200),
        "POST /v1/reconciliations/{account}/{period}/run": ({"window_days": 3}, None, 200),
        "GET /v1/reconciliations/{account}/{period}": (None, None, 200),
        "POST /v1/reconciliations/lines/{line_id}/match": (
            None,
            {"entry_id": target.line_entries.get(path.get("line_id", ""), "")},
            200,
        ),
        "POST /v1/reconciliations/lines/{line_id}/unmatch": (None, reason, 200),
        "POST /v1/payments": (None, api_payment_body("31.50"), 201),
        "GET /v1/payments": ({"status": "awaiting_approval"}, None, 200),
        "GET /v1/payments/{payment_id}": (None, None, 200),
        "POST /v1/payments/{payment_id}/screen": (None, None, 200),
        "POST /v1/payments/{payment_id}/amend": (
            None,
            {
                "amount": "24.00",
                "value_date": "2026-01-21",
                "purpose": "Invoice 2026-0042 (corrected)",
                "payee_account": {
                    "country": "US",
                    "bank_code": GOOD_ROUTING,
                    "account_number": "000123456789",
                },
            },
            200,
        ),
        "POST /v1/payments/{payment_id}/approve": (None, {"content_fingerprint": seen}, 200),
        "POST /v1/payments/{payment_id}/submit": (None, {"bank_reference": f"FZ-BNK-{n}"}, 200),
        "POST /v1/payments/{payment_id}/settle": (None, None, 200),
        "POST /v1/payments/{payment_id}/fail": (None, reason, 200),
        "POST /v1/payments/{payment_id}/return": (
            None,
            {**reason, "effective_date": "2026-01-25"},
            200,
        ),
        "POST /v1/payments/{payment_id}/cancel": (None, reason, 200),
        "POST /v1/receipts": (None, api_receipt_body(method="cash", amount="3.25"), 201),
        "GET /v1/receipts": ({"status": "posted"}, None, 200),
        "GET /v1/receipts/{receipt_id}": (None, None, 200),
        "POST /v1/receipts/{receipt_id}/post": (None, None, 200),
        "GET /v1/reports": (None, None, 200),
        "GET /v1/reports/{name}": (
            {"format": "csv", "as_of_position": target.report_position},
            None,
            200,
        ),
        "POST /v1/reports/{name}/filings": (
            None,
            {"parameters": {"period": "2026-01"}, "as_of_position": target.report_position},
            201,
        ),
        "GET /v1/reports/filings/{filing_id}": (None, None, 200),
        "GET /v1/reports/filings/{filing_id}/explain": ({"row": 0, "limit": 5}, None, 200),
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
    if isinstance(body, RawBody):  # sent as it is, under its own content type
        fields["body"] = body.content
        fields["media_type"] = body.media_type
    elif body is not None:
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
