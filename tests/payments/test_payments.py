"""Outgoing payments: the lifecycle, four eyes, screening holds, reservations,
account identifiers, and refusals that write nothing.

Storage tests run on SQLite and PostgreSQL (the ``system`` fixture); screening
is the real sanctions module over the same store (tests/payments/support.py).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any
from uuid import UUID, uuid4

import orjson
import pytest

from api.error_status import status_for
from backoffice.container import System, build_system
from domain.kernel.errors import DomainError, InvalidInput
from domain.ledger.errors import InsufficientFunds
from domain.ledger.journal import JournalEntry
from domain.payments.errors import (
    DuplicateApproval,
    InvalidAccountIdentifier,
    InvalidPaymentTransition,
    PaymentContentChanged,
    PaymentHeldForCompliance,
    SelfApprovalRefused,
    UnknownPayment,
)
from domain.payments.identifiers import (
    aba_checksum_valid,
    check_account_identifier,
    check_iban,
    iban_checksum_valid,
)
from domain.payments.payment import Payment
from domain.payments.service import Payments
from domain.sanctions.port_adapter import SanctionsScreeningPort
from domain.subjects.sealing import open_envelope
from tests.api.support import new_key
from tests.payments.support import (
    APPROVER_1,
    APPROVER_2,
    COMPLIANCE,
    GOOD_IBAN,
    GOOD_ROUTING,
    LOOKALIKE,
    OPERATOR,
    REQUESTER,
    SANCTIONED,
    bank_funds,
    desks,
    event_count,
    fund,
    open_chart,
    payment_body,
    payments_api,
    request_args,
    requested,
    screenings_of,
)


@pytest.fixture
def books(system: System) -> Iterator[tuple[System, Payments, SanctionsScreeningPort]]:
    open_chart(system)
    fund(system, "5000.00")
    payments, _receipts, port = desks(system)
    yield system, payments, port


def refused_without_writing(
    system: System, error: type[DomainError], action: Callable[[], Any]
) -> DomainError:
    before = event_count(system)
    with pytest.raises(error) as raised:
        action()
    assert event_count(system) == before, "a refusal wrote events"
    return raised.value


def log_events(system: System) -> list[tuple[str, dict[str, Any]]]:
    rows = system.app.recorder.select_notifications(start=1, limit=100_000)
    return [(row.topic.rsplit(".", 1)[-1], orjson.loads(row.state)) for row in rows]


# --- the lifecycle ---------------------------------------------------------------


def test_a_payment_goes_from_request_to_settlement_with_its_money_moved_in_the_same_commits(
    books: tuple[System, Payments, SanctionsScreeningPort],
) -> None:
    system, payments, _port = books
    payment_id = requested(payments, "300.00")
    assert payments.get(payment_id).status == "awaiting_approval"
    assert bank_funds(system) == (500_000, 0, 0, 0)

    position = payments.approve(APPROVER_1, payment_id)
    payment = payments.get(payment_id)
    assert payment.status == "funds_reserved"
    assert bank_funds(system) == (500_000, 0, 0, 30_000)  # reserved, not yet paid
    entry = system.app.get_entry(UUID(payment.entry_id or ""))
    assert entry.status == "pending"
    # The reservation entry and PaymentFundsReserved are in one commit.
    assert system.app.position_of(entry.id, 1) is not None
    assert position >= (system.app.position_of(entry.id, 1) or 0)

    payments.submit(OPERATOR, payment_id, "BANK-REF-1")
    payments.settle(OPERATOR, payment_id)
    assert payments.get(payment_id).status == "settled"
    assert system.app.get_entry(entry.id).status == "posted"
    assert bank_funds(system) == (500_000, 30_000, 0, 0)

    payments.return_payment(OPERATOR, payment_id, "beneficiary account closed")
    payment = payments.get(payment_id)
    assert payment.status == "returned"
    assert system.app.get_entry(UUID(payment.reversal_entry_id or "")).reverses == str(entry.id)
    assert bank_funds(system) == (530_000, 30_000, 0, 0)


def test_settling_commits_the_posting_and_the_payment_event_together(
    books: tuple[System, Payments, SanctionsScreeningPort],
) -> None:
    system, payments, _port = books
    payment_id = requested(payments, "10.00")
    payments.approve(APPROVER_1, payment_id)
    payments.submit(OPERATOR, payment_id, "REF")
    before = event_count(system)
    payments.settle(OPERATOR, payment_id)
    rows = system.app.recorder.select_notifications(start=before + 1, limit=100)
    names = sorted(row.topic.rsplit(".", 1)[-1] for row in rows)
    assert names == ["PaymentSettled", "PendingEntryPosted", "PostingRecorded"]
    assert len({row.id for row in rows}) == 3


def test_a_failed_payment_releases_its_reservation(
    books: tuple[System, Payments, SanctionsScreeningPort],
) -> None:
    system, payments, _port = books
    payment_id = requested(payments, "200.00")
    payments.approve(APPROVER_1, payment_id)
    payments.submit(OPERATOR, payment_id, "REF-2")
    payments.fail(OPERATOR, payment_id, "bank rejected: account blocked")
    payment = payments.get(payment_id)
    assert (payment.status, payment.closing_reason) == ("failed", "bank rejected: account blocked")
    assert system.app.get_entry(UUID(payment.entry_id or "")).status == "voided"
    assert bank_funds(system) == (500_000, 0, 0, 0)


@pytest.mark.parametrize("approvals", [0, 1])
def test_a_payment_cancelled_before_submission_releases_any_reservation(
    books: tuple[System, Payments, SanctionsScreeningPort], approvals: int
) -> None:
    system, payments, _port = books
    payment_id = requested(payments, "200.00")
    if approvals:
        payments.approve(APPROVER_1, payment_id)
        assert bank_funds(system)[3] == 20_000
    payments.cancel(REQUESTER, payment_id, "duplicate invoice")
    payment = payments.get(payment_id)
    assert payment.status == "cancelled"
    assert bank_funds(system) == (500_000, 0, 0, 0)
    if approvals:
        assert system.app.get_entry(UUID(payment.entry_id or "")).status == "voided"


# --- four eyes -------------------------------------------------------------------


def test_the_requester_cannot_approve_their_own_payment(
    books: tuple[System, Payments, SanctionsScreeningPort],
) -> None:
    system, payments, _port = books
    payment_id = requested(payments)
    refused_without_writing(
        system, SelfApprovalRefused, lambda: payments.approve(REQUESTER, payment_id)
    )


def test_one_approver_cannot_approve_twice_and_two_distinct_approvers_are_needed_above_the_threshold(
    books: tuple[System, Payments, SanctionsScreeningPort],
) -> None:
    system, payments, _port = books
    payment_id = requested(payments, "1000.01")  # threshold 1000.00 USD
    assert payments.get(payment_id).approvals_required == 2
    payments.approve(APPROVER_1, payment_id)
    assert payments.get(payment_id).status == "awaiting_approval"
    assert bank_funds(system)[3] == 0  # nothing reserved on one approval
    refused_without_writing(
        system, DuplicateApproval, lambda: payments.approve(APPROVER_1, payment_id)
    )
    payments.approve(APPROVER_2, payment_id)
    payment = payments.get(payment_id)
    assert payment.status == "funds_reserved"
    assert payment.current_approvers() == [APPROVER_1.actor, APPROVER_2.actor]


def test_at_the_threshold_one_approval_is_enough(
    books: tuple[System, Payments, SanctionsScreeningPort],
) -> None:
    _system, payments, _port = books
    payment_id = requested(payments, "1000.00")
    assert payments.get(payment_id).approvals_required == 1
    payments.approve(APPROVER_1, payment_id)
    assert payments.get(payment_id).status == "funds_reserved"


def test_an_asset_without_a_threshold_always_needs_two_approvers(system: System) -> None:
    from domain.payments.policy import PaymentPolicy

    open_chart(system)
    fund(system, "50.00", asset="EUR")
    payments, _r, _p = desks(system, policy=PaymentPolicy(dual_approval_above={"USD": "1.00"}))
    payment_id = requested(payments, "0.01", asset="EUR")
    assert payments.get(payment_id).approvals_required == 2


def test_an_amendment_voids_earlier_approvals_and_the_amender_cannot_approve(
    books: tuple[System, Payments, SanctionsScreeningPort],
) -> None:
    system, payments, _port = books
    payment_id = requested(payments, "1500.00")
    payments.approve(APPROVER_1, payment_id)
    seen = payments.get(payment_id).content_fingerprint
    payments.amend(APPROVER_2, payment_id, amount="1400.00")
    payment = payments.get(payment_id)
    assert payment.content_fingerprint != seen
    assert payment.current_approvers() == []
    assert payment.amount_minor == 140_000
    # The approver who amended is an author now; the first approval is void.
    refused_without_writing(
        system, SelfApprovalRefused, lambda: payments.approve(APPROVER_2, payment_id)
    )
    # An approval of the content seen before the amendment is refused.
    refused_without_writing(
        system, PaymentContentChanged, lambda: payments.approve(APPROVER_1, payment_id, seen)
    )
    payments.approve(APPROVER_1, payment_id, payment.content_fingerprint)
    assert payments.get(payment_id).status == "awaiting_approval"  # 1 of 2 again


def test_amending_the_payee_account_changes_the_fingerprint_and_stays_sealed(
    books: tuple[System, Payments, SanctionsScreeningPort],
) -> None:
    system, payments, _port = books
    payment_id = requested(payments)
    before = payments.get(payment_id).content_fingerprint
    payments.amend(REQUESTER, payment_id, payee_account={"iban": "GB82 WEST 1234 5698 7654 32"})
    payment = payments.get(payment_id)
    assert payment.content_fingerprint != before
    assert payments.payee_account_of(payment) == {"iban": "GB82WEST12345698765432"}
    assert (payment.account_scheme, payment.account_country) == ("iban", "GB")
    refused_without_writing(
        system,
        InvalidInput,
        lambda: payments.amend(
            REQUESTER, payment_id, payee_account={"iban": "GB82WEST12345698765432"}
        ),
    )


# --- screening -------------------------------------------------------------------


def test_a_sanctions_hit_holds_the_payment_until_compliance_clears_it(
    books: tuple[System, Payments, SanctionsScreeningPort],
) -> None:
    system, payments, _port = books
    payment_id = requested(payments, name=SANCTIONED)
    payment = payments.get(payment_id)
    assert (payment.status, payment.screening_result) == ("held", "hit")
    refused_without_writing(
        system, PaymentHeldForCompliance, lambda: payments.approve(APPROVER_1, payment_id)
    )
    refused_without_writing(
        system,
        PaymentHeldForCompliance,
        lambda: payments.apply_screening_decision(COMPLIANCE, payment_id),
    )
    payments.decide_screening(COMPLIANCE, payment_id, clear=True, reason="different person: DOB")
    assert payments.get(payment_id).status == "awaiting_approval"
    payments.approve(APPROVER_1, payment_id)
    assert payments.get(payment_id).status == "funds_reserved"


def test_a_review_rejected_by_compliance_never_leaves(
    books: tuple[System, Payments, SanctionsScreeningPort],
) -> None:
    system, payments, _port = books
    payment_id = requested(payments, name=LOOKALIKE)
    assert payments.get(payment_id).screening_result == "review"
    payments.decide_screening(COMPLIANCE, payment_id, clear=False, reason="confirmed match")
    assert payments.get(payment_id).status == "rejected"
    for action in (
        lambda: payments.approve(APPROVER_1, payment_id),
        lambda: payments.cancel(REQUESTER, payment_id, "too late"),
        lambda: payments.amend(REQUESTER, payment_id, amount="1.00"),
    ):
        refused_without_writing(system, InvalidPaymentTransition, action)


def test_a_decision_made_through_the_sanctions_module_releases_at_approval(
    books: tuple[System, Payments, SanctionsScreeningPort],
) -> None:
    _system, payments, port = books
    payment_id = requested(payments, name=SANCTIONED)
    case_id = UUID(payments.get(payment_id).screening_case_id or "")
    port.clear(COMPLIANCE, case_id, "false positive")  # decided elsewhere
    payments.approve(APPROVER_1, payment_id)  # releases and approves in one commit
    assert payments.get(payment_id).status == "funds_reserved"


def test_an_unscreened_payment_cannot_be_approved(
    books: tuple[System, Payments, SanctionsScreeningPort],
) -> None:
    system, payments, _port = books
    args = request_args()
    payments.request(REQUESTER, **args)
    refused_without_writing(
        system, InvalidPaymentTransition, lambda: payments.approve(APPROVER_1, args["payment_id"])
    )


# --- no overdraft ----------------------------------------------------------------


def test_requesting_more_than_the_guarded_bank_holds_is_refused(
    books: tuple[System, Payments, SanctionsScreeningPort],
) -> None:
    system, payments, _port = books
    refused_without_writing(
        system, InsufficientFunds, lambda: payments.request(REQUESTER, **request_args("5000.01"))
    )


def test_reservations_of_in_flight_payments_make_an_overdraft_impossible(
    books: tuple[System, Payments, SanctionsScreeningPort],
) -> None:
    system, payments, _port = books
    first = requested(payments, "900.00")
    second = requested(payments, "900.00")
    fund_left = 5000_00 - 900_00
    for _ in range(4):
        payment_id = requested(payments, "900.00")
        payments.approve(APPROVER_1, payment_id)
    payments.approve(APPROVER_1, first)  # 5 x 900 reserved = 4500
    assert bank_funds(system) == (500_000, 0, 0, 450_000)
    assert fund_left > 0
    refused_without_writing(system, InsufficientFunds, lambda: payments.approve(APPROVER_1, second))
    assert payments.get(second).status == "awaiting_approval"
    # Requests check the funds available now, reservations included.
    refused_without_writing(
        system, InsufficientFunds, lambda: payments.request(REQUESTER, **request_args("500.01"))
    )
    payments.cancel(REQUESTER, first, "not needed")
    payments.approve(APPROVER_1, second)  # the released funds are available again
    account = system.app.get_account("Assets:Bank")
    assert account.funds["USD"].available(True) == 50_000


# --- refusals write nothing --------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "step"),
    [
        ("awaiting_approval", "submit"),
        ("awaiting_approval", "settle"),
        ("awaiting_approval", "return"),
        ("funds_reserved", "settle"),
        ("funds_reserved", "fail"),
        ("funds_reserved", "amend"),
        ("submitted", "cancel"),
        ("submitted", "approve"),
        ("settled", "settle"),
        ("settled", "fail"),
        ("settled", "cancel"),
        ("returned", "return"),
        ("cancelled", "approve"),
        ("cancelled", "cancel"),
    ],
)
def test_an_invalid_transition_is_a_409_that_writes_nothing(
    books: tuple[System, Payments, SanctionsScreeningPort], status: str, step: str
) -> None:
    system, payments, _port = books
    payment_id = requested(payments)
    path = {
        "funds_reserved": ["approve"],
        "submitted": ["approve", "submit"],
        "settled": ["approve", "submit", "settle"],
        "returned": ["approve", "submit", "settle", "return"],
        "cancelled": ["cancel"],
    }.get(status, [])
    steps = all_steps(payments, payment_id)
    for done in path:
        steps[done]()
    assert payments.get(payment_id).status == status
    error = refused_without_writing(system, InvalidPaymentTransition, steps[step])
    assert status_for(error) == 409 and error.code == "invalid_payment_transition"


def all_steps(payments: Payments, payment_id: UUID) -> dict[str, Callable[[], Any]]:
    return {
        "approve": lambda: payments.approve(APPROVER_1, payment_id),
        "submit": lambda: payments.submit(OPERATOR, payment_id, "REF"),
        "settle": lambda: payments.settle(OPERATOR, payment_id),
        "fail": lambda: payments.fail(OPERATOR, payment_id, "bank said no"),
        "return": lambda: payments.return_payment(OPERATOR, payment_id, "returned"),
        "cancel": lambda: payments.cancel(REQUESTER, payment_id, "no longer needed"),
        "amend": lambda: payments.amend(REQUESTER, payment_id, amount="1.00"),
    }


def test_an_unknown_payment_is_a_404(
    books: tuple[System, Payments, SanctionsScreeningPort],
) -> None:
    system, payments, _port = books
    error = refused_without_writing(
        system, UnknownPayment, lambda: payments.settle(OPERATOR, uuid4())
    )
    assert status_for(error) == 404


# --- personal data -----------------------------------------------------------------


def test_payee_name_and_account_never_enter_the_log_in_the_clear(
    books: tuple[System, Payments, SanctionsScreeningPort],
) -> None:
    system, payments, _port = books
    payment_id = requested(
        payments,
        name="Zebulon Quixote",
        payee_account={"country": "US", "bank_code": GOOD_ROUTING, "account_number": "987654321"},
    )
    payments.approve(APPROVER_1, payment_id)
    raw = b"".join(
        row.state for row in system.app.recorder.select_notifications(start=1, limit=10_000)
    )
    for secret in (b"Zebulon", b"Quixote", b"987654321", GOOD_ROUTING.encode()):
        assert secret not in raw
    payment = payments.get(payment_id)
    key = payments.registry.keys.key_of(UUID(payment.payee_subject_id))
    assert key is not None
    opened = open_envelope(
        key, UUID(payment.payee_subject_id), "payee_account", payment.payee_account
    )
    assert orjson.loads(opened)["account_number"] == "987654321"


def test_a_cash_payment_is_flagged_with_the_payee_and_business_date(
    books: tuple[System, Payments, SanctionsScreeningPort],
) -> None:
    system, payments, _port = books
    fund(system, "100.00", account="Assets:Cash")
    payment_id = requested(
        payments, "80.00", method="cash", payee_account=None, paying_account="Assets:Cash"
    )
    payments.approve(APPROVER_1, payment_id)
    payments.submit(OPERATOR, payment_id, "PETTY-1")
    payments.settle(OPERATOR, payment_id)
    payment = payments.get(payment_id)
    events = dict(log_events(system))
    settled = events["PaymentSettled"]
    assert settled["cash"] is True
    assert settled["payee_subject_id"] == payment.payee_subject_id
    assert settled["business_date"] == "2026-03-10"
    assert events["PaymentRequested"]["cash"] is True


def test_a_transfer_needs_a_payee_account_and_cash_has_none(
    books: tuple[System, Payments, SanctionsScreeningPort],
) -> None:
    system, payments, _port = books
    refused_without_writing(
        system,
        InvalidInput,
        lambda: payments.request(REQUESTER, **request_args(payee_account=None)),
    )
    refused_without_writing(
        system, InvalidInput, lambda: payments.request(REQUESTER, **request_args(method="cash"))
    )


def test_a_bad_iban_is_refused_naming_the_field_before_anything_is_written(
    books: tuple[System, Payments, SanctionsScreeningPort],
) -> None:
    system, payments, _port = books
    error = refused_without_writing(
        system,
        InvalidAccountIdentifier,
        lambda: payments.request(
            REQUESTER, **request_args(payee_account={"iban": "DE89370400440532013001"})
        ),
    )
    assert error.field == "payee_account.iban"
    assert "3704" not in error.message


# --- account identifiers (pure) ---------------------------------------------------


@pytest.mark.parametrize(
    "iban",
    [
        "DE89 3704 0044 0532 0130 00",
        "GB82 WEST 1234 5698 7654 32",
        "FR14 2004 1010 0505 0001 3M02 606",
        "NL91 ABNA 0417 1643 00",
        "BE68 5390 0754 7034",
        "CH93 0076 2011 6238 5295 7",
        "NO93 8601 1117 947",
        "MT84 MALT 0110 0001 2345 MTLC AST0 01S",
        "fr1420041010050500013m02606",
    ],
)
def test_valid_ibans_are_accepted_and_normalised(iban: str) -> None:
    normalised = check_iban(iban)
    assert normalised == iban.replace(" ", "").upper()
    assert iban_checksum_valid(normalised)


@pytest.mark.parametrize(
    ("iban", "rule"),
    [
        ("DE89 3704 0044 0532 0130 01", "check digits"),
        ("DE89 3704 0044 0532 0130", "22 characters"),
        ("XX89 3704 0044 0532 0130 00", "does not use IBANs"),
        ("DE89 3704 0044 0532 0130 0!", "letters and digits"),
        ("DEAB 3704 0044 0532 0130 00", "check digits"),
        ("", "empty"),
    ],
)
def test_invalid_ibans_are_refused_naming_the_field_and_rule(iban: str, rule: str) -> None:
    with pytest.raises(InvalidAccountIdentifier) as raised:
        check_account_identifier({"iban": iban})
    assert raised.value.field == "payee_account.iban"
    assert rule in raised.value.message


def test_aba_routing_numbers_are_checked_by_their_check_digit() -> None:
    assert aba_checksum_valid("021000021") and aba_checksum_valid("011000015")
    assert not aba_checksum_valid("021000022")
    ok = check_account_identifier(
        {"country": "US", "bank_code": "021000021", "account_number": "1234 5678"}
    )
    assert ok.canonical() == {
        "country": "US",
        "bank_code": "021000021",
        "account_number": "12345678",
    }
    for raw, field, rule in [
        (
            {"country": "US", "bank_code": "021000022", "account_number": "1"},
            "bank_code",
            "check digit",
        ),
        (
            {"country": "US", "bank_code": "02100002", "account_number": "1"},
            "bank_code",
            "9 digits",
        ),
        (
            {"country": "US", "bank_code": "021000021", "account_number": "12A"},
            "account_number",
            "digits",
        ),
        (
            {"country": "US", "bank_code": "021000021", "account_number": "1" * 18},
            "account_number",
            "17",
        ),
        ({"country": "DE", "bank_code": "37040044", "account_number": "1"}, "country", "IBAN"),
        (
            {"country": "us", "bank_code": "021000021", "account_number": "1"},
            "country",
            "two-letter",
        ),
        ({"iban": GOOD_IBAN, "bank_code": "x"}, "", "either iban"),
    ]:
        with pytest.raises(InvalidAccountIdentifier) as raised:
            check_account_identifier(raw)
        assert raised.value.field == ("payee_account" + (f".{field}" if field else "")), raw
        assert rule in raised.value.message, (raw, raised.value.message)


def test_other_countries_take_a_bank_code_and_account_number_checked_for_form() -> None:
    ok = check_account_identifier(
        {"country": "CA", "bank_code": "00012345", "account_number": "1234567"}
    )
    assert (ok.scheme, ok.country) == ("bank_code", "CA")
    with pytest.raises(InvalidAccountIdentifier) as raised:
        check_account_identifier({"country": "CA", "bank_code": "0001/2345", "account_number": "1"})
    assert raised.value.field == "payee_account.bank_code"


def test_a_payment_reads_back_the_same_from_a_fresh_process(
    books: tuple[System, Payments, SanctionsScreeningPort], database_url: str
) -> None:
    _system, payments, _port = books
    payment_id = requested(payments, "1200.00")
    payments.approve(APPROVER_1, payment_id)
    payments.amend(REQUESTER, payment_id, purpose="Invoice 2026-0042 (corrected)")
    payments.approve(APPROVER_1, payment_id)
    payments.approve(APPROVER_2, payment_id)
    fresh = build_system(database_url)
    try:
        replayed = fresh.app.repository.get(payment_id)
        assert isinstance(replayed, Payment)
        assert replayed.as_dict() == payments.get(payment_id).as_dict()
        assert replayed.status == "funds_reserved" and replayed.amendments == 1
        assert replayed.current_approvers() == [APPROVER_1.actor, APPROVER_2.actor]
        assert isinstance(fresh.app.get_entry(UUID(replayed.entry_id or "")), JournalEntry)
    finally:
        fresh.close()


# --- the API -------------------------------------------------------------------------


def test_the_api_takes_a_payment_through_its_life(database_url: str) -> None:
    with payments_api(database_url) as (api, _port):
        created = api.post("/v1/payments", "poster", payment_body("250.00"), key="pay-1")
        assert created.status_code == 201, created.text
        payment_id = created.json()["id"]
        assert created.json()["status"] == "awaiting_approval"
        shown = api.get(f"/v1/payments/{payment_id}", "auditor").json()
        assert (shown["status"], shown["amount"]) == ("awaiting_approval", "250.00")
        fingerprint = shown["content_fingerprint"]
        approved = api.post(
            f"/v1/payments/{payment_id}/approve", "approver", {"content_fingerprint": fingerprint}
        )
        assert approved.status_code == 200, approved.text
        assert approved.json()["status"] == "funds_reserved"
        for step, body in (("submit", {"bank_reference": "BNK-77"}), ("settle", None)):
            response = api.post(f"/v1/payments/{payment_id}/{step}", "poster", body)
            assert response.status_code == 200, response.text
        returned = api.post(f"/v1/payments/{payment_id}/return", "approver", {"reason": "closed"})
        assert returned.json()["status"] == "returned"
        listed = api.get("/v1/payments?status=returned", "compliance").json()["payments"]
        assert [p["id"] for p in listed] == [payment_id]
        assert api.get("/v1/payments?status=settled", "compliance").json()["payments"] == []


def test_the_api_refuses_approval_by_admin_with_403_and_by_the_requester_with_409(
    database_url: str,
) -> None:
    with payments_api(database_url) as (api, _port):
        payment_id = api.post("/v1/payments", "poster", payment_body()).json()["id"]
        before, access_before = api.event_count(), api.access_count()
        denied = api.post(f"/v1/payments/{payment_id}/approve", "admin", {})
        assert denied.status_code == 403
        # the access record only, in the access log: the business log is untouched
        assert (api.event_count(), api.access_count()) == (before, access_before + 1)
        assert api.post(f"/v1/payments/{payment_id}/approve", "poster", {}).status_code == 403
        # The requester holding an approver token too: refused by the domain.
        own = api.issue("approver", "poster-actor")
        before = api.event_count()
        response = api.client.post(
            f"/v1/payments/{payment_id}/approve",
            json={},
            headers=api.headers(token=own, key=new_key()),
        )
        assert response.status_code == 409 and response.json()["code"] == "self_approval_refused"
        assert api.event_count() == before
        assert api.get(f"/v1/payments/{payment_id}").json()["status"] == "awaiting_approval"


def test_the_api_needs_two_distinct_approvers_above_the_threshold(
    database_url: str,
) -> None:
    with payments_api(database_url) as (api, _port):
        payment_id = api.post("/v1/payments", "poster", payment_body("1500.00")).json()["id"]
        first = api.post(f"/v1/payments/{payment_id}/approve", "approver", {})
        assert first.json()["status"] == "awaiting_approval"
        again = api.post(f"/v1/payments/{payment_id}/approve", "approver", {})
        assert again.status_code == 409 and again.json()["code"] == "duplicate_approver"
        second_approver = api.issue("approver", "second-approver")
        second = api.client.post(
            f"/v1/payments/{payment_id}/approve",
            json={},
            headers=api.headers(token=second_approver, key=new_key()),
        )
        assert second.status_code == 200 and second.json()["status"] == "funds_reserved"


def test_the_api_amendment_voids_approvals_and_a_stale_fingerprint_is_refused(
    database_url: str,
) -> None:
    with payments_api(database_url) as (api, _port):
        payment_id = api.post("/v1/payments", "poster", payment_body("1500.00")).json()["id"]
        seen = api.get(f"/v1/payments/{payment_id}").json()["content_fingerprint"]
        api.post(f"/v1/payments/{payment_id}/approve", "approver", {"content_fingerprint": seen})
        amended = api.post(
            f"/v1/payments/{payment_id}/amend", "poster", {"amount": "1499.00", "purpose": "fix"}
        )
        assert amended.status_code == 200, amended.text
        now = api.get(f"/v1/payments/{payment_id}").json()
        assert now["approved_by"] == [] and now["amount"] == "1499.00"
        other = api.issue("approver", "third-approver")
        stale = api.client.post(
            f"/v1/payments/{payment_id}/approve",
            json={"content_fingerprint": seen},
            headers=api.headers(token=other, key=new_key()),
        )
        assert stale.status_code == 409 and stale.json()["code"] == "payment_content_changed"


def test_the_api_payment_request_is_idempotent(database_url: str) -> None:
    with payments_api(database_url) as (api, _port):
        body = payment_body("42.00")
        first = api.post("/v1/payments", "poster", body, key="same-key")
        again = api.post("/v1/payments", "poster", body, key="same-key")
        assert first.status_code == again.status_code == 201
        assert again.headers.get("Idempotency-Replayed") == "true"
        assert again.json() == first.json()
        other = api.post("/v1/payments", "poster", payment_body("43.00"), key="same-key")
        assert other.status_code == 422 and other.json()["code"] == "idempotency_key_reused"
        assert len(api.get("/v1/payments").json()["payments"]) == 1
        assert screenings_of(api.system, "payment", first.json()["id"]) == 1  # screened once
        step = api.post(
            f"/v1/payments/{first.json()['id']}/cancel", "poster", {"reason": "x"}, key="cancel-1"
        )
        replay = api.post(
            f"/v1/payments/{first.json()['id']}/cancel", "poster", {"reason": "x"}, key="cancel-1"
        )
        assert step.json() == replay.json() and replay.headers.get("Idempotency-Replayed") == "true"


def test_the_api_invalid_transition_is_a_409_problem_writing_nothing(
    database_url: str,
) -> None:
    with payments_api(database_url) as (api, _port):
        payment_id = api.post("/v1/payments", "poster", payment_body()).json()["id"]
        before = api.event_count()
        response = api.post(f"/v1/payments/{payment_id}/settle", "approver")
        assert response.status_code == 409
        assert response.json()["code"] == "invalid_payment_transition"
        assert response.headers["content-type"].startswith("application/problem+json")
        assert api.event_count() == before
        bad = api.post("/v1/payments", "poster", payment_body(payee_account={"iban": "DE00"}))
        assert bad.status_code == 422 and bad.json()["code"] == "invalid_account_identifier"
        assert api.post("/v1/payments", "auditor", payment_body()).status_code == 403


def test_the_api_holds_a_sanctioned_payee_and_keeps_personal_data_out_of_the_log(
    database_url: str,
) -> None:
    with payments_api(database_url) as (api, _port):
        body = payment_body(payee={"name": SANCTIONED})
        payment_id = api.post("/v1/payments", "poster", body).json()["id"]
        assert api.get(f"/v1/payments/{payment_id}").json()["status"] == "held"
        refused = api.post(f"/v1/payments/{payment_id}/approve", "approver", {})
        assert (
            refused.status_code == 409 and refused.json()["code"] == "payment_held_for_compliance"
        )
        raw = b"".join(
            row.state
            for row in api.system.app.recorder.select_notifications(start=1, limit=100_000)
        )
        assert SANCTIONED.encode() not in raw
        assert b"370400440532013000" not in raw


# --- through the real sanctions module ---------------------------------------------


def tiny_sdn_list() -> bytes:
    """Two listed parties, in OFAC's legacy sdn.csv layout (twelve columns, no header)."""
    empty = "-0- "
    rows = [
        ["201", '"KESTREL, Anatol"', '"individual"', '"SDGT"', *[empty] * 7, empty],
        ["202", '"ORIOLE SHIPPING CO."', empty, '"IRAN"', *[empty] * 7, empty],
    ]
    return ("\r\n".join(",".join(row) for row in rows) + "\r\n").encode()


