"""Payroll runs end to end on both backends: calculate, approve (four eyes), pay."""

from __future__ import annotations

from typing import Any
from uuid import UUID, uuid4

import pytest

from backoffice.container import System
from domain.ledger.journal import JournalEntry
from domain.payments.payment import Payment
from domain.payments.statuses import FUNDS_RESERVED
from domain.payroll.errors import (
    InvalidPayrollRunTransition,
    PayrollDuplicateApproval,
    PayrollRunStale,
    PayrollSelfApprovalRefused,
)
from domain.payroll.payouts import payout_id
from tests.payroll.workplace import (
    APPROVER_1,
    APPROVER_2,
    PREPARER,
    Desk,
    hire_id,
    hire_us,
    log_size,
    open_company,
    open_month,
    pay_month,
    slip_of,
)


@pytest.fixture
def desk(system: System) -> Desk:
    return open_company(system)


def entry_of(desk: Desk, entry_id: str) -> JournalEntry:
    entry: JournalEntry = desk.app.get_entry(UUID(entry_id))
    return entry


def sums(entry: JournalEntry) -> dict[tuple[str, str], int]:
    signed: dict[tuple[str, str], int] = {}
    for posting in entry.lines:
        sign = 1 if posting.direction == "debit" else -1
        key = (posting.account, posting.asset)
        signed[key] = signed.get(key, 0) + sign * posting.amount_minor
    return signed


def liabilities_from_slips(payslips: list[dict[str, Any]]) -> dict[str, int]:
    owed: dict[str, int] = {}
    for slip in payslips:
        for line in slip["lines"]:
            if line["kind"] != "earning":
                owed[line["code"]] = owed.get(line["code"], 0) + line["amount_minor"]
    return {code: amount for code, amount in owed.items() if amount}


def test_a_monthly_run_for_us_and_indonesian_employees_is_calculated_approved_and_paid(
    desk: Desk,
) -> None:
    us = [
        hire_us(desk, f"US-000{n}", salary)
        for n, salary in enumerate(("4000.00", "7500.00", "12000.00"))
    ]
    indonesians = [
        hire_id(desk, f"ID-00{n}", salary, ptkp_status=status)
        for n, (salary, status) in enumerate((("8000000", "TK/0"), ("15000000", "K/1")))
    ]
    for group, jurisdiction, asset, employees in (
        ("us-monthly", "US", "USD", us),
        ("id-monthly", "ID", "IDR", indonesians),
    ):
        run = pay_month(desk, group, jurisdiction, 2025, 1)
        assert run.status == "paid"
        assert sorted(slip["employee_id"] for slip in run.payslips) == sorted(map(str, employees))
        entry = entry_of(desk, run.entry_id or "")
        signed = sums(entry)
        assert sum(signed.values()) == 0  # debits equal credits
        assert signed[("Expenses:Payroll:Salaries", asset)] == sum(
            slip["gross_minor"] for slip in run.payslips
        )
        assert -signed[("Liabilities:Payroll:NetPay", asset)] == sum(
            slip["net_minor"] for slip in run.payslips
        )
        liabilities = {
            account.removeprefix("Liabilities:Payroll:"): -amount
            for (account, _asset), amount in signed.items()
            if account.startswith("Liabilities:Payroll:") and "NetPay" not in account
        }
        assert liabilities == liabilities_from_slips(run.payslips)
        for slip in run.payslips:
            payment = desk.payments.get(payout_id(run.id, slip["employee_id"]))
            assert payment.amount_minor == slip["net_minor"] and payment.asset == asset
            assert payment.status == FUNDS_RESERVED
            assert payment.current_approvers() == [APPROVER_1.actor]
            assert payment.requested_by == PREPARER.actor
            assert payment.clearing_account == "Liabilities:Payroll:NetPay"


def test_the_preparer_cannot_approve_and_the_refusal_writes_nothing(desk: Desk) -> None:
    hire_us(desk, "US-0001", "5000.00")
    run_id = open_month(desk, "us-monthly", "US", 2025, 1)
    desk.payroll.calculate(PREPARER, run_id)
    before = log_size(desk)
    with pytest.raises(PayrollSelfApprovalRefused):
        desk.payroll.approve(PREPARER, run_id)
    assert log_size(desk) == before
    assert desk.payroll.run(run_id).status == "calculated"


def test_a_run_above_the_policy_needs_two_distinct_approvers(desk: Desk) -> None:
    for n in range(4):
        hire_us(desk, f"US-100{n}", "20000.00")  # net well above the 50,000.00 policy
    run_id = open_month(desk, "us-monthly", "US", 2025, 1)
    desk.payroll.calculate(PREPARER, run_id)
    assert desk.payroll.run(run_id).approvals_required == 2
    desk.payroll.approve(APPROVER_1, run_id)
    assert desk.payroll.run(run_id).status == "calculated"
    with pytest.raises(PayrollDuplicateApproval):
        desk.payroll.approve(APPROVER_1, run_id)
    with pytest.raises(InvalidPayrollRunTransition):
        desk.payroll.pay(PREPARER, run_id)
    desk.payroll.approve(APPROVER_2, run_id)
    assert desk.payroll.run(run_id).status == "approved"
    with pytest.raises(PayrollSelfApprovalRefused):
        desk.payroll.pay(APPROVER_1, run_id)  # an approver does not request the payments
    desk.payroll.pay(PREPARER, run_id)
    run = desk.payroll.run(run_id)
    payment = desk.payments.get(payout_id(run.id, run.payslips[0]["employee_id"]))
    assert sorted(payment.current_approvers()) == sorted([APPROVER_1.actor, APPROVER_2.actor])


