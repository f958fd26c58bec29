"""The endpoint x role matrix: every /v1 endpoint against every role and every kind of bad token.

The expectations are this module's own tables (``ENDPOINT_PERMISSIONS``,
``PERMISSION_ROLES``), checked against ``api.auth.PERMISSIONS`` and against
the app's routes: a new /v1 route missing here fails ``test_every_v1_route_is_in_the_matrix``.

- A missing, malformed, unknown or revoked token is a 401; a role the
  permission does not admit is a 403. Both answer application/problem+json
  and append exactly one event to the log: a denied ``AccessRecord``.
- An admitted role gets the endpoint's success status (each attempt has fresh
  resources to act on: a new pending entry to post, a new token to revoke...).

One API (one store) per backend serves the whole matrix.
"""

from __future__ import annotations

import itertools
import secrets
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest

from api.auth import PERMISSIONS
from tests.api.support import ApiHarness, entry_body, open_usd_chart, running_api
from tests.banking.camt_support import Ntry, Stmt, camt053
from tests.billing.api_support import MatrixBilling
from tests.conftest import PG_ENV, _schema_url, drop_schema, postgres_base_url
from tests.inventory.api_support import inventory_calls
from tests.payments.support import (
    API_VALUE_DATE,
    TREASURY,
    ApiPayments,
    api_payment_body,
    api_receipt_body,
    open_payment_books,
)

ROLES = ("poster", "approver", "auditor", "compliance", "admin", "payroll", "billing", "inventory")
BAD_TOKENS = ("no token", "malformed token", "unknown token", "revoked token")

# Which roles each permission admits: this test's own statement of the policy.
PERMISSION_ROLES: dict[str, frozenset[str]] = {
    "assets:write": frozenset({"admin"}),
    "accounts:write": frozenset({"admin"}),
    "periods:write": frozenset({"admin"}),
    "tokens:write": frozenset({"admin"}),
    "tokens:read": frozenset({"admin", "auditor"}),
    "ledger:read": frozenset(ROLES),
    "console:use": frozenset(ROLES),  # every role signs in; each page asks its own permission
    "entries:post": frozenset({"poster"}),
    "entries:approve": frozenset({"approver"}),
    "entries:reverse": frozenset({"poster", "approver"}),
    "audit:read": frozenset({"auditor", "compliance"}),
    "subjects:write": frozenset({"admin", "poster"}),
    "subjects:read": frozenset({"admin", "compliance", "auditor"}),
    "subjects:hold": frozenset({"compliance"}),
    "subjects:erase": frozenset({"admin"}),
    "settlements:write": frozenset({"poster"}),
    "settlements:approve": frozenset({"approver"}),
    "settlements:read": frozenset(ROLES),
    "sanctions:load": frozenset({"compliance", "admin"}),
    "sanctions:read": frozenset({"compliance", "auditor"}),
    "sanctions:screen": frozenset({"compliance"}),
    "sanctions:decide": frozenset({"compliance"}),
    "bank:write": frozenset({"poster", "approver"}),
    "bank:read": frozenset(ROLES),
    "bank:match": frozenset({"approver"}),
    "payments:request": frozenset({"poster"}),
    "payments:approve": frozenset({"approver"}),  # never the admin
    "payments:operate": frozenset({"poster", "approver"}),
    "payments:cancel": frozenset({"poster", "approver"}),
    "payments:read": frozenset(ROLES),
    "receipts:write": frozenset({"poster"}),
    "receipts:read": frozenset(ROLES),
    "reports:read": frozenset({"compliance", "auditor"}),
    "reports:file": frozenset({"compliance"}),
    "billing:read": frozenset({"billing", "approver", "auditor"}),
    "billing:write": frozenset({"billing"}),
    "billing:allocate": frozenset({"billing"}),
    "billing:approve": frozenset({"approver"}),  # never who received the bill (409)
    "payroll:calculate": frozenset({"payroll", "approver", "auditor"}),
    "payroll:read": frozenset({"payroll", "approver", "auditor"}),
    "payroll:write": frozenset({"payroll"}),
    "payroll:approve": frozenset({"payroll", "approver"}),  # never the run's preparer (409)
    "payroll:pay": frozenset({"payroll"}),
    "inventory:write": frozenset({"inventory"}),  # warehouse clerks
    "inventory:read": frozenset(ROLES),
}