def test_the_real_sanctions_screening_holds_a_listed_payee_until_compliance_clears_it(
    system: System,
) -> None:
    from adapters.subject_keys import SubjectKeyStore
    from domain.payments.service import Payments
    from domain.sanctions.service import SanctionsScreening
    from domain.subjects.service import SubjectRegistry
    from tests.payments.support import POLICY

    open_chart(system)
    fund(system, "1000.00")
    screening = SanctionsScreening(system.app)
    screening.load_list(COMPLIANCE, tiny_sdn_list(), None, source="tiny test list")
    registry = SubjectRegistry(system.app, SubjectKeyStore(system.database))
    payments = Payments(system.app, registry, SanctionsScreeningPort(screening), POLICY)

    clear_id = requested(payments, "10.00", name="Harmless Hardware Ltd")
    assert payments.get(clear_id).status == "awaiting_approval"
    held_id = requested(payments, "20.00", name="Anatol Kestrel")
    held = payments.get(held_id)
    assert (held.status, held.screening_result) == ("held", "hit")
    case = screening.case(UUID(held.screening_case_id or ""))
    assert (case.item_kind, case.item_id) == ("payment", str(held_id))
    refused_without_writing(
        system, PaymentHeldForCompliance, lambda: payments.approve(APPROVER_1, held_id)
    )
    payments.decide_screening(COMPLIANCE, held_id, clear=True, reason="different date of birth")
    assert screening.case(case.id).status == "cleared"
    payments.approve(APPROVER_1, held_id)
    assert payments.get(held_id).status == "funds_reserved"


