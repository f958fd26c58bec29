"""Employees over a real store (both backends): sealed personal data, retro
pay, pro rata, year-to-date across a year, erasure, remittance."""

from __future__ import annotations

from uuid import UUID, uuid4

import pytest

from backoffice.container import System
from domain.payroll.errors import EmployeeAlreadyHired, EmployeeTerminated, UnknownFilingStatus
from domain.payroll.indonesia import annual_recalculation
from domain.payroll.rules import indonesia_rule_set_for
from domain.subjects.errors import SubjectUnderLegalHold
from tests.payroll.workplace import (
    APPROVER_1,
    HR,
    PREPARER,
    SETUP,
    Desk,
    employee,
    hire_id,
    hire_us,
    line_amount,
    open_company,
    pay_month,
    slip_of,
    stored_bytes,
)


@pytest.fixture
def desk(system: System) -> Desk:
    return open_company(system)


def net_balance(desk: Desk, account: str, asset: str) -> int:
    lines = desk.system.projections.balance(account).lines
    return sum(line.net_minor for line in lines if line.asset == asset)


def test_hiring_seals_the_persons_data_so_the_log_never_holds_it_in_the_clear(
    desk: Desk,
) -> None:
    employee_id = hire_us(desk, "US-4321", "5000.00", name="Zebulon Quixote")
    pay_month(desk, "us-monthly", "US", 2025, 1)
    stored = stored_bytes(desk)
    for secret in (b"Zebulon", b"Quixote", b"123-45-4321", b"12345678", b"Main Street"):
        assert secret not in stored
    hired = employee(desk, employee_id)
    opened = desk.registry.read_subject(UUID(hired.subject_id))
    assert opened["fields"]["name"] == "Zebulon Quixote"
    assert opened["fields"]["tax_id"] == "123-45-4321"


def test_an_hr_reference_is_hired_once_and_a_bad_tax_profile_names_its_field(
    desk: Desk,
) -> None:
    hire_us(desk, "US-0001", "5000.00")
    with pytest.raises(EmployeeAlreadyHired):
        hire_us(desk, "US-0001", "5000.00")
    with pytest.raises(UnknownFilingStatus) as refused:
        hire_us(desk, "US-0002", "5000.00", filing_status="married_somehow")
    assert refused.value.field == "tax_profile.filing_status"


def test_a_pay_change_dated_in_an_earlier_period_pays_arrears_traced_to_the_change(
    desk: Desk,
) -> None:
    employee_id = hire_us(desk, "US-0001", "5000.00")
    pay_month(desk, "us-monthly", "US", 2025, 1)
    pay_month(desk, "us-monthly", "US", 2025, 2)
    desk.payroll.change_pay(HR, employee_id, {"basis": "salary", "amount": "5500.00"}, "2025-01-01")
    change_version = employee(desk, employee_id).version
    march = pay_month(desk, "us-monthly", "US", 2025, 3)
    slip = slip_of(march, employee_id)
    [arrears] = [line for line in slip["lines"] if line["code"] == "arrears"]
    assert arrears["amount_minor"] == 2 * 50000
    assert arrears["source"] == f"{employee_id}@{change_version}"
    assert [period["period"] for period in arrears["for_periods"]] == [
        "2025-01-01/2025-01-31",
        "2025-02-01/2025-02-28",
    ]
    assert desk.app.position_of(employee_id, change_version) is not None
    assert line_amount(slip, "regular") == 550000
    april = pay_month(desk, "us-monthly", "US", 2025, 4)
    assert line_amount(slip_of(april, employee_id), "arrears") == 0  # paid once


def test_a_hire_and_a_termination_inside_a_period_are_paid_pro_rata_by_calendar_days(
    desk: Desk,
) -> None:
    employee_id = hire_us(desk, "US-0001", "3000.00", hire_date="2025-06-16")
    june = pay_month(desk, "us-monthly", "US", 2025, 6)
    regular = slip_of(june, employee_id)["regular_for"]
    assert (regular["days_employed"], regular["days_in_period"]) == (15, 30)
    assert regular["amount_minor"] == 150000  # 3,000.00 x 15/30
    desk.payroll.terminate(HR, employee_id, "2025-07-10", "resigned")
    july = pay_month(desk, "us-monthly", "US", 2025, 7)
    assert slip_of(july, employee_id)["regular_for"]["amount_minor"] == 96774  # x 10/31
    with pytest.raises(EmployeeTerminated):
        desk.payroll.change_pay(
            HR, employee_id, {"basis": "salary", "amount": "1.00"}, "2025-07-01"
        )


