"""Incoming receipts: screened payers, postings, cash flags; on both backends."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from uuid import UUID, uuid4

import orjson
import pytest

from api.error_status import status_for
from backoffice.container import System
from domain.kernel.errors import InvalidInput
from domain.receipts.errors import InvalidReceiptTransition, ReceiptHeldForCompliance
from domain.receipts.service import Receipts
from domain.sanctions.port_adapter import SanctionsScreeningPort
from tests.payments.support import (
    COMPLIANCE,
    REQUESTER,
    SANCTIONED,
    VALUE_DATE,
    bank_funds,
    desks,
    event_count,
    open_chart,
    payments_api,
    screenings_of,
)


@pytest.fixture
def books(system: System) -> Iterator[tuple[System, Receipts, SanctionsScreeningPort]]:
    open_chart(system)
    _payments, receipts, port = desks(system)
    yield system, receipts, port


def recorded(
    receipts: Receipts, method: str = "wire", amount: str = "120.00", **extra: Any
) -> UUID:
    receipt_id = uuid4()
    args: dict[str, Any] = {
        "receipt_id": receipt_id,
        "method": method,
        "amount": amount,
        "asset": "USD",
        "reference": "INV-2026-0007",
        "value_date": VALUE_DATE,
        "payer": {"name": "Customer Ltd"},
    }
    args.update(extra)
    receipts.record(REQUESTER, **args)
    receipts.screen(REQUESTER, receipt_id)
    return receipt_id


def events_named(system: System, name: str) -> list[dict[str, Any]]:
    rows = system.app.recorder.select_notifications(start=1, limit=100_000)
    return [orjson.loads(row.state) for row in rows if row.topic.endswith(f".{name}")]


def _balance(system: System, code: str) -> int:
    """Posted debits minus credits of ``code`` in USD, from the balances projection."""
    for line in system.projections.trial_balance().lines:
        if line.account == code and line.asset == "USD":
            return int(line.debits_posted - line.credits_posted)
    return 0


def test_a_clear_wire_receipt_is_posted_to_bank_and_receivables(
    books: tuple[System, Receipts, SanctionsScreeningPort],
) -> None:
    system, receipts, _port = books
    receipt_id = recorded(receipts)
    receipt = receipts.get(receipt_id)
    assert receipt.status == "posted"
    assert receipts.view(receipt)["amount"] == "120.00"
    entry = system.app.get_entry(UUID(receipt.entry_id or ""))
    assert entry.lines[0].account == "Assets:Bank" and entry.lines[0].direction == "debit"
    assert entry.lines[1].account == "Assets:Receivables"
    assert bank_funds(system) == (12_000, 0, 0, 0)
    assert _balance(system, "Assets:Receivables") == -12_000
    assert events_named(system, "ReceiptPosted")[0]["cash"] is False


def test_a_cash_receipt_goes_to_the_cash_account_flagged_with_payer_and_business_date(
    books: tuple[System, Receipts, SanctionsScreeningPort],
) -> None:
    system, receipts, _port = books
    receipt_id = recorded(receipts, "cash", "9500.00")
    receipt = receipts.get(receipt_id)
    assert bank_funds(system, "Assets:Cash") == (950_000, 0, 0, 0)
    for name in ("ReceiptRecorded", "ReceiptPosted"):
        (event,) = events_named(system, name)
        assert event["cash"] is True
        assert event["payer_subject_id"] == receipt.payer_subject_id
        assert event["business_date"] == VALUE_DATE
    raw = b"".join(r.state for r in system.app.recorder.select_notifications(start=1, limit=9999))
    assert b"Customer Ltd" not in raw


def test_accounts_are_configurable_per_receipt(
    books: tuple[System, Receipts, SanctionsScreeningPort],
) -> None:
    system, receipts, _port = books
    receipt_id = recorded(
        receipts, "card", debit_account="Assets:Payments:InFlight", credit_account="Equity:Capital"
    )
    entry = system.app.get_entry(UUID(receipts.get(receipt_id).entry_id or ""))
    assert [line.account for line in entry.lines] == ["Assets:Payments:InFlight", "Equity:Capital"]
    before = event_count(system)
    with pytest.raises(InvalidInput):
        recorded(receipts, "cheque", debit_account="Assets:Bank", credit_account="Assets:Bank")
    with pytest.raises(InvalidInput):
        recorded(receipts, "bitcoin")
    assert event_count(system) == before


def test_a_hit_holds_the_receipt_before_posting_until_compliance_clears(
    books: tuple[System, Receipts, SanctionsScreeningPort],
) -> None:
    system, receipts, _port = books
    receipt_id = recorded(receipts, payer={"name": SANCTIONED})
    assert receipts.get(receipt_id).status == "held"
    assert bank_funds(system) == (0, 0, 0, 0)
    before = event_count(system)
    with pytest.raises(ReceiptHeldForCompliance):
        receipts.post(REQUESTER, receipt_id)
    assert event_count(system) == before
    receipts.decide_screening(COMPLIANCE, receipt_id, clear=True, reason="false positive")
    assert receipts.get(receipt_id).status == "posted"
    assert bank_funds(system) == (12_000, 0, 0, 0)
    with pytest.raises(InvalidReceiptTransition):
        receipts.post(REQUESTER, receipt_id)
    assert len(events_named(system, "ReceiptPosted")) == 1


def test_a_rejected_receipt_is_never_posted(books: tuple[System, Receipts, SanctionsScreeningPort]) -> None:
    system, receipts, _port = books
    receipt_id = recorded(receipts, payer={"name": SANCTIONED})
    receipts.decide_screening(COMPLIANCE, receipt_id, clear=False, reason="confirmed")
    assert receipts.get(receipt_id).status == "rejected"
    before = event_count(system)
    with pytest.raises(InvalidReceiptTransition) as raised:
        receipts.post(REQUESTER, receipt_id)
    assert status_for(raised.value) == 409
    assert event_count(system) == before
    assert bank_funds(system) == (0, 0, 0, 0)


def test_the_api_records_posts_and_lists_receipts(database_url: str) -> None:
    with payments_api(database_url) as (api, port):
        body = {
            "method": "cash",
            "payer": {"name": "Walk-in Customer"},
            "amount": "300.00",
            "asset": "USD",
            "reference": "TILL-1",
            "value_date": VALUE_DATE,
        }
        created = api.post("/v1/receipts", "poster", body, key="r-1")
        assert created.status_code == 201, created.text
        replay = api.post("/v1/receipts", "poster", body, key="r-1")
        assert replay.headers.get("Idempotency-Replayed") == "true"
        receipt_id = created.json()["id"]
        shown = api.get(f"/v1/receipts/{receipt_id}", "auditor").json()
        assert (shown["status"], shown["cash"]) == ("posted", True)
        held = api.post("/v1/receipts", "poster", {**body, "payer": {"name": SANCTIONED}})
        held_id = held.json()["id"]
        assert api.get(f"/v1/receipts/{held_id}").json()["status"] == "held"
        refused = api.post(f"/v1/receipts/{held_id}/post", "poster")
        assert (
            refused.status_code == 409 and refused.json()["code"] == "receipt_held_for_compliance"
        )
        case = port.screening.latest_case("receipt", held_id)
        assert case is not None and case.status == "pending"
        port.clear(COMPLIANCE, case.id, "false positive")  # posts it in the same commit
        assert api.get(f"/v1/receipts/{held_id}").json()["status"] == "posted"
        assert api.post(f"/v1/receipts/{held_id}/post", "poster").status_code == 409
        listed = api.get("/v1/receipts?status=posted", "compliance").json()["receipts"]
        assert {r["id"] for r in listed} == {receipt_id, held_id}
        assert api.post("/v1/receipts", "approver", body).status_code == 403
        # Each receipt screened once (the replay did not screen again).
        assert screenings_of(api.system, "receipt", receipt_id) == 1
        assert screenings_of(api.system, "receipt", held_id) == 1


# --- through the real sanctions module: sealed payer names, re-screening -----------------


def test_a_held_receipt_is_rescreened_on_a_new_list_and_the_payer_name_stays_sealed(
    system: System,
) -> None:
    from domain.receipts.service import pending_screening_items
    from tests.sanctions.support import (
        LISTED_PAYEE,
        NEWLY_LISTED,
        clear_forms,
        raw_log,
        real_desks,
    )

    desks = real_desks(system)
    posted = desks.receipt(NEWLY_LISTED)  # clear on the first list: posted at once
    held = desks.receipt(LISTED_PAYEE)
    first_case = desks.receipts.get(held).screening_case_id
    assert desks.receipts.get(posted).status == "posted"
    assert desks.receipts.get(held).status == "held"
    assert [item[1] for item in pending_screening_items(system.app)] == [str(held)]

    loaded = desks.load(2)

    receipt = desks.receipts.get(held)
    assert (receipt.status, receipt.screening_result) == ("held", "hit")
    case = desks.screening.case(UUID(receipt.screening_case_id or ""))
    assert case.list_version == loaded.list_version and case.supersedes == first_case
    assert desks.screening.case(UUID(first_case or "")).status == "superseded"
    latest = desks.screening.latest_case("receipt", str(posted))
    assert latest is not None and latest.list_version != loaded.list_version  # posted: left
    raw = raw_log(system)
    for name in (NEWLY_LISTED, LISTED_PAYEE):
        for form in clear_forms(name):
            assert form not in raw, form
    assert desks.screening.case_view(case)["party_name"] == LISTED_PAYEE
    desks.receipts.decide_screening(COMPLIANCE, held, clear=True, reason="a namesake")
    assert desks.receipts.get(held).status == "posted"