def test_the_cli_lists_and_shows_payments(
    books: tuple[System, Payments, SanctionsScreeningPort],
) -> None:
    import typer
    from typer.testing import CliRunner

    from backoffice.cli import payments as cli_payments

    system, payments, _port = books
    payment_id = requested(payments, "12.34")
    cli = typer.Typer()
    cli.add_typer(cli_payments.commands)
    url = system.database.url
    runner = CliRunner()
    listed = runner.invoke(
        cli, ["payments", "list", "--status", "awaiting_approval", "--json", "--database", url]
    )
    assert listed.exit_code == 0, listed.output
    assert [view["id"] for view in orjson.loads(listed.output)] == [str(payment_id)]
    shown = runner.invoke(cli, ["payments", "show", str(payment_id), "--database", url])
    assert shown.exit_code == 0 and "amount: 12.34" in shown.output
    unknown = runner.invoke(cli, ["payments", "show", str(uuid4()), "--database", url])
    assert unknown.exit_code == 2


# --- sealed screening names and re-screening, through the real sanctions module ------------


def test_the_screening_case_keeps_the_payee_name_sealed_never_in_the_clear(
    system: System,
) -> None:
    from domain.sanctions.screening import SEALED_NAME_FIELD
    from projections.sanctions.screening_log import ScreeningLog
    from tests.sanctions.support import LISTED_PAYEE, clear_forms, raw_log, real_desks

    desks = real_desks(system)
    clear_id = desks.payment("Zebulon Quixote")
    held_id = desks.payment(LISTED_PAYEE)
    held = desks.payments.get(held_id)
    assert (held.status, held.screening_result) == ("held", "hit")  # hits still hold

    raw = raw_log(system)
    for name in ("Zebulon Quixote", LISTED_PAYEE):
        for form in clear_forms(name):
            assert form not in raw, form
    assert b"Zebulon" not in raw and b"Quixote" not in raw
    case = desks.screening.case(UUID(held.screening_case_id or ""))
    assert (case.party_name, case.normalised_name) == ("", "")
    assert case.subject_id == held.payee_subject_id and case.sealed_name is not None
    key = desks.registry.keys.key_of(UUID(held.payee_subject_id))
    assert key is not None
    subject_id = UUID(held.payee_subject_id)
    assert open_envelope(key, subject_id, SEALED_NAME_FIELD, case.sealed_name) == LISTED_PAYEE
    assert case.matches[0]["name"] == "KESTREL, Anatol"  # list entries stay readable
    assert desks.screening.case_view(case)["party_name"] == LISTED_PAYEE

    log = ScreeningLog(system.database)
    try:
        names = {row["item_id"]: row["party_name"] for row in log.cases()}
        assert names == {str(clear_id): "Zebulon Quixote", str(held_id): LISTED_PAYEE}
        pending = log.cases(status="pending")  # the review goes to compliance
        assert [row["subject_id"] for row in pending] == [held.payee_subject_id]
    finally:
        log.close()
    desks.payments.decide_screening(COMPLIANCE, held_id, clear=True, reason="other person")
    desks.payments.approve(APPROVER_1, held_id)
    assert desks.payments.get(held_id).status == "funds_reserved"


