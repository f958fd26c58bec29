"""Builders for the payment and receipt tests: a fake screening port, a chart of
accounts with a guarded bank, and the payment desk over a real store."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any
from uuid import UUID, uuid4, uuid5

from adapters.subject_keys import SubjectKeyStore
from backoffice.container import System
from domain.ledger.commands import Context, PostJournalEntry
from domain.payments.policy import PaymentPolicy
from domain.payments.service import Payments
from domain.receipts.service import Receipts
from domain.sanctions.port import CLEARED, REJECTED, ScreeningResult
from domain.subjects.service import SubjectRegistry

SETUP = Context("setup@example.test", "corr-setup")
REQUESTER = Context("clerk@example.test", "corr-request")
APPROVER_1 = Context("approver-1@example.test", "corr-approve-1")
APPROVER_2 = Context("approver-2@example.test", "corr-approve-2")
OPERATOR = Context("treasury@example.test", "corr-operate")
COMPLIANCE = Context("compliance@example.test", "corr-compliance")

VALUE_DATE = "2026-03-10"
GOOD_IBAN = "DE89 3704 0044 0532 0130 00"
GOOD_ROUTING = "021000021"  # JPMorgan Chase, a published ABA number
SANCTIONED = "Ivan Sanctioned"
LOOKALIKE = "Ivan Sanctiond"

CHART: list[tuple[str, str, list[str], list[str]]] = [
    ("Assets:Bank", "asset", ["USD", "EUR"], ["no_overdraft"]),
    ("Assets:Cash", "asset", ["USD", "EUR"], ["no_overdraft"]),
    ("Assets:Payments:InFlight", "asset", ["USD", "EUR"], []),
    ("Assets:Receivables", "asset", ["USD", "EUR"], []),
    ("Equity:Capital", "equity", ["USD", "EUR"], []),
]
POLICY = PaymentPolicy(dual_approval_above={"USD": "1000.00", "EUR": "1000.00"})


@dataclass
class FakeScreening:
    """The screening port in memory: names in ``hits`` are hits, in ``reviews``
    reviews, everything else clear; compliance decisions per case."""

    hits: set[str] = field(default_factory=lambda: {SANCTIONED})
    reviews: set[str] = field(default_factory=lambda: {LOOKALIKE})
    cases: dict[tuple[str, str], UUID] = field(default_factory=dict)
    decisions: dict[UUID, str] = field(default_factory=dict)
    screened: list[tuple[str, str, str]] = field(default_factory=list)

    def screen(
        self, context: Context, item_kind: str, item_id: str, party_name: str
    ) -> ScreeningResult:
        self.screened.append((item_kind, item_id, party_name))
        result = (
            "hit"
            if party_name in self.hits
            else "review"
            if party_name in self.reviews
            else "clear"
        )
        case_id = uuid5(UUID(int=0), f"{item_kind}:{item_id}:{len(self.screened)}")
        self.cases[(item_kind, item_id)] = case_id
        return ScreeningResult(result, case_id)

    def decision(self, item_kind: str, item_id: str) -> str | None:
        case_id = self.cases.get((item_kind, item_id))
        return None if case_id is None else self.decisions.get(case_id)

    def clear(self, context: Context, case_id: UUID, reason: str) -> None:
        self.decisions[case_id] = CLEARED

    def reject(self, context: Context, case_id: UUID, reason: str) -> None:
        self.decisions[case_id] = REJECTED


def open_chart(system: System) -> None:
    for code, kind, assets, flags in CHART:
        system.app.open_account(SETUP, code, code, kind, assets, flags)


def fund(
    system: System,
    amount: str,
    *,
    account: str = "Assets:Bank",
    asset: str = "USD",
    key: str | None = None,
) -> None:
    system.app.post_journal_entry(
        PostJournalEntry(
            context=SETUP,
            idempotency_key=key or f"funding-{uuid4()}",
            effective_date=VALUE_DATE,
            postings=[
                {"account": account, "direction": "debit", "amount": amount, "asset": asset},
                {
                    "account": "Equity:Capital",
                    "direction": "credit",
                    "amount": amount,
                    "asset": asset,
                },
            ],
        )
    )


def desks(
    system: System, screening: FakeScreening | None = None, policy: PaymentPolicy = POLICY
) -> tuple[Payments, Receipts, FakeScreening]:
    port = screening or FakeScreening()
    registry = SubjectRegistry(system.app, SubjectKeyStore(system.database))
    return (
        Payments(system.app, registry, port, policy),
        Receipts(system.app, registry, port, policy),
        port,
    )


def request_args(
    amount: str = "100.00", *, name: str = "Acme Supplies Ltd", **overrides: Any
) -> dict[str, Any]:
    args: dict[str, Any] = {
        "payment_id": uuid4(),
        "amount": amount,
        "asset": "USD",
        "value_date": VALUE_DATE,
        "purpose": "Invoice 2026-0042",
        "paying_account": "Assets:Bank",
        "payee": {"name": name},
        "payee_account": {"iban": GOOD_IBAN},
    }
    args.update(overrides)
    return args


def requested(payments: Payments, amount: str = "100.00", **overrides: Any) -> UUID:
    """A payment requested and screened (clear unless the payee's name says otherwise)."""
    args = request_args(amount, **overrides)
    payments.request(REQUESTER, **args)
    payments.screen(REQUESTER, args["payment_id"])
    payment_id: UUID = args["payment_id"]
    return payment_id


def event_count(system: System) -> int:
    return int(system.app.recorder.max_notification_id() or 0)


def bank_funds(
    system: System, code: str = "Assets:Bank", asset: str = "USD"
) -> tuple[int, int, int, int]:
    funds = system.app.get_account(code).funds.get(asset)
    if funds is None:
        return (0, 0, 0, 0)
    return (funds.debits_posted, funds.credits_posted, funds.debits_pending, funds.credits_pending)


@contextmanager
def payments_api(database_url: str) -> Iterator[tuple[Any, FakeScreening]]:
    """The API (its payments router and permissions are the app's own) with the
    fake screening port, and the test chart funded with 5000.00 USD."""
    from tests.api.support import running_api

    port = FakeScreening()
    with running_api(database_url) as harness:
        harness.client.app.state.screening_port = port
        harness.client.app.state.payment_policy = POLICY
        open_chart(harness.system)
        fund(harness.system, "5000.00")
        yield harness, port


def payment_body(amount: str = "100.00", **overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "payee": {"name": "Acme Supplies Ltd", "reference": f"VENDOR-{uuid4().hex[:8]}"},
        "payee_account": {"iban": GOOD_IBAN},
        "amount": amount,
        "asset": "USD",
        "value_date": VALUE_DATE,
        "purpose": "Invoice 2026-0042",
        "paying_account": "Assets:Bank",
    }
    body.update(overrides)
    return body


# --- through the API, with the real sanctions screening (role matrix, schemathesis) ---

TREASURY = "Assets:Treasury"
API_VALUE_DATE = "2026-01-20"
LISTED_NAME = "KESTREL, Anatol"  # on the lists the API tests load: screened as a hit


def open_payment_books(api: Any, funds: str = "1000000.00") -> None:
    """Over ``tests.api_support.open_usd_chart``: the accounts the default payment policy
    names (clearing, receivables, cash) and a guarded treasury account holding ``funds`` USD."""
    for code, flags in (
        (TREASURY, ["no_overdraft"]),
        ("Assets:Payments:InFlight", []),
        ("Assets:Receivables", []),
        ("Assets:Cash", ["no_overdraft"]),
    ):
        body = {"code": code, "name": code, "type": "asset", "assets": ["USD"], "flags": flags}
        response = api.post("/v1/accounts", "admin", body)
        assert response.status_code == 201, response.text
    funding = {
        "effective_date": "2026-01-02",
        "postings": [
            {"account": TREASURY, "direction": "debit", "amount": funds, "asset": "USD"},
            {"account": "Equity:Capital", "direction": "credit", "amount": funds, "asset": "USD"},
        ],
    }
    response = api.post("/v1/journal-entries", "poster", funding)
    assert response.status_code == 201, response.text


def api_payment_body(amount: str = "25.00", **overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "payee": {"name": "Acme Supplies Ltd", "reference": f"VENDOR-{uuid4().hex[:8]}"},
        "payee_account": {"iban": GOOD_IBAN},
        "amount": amount,
        "asset": "USD",
        "value_date": API_VALUE_DATE,
        "purpose": "Invoice 2026-0042",
        "paying_account": TREASURY,
    }
    body.update(overrides)
    return body


def api_receipt_body(payer: str = "Walk-in Customer", **overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "method": "wire",
        "payer": {"name": payer},
        "amount": "12.00",
        "asset": "USD",
        "reference": f"RCPT-{uuid4().hex[:8]}",
        "value_date": API_VALUE_DATE,
    }
    body.update(overrides)
    return body


@dataclass
class ApiPayments:
    """Fresh payments and receipts in a given state, made through a running API
    (``tests.api_support.ApiHarness`` over ``open_payment_books``) whose screening is
    the real sanctions module over a loaded list; the poster requests, the approver approves."""

    api: Any
    _other_approver: str = ""

    def other_approver(self) -> str:
        """A second approver's token (not the harness's ``approver``), issued once."""
        if not self._other_approver:
            self._other_approver = self.api.issue("approver", "second-approver-actor")
        return self._other_approver

    def _step(self, payment_id: str, step: str, body: Any, role: str = "poster") -> None:
        response = self.api.post(f"/v1/payments/{payment_id}/{step}", role, body)
        assert response.status_code == 200, response.text

    def view(self, payment_id: str) -> dict[str, Any]:
        response = self.api.get(f"/v1/payments/{payment_id}", "auditor")
        assert response.status_code == 200, response.text
        found: dict[str, Any] = response.json()
        return found

    def payment(self, status: str = "awaiting_approval", amount: str = "25.00") -> str:
        """A fresh payment screened clear and taken to ``status``: awaiting_approval,
        funds_reserved, submitted or settled."""
        response = self.api.post("/v1/payments", "poster", api_payment_body(amount))
        assert response.status_code == 201, response.text
        payment_id = str(response.json()["id"])
        assert self.view(payment_id)["status"] == "awaiting_approval"  # screened clear
        steps = ("funds_reserved", "submitted", "settled")
        if status == "awaiting_approval":
            return payment_id
        assert status in steps, status
        self._step(payment_id, "approve", {}, "approver")
        if status in steps[1:]:
            self._step(payment_id, "submit", {"bank_reference": f"BNK-{uuid4().hex[:12]}"})
        if status == steps[2]:
            self._step(payment_id, "settle", None)
        assert self.view(payment_id)["status"] == status
        return payment_id

    def half_approved(self) -> str:
        """A fresh payment above the dual-approval threshold, approved once by
        another approver: the harness's approver gives the second approval."""
        response = self.api.post("/v1/payments", "poster", api_payment_body("10000.01"))
        assert response.status_code == 201, response.text
        payment_id = str(response.json()["id"])
        assert self.view(payment_id)["approvals_required"] == 2
        answer = self.api.client.post(
            f"/v1/payments/{payment_id}/approve",
            json={},
            headers=self.api.headers(token=self.other_approver(), key=f"first-{uuid4().hex}"),
        )
        assert answer.status_code == 200, answer.text
        assert answer.json()["status"] == "awaiting_approval"
        return payment_id

    def unscreened(self) -> str:
        """A fresh payment left ``requested``, as a request whose screening could not run
        leaves it (requested through the domain, by the harness's poster)."""
        from adapters.subject_keys import SubjectKeyStore

        system = self.api.system
        registry = SubjectRegistry(system.app, SubjectKeyStore(system.database))
        payments = Payments(system.app, registry, FakeScreening(), PaymentPolicy())
        args = request_args(
            "20.00", paying_account=TREASURY, value_date=API_VALUE_DATE, payment_id=uuid4()
        )
        payments.request(Context("poster-actor", f"corr-{uuid4().hex}"), **args)
        return str(args["payment_id"])

    def receipt(self, payer: str = "Walk-in Customer") -> str:
        response = self.api.post("/v1/receipts", "poster", api_receipt_body(payer))
        assert response.status_code == 201, response.text
        return str(response.json()["id"])

    def cleared_receipt(self) -> str:
        """A fresh receipt screening held (a listed payer) whose case compliance cleared:
        ready for ``/post``."""
        receipt_id = self.receipt(LISTED_NAME)
        shown = self.api.get(f"/v1/receipts/{receipt_id}", "auditor").json()
        assert shown["status"] == "held", shown
        path = f"/v1/sanctions/cases/{shown['screening_case_id']}/clear"
        response = self.api.post(path, "compliance", {"reason": "a namesake"})
        assert response.status_code == 200, response.text
        return receipt_id
