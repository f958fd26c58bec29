"""Compliance reports over payments and receipts: large cash transactions (US CTR,
Indonesian LTKT), structuring alerts and segregation of duties (SQLite and PostgreSQL).

Cash in is a posted cash receipt, cash out a settled cash payment, both made
through the real desks; dates are chosen against the calendars in
``projections/reports/rules`` (2026-03-14 is a Saturday, 2026-05-25 is
Memorial Day, 2026-03-19 is Nyepi).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from typing import Any
from uuid import UUID, uuid4

import orjson
import pytest

from adapters.log_reader import LogEvent, LogReader
from adapters.subject_keys import SubjectKeyStore
from backoffice.container import System
from domain.kernel.context import Context
from domain.kernel.errors import InvalidInput
from domain.kernel.money import format_amount
from domain.payments.errors import SelfApprovalRefused
from domain.payments.service import Payments
from domain.receipts.service import Receipts
from domain.subjects.service import SubjectRegistry
from projections.reports.cash_rules import cash_rules
from projections.reports.framework import DatabaseLogSource, ranges_of
from projections.reports.service import ReportService
from tests.payments.support import (
    APPROVER_1,
    APPROVER_2,
    OPERATOR,
    REQUESTER,
    SETUP,
    desks,
    event_count,
    fund,
    payment_body,
    payments_api,
    requested,
)

COMPLIANCE = Context("compliance-officer@example.test", "corr-report")
ASSETS = ["USD", "EUR", "IDR"]
MONDAY, TUESDAY, WEDNESDAY = "2026-03-09", "2026-03-10", "2026-03-11"
FRIDAY, SATURDAY, NEXT_MONDAY = "2026-03-13", "2026-03-14", "2026-03-16"
MEMORIAL_DAY = "2026-05-25"
NYEPI = "2026-03-19"  # Thursday, a national holiday in Indonesia


@dataclass
class CashDesk:
    """Cash in and out through the receipt and payment desks of one store."""

    system: System
    payments: Payments
    receipts: Receipts
    registry: SubjectRegistry

    def person(self, reference: str) -> str:
        subject_id, _ = self.registry.register_subject(
            SETUP, "customer", {"name": f"Customer {reference}"}, reference
        )
        return str(subject_id)

    def cash_in(self, person: str, amount: str, on: str, asset: str = "USD") -> int:
        receipt_id = uuid4()
        self.receipts.record(
            REQUESTER, receipt_id=receipt_id, method="cash", amount=amount, asset=asset,
            reference=f"till-{receipt_id.hex[:8]}", value_date=on,
            payer_subject_id=UUID(person),
        )  # fmt: skip
        return self.receipts.screen(REQUESTER, receipt_id)  # clear: posted, ReceiptPosted last

    def cash_out(self, person: str, amount: str, on: str, asset: str = "USD") -> int:
        payment_id = requested(
            self.payments, amount, asset=asset, value_date=on, paying_account="Assets:Cash",
            method="cash", payee=None, payee_account=None, payee_subject_id=UUID(person),
        )  # fmt: skip
        self.payments.approve(APPROVER_1, payment_id)
        if self.payments.get(payment_id).status == "awaiting_approval":
            self.payments.approve(APPROVER_2, payment_id)
        self.payments.submit(OPERATOR, payment_id, f"BNK-{payment_id.hex[:10]}")
        return self.payments.settle(OPERATOR, payment_id)  # PaymentSettled last


@pytest.fixture
def cash(system: System) -> CashDesk:
    for code, kind, flags in (
        ("Assets:Cash", "asset", ["no_overdraft"]),
        ("Assets:Receivables", "asset", []),
        ("Assets:Payments:InFlight", "asset", []),
        ("Equity:Capital", "equity", []),
    ):
        system.app.open_account(SETUP, code, code, kind, ASSETS, flags)
    fund(system, "100000.00", account="Assets:Cash")
    fund(system, "5000000000.00", account="Assets:Cash", asset="IDR")
    payments, receipts, _port = desks(system)
    registry = SubjectRegistry(system.app, SubjectKeyStore(system.database))
    return CashDesk(system, payments, receipts, registry)


def service_of(system: System) -> ReportService:
    return ReportService(system.database, system.app)


def render(
    system: System, name: str, parameters: dict[str, str], at: int | None = None, form: str = "json"
) -> bytes:
    service = service_of(system)
    output = service.start(service.prepare(name, parameters, at))
    return b"".join(output.json_chunks() if form == "json" else output.csv_chunks())


def rows(system: System, name: str, parameters: dict[str, str]) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = orjson.loads(render(system, name, parameters))["rows"]
    return found


US = {"jurisdiction": "US"}
ID = {"jurisdiction": "ID"}


# --- US currency transaction report -------------------------------------------------


def test_cash_in_of_one_person_over_10000_dollars_in_a_business_day_is_reported(
    cash: CashDesk,
) -> None:
    alice = cash.person("alice")
    first = cash.cash_in(alice, "9000.00", TUESDAY)
    second = cash.cash_in(alice, "1500.00", TUESDAY)
    cash.cash_in(cash.person("bob"), "9999.99", TUESDAY)  # another person, under the threshold
    (row,) = rows(cash.system, "large-cash", US)
    assert (row["person_subject_id"], row["business_day"], row["direction"]) == (
        alice,
        TUESDAY,
        "in",
    )
    assert (row["total"], row["currency"], row["transaction_count"]) == ("10500.00", "USD", 2)
    assert row["due_date"] == "2026-03-25"  # 15 calendar days after
    assert row["positions"] == f"{first},{second}" and row["calendar_confirmed"] is True
    assert "name" not in row  # personal data stays sealed: the subject id names the person


def test_exactly_10000_dollars_is_not_reported_because_the_rule_is_more_than(
    cash: CashDesk,
) -> None:
    alice = cash.person("alice")
    cash.cash_in(alice, "6000.00", TUESDAY)
    cash.cash_in(alice, "4000.00", TUESDAY)
    assert rows(cash.system, "large-cash", US) == []
    cash.cash_in(alice, "0.01", TUESDAY)
    assert [row["total"] for row in rows(cash.system, "large-cash", US)] == ["10000.01"]


def test_cash_in_and_cash_out_are_totalled_separately_never_netted(cash: CashDesk) -> None:
    alice = cash.person("alice")
    cash.cash_in(alice, "6000.00", TUESDAY)
    cash.cash_out(alice, "6000.00", TUESDAY)
    assert rows(cash.system, "large-cash", US) == []  # 12,000 moved, but 6,000 each way
    cash.cash_out(alice, "4500.00", TUESDAY)
    (row,) = rows(cash.system, "large-cash", US)
    assert (row["direction"], row["total"], row["transaction_count"]) == ("out", "10500.00", 2)


def test_a_saturday_and_a_holiday_count_for_the_next_business_day(cash: CashDesk) -> None:
    alice = cash.person("alice")
    cash.cash_in(alice, "9000.00", SATURDAY)
    cash.cash_in(alice, "2000.00", NEXT_MONDAY)
    cash.cash_in(alice, "3000.00", FRIDAY)  # the business day before: not aggregated
    cash.cash_in(alice, "10000.01", MEMORIAL_DAY)
    monday, after_memorial_day = rows(cash.system, "large-cash", US)
    assert (monday["business_day"], monday["total"]) == (NEXT_MONDAY, "11000.00")
    assert monday["transaction_dates"] == f"{SATURDAY},{NEXT_MONDAY}"
    assert monday["due_date"] == "2026-03-31"
    assert after_memorial_day["business_day"] == "2026-05-26"
    assert after_memorial_day["transaction_dates"] == MEMORIAL_DAY
    march = rows(cash.system, "large-cash", {**US, "period": "2026-03"})
    assert [row["business_day"] for row in march] == [NEXT_MONDAY]


# --- Indonesian cash transaction report (LTKT) --------------------------------------------


def test_exactly_500_million_rupiah_is_reported_because_the_rule_is_at_least(
    cash: CashDesk,
) -> None:
    budi = cash.person("budi")
    cash.cash_in(budi, "500000000.00", FRIDAY, "IDR")
    cash.cash_in(cash.person("sari"), "499999999.99", FRIDAY, "IDR")
    (row,) = rows(cash.system, "large-cash", ID)
    assert (row["person_subject_id"], row["total"], row["currency"]) == (
        budi,
        "500000000.00",
        "IDR",
    )
    # 14 working days after Friday 13 March 2026, skipping weekends and Nyepi (19 March)
    # and Good Friday (3 April); cuti bersama (18, 20, 23, 24 March) stay working days.
    assert row["due_date"] == "2026-04-06"


def test_rupiah_cash_in_one_working_day_is_cumulative_and_a_holiday_counts_for_the_next(
    cash: CashDesk,
) -> None:
    budi = cash.person("budi")
    cash.cash_in(budi, "300000000.00", NYEPI, "IDR")
    cash.cash_in(budi, "200000000.00", "2026-03-20", "IDR")
    cash.cash_in(budi, "20000.00", "2026-03-20")  # dollars are not converted: counted aside
    (row,) = rows(cash.system, "large-cash", ID)
    assert (row["business_day"], row["total"], row["transaction_count"]) == (
        "2026-03-20",
        "500000000.00",
        2,
    )
    assert row["due_date"] == "2026-04-10"
    document = orjson.loads(render(cash.system, "large-cash", ID))
    assert document["context"]["unconverted_cash_transactions"] == {"USD": 1}
    assert document["context"]["rule"]["comparison"] == "at_least"


def test_a_due_date_beyond_the_confirmed_holiday_years_is_marked_unconfirmed() -> None:
    rule = cash_rules()["ID"]
    assert rule.due_date(date(2026, 12, 28)) == (date(2027, 1, 15), False)
    assert rule.business_day_of(date(2026, 12, 25)) == (date(2026, 12, 28), True)
    assert cash_rules()["US"].threshold_minor == 1_000_000  # cents, never a float


def test_report_parameters_are_checked(cash: CashDesk) -> None:
    service = service_of(cash.system)
    with pytest.raises(InvalidInput, match="jurisdiction: required"):
        service.prepare("large-cash", {})
    with pytest.raises(InvalidInput, match="jurisdiction: one of ID, US"):
        service.prepare("large-cash", {"jurisdiction": "FR"})
    with pytest.raises(InvalidInput, match="period"):
        service.prepare("large-cash", {**US, "period": "2026-13"})
    with pytest.raises(InvalidInput, match="not both"):
        service.prepare("structuring", {**US, "period": "2026-03", "date_from": "2026-03-01"})
    for bad in ("0", "32", "03", "three"):
        with pytest.raises(InvalidInput, match="window_days"):
            service.prepare("structuring", {**US, "window_days": bad})
    with pytest.raises(InvalidInput, match="date_from: after"):
        service.prepare(
            "segregation-of-duties", {"date_from": "2026-03-02", "date_to": "2026-03-01"}
        )


# --- structuring ---------------------------------------------------------------------------


def test_three_deposits_under_the_threshold_over_three_business_days_raise_an_alert(
    cash: CashDesk,
) -> None:
    alice = cash.person("alice")
    positions = [cash.cash_in(alice, "4000.00", day) for day in (MONDAY, TUESDAY, WEDNESDAY)]
    cash.cash_in(cash.person("bob"), "10500.00", MONDAY)  # over on its own: large cash, not this
    (alert,) = rows(cash.system, "structuring", US)
    assert alert["person_subject_id"] == alice and alert["direction"] == "in"
    assert (alert["window_start"], alert["window_end"]) == (MONDAY, WEDNESDAY)
    assert (alert["transaction_count"], alert["total"], alert["threshold"]) == (
        3,
        "12000.00",
        "10000.00",
    )
    assert alert["positions"] == ",".join(map(str, positions))


def test_deposits_spread_wider_than_the_window_raise_no_alert(cash: CashDesk) -> None:
    alice = cash.person("alice")
    for day in (MONDAY, WEDNESDAY, FRIDAY):
        cash.cash_in(alice, "4000.00", day)
    assert rows(cash.system, "structuring", {**US, "window_days": "3"}) == []
    (alert,) = rows(cash.system, "structuring", {**US, "window_days": "5"})
    assert (alert["window_start"], alert["window_end"], alert["transaction_count"]) == (
        MONDAY,
        FRIDAY,
        3,
    )


def test_a_weekend_between_deposits_does_not_widen_the_window(cash: CashDesk) -> None:
    alice = cash.person("alice")
    for day in (FRIDAY, SATURDAY, NEXT_MONDAY):  # Saturday counts for Monday
        cash.cash_in(alice, "3500.00", day)
    (alert,) = rows(cash.system, "structuring", {**US, "window_days": "2"})
    assert (alert["window_start"], alert["window_end"], alert["total"]) == (
        FRIDAY,
        NEXT_MONDAY,
        "10500.00",
    )


# --- boundaries: thresholds, business days, directions, windows ---------------------------


@pytest.mark.parametrize(
    ("jurisdiction", "below", "at", "over", "at_is_reported"),
    [
        ("US", "9999.99", "10000.00", "10000.01", False),  # more than 10,000.00 USD
        ("ID", "499999999.99", "500000000.00", "500000000.01", True),  # at least IDR 500 million
    ],
)
def test_a_single_transaction_at_the_threshold_and_one_minor_unit_either_side(
    cash: CashDesk, jurisdiction: str, below: str, at: str, over: str, at_is_reported: bool
) -> None:
    rule = cash_rules()[jurisdiction]
    assert format_amount(rule.threshold_minor, rule.scale) == at
    people = {amount: cash.person(f"p-{amount}") for amount in (below, at, over)}
    for amount, person in people.items():
        cash.cash_in(person, amount, TUESDAY, rule.currency)
        cash.cash_out(person, amount, WEDNESDAY, rule.currency)
    reported = rows(cash.system, "large-cash", {"jurisdiction": jurisdiction})
    found = {(row["person_subject_id"], row["direction"]): row["total"] for row in reported}
    expected_amounts = [at, over] if at_is_reported else [over]
    assert found == {
        (people[amount], direction): amount
        for amount in expected_amounts
        for direction in ("in", "out")
    }


US_SATURDAY, US_SUNDAY, US_MEMORIAL_MONDAY = "2026-05-23", "2026-05-24", MEMORIAL_DAY
ID_SATURDAY, ID_WAISAK_SUNDAY, ID_PANCASILA_MONDAY = "2026-05-30", "2026-05-31", "2026-06-01"


@pytest.mark.parametrize(
    ("jurisdiction", "amount", "closed_days", "counted_for", "day_before"),
    [
        ("US", "4000.00", (US_SATURDAY, US_SUNDAY, US_MEMORIAL_MONDAY), "2026-05-26", "2026-05-22"),
        (
            "ID",
            "200000000.00",
            (ID_SATURDAY, ID_WAISAK_SUNDAY, ID_PANCASILA_MONDAY),
            "2026-06-02",
            "2026-05-29",
        ),
    ],
)
def test_a_weekend_followed_by_a_holiday_rolls_to_the_first_open_day_in_both_calendars(
    cash: CashDesk,
    jurisdiction: str,
    amount: str,
    closed_days: tuple[str, ...],
    counted_for: str,
    day_before: str,
) -> None:
    currency = cash_rules()[jurisdiction].currency
    person = cash.person("weekend")
    positions = [cash.cash_in(person, amount, day, currency) for day in closed_days]
    cash.cash_in(person, amount, day_before, currency)  # the Friday before stays on Friday
    (row,) = rows(cash.system, "large-cash", {"jurisdiction": jurisdiction})
    assert (row["business_day"], row["transaction_count"]) == (counted_for, 3)
    assert row["transaction_dates"] == ",".join(closed_days)
    assert row["positions"] == ",".join(map(str, positions))
    assert row["calendar_confirmed"] is True


def test_11000_in_and_11000_out_on_one_day_are_two_rows_never_netted(cash: CashDesk) -> None:
    alice = cash.person("alice")
    received = cash.cash_in(alice, "11000.00", TUESDAY)
    paid = cash.cash_out(alice, "11000.00", TUESDAY)
    cash_in, cash_out = rows(cash.system, "large-cash", US)
    assert (cash_in["direction"], cash_in["total"], cash_in["positions"]) == (
        "in",
        "11000.00",
        str(received),
    )
    assert (cash_out["direction"], cash_out["total"], cash_out["positions"]) == (
        "out",
        "11000.00",
        str(paid),
    )
    assert cash_in["business_day"] == cash_out["business_day"] == TUESDAY


@pytest.mark.parametrize(
    ("first", "second", "alerted"),
    [
        (MONDAY, WEDNESDAY, True),  # two business days apart: the window's last day
        (MONDAY, "2026-03-12", False),  # three apart (Thursday): the day after the window
        (FRIDAY, "2026-03-17", True),  # Friday, Tuesday: the weekend is not counted
        (FRIDAY, "2026-03-18", False),  # Friday, Wednesday: three business days apart
    ],
)
def test_a_structuring_window_of_three_business_days_ends_on_its_third_open_day(
    cash: CashDesk, first: str, second: str, alerted: bool
) -> None:
    alice = cash.person("alice")
    cash.cash_in(alice, "6000.00", first)
    cash.cash_in(alice, "5000.00", second)
    alerts = rows(cash.system, "structuring", {**US, "window_days": "3"})
    if not alerted:
        assert alerts == []
        return
    (alert,) = alerts
    assert (alert["window_start"], alert["window_end"]) == (first, second)
    assert (alert["transaction_count"], alert["total"]) == (2, "11000.00")


# --- reproducibility and provenance against the log ---------------------------------------


def digest_of(system: System, name: str, parameters: dict[str, str]) -> str:
    document = orjson.loads(render(system, name, parameters))
    return str(document["digest"])


@pytest.mark.parametrize(("name", "parameters"), [("large-cash", US), ("structuring", US)])
def test_a_cash_report_digest_moves_only_with_cash_in_its_scope(
    cash: CashDesk, name: str, parameters: dict[str, str]
) -> None:
    alice = cash.person("alice")
    for day in (MONDAY, TUESDAY):
        cash.cash_in(alice, "6000.00", day)
    cash.cash_in(alice, "10500.00", WEDNESDAY)
    first = digest_of(cash.system, name, parameters)
    assert digest_of(cash.system, name, parameters) == first  # the same digest twice
    cash.system.app.issue_token(
        Context("admin", "corr-token"), "someone", "auditor", lambda secret: "0" * 64
    )
    cash.system.app.open_account(SETUP, "Assets:Cash:JPY", "Yen till", "asset", ["JPY"], [])
    cash.system.app.open_account(SETUP, "Assets:Bank", "Bank", "asset", ["USD"], [])
    wire = uuid4()
    cash.receipts.record(
        REQUESTER, receipt_id=wire, method="wire", amount="20000.00", asset="USD",
        reference="wire-1", value_date=TUESDAY, payer_subject_id=UUID(alice),
    )  # fmt: skip
    cash.receipts.screen(REQUESTER, wire)  # posted, but not cash
    assert digest_of(cash.system, name, parameters) == first
    cash.cash_in(alice, "4500.00", WEDNESDAY)  # in scope: a new cash receipt
    assert digest_of(cash.system, name, parameters) != first


def _cash_events_from_the_log(system: System) -> list[LogEvent]:
    """Every posted cash receipt and settled cash payment, read raw (no report code)."""
    found: list[LogEvent] = []
    with LogReader(system.database) as reader:
        for page in reader.pages():
            found.extend(
                event
                for event in page
                if event.topic.endswith(("Receipt.ReceiptPosted", "Payment.PaymentSettled"))
                and event.state.get("cash") is True
            )
    return found


@pytest.mark.parametrize("fast_paths", [True, False], ids=["scoped_read", "whole_log"])
def test_each_large_cash_row_comes_from_exactly_the_cash_events_of_its_person_day_and_direction(
    cash: CashDesk, fast_paths: bool
) -> None:
    alice, bob = cash.person("alice"), cash.person("bob")
    cash.cash_in(alice, "9000.00", SATURDAY)
    cash.cash_in(alice, "2000.00", NEXT_MONDAY)  # Saturday and Monday: one business day
    cash.cash_in(alice, "3000.00", FRIDAY)  # not reported: under the threshold on its own day
    cash.cash_out(alice, "10000.01", NEXT_MONDAY)
    cash.cash_in(bob, "7000.00", NEXT_MONDAY)
    cash.cash_in(bob, "7000.00", NEXT_MONDAY, "IDR")  # another currency: context only
    cash.cash_in(bob, "3000.01", NEXT_MONDAY)
    business_day = {SATURDAY: NEXT_MONDAY}  # this scenario's only roll
    expected: dict[tuple[str, str, str], list[int]] = {}
    for event in _cash_events_from_the_log(cash.system):
        fields = event.state
        if fields["asset"] != "USD":
            continue
        receipt = event.topic.endswith("ReceiptPosted")
        person = fields["payer_subject_id"] if receipt else fields["payee_subject_id"]
        day = business_day.get(fields["business_date"], fields["business_date"])
        key = (day, person, "in" if receipt else "out")
        expected.setdefault(key, []).append(event.position)
    service = ReportService(
        cash.system.database,
        cash.system.app,
        DatabaseLogSource(cash.system.database, fast_paths=fast_paths),
    )
    prepared = service.prepare("large-cash", US)
    document = orjson.loads(b"".join(service.start(prepared).json_chunks()))
    reported = {row["key"]: row for row in document["rows"]}
    assert set(reported) == {"/".join(key) for key in expected if key != (FRIDAY, alice, "in")}
    used: set[int] = set()
    for key, row in reported.items():
        positions = expected[(row["business_day"], row["person_subject_id"], row["direction"])]
        used.update(positions)
        explained = service.explain_row(prepared, row_key=key, limit=1000)
        assert [event["position"] for event in explained["events"]] == positions
        assert row["positions"] == ",".join(map(str, positions))
    idr_positions = [
        event.position
        for event in _cash_events_from_the_log(cash.system)
        if event.state["asset"] == "IDR" and event.state["business_date"] == NEXT_MONDAY
    ]
    assert len(idr_positions) == 1  # counted aside, in the context: still a source
    assert document["generated_from"] == ranges_of(used | set(idr_positions))


# --- segregation of duties -------------------------------------------------------------------


def test_an_approval_row_lists_the_requester_and_every_approver(cash: CashDesk) -> None:
    payment_id = requested(cash.payments, "20000.00", paying_account="Assets:Cash")
    first = cash.payments.approve(APPROVER_1, payment_id)
    before = event_count(cash.system)
    with pytest.raises(SelfApprovalRefused):
        cash.payments.approve(REQUESTER, payment_id)
    assert event_count(cash.system) == before  # a refusal leaves no trace in the log
    second = cash.payments.approve(APPROVER_2, payment_id)
    (row,) = rows(cash.system, "segregation-of-duties", {})
    assert (row["kind"], row["item"], row["requester"]) == (
        "payment_approval",
        f"payment/{payment_id}",
        REQUESTER.actor,
    )
    assert row["approvers"] == f"{APPROVER_1.actor},{APPROVER_2.actor}"
    assert (row["approvals_required"], row["outcome"], row["finding"]) == (2, "approved", "")
    service = service_of(cash.system)
    explained = service.explain_row(
        service.prepare("segregation-of-duties", {}), row_key=row["key"]
    )
    positions = [event["position"] for event in explained["events"]]
    assert first in positions and second - 1 <= positions[-1] <= second


def test_a_settlement_shows_its_creator_and_settler_and_flags_one_actor_doing_both(
    system: System,
) -> None:
    from domain.settlements.service import Settlements
    from tests.settlements.test_settlements import (
        CLERK,
        TREASURER,
        book,
        confirm_as_instructed,
        instruct,
        open_books,
    )

    open_books(system.app)
    desk = Settlements(system.app)
    book(desk, "receivable", "150.00")
    four_eyes = instruct(desk)
    confirm_as_instructed(desk, four_eyes)
    desk.settle(TREASURER, four_eyes)
    book(desk, "receivable", "75.00", due_date="2026-03-20")
    two_hats = instruct(desk, "2026-03-23")
    confirm_as_instructed(desk, two_hats)
    desk.settle(CLERK, two_hats)  # the settlement domain does not refuse this: the report flags it
    settled = rows(system, "segregation-of-duties", {})
    assert [(row["kind"], row["requester"], row["approvers"]) for row in settled] == [
        ("settlement_approval", CLERK.actor, TREASURER.actor),
        ("settlement_approval", CLERK.actor, CLERK.actor),
    ]
    assert [row["finding"] for row in settled] == ["", "settled by the actor who created it"]


# --- reproducibility, filing, explanation ------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "parameters"),
    [
        ("large-cash", US),
        ("structuring", US),
        ("segregation-of-duties", {}),
    ],
)
def test_a_rerun_at_the_same_position_is_byte_identical(
    cash: CashDesk, name: str, parameters: dict[str, str]
) -> None:
    alice = cash.person("alice")
    for day in (MONDAY, TUESDAY, TUESDAY):
        cash.cash_in(alice, "4000.00", day)
    cash.cash_out(alice, "12000.00", WEDNESDAY)
    at = event_count(cash.system)
    first = (
        render(cash.system, name, parameters, at),
        render(cash.system, name, parameters, at, "csv"),
    )
    assert orjson.loads(first[0])["rows"], "the report has rows"
    cash.cash_in(alice, "9000.00", WEDNESDAY)
    cash.cash_out(alice, "11000.00", WEDNESDAY)
    again = (
        render(cash.system, name, parameters, at),
        render(cash.system, name, parameters, at, "csv"),
    )
    assert again == first
    assert render(cash.system, name, parameters) != first[0]


def test_a_filed_large_cash_report_explains_the_transactions_behind_a_row(
    cash: CashDesk,
) -> None:
    alice = cash.person("alice")
    first = cash.cash_in(alice, "9000.00", SATURDAY)
    second = cash.cash_in(alice, "1500.01", NEXT_MONDAY)
    service = service_of(cash.system)
    filed = service.file(COMPLIANCE, "large-cash", US, None)
    assert filed["row_count"] == 1
    explained = service.explain(UUID(filed["filing_id"]), row=0)
    assert [event["position"] for event in explained["events"]] == [first, second]
    assert {event["event_type"] for event in explained["events"]} == {"ReceiptPosted"}
    assert [event["payload"]["business_date"] for event in explained["events"]] == [
        SATURDAY,
        NEXT_MONDAY,
    ]
    view = service.filing(UUID(filed["filing_id"]))
    assert view["reproduction"]["matches"] is True and view["now"]["changed"] is False


# --- through the API ------------------------------------------------------------------------


@pytest.fixture
def api(database_url: str) -> Iterator[Any]:
    with payments_api(database_url) as (harness, _port):
        yield harness


def _cash_receipt(api: Any, amount: str, payer: dict[str, Any]) -> Any:
    body = {"method": "cash", "amount": amount, "asset": "USD", "reference": uuid4().hex[:12],
            "value_date": TUESDAY, **payer}  # fmt: skip
    response = api.post("/v1/receipts", "poster", body)
    assert response.status_code == 201, response.text
    return response.json()


def test_the_api_files_large_cash_and_shows_denied_and_refused_approvals(api: Any) -> None:
    receipt = _cash_receipt(api, "9000.00", {"payer": {"name": "Ana Cash", "reference": "C-1"}})
    payer = api.get(f"/v1/receipts/{receipt['id']}").json()["payer_subject_id"]
    _cash_receipt(api, "1500.00", {"payer_subject_id": payer})
    filed = api.post("/v1/reports/large-cash/filings", "compliance", {"parameters": US})
    assert filed.status_code == 201, filed.text
    assert filed.json()["row_count"] == 1
    explained = api.get(f"/v1/reports/filings/{filed.json()['filing_id']}/explain?row=0")
    assert explained.status_code == 200, explained.text
    assert [event["event_type"] for event in explained.json()["events"]] == ["ReceiptPosted"] * 2

    made = api.post("/v1/payments", "poster", payment_body("250.00"))
    assert made.status_code == 201, made.text
    payment_id = made.json()["id"]
    denied = api.post(f"/v1/payments/{payment_id}/approve", "poster", {})
    assert denied.status_code == 403  # the requester's role may not approve: recorded
    dual = api.issue("approver", "poster-actor")  # one person holding both roles
    before = api.event_count()
    refused = api.client.post(
        f"/v1/payments/{payment_id}/approve",
        json={},
        headers=api.headers(token=dual, key=f"self-{uuid4().hex}"),
    )
    assert refused.status_code == 409 and refused.json()["code"] == "self_approval_refused"
    assert api.event_count() == before  # the domain's refusal writes nothing
    approved = api.post(f"/v1/payments/{payment_id}/approve", "approver", {})
    assert approved.status_code == 200, approved.text

    response = api.get("/v1/reports/segregation-of-duties", "compliance")
    assert response.status_code == 200, response.text
    by_kind: dict[str, list[dict[str, Any]]] = {}
    for row in response.json()["rows"]:
        by_kind.setdefault(row["kind"], []).append(row)
    (attempt,) = by_kind["denied_attempt"]
    assert (attempt["actor"], attempt["role"], attempt["status"]) == ("poster-actor", "poster", 403)
    assert attempt["route"] == "/v1/payments/{payment_id}/approve"
    (conflict,) = by_kind["role_conflict"]
    assert (conflict["actor"], conflict["role"]) == ("poster-actor", "approver,poster")
    (approval,) = by_kind["payment_approval"]
    assert (approval["requester"], approval["approvers"], approval["outcome"]) == (
        "poster-actor",
        "approver-actor",
        "approved",
    )
    assert approval["role"] == "approver"
    names = [report["name"] for report in api.get("/v1/reports", "compliance").json()["reports"]]
    compliance = ["large-cash", "structuring", "segregation-of-duties"]
    at = names.index("large-cash")
    assert names[at : at + 3] == compliance  # in the catalogue, in this order