def test_after_the_payees_erasure_the_screening_log_and_report_read_erased(
    system: System,
) -> None:
    from domain.kernel.context import Context
    from domain.subjects.subject import ERASED
    from projections.reports.service import ReportService
    from projections.sanctions.screening_log import ScreeningLog
    from tests.sanctions.support import LISTED_PAYEE, real_desks

    desks = real_desks(system)
    held_id = desks.payment(LISTED_PAYEE)
    desks.payments.decide_screening(COMPLIANCE, held_id, clear=False, reason="the listed person")
    case_id = UUID(desks.payments.get(held_id).screening_case_id or "")
    adhoc = desks.screening.screen(COMPLIANCE, "other", "adhoc-1", "Quentin Applebaum")
    log = ScreeningLog(system.database)
    try:
        assert log.case(str(case_id))["party_name"] == LISTED_PAYEE
        desks.registry.erase(
            Context("admin@example.test", "corr-erase"),
            UUID(desks.payments.get(held_id).payee_subject_id),
            "retention period over",
        )
        case = log.case(str(case_id))
        assert case["party_name"] == ERASED and case["status"] == "rejected"
        assert case["screenings"][0]["party_name"] == ERASED
        log.rebuild()
        names = {row["case_id"]: row["party_name"] for row in log.cases()}
        assert names == {str(case_id): ERASED, str(adhoc.case_id): "Quentin Applebaum"}
    finally:
        log.close()
    assert desks.screening.case_view(desks.screening.case(case_id))["party_name"] == ERASED
    service = ReportService(system.database)
    output = service.start(service.prepare("screening", {}))
    rows = orjson.loads(b"".join(output.json_chunks()))["rows"]
    assert {row["case_id"]: row["party_name"] for row in rows} == {
        str(case_id): ERASED,
        str(adhoc.case_id): "Quentin Applebaum",
    }