# The permission each /v1 endpoint requires.
ENDPOINT_PERMISSIONS: dict[tuple[str, str], str] = {
    ("POST", "/v1/assets"): "assets:write",
    ("POST", "/v1/accounts"): "accounts:write",
    ("GET", "/v1/accounts"): "ledger:read",
    ("GET", "/v1/accounts/{code}"): "ledger:read",
    ("POST", "/v1/accounts/{code}/close"): "accounts:write",
    ("GET", "/v1/accounts/{code}/balance"): "ledger:read",
    ("GET", "/v1/accounts/{code}/ledger"): "ledger:read",
    ("GET", "/v1/trial-balance"): "ledger:read",
    ("POST", "/v1/journal-entries"): "entries:post",
    ("GET", "/v1/journal-entries/{entry_id}"): "ledger:read",
    ("POST", "/v1/journal-entries/{entry_id}/post"): "entries:approve",
    ("POST", "/v1/journal-entries/{entry_id}/void"): "entries:approve",
    ("POST", "/v1/journal-entries/{entry_id}/reversal"): "entries:reverse",
    ("POST", "/v1/periods/{period}/close"): "periods:write",
    ("POST", "/v1/periods/{period}/reopen"): "periods:write",
    ("POST", "/v1/periods/{year}/year-end"): "periods:write",
    ("GET", "/v1/me"): "ledger:read",
    ("POST", "/v1/tokens"): "tokens:write",
    ("GET", "/v1/tokens"): "tokens:read",
    ("POST", "/v1/tokens/{token_id}/revoke"): "tokens:write",
    ("GET", "/v1/audit/events"): "audit:read",
    ("GET", "/v1/audit/entities/{entity_id}/history"): "audit:read",
    ("GET", "/v1/audit/export"): "audit:read",
    ("GET", "/v1/audit/verify"): "audit:read",
    ("GET", "/v1/audit/checkpoints"): "audit:read",
    ("GET", "/v1/audit/events/{position}/proof"): "audit:read",
    ("GET", "/v1/audit/consistency"): "audit:read",
    ("GET", "/v1/audit/access"): "audit:read",
    ("GET", "/v1/audit/access/verify"): "audit:read",
    ("POST", "/v1/subjects"): "subjects:write",
    ("GET", "/v1/subjects/{subject_id}"): "subjects:read",
    ("POST", "/v1/subjects/{subject_id}/details"): "subjects:write",
    ("POST", "/v1/subjects/{subject_id}/holds"): "subjects:hold",
    ("POST", "/v1/subjects/{subject_id}/holds/{hold_id}/lift"): "subjects:hold",
    ("POST", "/v1/subjects/{subject_id}/erasure"): "subjects:erase",
    ("POST", "/v1/obligations"): "settlements:write",
    ("GET", "/v1/obligations/{obligation_id}"): "settlements:read",
    ("POST", "/v1/obligations/{obligation_id}/cancel"): "settlements:write",
    ("POST", "/v1/settlements"): "settlements:write",
    ("GET", "/v1/settlements/{instruction_id}"): "settlements:read",
    ("POST", "/v1/settlements/{instruction_id}/confirmation"): "settlements:write",
    ("POST", "/v1/settlements/{instruction_id}/settle"): "settlements:approve",
    ("POST", "/v1/settlements/{instruction_id}/fail"): "settlements:approve",
    ("POST", "/v1/settlements/{instruction_id}/reschedule"): "settlements:approve",
    ("POST", "/v1/settlements/{instruction_id}/cancel"): "settlements:approve",
    ("POST", "/v1/sanctions/lists"): "sanctions:load",
    ("GET", "/v1/sanctions/lists/current"): "sanctions:read",
    ("POST", "/v1/sanctions/screenings"): "sanctions:screen",
    ("GET", "/v1/sanctions/cases"): "sanctions:read",
    ("GET", "/v1/sanctions/cases/{case_id}"): "sanctions:read",
    ("POST", "/v1/sanctions/cases/{case_id}/clear"): "sanctions:decide",
    ("POST", "/v1/sanctions/cases/{case_id}/reject"): "sanctions:decide",
    ("POST", "/v1/bank-statements"): "bank:write",
    ("GET", "/v1/bank-statements/{statement_id}"): "bank:read",
    ("POST", "/v1/reconciliations/{account}/{period}/run"): "bank:match",
    ("GET", "/v1/reconciliations/{account}/{period}"): "bank:read",
    ("POST", "/v1/reconciliations/lines/{line_id}/match"): "bank:match",
    ("POST", "/v1/reconciliations/lines/{line_id}/unmatch"): "bank:match",
    ("POST", "/v1/payments"): "payments:request",
    ("GET", "/v1/payments"): "payments:read",
    ("GET", "/v1/payments/{payment_id}"): "payments:read",
    ("POST", "/v1/payments/{payment_id}/screen"): "payments:request",
    ("POST", "/v1/payments/{payment_id}/amend"): "payments:request",
    ("POST", "/v1/payments/{payment_id}/approve"): "payments:approve",
    ("POST", "/v1/payments/{payment_id}/submit"): "payments:operate",
    ("POST", "/v1/payments/{payment_id}/settle"): "payments:operate",
    ("POST", "/v1/payments/{payment_id}/fail"): "payments:operate",
    ("POST", "/v1/payments/{payment_id}/return"): "payments:operate",
    ("POST", "/v1/payments/{payment_id}/cancel"): "payments:cancel",
    ("POST", "/v1/receipts"): "receipts:write",
    ("GET", "/v1/receipts"): "receipts:read",
    ("GET", "/v1/receipts/{receipt_id}"): "receipts:read",
    ("POST", "/v1/receipts/{receipt_id}/post"): "receipts:write",
    ("GET", "/v1/reports"): "reports:read",
    ("GET", "/v1/reports/{name}"): "reports:read",
    ("POST", "/v1/reports/{name}/filings"): "reports:file",
    ("GET", "/v1/reports/filings/{filing_id}"): "reports:read",
    ("GET", "/v1/reports/filings/{filing_id}/explain"): "reports:read",
    ("POST", "/v1/billing/parties"): "billing:write",
    ("GET", "/v1/billing/parties/{party_id}"): "billing:read",
    ("POST", "/v1/billing/parties/{party_id}/changes"): "billing:write",
    ("POST", "/v1/billing/invoices"): "billing:write",
    ("GET", "/v1/billing/invoices"): "billing:read",
    ("GET", "/v1/billing/invoices/{invoice_id}"): "billing:read",
    ("POST", "/v1/billing/invoices/{invoice_id}/issue"): "billing:write",
    ("POST", "/v1/billing/invoices/{invoice_id}/credit-notes"): "billing:write",
    ("POST", "/v1/billing/invoices/{invoice_id}/write-off"): "billing:write",
    ("GET", "/v1/billing/credit-notes/{credit_note_id}"): "billing:read",
    ("POST", "/v1/billing/bills"): "billing:write",
    ("GET", "/v1/billing/bills"): "billing:read",
    ("GET", "/v1/billing/bills/{bill_id}"): "billing:read",
    ("POST", "/v1/billing/bills/{bill_id}/approve"): "billing:approve",
    ("POST", "/v1/billing/bills/{bill_id}/payments"): "billing:write",
    ("POST", "/v1/billing/allocations/receipts/{receipt_id}"): "billing:allocate",
    ("POST", "/v1/billing/allocations/payments/{payment_id}"): "billing:allocate",
    ("GET", "/v1/billing/remittances/{remittance_id}"): "billing:read",
    ("POST", "/v1/billing/remittances/{remittance_id}/allocations/{allocation_id}/undo"): (
        "billing:allocate"
    ),
    ("POST", "/v1/billing/remittances/{remittance_id}/refunds"): "billing:allocate",
    ("GET", "/v1/billing/open-items"): "billing:read",
    ("POST", "/v1/payroll/calculations"): "payroll:calculate",
    ("POST", "/v1/payroll/employees"): "payroll:write",
    ("GET", "/v1/payroll/employees"): "payroll:read",
    ("GET", "/v1/payroll/employees/{employee_id}"): "payroll:read",
    ("POST", "/v1/payroll/employees/{employee_id}/pay-changes"): "payroll:write",
    ("POST", "/v1/payroll/employees/{employee_id}/tax-profile-changes"): "payroll:write",
    ("POST", "/v1/payroll/employees/{employee_id}/termination"): "payroll:write",
    ("POST", "/v1/payroll/runs"): "payroll:write",
    ("GET", "/v1/payroll/runs"): "payroll:read",
    ("GET", "/v1/payroll/runs/{run_id}"): "payroll:read",
    ("GET", "/v1/payroll/runs/{run_id}/payslips"): "payroll:read",
    ("GET", "/v1/payroll/runs/{run_id}/payslips/{employee_id}"): "payroll:read",
    ("POST", "/v1/payroll/runs/{run_id}/calculate"): "payroll:write",
    ("POST", "/v1/payroll/runs/{run_id}/approve"): "payroll:approve",
    ("POST", "/v1/payroll/runs/{run_id}/pay"): "payroll:pay",
    ("POST", "/v1/payroll/runs/{run_id}/cancel"): "payroll:write",
    ("POST", "/v1/inventory/items"): "inventory:write",
    ("GET", "/v1/inventory/items"): "inventory:read",
    ("GET", "/v1/inventory/items/{sku}"): "inventory:read",
    ("GET", "/v1/inventory/items/{sku}/movements"): "inventory:read",
    ("POST", "/v1/inventory/locations"): "inventory:write",
    ("POST", "/v1/inventory/receipts"): "inventory:write",
    ("POST", "/v1/inventory/issues"): "inventory:write",
    ("POST", "/v1/inventory/transfers"): "inventory:write",
    ("POST", "/v1/inventory/returns"): "inventory:write",
    ("POST", "/v1/inventory/adjustments"): "inventory:write",
    ("POST", "/v1/inventory/counts"): "inventory:write",
    ("GET", "/v1/inventory/valuation"): "inventory:read",
    ("GET", "/v1/inventory/cogs"): "inventory:read",
}

_unique = itertools.count(1)
_periods = itertools.count(1)  # its own count: months from 1900 on, never reaching 2026
_years = itertools.count(1)  # years from 2101 on, for the year-end close


def _n() -> int:
    return next(_unique)


# --- the store every attempt acts on ---------------------------------------------