def test_social_security_stops_at_the_wage_base_across_a_year_of_us_runs(desk: Desk) -> None:
    employee_id = hire_us(desk, "US-0001", "20000.00")
    slips = [
        slip_of(pay_month(desk, "us-monthly", "US", 2025, month), employee_id)
        for month in range(1, 13)
    ]
    wages = [slip["ytd_after"]["social_security_wages"] for slip in slips]
    assert wages == sorted(wages) and wages[-1] == 17610000  # the 2025 base, 176,100.00
    assert [line_amount(slip, "social_security") for slip in slips[8:]] == [99820, 0, 0, 0]
    assert slips[-1]["ytd_after"]["wages"] == 24000000
    assert line_amount(slips[9], "additional_medicare") == 0  # 200,000.00 reached in October
    assert line_amount(slips[10], "additional_medicare") == 18000  # 0.9% of 20,000.00


def test_the_indonesian_december_run_trues_up_the_year(desk: Desk) -> None:
    employee_id = hire_id(desk, "ID-001", "12500000")
    slips = [
        slip_of(pay_month(desk, "id-monthly", "ID", 2025, month), employee_id)
        for month in range(1, 13)
    ]
    before = slips[-1]["ytd_before"]
    december = slips[-1]["ytd_after"]
    due, _worksheet, _steps = annual_recalculation(
        indonesia_rule_set_for(2025),
        "TK/0",
        december["taxable_gross"],
        december["employee_jht_jp"],
        before["pph21_withheld"],
    )
    assert line_amount(slips[-1], "pph21") == due
    assert sum(line_amount(slip, "pph21") for slip in slips) == due + before["pph21_withheld"]


def test_erasing_an_ex_employee_leaves_every_run_and_posting_intact(desk: Desk) -> None:
    employee_id = hire_us(desk, "US-0001", "5000.00")
    hire_us(desk, "US-0002", "6000.00")
    run = pay_month(desk, "us-monthly", "US", 2025, 1)
    desk.payroll.terminate(HR, employee_id, "2025-01-31", "contract ended")
    subject_id = UUID(employee(desk, employee_id).subject_id)
    hold_id, _ = desk.registry.place_hold(SETUP, subject_id, "tax records retention")
    with pytest.raises(SubjectUnderLegalHold):
        desk.registry.erase(SETUP, subject_id, "retention over")
    desk.registry.lift_hold(SETUP, subject_id, hold_id, "retention period over")
    salaries = net_balance(desk, "Expenses:Payroll:Salaries", "USD")
    desk.registry.erase(SETUP, subject_id, "retention over")
    after = desk.payroll.run(run.id)
    assert after.payslips == run.payslips and after.totals == run.totals
    assert net_balance(desk, "Expenses:Payroll:Salaries", "USD") == salaries
    assert desk.registry.read_subject(subject_id)["fields"]["name"] == "[erased]"
    february = pay_month(desk, "us-monthly", "US", 2025, 2)  # the ex-employee is not paid
    assert [slip["employee_id"] for slip in february.payslips] != [str(employee_id)]


def test_remitting_a_liability_is_a_payment_that_clears_its_account(desk: Desk) -> None:
    hire_us(desk, "US-0001", "5000.00")
    run = pay_month(desk, "us-monthly", "US", 2025, 1)
    account = "Liabilities:Payroll:federal_income_tax"
    owed = net_balance(desk, account, "USD")
    assert owed == run.totals["line:federal_income_tax"] > 0
    payment_id = uuid4()
    desk.payroll.remit(
        PREPARER,
        payment_id=payment_id,
        line_code="federal_income_tax",
        amount=f"{owed // 100}.{owed % 100:02d}",
        asset="USD",
        value_date="2025-02-15",
        authority={"name": "United States Treasury", "reference": "IRS-EFTPS"},
        payee_account={"country": "US", "bank_code": "021000021", "account_number": "555000"},
    )
    desk.payments.screen(PREPARER, payment_id)
    desk.payments.approve(APPROVER_1, payment_id)
    desk.payments.submit(PREPARER, payment_id, "EFTPS-1")
    desk.payments.settle(PREPARER, payment_id)
    assert net_balance(desk, account, "USD") == 0
