"""A compliance decision on a screening case moves the payment or receipt held on
it, in the decision's own commit, whichever interface decided (in process, or
``POST /v1/sanctions/cases/{id}/clear|reject``). Both backends."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from uuid import UUID

import pytest

from backoffice.container import System
from domain.payments.errors import InvalidPaymentTransition
from tests.api.support import ApiHarness, running_api
from tests.payments.support import APPROVER_1, COMPLIANCE, OPERATOR, REQUESTER
from tests.sanctions.support import LISTED_PAYEE, RealDesks, real_desks


def _case_of(desks: RealDesks, payment_id: UUID) -> UUID:
    return UUID(desks.payments.get(payment_id).screening_case_id or "")


def _head(system: System) -> int:
    return int(system.app.recorder.max_notification_id() or 0)


def test_rejecting_a_case_in_process_rejects_its_payment_in_the_same_commit(
    system: System,
) -> None:
    desks = real_desks(system)
    payment_id = desks.payment(LISTED_PAYEE)
    assert desks.payments.get(payment_id).status == "held"
    before = _head(system)
    position = desks.screening.reject(COMPLIANCE, _case_of(desks, payment_id), "the listed person")
    payment = desks.payments.get(payment_id)
    assert (payment.status, payment.compliance_decision) == ("rejected", "rejected")
    assert position == _head(system) == before + 2  # the case and the payment, one commit
    assert payment.entry_id is None  # nothing was ever reserved


def test_a_rejected_payment_is_terminal(system: System) -> None:
    desks = real_desks(system)
    payment_id = desks.payment(LISTED_PAYEE)
    desks.screening.reject(COMPLIANCE, _case_of(desks, payment_id), "the listed person")
    with pytest.raises(InvalidPaymentTransition):
        desks.payments.amend(REQUESTER, payment_id, amount="90.00")
    with pytest.raises(InvalidPaymentTransition):
        desks.payments.approve(APPROVER_1, payment_id)
    with pytest.raises(InvalidPaymentTransition):
        desks.payments.submit(OPERATOR, payment_id, "BNK-1")
    with pytest.raises(InvalidPaymentTransition):
        desks.payments.cancel(REQUESTER, payment_id, "too late")


def test_clearing_a_case_releases_its_payment_to_await_approval(system: System) -> None:
    desks = real_desks(system)
    payment_id = desks.payment(LISTED_PAYEE)
    desks.screening.clear(COMPLIANCE, _case_of(desks, payment_id), "another person")
    payment = desks.payments.get(payment_id)
    assert (payment.status, payment.compliance_decision) == ("awaiting_approval", "cleared")
    assert [p.id for p in desks.payments.list_payments("held")] == []
    desks.payments.approve(APPROVER_1, payment_id)
    assert desks.payments.get(payment_id).status == "funds_reserved"


def test_the_payment_desk_decision_still_works_and_moves_the_payment_once(
    system: System,
) -> None:
    desks = real_desks(system)
    payment_id = desks.payment(LISTED_PAYEE)
    desks.payments.decide_screening(COMPLIANCE, payment_id, clear=False, reason="listed")
    assert desks.payments.get(payment_id).status == "rejected"


def test_a_decision_on_a_held_receipt_posts_or_rejects_it(system: System) -> None:
    desks = real_desks(system)
    cleared_id = desks.receipt(LISTED_PAYEE)
    rejected_id = desks.receipt(LISTED_PAYEE)
    for receipt_id in (cleared_id, rejected_id):
        assert desks.receipts.get(receipt_id).status == "held"
    cleared_case = UUID(desks.receipts.get(cleared_id).screening_case_id or "")
    rejected_case = UUID(desks.receipts.get(rejected_id).screening_case_id or "")
    desks.screening.clear(COMPLIANCE, cleared_case, "another person")
    desks.screening.reject(COMPLIANCE, rejected_case, "the listed person")
    cleared = desks.receipts.get(cleared_id)
    assert (cleared.status, cleared.compliance_decision) == ("posted", "cleared")
    assert cleared.entry_id is not None
    rejected = desks.receipts.get(rejected_id)
    assert (rejected.status, rejected.compliance_decision) == ("rejected", "rejected")


@pytest.fixture
def api(database_url: str) -> Iterator[ApiHarness]:
    with running_api(database_url) as harness:
        app: Any = harness.client.app
        yield harness
        log = getattr(app.state, "screening_log", None)
        if log is not None:
            log.close()


def test_a_decision_over_http_moves_the_held_payment(api: ApiHarness) -> None:
    desks = real_desks(api.system)
    rejected_id = desks.payment(LISTED_PAYEE)
    cleared_id = desks.payment(LISTED_PAYEE)
    for payment_id, step in ((rejected_id, "reject"), (cleared_id, "clear")):
        response = api.post(
            f"/v1/sanctions/cases/{_case_of(desks, payment_id)}/{step}",
            "compliance",
            {"reason": "decided by compliance"},
        )
        assert response.status_code == 200, response.text
    rejected = api.get(f"/v1/payments/{rejected_id}").json()
    assert (rejected["status"], rejected["compliance_decision"]) == ("rejected", "rejected")
    amend = api.post(f"/v1/payments/{rejected_id}/amend", "poster", {"amount": "90.00"})
    assert amend.status_code == 409, amend.text
    cleared = api.get(f"/v1/payments/{cleared_id}").json()
    assert (cleared["status"], cleared["compliance_decision"]) == ("awaiting_approval", "cleared")
    held = api.get("/v1/payments", params={"status": "held"}).json()["payments"]
    assert held == []