@dataclass
class World:
    """One running API per backend, with a chart, a posted entry and the bad tokens."""

    api: ApiHarness
    posted_entry: str
    revoked_token: str
    revoked_actor: str
    screening_case: str = ""  # a case recorded against the list loaded at setup
    bank_account: str = ""  # a ledger bank account with an imported January statement
    bank_statement: str = ""  # that statement's id
    payment: str = ""  # a payment awaiting approval
    receipt: str = ""  # a posted receipt
    report_position: int = 0  # the log's head once set up (reports are computed as of it)
    filing: str = ""  # a filing of the January trial balance as of ``report_position``
    money: ApiPayments = field(init=False)  # fresh payments and receipts in a given state
    billing: MatrixBilling = field(init=False)  # fresh billing parties and documents

    def __post_init__(self) -> None:
        self.money = ApiPayments(self.api)
        self.billing = MatrixBilling(self.api, TREASURY)

    def entry(self, *, pending: bool) -> str:
        response = self.api.post(
            "/v1/journal-entries",
            "poster",
            entry_body("Assets:Bank", "Equity:Capital", "1.00", pending=pending),
        )
        assert response.status_code == 201, response.text
        return str(response.json()["id"])

    def account(self) -> str:
        code = f"Assets:Cash{_n()}"
        body = {"code": code, "name": code, "type": "asset", "assets": ["USD"], "flags": []}
        response = self.api.post("/v1/accounts", "admin", body)
        assert response.status_code == 201, response.text
        return code

    def closed_period(self) -> str:
        period = self.fresh_period()
        response = self.api.post(f"/v1/periods/{period}/close", "admin", {"reason": "setup"})
        assert response.status_code == 200, response.text
        return period

    def year_with_income(self) -> str:
        """A fresh year (2101 on) with income posted in it, and retained earnings open."""
        year = str(2100 + next(_years))
        retained = {"code": "Equity:RetainedEarnings", "name": "Retained earnings",
                    "type": "equity", "assets": ["USD"], "flags": []}
        assert self.api.post("/v1/accounts", "admin", retained).status_code in (201, 409)
        income = {"code": f"Income:Year{year}", "name": "Sales", "type": "income",
                  "assets": ["USD"], "flags": []}
        assert self.api.post("/v1/accounts", "admin", income).status_code == 201
        sale = {"effective_date": f"{year}-06-15", "postings": [
            {"account": "Equity:Capital", "direction": "debit", "amount": "5.00", "asset": "USD"},
            {"account": income["code"], "direction": "credit", "amount": "5.00", "asset": "USD"},
        ]}
        response = self.api.post("/v1/journal-entries", "poster", sale)
        assert response.status_code == 201, response.text
        return year

    @staticmethod
    def fresh_period() -> str:
        n = next(_periods)
        return f"{1900 + n // 12:04d}-{n % 12 + 1:02d}"

    def checkpointed_position(self) -> int:
        """A log position covered by a signed checkpoint."""
        self.api.checkpoint()
        return 1

    def token_id(self) -> str:
        response = self.api.post(
            "/v1/tokens", "admin", {"actor": f"someone-{_n()}", "role": "poster"}
        )
        assert response.status_code == 201, response.text
        return str(response.json()["token_id"])

    def hit_case(self) -> str:
        """A fresh undecided case: a listed name screened as a new item (a hit)."""
        body = {"party_name": "KESTREL, Anatol", "item_id": f"matrix-{_n()}"}
        response = self.api.post("/v1/sanctions/screenings", "compliance", body)
        assert response.status_code == 201, response.text
        assert response.json()["result"] == "hit", response.text
        return str(response.json()["case_id"])

    def bank_statement_import(self, account: str, entries: list[Ntry]) -> str:
        """Import a fresh January statement (USD) into ``account``; its id."""
        response = self.api.client.post(
            "/v1/bank-statements",
            params={"account": account},
            content=statement_xml(entries),
            headers={**self.api.headers("poster", f"import-{_n()}"), **XML},
        )
        assert response.status_code == 201, response.text
        (statement,) = response.json()["statements"]
        return str(statement["id"])

    def money_in(self, account: str, amount: str) -> str:
        """A posted entry moving ``amount`` USD into ``account`` on 2026-01-05."""
        body = entry_body(account, "Equity:Capital", amount, date="2026-01-05")
        response = self.api.post("/v1/journal-entries", "poster", body)
        assert response.status_code == 201, response.text
        return str(response.json()["id"])

    def reconciliation_to_run(self) -> str:
        """``{account}/{period}`` of a fresh account whose statement line awaits matching."""
        account = self.account()
        self.money_in(account, "5.00")
        self.bank_statement_import(account, [Ntry("5.00", currency="USD")])
        return f"{account}/2026-01"

    def unmatched_line(self) -> tuple[str, str]:
        """A fresh unmatched statement line and the posted entry that explains it."""
        account = self.account()
        entry = self.money_in(account, "6.00")
        statement = self.bank_statement_import(account, [Ntry("6.00", currency="USD")])
        return f"{statement}:0", entry

    def matched_line(self) -> str:
        line, entry = self.unmatched_line()
        path = f"/v1/reconciliations/lines/{line}/match"
        response = self.api.post(path, "approver", {"entry_id": entry})
        assert response.status_code == 200, response.text
        return line


@dataclass(frozen=True)
class Call:
    path: str
    body: Any = None
    params: dict[str, str] | None = None
    content: bytes | None = None  # a raw body (instead of ``body`` as JSON)
    headers: dict[str, str] | None = None  # e.g. its Content-Type


XML = {"Content-Type": "application/xml"}


def statement_xml(entries: list[Ntry]) -> bytes:
    """A camt.053 file with one fresh USD statement of ``entries``."""
    statement = Stmt(statement_id=f"MATRIX-{_n()}", entries=entries, currency="USD", opening="0.00")
    return camt053([statement])


def sanctions_list(extra: str = "") -> dict[str, Any]:
    """A small list in OFAC's CSV format (``extra``: one more listed name, a new version)."""
    empty = "-0- "

    def sdn(ent_num: int, name: str) -> str:
        return ",".join(
            [str(ent_num), f'"{name}"', '"individual"', '"SDGT"', *([empty] * 7), empty]
        )

    lines = [sdn(101, "KESTREL, Anatol"), sdn(102, "WIDGEON, Marta")]
    if extra:
        lines.append(sdn(1000 + _n(), extra))
    alt = ",".join(["101", "9001", '"aka"', '"KESTREL, Tolya"', empty])
    return {
        "source": "role matrix",
        "sdn_csv": "\r\n".join(lines) + "\r\n",
        "alt_csv": alt + "\r\n",
    }


def _build_world(url: str) -> Iterator[World]:
    with running_api(url) as api:
        open_usd_chart(api)
        funding = api.post(
            "/v1/journal-entries", "poster", entry_body("Assets:Bank", "Equity:Capital", "1000.00")
        )
        assert funding.status_code == 201, funding.text
        revoked_actor = "revoked-actor"
        revoked = api.issue("poster", revoked_actor)
        revoked_id = uuid.UUID(hex=revoked.split("_")[1])
        response = api.post(
            f"/v1/tokens/{revoked_id}/revoke", "admin", {"reason": "left the company"}
        )
        assert response.status_code == 200, response.text
        world = World(api, str(funding.json()["id"]), revoked, revoked_actor)
        loaded = api.post("/v1/sanctions/lists", "compliance", sanctions_list())
        assert loaded.status_code == 201, loaded.text
        world.screening_case = world.hit_case()
        world.bank_account = world.account()
        world.money_in(world.bank_account, "7.00")
        world.bank_statement = world.bank_statement_import(
            world.bank_account, [Ntry("7.00", currency="USD"), Ntry("2.00", "DBIT", currency="USD")]
        )
        open_payment_books(api)  # payees are screened against the list loaded above
        world.payment = world.money.payment()
        world.receipt = world.money.receipt()
        world.report_position = api.event_count()
        filed = api.post("/v1/reports/trial-balance/filings", "compliance", REPORT_FILING)
        assert filed.status_code == 201, filed.text
        world.filing = str(filed.json()["filing_id"])
        yield world