def test_a_new_list_naming_the_payee_holds_a_payment_that_was_screened_clear(
    system: System,
) -> None:
    from domain.payments.service import pending_screening_items
    from tests.sanctions.support import (
        LISTED_PAYEE,
        NEWLY_LISTED,
        clear_forms,
        raw_log,
        real_desks,
    )

    desks = real_desks(system)
    newly_listed = desks.payment(NEWLY_LISTED)
    decided = desks.payment(LISTED_PAYEE)
    desks.payments.decide_screening(COMPLIANCE, decided, clear=True, reason="other person")
    approved = desks.payment(NEWLY_LISTED, "30.00")
    desks.payments.approve(APPROVER_1, approved)
    first_case = desks.payments.get(newly_listed).screening_case_id
    assert desks.payments.get(newly_listed).status == "awaiting_approval"
    assert [item[1] for item in pending_screening_items(system.app)] == [str(newly_listed)]

    loaded = desks.load(2)

    payment = desks.payments.get(newly_listed)
    assert (payment.status, payment.screening_result) == ("held", "hit")
    assert payment.screening_case_id != first_case
    assert desks.screening.case(UUID(first_case or "")).list_version != loaded.list_version
    assert loaded.rescreened is not None and len(loaded.rescreened.screened) == 1
    # Decided by compliance, or approved with its funds reserved: not screened again.
    assert desks.payments.get(decided).status == "awaiting_approval"
    latest = desks.screening.latest_case("payment", str(decided))
    assert latest is not None and latest.list_version != loaded.list_version
    assert desks.payments.get(approved).status == "funds_reserved"
    latest = desks.screening.latest_case("payment", str(approved))
    assert latest is not None and latest.list_version != loaded.list_version
    refused_without_writing(
        system, PaymentHeldForCompliance, lambda: desks.payments.approve(APPROVER_1, newly_listed)
    )
    for form in clear_forms(NEWLY_LISTED):
        assert form not in raw_log(system)
    # Loading the same list again finishes an interrupted re-screening; nothing is left.
    before = event_count(system)
    desks.load(2)
    assert event_count(system) == before
    desks.payments.decide_screening(COMPLIANCE, newly_listed, clear=True, reason="namesake")
    desks.payments.approve(APPROVER_1, newly_listed)
    assert desks.payments.get(newly_listed).status == "funds_reserved"
