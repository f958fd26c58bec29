"""Builders for the payment and receipt tests: a chart of accounts with a guarded
bank, and the payment and receipt desks over a real store, screening with the
real sanctions module over the same log (a made-up list is loaded: SANCTIONED
is listed, a hit; LOOKALIKE is one letter off, a review)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any
from uuid import UUID, uuid4

import orjson

from adapters.subject_keys import SubjectKeyStore
from backoffice.container import System
from domain.kernel.context import Context
from domain.ledger.commands import PostJournalEntry
from domain.payments.policy import PaymentPolicy
from domain.payments.service import Payments
from domain.receipts.service import Receipts
from domain.sanctions.pending import screening_with_pending
from domain.sanctions.port_adapter import SanctionsScreeningPort
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


LIST_LOADER = Context("list-loader@example.test", "corr-load-payment-tests")
SCREENING_LIST = (
    # OFAC's legacy sdn.csv layout (twelve columns, no header), made-up names.
    b'201,"SANCTIONED, Ivan","individual","SDGT",-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- \r\n'
    b'202,"ORIOLE SHIPPING CO.",-0- ,"IRAN",-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- \r\n'
)


def real_screening(system: System) -> SanctionsScreeningPort:
    """The screening port over the real sanctions module and ``system``'s own log, wired
    as the API and the CLI wire it, with ``SCREENING_LIST`` loaded (loading it again,
    from another process say, writes nothing)."""
    registry = SubjectRegistry(system.app, SubjectKeyStore(system.database))
    screening = screening_with_pending(system.app, registry)
    screening.load_list(LIST_LOADER, SCREENING_LIST, None, source="payment tests list")
    return SanctionsScreeningPort(screening)


def screenings_of(system: System, item_kind: str, item_id: object) -> int:
    """How many times the item was screened into a case (first screenings and repeats)."""
    rows = system.app.recorder.select_notifications(start=1, limit=100_000)
    cases: set[str] = set()
    count = 0
    for row in rows:
        name = row.topic.rsplit(".", 1)[-1]
        if name == "ScreeningPerformed":
            state = orjson.loads(row.state)
            if (state["item_kind"], state["item_id"]) == (item_kind, str(item_id)):
                cases.add(str(row.originator_id))
                count += 1
        elif name == "ScreeningRepeated" and str(row.originator_id) in cases:
            count += 1
    return count


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
    system: System, policy: PaymentPolicy = POLICY
) -> tuple[Payments, Receipts, SanctionsScreeningPort]:
    """The payment and receipt desks, screening with ``real_screening``."""
    port = real_screening(system)
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
def payments_api(database_url: str) -> Iterator[tuple[Any, SanctionsScreeningPort]]:
    """The API (its payments router and permissions are the app's own) screening with
    ``real_screening`` over its own log, and the test chart funded with 5000.00 USD."""
    from tests.api.support import running_api

    with running_api(database_url) as harness:
        port = real_screening(harness.system)
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
        port = SanctionsScreeningPort(screening_with_pending(system.app, registry))
        payments = Payments(system.app, registry, port, PaymentPolicy())
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
        """A fresh receipt screening held (a listed payer) whose case compliance cleared
        without the receipt following (as in logs written before a decision moved its
        item, or through a screening built without ``on_decided``): ready for ``/post``.
        A decision over HTTP posts the receipt itself."""
        from domain.sanctions.service import SanctionsScreening

        receipt_id = self.receipt(LISTED_NAME)
        shown = self.api.get(f"/v1/receipts/{receipt_id}", "auditor").json()
        assert shown["status"] == "held", shown
        unfollowed = SanctionsScreening(self.api.system.app)
        unfollowed.clear(COMPLIANCE, UUID(shown["screening_case_id"]), "a namesake")
        return str(receipt_id)