@pytest.fixture(
    scope="module", params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]
)
def world(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[World]:
    """One API per backend for the whole matrix (``database_url`` is per test; this is per module)."""
    if request.param == "sqlite":
        yield from _build_world(f"sqlite:///{tmp_path_factory.mktemp('roles') / 'backoffice.db'}")
        return
    base = postgres_base_url()
    if base is None:
        pytest.skip(
            f"PostgreSQL test: set {PG_ENV} (e.g. postgresql://postgres@127.0.0.1:5432/test)"
        )
    schema = f"bo_roles_{uuid.uuid4().hex[:12]}"
    try:
        yield from _build_world(_schema_url(base, schema))
    finally:
        drop_schema(base, schema)


# --- each endpoint: a valid request (fresh resources when it changes something) and its success status ---

Prepare = Callable[[World], Call]

ENDPOINT_CALLS: dict[tuple[str, str], tuple[Prepare, int]] = {
    ("POST", "/v1/assets"): (
        lambda w: Call("/v1/assets", {"code": f"XA{_n()}", "scale": 2, "name": "test asset"}),
        201,
    ),
    ("POST", "/v1/accounts"): (
        lambda w: Call(
            "/v1/accounts",
            {
                "code": f"Expenses:Misc{_n()}",
                "name": "misc",
                "type": "expense",
                "assets": ["USD"],
                "flags": [],
            },
        ),
        201,
    ),
    ("GET", "/v1/accounts"): (lambda w: Call("/v1/accounts", params={"limit": "2"}), 200),
    ("GET", "/v1/accounts/{code}"): (lambda w: Call("/v1/accounts/Assets:Bank"), 200),
    ("POST", "/v1/accounts/{code}/close"): (
        lambda w: Call(f"/v1/accounts/{w.account()}/close", {"reason": "no longer used"}),
        200,
    ),
    ("GET", "/v1/accounts/{code}/balance"): (
        lambda w: Call("/v1/accounts/Assets:Bank/balance"),
        200,
    ),
    ("GET", "/v1/accounts/{code}/ledger"): (
        lambda w: Call("/v1/accounts/Assets:Bank/ledger", params={"asset": "USD"}),
        200,
    ),
    ("GET", "/v1/trial-balance"): (lambda w: Call("/v1/trial-balance"), 200),
    ("POST", "/v1/journal-entries"): (
        lambda w: Call("/v1/journal-entries", entry_body("Expenses:Rent", "Assets:Bank", "1.00")),
        201,
    ),
    ("GET", "/v1/journal-entries/{entry_id}"): (
        lambda w: Call(f"/v1/journal-entries/{w.posted_entry}"),
        200,
    ),
    ("POST", "/v1/journal-entries/{entry_id}/post"): (
        lambda w: Call(f"/v1/journal-entries/{w.entry(pending=True)}/post"),
        200,
    ),
    ("POST", "/v1/journal-entries/{entry_id}/void"): (
        lambda w: Call(
            f"/v1/journal-entries/{w.entry(pending=True)}/void", {"reason": "not needed"}
        ),
        200,
    ),
    ("POST", "/v1/journal-entries/{entry_id}/reversal"): (
        lambda w: Call(
            f"/v1/journal-entries/{w.entry(pending=False)}/reversal", {"reason": "mistake"}
        ),
        201,
    ),
    ("POST", "/v1/periods/{period}/close"): (
        lambda w: Call(f"/v1/periods/{w.fresh_period()}/close", {"reason": "month end"}),
        200,
    ),
    ("POST", "/v1/periods/{period}/reopen"): (
        lambda w: Call(f"/v1/periods/{w.closed_period()}/reopen", {"reason": "late invoice"}),
        200,
    ),
    ("POST", "/v1/periods/{year}/year-end"): (
        lambda w: Call(f"/v1/periods/{w.year_with_income()}/year-end", {"reason": "year end"}),
        201,
    ),
    ("GET", "/v1/me"): (lambda w: Call("/v1/me"), 200),
    ("POST", "/v1/tokens"): (
        lambda w: Call("/v1/tokens", {"actor": f"new-{_n()}", "role": "auditor"}),
        201,
    ),
    ("GET", "/v1/tokens"): (lambda w: Call("/v1/tokens"), 200),
    ("POST", "/v1/tokens/{token_id}/revoke"): (
        lambda w: Call(f"/v1/tokens/{w.token_id()}/revoke", {"reason": "rotated"}),
        200,
    ),
    ("GET", "/v1/audit/events"): (lambda w: Call("/v1/audit/events", params={"limit": "5"}), 200),
    ("GET", "/v1/audit/access"): (lambda w: Call("/v1/audit/access", params={"limit": "5"}), 200),
    ("GET", "/v1/audit/access/verify"): (lambda w: Call("/v1/audit/access/verify"), 200),
    ("GET", "/v1/audit/entities/{entity_id}/history"): (
        lambda w: Call(f"/v1/audit/entities/{w.posted_entry}/history"),
        200,
    ),
    ("GET", "/v1/audit/export"): (
        lambda w: Call("/v1/audit/export", params={"format": "csv", "position_to": "5"}),
        200,
    ),
    ("GET", "/v1/audit/verify"): (lambda w: Call("/v1/audit/verify"), 200),
    ("GET", "/v1/audit/checkpoints"): (lambda w: Call("/v1/audit/checkpoints"), 200),
    ("GET", "/v1/audit/events/{position}/proof"): (
        lambda w: Call(f"/v1/audit/events/{w.checkpointed_position()}/proof"),
        200,
    ),
    ("GET", "/v1/audit/consistency"): (
        lambda w: Call("/v1/audit/consistency", params={"old_size": "1", "new_size": "2"}),
        200,
    ),
    ("POST", "/v1/obligations"): (
        lambda w: Call(
            "/v1/obligations",
            {
                "counterparty": "CP-2",
                "direction": "payable",
                "amount": "4.00",
                "asset": "USD",
                "due_date": SETTLEMENT_DATE,
                "reference": f"bill-{_n()}",
                "account": w.account(),
            },
        ),
        201,
    ),
    ("GET", "/v1/obligations/{obligation_id}"): (
        lambda w: Call(f"/v1/obligations/{_obligation(w)}"),
        200,
    ),
    ("POST", "/v1/obligations/{obligation_id}/cancel"): (
        lambda w: Call(f"/v1/obligations/{_obligation(w)}/cancel", {"reason": "disputed"}),
        200,
    ),
    ("POST", "/v1/settlements"): (
        lambda w: Call(
            "/v1/settlements",
            {
                "counterparty": "CP-1",
                "asset": "USD",
                "value_date": SETTLEMENT_DATE,
                "cash_account": "Assets:Bank",
                "obligation_ids": [_obligation(w)],
            },
        ),
        201,
    ),
    ("GET", "/v1/settlements/{instruction_id}"): (
        lambda w: Call(f"/v1/settlements/{_instruction(w)}"),
        200,
    ),
    ("POST", "/v1/settlements/{instruction_id}/confirmation"): (
        lambda w: Call(
            f"/v1/settlements/{_instruction(w)}/confirmation",
            {"amount": "10.00", "direction": "we_receive", "value_date": SETTLEMENT_DATE},
        ),
        200,
    ),
    ("POST", "/v1/settlements/{instruction_id}/settle"): (
        lambda w: Call(f"/v1/settlements/{_instruction(w, confirmed=True)}/settle"),
        200,
    ),
    ("POST", "/v1/settlements/{instruction_id}/fail"): (
        lambda w: Call(f"/v1/settlements/{_instruction(w)}/fail", {"reason": "no funds"}),
        200,
    ),
    ("POST", "/v1/settlements/{instruction_id}/reschedule"): (
        lambda w: Call(
            f"/v1/settlements/{_instruction(w, failed=True)}/reschedule",
            {"value_date": "2026-02-02"},
        ),
        200,
    ),
    ("POST", "/v1/settlements/{instruction_id}/cancel"): (
        lambda w: Call(f"/v1/settlements/{_instruction(w)}/cancel", {"reason": "withdrawn"}),
        200,
    ),
    ("POST", "/v1/sanctions/lists"): (
        lambda w: Call("/v1/sanctions/lists", sanctions_list(extra=f"PETREL {_n()}, Ivo")),
        201,
    ),
    ("GET", "/v1/sanctions/lists/current"): (lambda w: Call("/v1/sanctions/lists/current"), 200),
    ("POST", "/v1/sanctions/screenings"): (
        lambda w: Call("/v1/sanctions/screenings", {"party_name": "Widgeon, Marta"}),
        201,
    ),
    ("GET", "/v1/sanctions/cases"): (
        lambda w: Call("/v1/sanctions/cases", params={"status": "pending", "limit": "5"}),
        200,
    ),
    ("GET", "/v1/sanctions/cases/{case_id}"): (
        lambda w: Call(f"/v1/sanctions/cases/{w.screening_case}"),
        200,
    ),
    ("POST", "/v1/sanctions/cases/{case_id}/clear"): (
        lambda w: Call(f"/v1/sanctions/cases/{w.hit_case()}/clear", {"reason": "namesake"}),
        200,
    ),
    ("POST", "/v1/sanctions/cases/{case_id}/reject"): (
        lambda w: Call(f"/v1/sanctions/cases/{w.hit_case()}/reject", {"reason": "same person"}),
        200,
    ),
    ("POST", "/v1/bank-statements"): (
        lambda w: Call(
            "/v1/bank-statements",
            params={"account": w.account()},
            content=statement_xml([Ntry("3.00", currency="USD")]),
            headers=XML,
        ),
        201,
    ),
    ("GET", "/v1/bank-statements/{statement_id}"): (
        lambda w: Call(f"/v1/bank-statements/{w.bank_statement}"),
        200,
    ),
    ("POST", "/v1/reconciliations/{account}/{period}/run"): (
        lambda w: Call(f"/v1/reconciliations/{w.reconciliation_to_run()}/run"),
        200,
    ),
    ("GET", "/v1/reconciliations/{account}/{period}"): (
        lambda w: Call(f"/v1/reconciliations/{w.bank_account}/2026-01"),
        200,
    ),
    ("POST", "/v1/reconciliations/lines/{line_id}/match"): (
        lambda w: _match_call(w),
        200,
    ),
    ("POST", "/v1/reconciliations/lines/{line_id}/unmatch"): (
        lambda w: Call(
            f"/v1/reconciliations/lines/{w.matched_line()}/unmatch", {"reason": "wrong entry"}
        ),
        200,
    ),
    ("POST", "/v1/payments"): (lambda w: Call("/v1/payments", api_payment_body()), 201),
    ("GET", "/v1/payments"): (
        lambda w: Call("/v1/payments", params={"status": "awaiting_approval"}),
        200,
    ),
    ("GET", "/v1/payments/{payment_id}"): (lambda w: Call(f"/v1/payments/{w.payment}"), 200),
    ("POST", "/v1/payments/{payment_id}/screen"): (
        lambda w: Call(f"/v1/payments/{w.money.unscreened()}/screen"),
        200,
    ),
    ("POST", "/v1/payments/{payment_id}/amend"): (
        lambda w: Call(f"/v1/payments/{w.money.payment()}/amend", {"purpose": "Invoice 43"}),
        200,
    ),
    ("POST", "/v1/payments/{payment_id}/approve"): (
        lambda w: Call(f"/v1/payments/{w.money.half_approved()}/approve", {}),
        200,
    ),
    ("POST", "/v1/payments/{payment_id}/submit"): (
        lambda w: Call(
            f"/v1/payments/{w.money.payment('funds_reserved')}/submit",
            {"bank_reference": f"BNK-{_n()}"},
        ),
        200,
    ),
    ("POST", "/v1/payments/{payment_id}/settle"): (
        lambda w: Call(f"/v1/payments/{w.money.payment('submitted')}/settle"),
        200,
    ),
    ("POST", "/v1/payments/{payment_id}/fail"): (
        lambda w: Call(f"/v1/payments/{w.money.payment('submitted')}/fail", {"reason": "closed"}),
        200,
    ),
    ("POST", "/v1/payments/{payment_id}/return"): (
        lambda w: Call(
            f"/v1/payments/{w.money.payment('settled')}/return",
            {"reason": "beneficiary account closed", "effective_date": API_VALUE_DATE},
        ),
        200,
    ),
    ("POST", "/v1/payments/{payment_id}/cancel"): (
        lambda w: Call(f"/v1/payments/{w.money.payment()}/cancel", {"reason": "duplicate"}),
        200,
    ),
    ("POST", "/v1/receipts"): (lambda w: Call("/v1/receipts", api_receipt_body()), 201),
    ("GET", "/v1/receipts"): (lambda w: Call("/v1/receipts", params={"status": "posted"}), 200),
    ("GET", "/v1/receipts/{receipt_id}"): (lambda w: Call(f"/v1/receipts/{w.receipt}"), 200),
    ("POST", "/v1/receipts/{receipt_id}/post"): (
        lambda w: Call(f"/v1/receipts/{w.money.cleared_receipt()}/post"),
        200,
    ),
    ("GET", "/v1/reports"): (lambda w: Call("/v1/reports"), 200),
    ("GET", "/v1/reports/{name}"): (
        lambda w: Call(
            "/v1/reports/trial-balance",
            params={"period": "2026-01", "as_of_position": str(w.report_position)},
        ),
        200,
    ),
    ("POST", "/v1/reports/{name}/filings"): (
        lambda w: Call("/v1/reports/income-statement/filings", REPORT_FILING),
        201,
    ),
    ("GET", "/v1/reports/filings/{filing_id}"): (
        lambda w: Call(f"/v1/reports/filings/{w.filing}"),
        200,
    ),
    ("GET", "/v1/reports/filings/{filing_id}/explain"): (
        lambda w: Call(f"/v1/reports/filings/{w.filing}/explain", params={"row": "0"}),
        200,
    ),
    ("POST", "/v1/subjects"): (
        lambda w: Call(
            "/v1/subjects",
            {"reference": f"V-{_n()}", "kind": "payee", "fields": {"name": "A Payee"}},
        ),
        201,
    ),
    ("GET", "/v1/subjects/{subject_id}"): (lambda w: Call(f"/v1/subjects/{_subject(w)}"), 200),
    ("POST", "/v1/subjects/{subject_id}/details"): (
        lambda w: Call(
            f"/v1/subjects/{_subject(w)}/details", {"fields": {"email": "payee@example.org"}}
        ),
        200,
    ),
    ("POST", "/v1/subjects/{subject_id}/holds"): (
        lambda w: Call(f"/v1/subjects/{_subject(w)}/holds", {"reason": "AML retention"}),
        201,
    ),
    ("POST", "/v1/subjects/{subject_id}/holds/{hold_id}/lift"): (
        lambda w: Call(f"/v1/subjects/{_held_subject(w)}/lift", {"reason": "case closed"}),
        200,
    ),
    ("POST", "/v1/subjects/{subject_id}/erasure"): (
        lambda w: Call(f"/v1/subjects/{_subject(w)}/erasure", {"reason": "erasure request"}),
        200,
    ),
}


ENDPOINT_CALLS.update(
    {
        ("POST", "/v1/billing/parties"): (
            lambda w: Call(
                "/v1/billing/parties",
                {
                    "roles": ["customer"],
                    "currency": "USD",
                    "details": {"name": "Matrix Customer", "reference": f"C-{_n()}"},
                },
            ),
            201,
        ),
        ("GET", "/v1/billing/parties/{party_id}"): (
            lambda w: Call(f"/v1/billing/parties/{w.billing.customer()['id']}"),
            200,
        ),
        ("POST", "/v1/billing/parties/{party_id}/changes"): (
            lambda w: Call(
                f"/v1/billing/parties/{w.billing.customer()['id']}/changes",
                {"payment_terms_days": 30 + _n() % 300},
            ),
            200,
        ),
        ("POST", "/v1/billing/invoices"): (
            lambda w: Call(
                "/v1/billing/invoices",
                {"party_id": w.billing.customer()["id"], "lines": [BILLING_LINE]},
            ),
            201,
        ),
        ("GET", "/v1/billing/invoices"): (lambda w: Call("/v1/billing/invoices"), 200),
        ("GET", "/v1/billing/invoices/{invoice_id}"): (
            lambda w: Call(f"/v1/billing/invoices/{w.billing.draft()}"),
            200,
        ),
        ("POST", "/v1/billing/invoices/{invoice_id}/issue"): (
            lambda w: Call(
                f"/v1/billing/invoices/{w.billing.draft()}/issue", {"issue_date": BILLING_DATE}
            ),
            200,
        ),
        ("POST", "/v1/billing/invoices/{invoice_id}/credit-notes"): (
            lambda w: Call(
                f"/v1/billing/invoices/{w.billing.invoice()}/credit-notes",
                {"issue_date": BILLING_DATE, "reason": "returned"},
            ),
            201,
        ),
        ("POST", "/v1/billing/invoices/{invoice_id}/write-off"): (
            lambda w: Call(
                f"/v1/billing/invoices/{w.billing.invoice()}/write-off",
                {"effective_date": BILLING_DATE, "reason": "insolvent"},
            ),
            200,
        ),
        ("GET", "/v1/billing/credit-notes/{credit_note_id}"): (
            lambda w: Call(f"/v1/billing/credit-notes/{w.billing.credit_note()}"),
            200,
        ),
        ("POST", "/v1/billing/bills"): (
            lambda w: Call("/v1/billing/bills", w.billing.bill_body()),
            201,
        ),
        ("GET", "/v1/billing/bills"): (lambda w: Call("/v1/billing/bills"), 200),
        ("GET", "/v1/billing/bills/{bill_id}"): (
            lambda w: Call(f"/v1/billing/bills/{w.billing.bill()}"),
            200,
        ),
        ("POST", "/v1/billing/bills/{bill_id}/approve"): (
            lambda w: Call(f"/v1/billing/bills/{w.billing.bill()}/approve"),
            200,
        ),
        ("POST", "/v1/billing/bills/{bill_id}/payments"): (
            lambda w: Call(
                f"/v1/billing/bills/{w.billing.posted_bill()}/payments", w.billing.pay_body()
            ),
            201,
        ),
        ("POST", "/v1/billing/allocations/receipts/{receipt_id}"): (
            lambda w: Call(f"/v1/billing/allocations/receipts/{w.billing.receipt()}"),
            200,
        ),
        ("POST", "/v1/billing/allocations/payments/{payment_id}"): (
            lambda w: Call(f"/v1/billing/allocations/payments/{w.billing.settled_bill_payment()}"),
            200,
        ),
        ("GET", "/v1/billing/remittances/{remittance_id}"): (
            lambda w: Call(f"/v1/billing/remittances/{w.billing.remittance()[0]}"),
            200,
        ),
        ("POST", "/v1/billing/remittances/{remittance_id}/allocations/{allocation_id}/undo"): (
            lambda w: Call(
                "/v1/billing/remittances/{}/allocations/{}/undo".format(*w.billing.remittance()),
                {"reason": "wrong customer"},
            ),
            200,
        ),
        ("POST", "/v1/billing/remittances/{remittance_id}/refunds"): (
            lambda w: _billing_refund(w),
            200,
        ),
        ("GET", "/v1/billing/open-items"): (
            lambda w: Call("/v1/billing/open-items", params={"side": "receivable"}),
            200,
        ),
    }
)
BILLING_DATE = "2026-03-10"
BILLING_LINE: dict[str, str] = {
    "description": "Consulting",
    "quantity": "1",
    "unit_price": "10.00",
    "tax_code": "VAT-STD",
    "income_account": "Income:Sales",
}


def _billing_refund(w: World) -> Call:
    remittance_id, body = w.billing.refund()
    return Call(f"/v1/billing/remittances/{remittance_id}/refunds", body)


SETTLEMENT_DATE = "2026-01-31"
REPORT_FILING = {"parameters": {"period": "2026-01"}}


def _obligation(w: World) -> str:
    """A fresh open receivable obligation of 10.00 USD from counterparty CP-1."""
    body = {
        "counterparty": "CP-1",
        "direction": "receivable",
        "amount": "10.00",
        "asset": "USD",
        "due_date": SETTLEMENT_DATE,
        "reference": f"inv-{_n()}",
        "account": w.account(),
    }
    response = w.api.post("/v1/obligations", "poster", body)
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


def _instruction(w: World, *, confirmed: bool = False, failed: bool = False) -> str:
    body = {
        "counterparty": "CP-1",
        "asset": "USD",
        "value_date": SETTLEMENT_DATE,
        "cash_account": "Assets:Bank",
        "obligation_ids": [_obligation(w)],
    }
    response = w.api.post("/v1/settlements", "poster", body)
    assert response.status_code == 201, response.text
    instruction = str(response.json()["id"])
    if confirmed:
        confirmation = {"amount": "10.00", "direction": "we_receive", "value_date": SETTLEMENT_DATE}
        answer = w.api.post(f"/v1/settlements/{instruction}/confirmation", "poster", confirmation)
        assert answer.status_code == 200, answer.text
    if failed:
        answer = w.api.post(
            f"/v1/settlements/{instruction}/fail", "approver", {"reason": "no funds"}
        )
        assert answer.status_code == 200, answer.text
    return instruction


def _match_call(w: World) -> Call:
    line, entry = w.unmatched_line()
    return Call(f"/v1/reconciliations/lines/{line}/match", {"entry_id": entry})


def _subject(w: World) -> str:
    """A fresh data subject (each attempt acts on its own)."""
    body = {"reference": f"EMP-{_n()}", "kind": "employee", "fields": {"name": "An Employee"}}
    response = w.api.post("/v1/subjects", "admin", body)
    assert response.status_code == 201, response.text
    return str(response.json()["subject_id"])


def _held_subject(w: World) -> str:
    """``{subject_id}/holds/{hold_id}`` of a fresh subject under a fresh hold."""
    subject_id = _subject(w)
    response = w.api.post(f"/v1/subjects/{subject_id}/holds", "compliance", {"reason": "AML"})
    assert response.status_code == 201, response.text
    return f"{subject_id}/holds/{response.json()['hold_id']}"


PAYROLL_PREPARER = "payroll-preparer"  # a second payroll token: the runs' author, never approving


def _payroll_hire(w: World, group: str | None = None) -> tuple[str, str]:
    """A fresh employee (USD monthly, 100.00) in its own pay group: (id, group)."""
    group = group or f"matrix-{_n()}"
    body = {
        "reference": f"MATRIX-EMP-{_n()}",
        "person": {"name": "Pat Payroll"},
        "bank_account": {"country": "US", "bank_code": "021000021", "account_number": "12345678"},
        "jurisdiction": "US",
        "pay_group": group,
        "pay_frequency": "monthly",
        "hire_date": "2025-01-01",
        "tax_profile": {"filing_status": "single", "w4": {"version": 2020}},
        "pay": {"basis": "salary", "amount": "100.00"},
    }
    response = w.api.post("/v1/payroll/employees", _payroll_preparer(w), body)
    assert response.status_code == 201, response.text
    return str(response.json()["id"]), group


def _payroll_preparer(w: World) -> str:
    if PAYROLL_PREPARER not in w.api.tokens:
        w.api.tokens[PAYROLL_PREPARER] = w.api.issue("payroll", PAYROLL_PREPARER)
        accounts = ["Expenses:Payroll:Salaries", "Expenses:Payroll:EmployerTaxes"]
        accounts += [
            f"Liabilities:Payroll:{code}"
            for code in ("NetPay", "federal_income_tax", "social_security", "medicare",
                         "additional_medicare", "social_security_employer",
                         "medicare_employer", "futa")
        ]  # fmt: skip
        for code in accounts:
            kind = "expense" if code.startswith("Expenses") else "liability"
            body = {"code": code, "name": code, "type": kind, "assets": ["USD"], "flags": []}
            response = w.api.post("/v1/accounts", "admin", body)
            assert response.status_code == 201, response.text
    return PAYROLL_PREPARER


def _payroll_run(w: World, status: str = "opened") -> str:
    """A fresh January 2025 run of one fresh employee, prepared by ``PAYROLL_PREPARER``."""
    _employee, group = _payroll_hire(w)
    body = {
        "pay_group": group,
        "jurisdiction": "US",
        "pay_frequency": "monthly",
        "period_start": "2025-01-01",
        "period_end": "2025-01-31",
        "period_number": 1,
        "pay_date": "2025-01-31",
    }
    response = w.api.post("/v1/payroll/runs", PAYROLL_PREPARER, body)
    assert response.status_code == 201, response.text
    run_id = str(response.json()["id"])
    steps = {"opened": [], "calculated": ["calculate"], "approved": ["calculate", "approve"]}
    for step in steps[status]:
        role = "approver" if step == "approve" else PAYROLL_PREPARER
        response = w.api.post(f"/v1/payroll/runs/{run_id}/{step}", role)
        assert response.status_code == 200, response.text
    return run_id


def _payslip(w: World) -> str:
    run_id = _payroll_run(w, "calculated")
    slips = w.api.get(f"/v1/payroll/runs/{run_id}/payslips", "payroll").json()["payslips"]
    return f"{run_id}/payslips/{slips[0]['employee_id']}"


def _payroll_calls() -> dict[tuple[str, str], tuple[Prepare, int]]:
    from tests.payroll.support import us_body

    pay = {"pay": {"basis": "salary", "amount": "110.00"}, "effective_date": "2025-02-01"}
    profile = {
        "tax_profile": {"filing_status": "head_of_household", "w4": {"version": 2020}},
        "effective_date": "2025-02-01",
    }
    ended = {"termination_date": "2025-03-31", "reason": "resigned"}
    runs = "/v1/payroll/runs"
    return {
        ("POST", "/v1/payroll/calculations"): (
            lambda w: Call("/v1/payroll/calculations", us_body()),
            200,
        ),
        ("POST", "/v1/payroll/employees"): (
            lambda w: Call(
                "/v1/payroll/employees",
                {**_hire_body_of(w), "reference": f"MATRIX-NEW-{_n()}"},
            ),
            201,
        ),
        ("GET", "/v1/payroll/employees"): (lambda w: Call("/v1/payroll/employees"), 200),
        ("GET", "/v1/payroll/employees/{employee_id}"): (
            lambda w: Call(f"/v1/payroll/employees/{_payroll_hire(w)[0]}"),
            200,
        ),
        ("POST", "/v1/payroll/employees/{employee_id}/pay-changes"): (
            lambda w: Call(f"/v1/payroll/employees/{_payroll_hire(w)[0]}/pay-changes", pay),
            200,
        ),
        ("POST", "/v1/payroll/employees/{employee_id}/tax-profile-changes"): (
            lambda w: Call(
                f"/v1/payroll/employees/{_payroll_hire(w)[0]}/tax-profile-changes", profile
            ),
            200,
        ),
        ("POST", "/v1/payroll/employees/{employee_id}/termination"): (
            lambda w: Call(f"/v1/payroll/employees/{_payroll_hire(w)[0]}/termination", ended),
            200,
        ),
        ("POST", "/v1/payroll/runs"): (
            lambda w: Call(
                runs,
                {
                    "pay_group": _payroll_hire(w)[1],
                    "jurisdiction": "US",
                    "pay_frequency": "monthly",
                    "period_start": "2025-01-01",
                    "period_end": "2025-01-31",
                    "period_number": 1,
                    "pay_date": "2025-01-31",
                },
            ),
            201,
        ),
        ("GET", "/v1/payroll/runs"): (lambda w: Call(runs), 200),
        ("GET", "/v1/payroll/runs/{run_id}"): (
            lambda w: Call(f"{runs}/{_payroll_run(w)}"),
            200,
        ),
        ("GET", "/v1/payroll/runs/{run_id}/payslips"): (
            lambda w: Call(f"{runs}/{_payroll_run(w, 'calculated')}/payslips"),
            200,
        ),
        ("GET", "/v1/payroll/runs/{run_id}/payslips/{employee_id}"): (
            lambda w: Call(f"{runs}/{_payslip(w)}"),
            200,
        ),
        ("POST", "/v1/payroll/runs/{run_id}/calculate"): (
            lambda w: Call(f"{runs}/{_payroll_run(w)}/calculate"),
            200,
        ),
        ("POST", "/v1/payroll/runs/{run_id}/approve"): (
            lambda w: Call(f"{runs}/{_payroll_run(w, 'calculated')}/approve"),
            200,
        ),
        ("POST", "/v1/payroll/runs/{run_id}/pay"): (
            lambda w: Call(f"{runs}/{_payroll_run(w, 'approved')}/pay"),
            200,
        ),
        ("POST", "/v1/payroll/runs/{run_id}/cancel"): (
            lambda w: Call(f"{runs}/{_payroll_run(w)}/cancel", {"reason": "wrong period"}),
            200,
        ),
    }


def _hire_body_of(w: World) -> dict[str, Any]:
    _payroll_preparer(w)
    return {
        "person": {"name": "Pat Payroll"},
        "bank_account": {"country": "US", "bank_code": "021000021", "account_number": "12345678"},
        "jurisdiction": "US",
        "pay_group": f"matrix-{_n()}",
        "pay_frequency": "monthly",
        "hire_date": "2025-01-01",
        "tax_profile": {"filing_status": "single", "w4": {"version": 2020}},
        "pay": {"basis": "salary", "amount": "100.00"},
    }


ENDPOINT_CALLS.update(_payroll_calls())
ENDPOINT_CALLS.update(inventory_calls(Call))


def _app_v1_routes() -> set[tuple[str, str]]:
    """(method, path template) of every /v1 route the app serves."""
    from fastapi.routing import iter_route_contexts

    from adapters.settings import Settings
    from api.app import create_app

    app = create_app(
        Settings(database_url="sqlite:///:memory:")
    )  # no store is opened before startup
    found: set[tuple[str, str]] = set()
    for route in iter_route_contexts(app.routes):
        path = route.path or ""
        if path.startswith("/v1"):
            for method in getattr(route.original_route, "methods", None) or ():
                if method != "HEAD":
                    found.add((method, path))
    for path, operations in app.openapi()["paths"].items():
        if path.startswith("/v1"):
            found.update((method.upper(), path) for method in operations)
    return found


def _app_route_permissions() -> dict[tuple[str, str], list[str]]:
    """The authorize(...) dependencies each /v1 route declares, by name (``authorize_entries_post``)."""
    from fastapi.routing import iter_route_contexts

    from adapters.settings import Settings
    from api.app import create_app

    app = create_app(Settings(database_url="sqlite:///:memory:"))
    out: dict[tuple[str, str], list[str]] = {}
    for route in iter_route_contexts(app.routes):
        original = route.original_route
        dependant = getattr(original, "dependant", None)
        if dependant is None or not (route.path or "").startswith("/v1"):
            continue
        names = [
            getattr(dep.call, "__name__", "")
            for dep in dependant.dependencies
            if getattr(dep.call, "__name__", "").startswith("authorize_")
        ]
        for method in getattr(original, "methods", None) or ():
            out[(method, route.path or "")] = names
    return out


# --- the tables agree with each other and with the app --------------------------


def test_every_v1_route_is_in_the_matrix() -> None:
    routes = _app_v1_routes()
    assert len(routes) >= 20
    missing = sorted(routes - set(ENDPOINT_PERMISSIONS))
    assert not missing, (
        f"/v1 routes not covered by the role matrix (add them to ENDPOINT_PERMISSIONS): {missing}"
    )
    stale = sorted(set(ENDPOINT_PERMISSIONS) - routes)
    assert not stale, f"matrix rows for routes the app no longer serves: {stale}"
    assert set(ENDPOINT_CALLS) == set(ENDPOINT_PERMISSIONS)


def test_the_permission_table_agrees_with_api_auth() -> None:
    assert set(PERMISSIONS) == set(PERMISSION_ROLES)
    for permission, roles in PERMISSION_ROLES.items():
        assert set(PERMISSIONS[permission]) == roles, permission
    # console:use admits a sign-in to /console (tests/console), not a /v1 route.
    assert set(ENDPOINT_PERMISSIONS.values()) == set(PERMISSION_ROLES) - {"console:use"}, (
        "a permission no endpoint uses"
    )


def test_each_route_is_guarded_by_the_expected_permission() -> None:
    declared = _app_route_permissions()
    for endpoint, permission in ENDPOINT_PERMISSIONS.items():
        expected = "authorize_" + permission.replace(":", "_")
        assert declared.get(endpoint) == [expected], (endpoint, declared.get(endpoint))


# --- the matrix ----------------------------------------------------------------------

ENDPOINTS = sorted(ENDPOINT_PERMISSIONS, key=lambda item: (item[1], item[0]))
PRINCIPALS = (*ROLES, *BAD_TOKENS)


def _bad_token(world: World, kind: str) -> dict[str, str]:
    if kind == "no token":
        return {}
    if kind == "malformed token":
        return {"Authorization": "Bearer bo_not-a-token"}
    if kind == "unknown token":
        return {"Authorization": f"Bearer bo_{uuid.uuid4().hex}_{secrets.token_urlsafe(32)}"}
    assert kind == "revoked token"
    return {"Authorization": f"Bearer {world.revoked_token}"}


def _events_after(world: World, position: int) -> list[Any]:
    recorder = world.api.system.app.recorder
    return list(recorder.select_notifications(start=position + 1, limit=10))


@pytest.mark.parametrize("principal", PRINCIPALS)
@pytest.mark.parametrize("endpoint", ENDPOINTS, ids=[f"{m} {p}" for m, p in ENDPOINTS])
def test_endpoint_role_matrix(world: World, endpoint: tuple[str, str], principal: str) -> None:
    method, template = endpoint
    permission = ENDPOINT_PERMISSIONS[endpoint]
    prepare, success = ENDPOINT_CALLS[endpoint]
    api = world.api
    call = prepare(world)  # any setup writes happen before the log is measured

    if principal in ROLES:
        headers = api.headers(principal)
        allowed = principal in PERMISSION_ROLES[permission]
        assert allowed == (principal in PERMISSIONS[permission])
        expected_status = success if allowed else 403
    else:
        headers = _bad_token(world, principal)
        allowed = False
        expected_status = 401
    if method == "POST":
        headers["Idempotency-Key"] = f"matrix-{uuid.uuid4().hex}"

    before = api.event_count()
    access_log = api.client.app.state.backoffice.access.access_log  # type: ignore[attr-defined]
    access_before = access_log.head()
    if method == "POST" and call.content is not None:
        response = api.client.post(
            call.path,
            content=call.content,
            headers={**headers, **(call.headers or {})},
            params=call.params,
        )
    elif method == "POST":
        response = api.client.post(call.path, json=call.body, headers=headers, params=call.params)
    else:
        response = api.client.get(call.path, headers=headers, params=call.params)

    if allowed:
        assert response.status_code not in (401, 403), response.text
        assert response.status_code == expected_status, (
            method,
            call.path,
            principal,
            response.text,
        )
        return

    assert response.status_code == expected_status, (method, call.path, principal, response.text)
    assert response.headers["content-type"].startswith("application/problem+json")
    problem = response.json()
    assert problem["status"] == expected_status
    assert problem["code"] == ("unauthenticated" if expected_status == 401 else "forbidden")
    assert problem["type"].endswith(problem["code"])
    if expected_status == 401:
        assert response.headers.get("www-authenticate", "").startswith("Bearer")

    # A denial goes to the access log, one entry; the business log does not grow.
    assert _events_after(world, before) == []
    recorded = access_log.entries(after=access_before)
    assert len(recorded) == 1, recorded
    record: Any = recorded[0].entry
    assert record.outcome == "denied"
    assert record.status == expected_status
    assert record.method == method
    assert record.route == template
    if principal in ROLES:
        assert (record.actor, record.role) == (f"{principal}-actor", principal)
    elif principal == "revoked token":
        assert (record.actor, record.role) == (world.revoked_actor, "")
    else:
        assert (record.actor, record.role) == ("", "")