def test_recalculating_an_unchanged_run_writes_nothing_and_a_change_voids_approvals(
    desk: Desk,
) -> None:
    employee_id = hire_us(desk, "US-0001", "5000.00")
    run_id = open_month(desk, "us-monthly", "US", 2025, 2)
    assert desk.payroll.calculate(PREPARER, run_id) is not None
    first = desk.payroll.run(run_id)
    before = log_size(desk)
    assert desk.payroll.calculate(PREPARER, run_id) is None
    assert log_size(desk) == before
    assert desk.payroll.run(run_id).payslips == first.payslips
    desk.payroll.approve(APPROVER_1, run_id)
    assert desk.payroll.calculate(PREPARER, run_id) is None  # still the approved payslips
    desk.payroll.change_pay(
        PREPARER, employee_id, {"basis": "salary", "amount": "5200.00"}, "2025-02-01"
    )
    assert desk.payroll.calculate(PREPARER, run_id) is not None
    run = desk.payroll.run(run_id)
    assert run.status == "calculated" and run.current_approvals() == []
    assert slip_of(run, employee_id)["gross_minor"] == 520000


def test_a_paid_run_refuses_recalculation_and_cancellation(desk: Desk) -> None:
    hire_us(desk, "US-0001", "5000.00")
    run = pay_month(desk, "us-monthly", "US", 2025, 1)
    before = log_size(desk)
    with pytest.raises(InvalidPayrollRunTransition):
        desk.payroll.calculate(PREPARER, run.id)
    with pytest.raises(InvalidPayrollRunTransition):
        desk.payroll.cancel(PREPARER, run.id, "too late")
    with pytest.raises(InvalidPayrollRunTransition):
        desk.payroll.pay(PREPARER, run.id)
    assert log_size(desk) == before


def test_a_run_cancelled_before_payment_is_cancelled_by_an_event_and_never_counts(
    desk: Desk,
) -> None:
    employee_id = hire_us(desk, "US-0001", "5000.00")
    run_id = open_month(desk, "us-monthly", "US", 2025, 1)
    desk.payroll.calculate(PREPARER, run_id)
    desk.payroll.approve(APPROVER_1, run_id)
    desk.payroll.cancel(PREPARER, run_id, "wrong period")
    cancelled = desk.payroll.run(run_id)
    assert cancelled.status == "cancelled" and cancelled.payslips  # kept, as calculated
    february = pay_month(desk, "us-monthly", "US", 2025, 2)
    assert slip_of(february, employee_id)["ytd_before"]["wages"] == 0


def test_a_run_calculated_before_another_run_of_the_year_was_paid_is_stale(desk: Desk) -> None:
    hire_us(desk, "US-0001", "5000.00")
    late = open_month(desk, "us-monthly", "US", 2025, 2)
    desk.payroll.calculate(PREPARER, late)
    desk.payroll.approve(APPROVER_1, late)
    pay_month(desk, "us-monthly", "US", 2025, 1)
    with pytest.raises(PayrollRunStale):
        desk.payroll.pay(PREPARER, late)
    desk.payroll.calculate(PREPARER, late)
    desk.payroll.approve(APPROVER_1, late)
    desk.payroll.pay(PREPARER, late)
    assert desk.payroll.run(late).status == "paid"


def test_a_payee_held_by_screening_is_paid_after_compliance_clears_it(desk: Desk) -> None:
    held = hire_us(desk, "US-0009", "5000.00", name="Ivan Sanctioned")
    hire_us(desk, "US-0001", "5000.00")
    run = pay_month(desk, "us-monthly", "US", 2025, 1)
    payment = desk.payments.get(payout_id(run.id, str(held)))
    assert payment.status == "held" and payment.entry_id is None
    assert isinstance(payment, Payment)
    net_pay_entry = sums(entry_of(desk, run.entry_id or ""))
    assert -net_pay_entry[("Liabilities:Payroll:NetPay", "USD")] == sum(
        slip["net_minor"] for slip in run.payslips
    )
    assert payment.screening_case_id is not None
    desk.screening.clear(APPROVER_2, UUID(payment.screening_case_id), "ok")
    desk.payments.approve(APPROVER_1, payment.id)
    assert desk.payments.get(payment.id).status == FUNDS_RESERVED


def test_an_off_cycle_bonus_run_uses_the_supplemental_rate(desk: Desk) -> None:
    employee_id = hire_us(desk, "US-0001", "5000.00")
    run_id = uuid4()
    desk.payroll.open_run(
        PREPARER,
        run_id=run_id,
        pay_group="us-monthly",
        jurisdiction="US",
        pay_frequency="monthly",
        period_start="2025-03-01",
        period_end="2025-03-31",
        period_number=3,
        pay_date="2025-03-20",
        kind="off_cycle",
        earnings={str(employee_id): [{"code": "bonus", "amount": "1000.00"}]},
    )
    desk.payroll.calculate(PREPARER, run_id)
    slip = slip_of(desk.payroll.run(run_id), employee_id)
    tax = [line for line in slip["lines"] if line["code"] == "federal_income_tax"]
    assert tax[0]["amount_minor"] == 22000  # 22% of 1,000.00
    assert slip["gross_minor"] == 100000
