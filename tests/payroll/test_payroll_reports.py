"""Payroll reports in the report framework, on both backends, checked by hand
against the payslips of a small run set; and the liabilities check.

US (2025, monthly, single, W-4 2020): A 4,123.45, B 7,500.00 and C 12,000.00
a month, paid January to March, and an off-cycle bonus of 250,000.00 to C
paid on 2025-02-20 after February's run. Per month, Social Security is
255.65 (4,123.45 x 6.2% = 255.6539), 465.00 and 744.00 each side; Medicare
59.79 (59.790025), 108.75 and 174.00. C's bonus: 22% flat = 55,000.00; Social
Security wages to the 176,100.00 base = 152,100.00 (24,000.00 taxed before),
none in March; Additional Medicare on 274,000.00 - 200,000.00 = 74,000.00,
then on March's 12,000.00.

Indonesia (January 2025, JKK 0.24%): D TK/0 8,000,000 and E K/1 15,000,000.
D: Kesehatan 320,000 / 80,000, JHT 296,000 / 160,000, JP 160,000 / 80,000,
JKK 19,200, JKM 24,000; taxable gross 8,363,200, TER A 1.5% = 125,448.
E: Kesehatan on the 12,000,000 cap 480,000 / 120,000, JHT 555,000 / 300,000,
JP on the 10,042,300 cap 200,846 / 100,423, JKK 36,000, JKM 45,000; taxable
gross 15,561,000, TER B 6% = 933,660.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID, uuid4

import orjson
import pytest

from backoffice.container import System
from domain.kernel.errors import InvalidInput
from domain.ledger.commands import PostJournalEntry
from domain.payments.statuses import FUNDS_RESERVED
from domain.payroll.errors import UnknownPayrollRun
from domain.payroll.run import PayrollRun
from projections.reports.framework import DatabaseLogSource
from projections.reports.payroll_register import liability_findings
from projections.reports.service import ReportService
from tests.payroll.workplace import (
    APPROVER_1,
    APPROVER_2,
    PREPARER,
    SETUP,
    Desk,
    hire_id,
    hire_us,
    line_amount,
    open_company,
    pay_month,
)


@pytest.fixture
def desk(system: System) -> Desk:
    return open_company(system)


def report(desk: Desk, name: str, parameters: dict[str, str]) -> dict[str, Any]:
    service = ReportService(desk.system.database, desk.app)
    output = service.start(service.prepare(name, parameters))
    document: dict[str, Any] = orjson.loads(b"".join(output.json_chunks()))
    again = service.start(service.prepare(name, parameters))
    assert again.summary()["digest"] == document["digest"]  # same position, same bytes
    csv = b"".join(service.start(service.prepare(name, parameters)).csv_chunks()).decode()
    assert csv.splitlines()[0].split(",") == list(service.prepare(name, parameters).report.columns)
    assert len(csv.splitlines()) == 1 + document["row_count"]
    return document


def by_key(document: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {row["key"]: row for row in document["rows"]}


def pay_bonus(desk: Desk, employee_id: UUID, amount: str, pay_date: str) -> PayrollRun:
    run_id = uuid4()
    month = int(pay_date[5:7])
    desk.payroll.open_run(
        PREPARER,
        run_id=run_id,
        pay_group="us-monthly",
        jurisdiction="US",
        pay_frequency="monthly",
        period_start=f"{pay_date[:7]}-01",
        period_end=pay_date,
        period_number=month,
        pay_date=pay_date,
        kind="off_cycle",
        earnings={str(employee_id): [{"code": "bonus", "amount": amount}]},
    )
    desk.payroll.calculate(PREPARER, run_id)
    for approver in (APPROVER_1, APPROVER_2):
        if desk.payroll.run(run_id).status != "approved":
            desk.payroll.approve(approver, run_id)
    desk.payroll.pay(PREPARER, run_id)
    return desk.payroll.run(run_id)


def money(minor: int) -> str:
    sign = "-" if minor < 0 else ""
    return f"{sign}{abs(minor) // 100}.{abs(minor) % 100:02d}"


PERSONAL = ("Person US-", "123-45-", "Main Street", "Orang ID-", "09.254", "Sudirman")


def assert_no_personal_data(document: dict[str, Any]) -> None:
    text = orjson.dumps(document).decode()
    assert not any(fragment in text for fragment in PERSONAL)


def test_us_register_941_940_and_w2_figures_match_the_payslips(desk: Desk) -> None:
    a = hire_us(desk, "US-0001", "4123.45")
    b = hire_us(desk, "US-0002", "7500.00")
    c = hire_us(desk, "US-0003", "12000.00")
    january = pay_month(desk, "us-monthly", "US", 2025, 1)
    february = pay_month(desk, "us-monthly", "US", 2025, 2)
    bonus = pay_bonus(desk, c, "250000.00", "2025-02-20")
    march = pay_month(desk, "us-monthly", "US", 2025, 3)
    runs = [january, february, bonus, march]
    slips = [slip for run in runs for slip in run.payslips]
    [bonus_slip] = bonus.payslips
    assert line_amount(bonus_slip, "federal_income_tax") == 5_500_000  # 22% flat
    assert line_amount(bonus_slip, "social_security") == 943_020  # 152,100.00 x 6.2%
    assert line_amount(bonus_slip, "additional_medicare") == 66_600  # 74,000.00 x 0.9%
    income_tax = sum(line_amount(slip, "federal_income_tax") for slip in slips)

    # Payroll register: one row per payslip line of the run.
    register = report(desk, "payroll-register", {"run_id": str(january.id)})
    assert register["row_count"] == sum(len(slip["lines"]) for slip in january.payslips)
    assert register["context"]["status"] == "paid"
    rows = by_key(register)
    first = january.payslips[0]
    assert rows[f"{first['employee_id']}/001"]["code"] == "regular"
    assert {row["employee_reference"] for row in rows.values()} == {"US-0001", "US-0002", "US-0003"}
    assert (
        sum(
            int(row["amount"].replace(".", ""))
            for row in rows.values()
            if row["code"] == "social_security"
        )
        == 25565 + 46500 + 74400
    )
    assert_no_personal_data(register)
    with pytest.raises(UnknownPayrollRun):
        report(desk, "payroll-register", {"run_id": str(uuid4())})

    # Form 941, first quarter.
    form = by_key(report(desk, "payroll-941", {"quarter": "2025-Q1"}))
    assert form["1"]["count"] == 3
    assert form["2"]["amount"] == "320870.35"  # 3 x 23,623.45 + 250,000.00
    assert form["3"]["amount"] == money(income_tax)
    ss_wages = 3 * (412345 + 750000) + 2 * 1_200_000 + 15_210_000
    assert form["5a"]["wages"] == money(ss_wages) == "210970.35"
    assert form["5a"]["amount"] == "26160.32"  # 210,970.35 x 0.124 = 26,160.3234
    assert form["5c"]["wages"] == "320870.35"
    assert form["5c"]["amount"] == "9305.24"  # x 0.029 = 9,305.24015
    assert form["5d"]["wages"] == "86000.00"  # 74,000.00 + March's 12,000.00
    assert form["5d"]["amount"] == "774.00"
    assert form["5e"]["amount"] == "36239.56"
    assert form["6"]["amount"] == money(income_tax + 3_623_956)
    withheld = sum(
        line_amount(slip, code)
        for slip in slips
        for code in (
            "social_security",
            "social_security_employer",
            "medicare",
            "medicare_employer",
            "additional_medicare",
        )
    )
    assert withheld == 3_623_954  # two cents under: A's 255.6539 rounded each month
    assert form["7"]["amount"] == "-0.02"
    assert form["10"]["amount"] == money(income_tax + 3_623_956 - 2)
    assert report(desk, "payroll-941", {"quarter": "2025-Q2"})["rows"][1]["amount"] == "0.00"

    # Form 940, the year.
    futa = by_key(report(desk, "payroll-940", {"year": "2025"}))
    assert futa["3"]["amount"] == "320870.35"
    assert futa["7"]["amount"] == "21000.00"  # 7,000.00 for each of three employees
    assert futa["5"]["amount"] == "299870.35"
    assert futa["8"]["amount"] == "126.00"
    assert futa["16a"]["amount"] == "126.00"  # 24.74 + 17.26 + 42.00 + 42.00
    assert futa["16b"]["amount"] == "0.00"
    assert futa["17"]["amount"] == "126.00"

    # W-2 boxes 1-6.
    w2 = report(desk, "payroll-w2", {"year": "2025"})
    assert_no_personal_data(w2)
    boxes = by_key(w2)
    assert [row["employee_reference"] for row in w2["rows"]] == ["US-0001", "US-0002", "US-0003"]
    box_c = boxes[str(c)]
    assert box_c["box_1_wages"] == "286000.00"
    assert box_c["box_2_federal_income_tax"] == money(
        sum(
            line_amount(slip, "federal_income_tax")
            for slip in slips
            if slip["employee_id"] == str(c)
        )
    )
    assert box_c["box_3_social_security_wages"] == "176100.00"  # the 2025 wage base
    assert box_c["box_4_social_security_tax"] == "10918.20"
    assert box_c["box_5_medicare_wages"] == "286000.00"
    assert box_c["box_6_medicare_tax"] == "4921.00"  # 4,147.00 + 774.00 Additional
    box_a = boxes[str(a)]
    assert (
        box_a["box_1_wages"],
        box_a["box_3_social_security_wages"],
        box_a["box_4_social_security_tax"],
        box_a["box_6_medicare_tax"],
    ) == ("12370.35", "12370.35", "766.95", "179.37")
    assert boxes[str(b)]["box_4_social_security_tax"] == "1395.00"

    # The liabilities equal the payslips; a remittance clears, a stray posting is found.
    source = DatabaseLogSource(desk.system.database)
    assert liability_findings(source) == []
    liabilities = by_key(report(desk, "payroll-liabilities", {}))
    fit = liabilities["Liabilities:Payroll:federal_income_tax/USD"]
    assert fit["owed"] == fit["ledger_balance"] == money(income_tax)
    payment_id = uuid4()
    desk.payroll.remit(
        PREPARER,
        payment_id=payment_id,
        line_code="federal_income_tax",
        amount=money(income_tax),
        asset="USD",
        value_date="2025-04-15",
        authority={"name": "United States Treasury", "reference": "IRS-EFTPS"},
        payee_account={"country": "US", "bank_code": "021000021", "account_number": "555000"},
    )
    desk.payments.screen(PREPARER, payment_id)
    for approver in (APPROVER_1, APPROVER_2):
        if desk.payments.get(payment_id).status != FUNDS_RESERVED:
            desk.payments.approve(approver, payment_id)
    desk.payments.submit(PREPARER, payment_id, "EFTPS-1")
    desk.payments.settle(PREPARER, payment_id)
    fit = by_key(report(desk, "payroll-liabilities", {}))[
        "Liabilities:Payroll:federal_income_tax/USD"
    ]
    assert (fit["remitted"], fit["owed"], fit["ledger_balance"], fit["difference"]) == (
        money(income_tax),
        "0.00",
        "0.00",
        "0.00",
    )
    assert liability_findings(source) == []
    desk.app.post_journal_entry(
        PostJournalEntry(
            context=SETUP,
            idempotency_key="stray",
            effective_date="2025-04-30",
            postings=[
                {
                    "account": "Liabilities:Payroll:futa",
                    "direction": "debit",
                    "amount": "1.00",
                    "asset": "USD",
                },
                {"account": "Assets:Bank", "direction": "credit", "amount": "1.00", "asset": "USD"},
            ],
        )
    )
    [finding] = liability_findings(source)
    assert "Liabilities:Payroll:futa (USD)" in finding.detail
    assert "ledger balance 125.00, owed by the payslips 126.00" in finding.detail


def test_indonesian_spt_masa_1721_a1_and_bpjs_figures_match_the_payslips(desk: Desk) -> None:
    d = hire_id(desk, "ID-001", "8000000", ptkp_status="TK/0")
    e = hire_id(desk, "ID-002", "15000000", ptkp_status="K/1")
    run = pay_month(desk, "id-monthly", "ID", 2025, 1)
    slip_d = next(slip for slip in run.payslips if slip["employee_id"] == str(d))
    slip_e = next(slip for slip in run.payslips if slip["employee_id"] == str(e))
    assert line_amount(slip_d, "pph21") == 12_544_800
    assert line_amount(slip_e, "pph21") == 93_366_000

    spt = report(desk, "payroll-pph21-monthly", {"period": "2025-01"})
    [row] = spt["rows"]
    assert (
        row["key"],
        row["employee_count"],
        row["gross"],
        row["pph21_withheld"],
        row["pph21_returned"],
        row["pph21_net"],
    ) == ("21-100-01", 2, "23924200.00", "1059108.00", "0.00", "1059108.00")
    [nil] = report(desk, "payroll-pph21-monthly", {"period": "2025-02"})["rows"]
    assert (nil["employee_count"], nil["pph21_net"]) == (0, "0.00")

    bpjs = by_key(report(desk, "payroll-bpjs-monthly", {"period": "2025-01"}))
    assert [bpjs[key]["wage_base"] for key in ("bpjs_kesehatan", "jht", "jp", "jkk", "jkm")] == [
        "20000000.00",
        "23000000.00",
        "18042300.00",
        "23000000.00",
        "23000000.00",
    ]
    figures = {
        key: (
            bpjs[key]["employee_contribution"],
            bpjs[key]["employer_contribution"],
            bpjs[key]["total"],
        )
        for key in bpjs
    }
    assert figures == {
        "bpjs_kesehatan": ("200000.00", "800000.00", "1000000.00"),
        "jht": ("460000.00", "851000.00", "1311000.00"),
        "jp": ("180423.00", "360846.00", "541269.00"),
        "jkk": ("0.00", "55200.00", "55200.00"),
        "jkm": ("0.00", "69000.00", "69000.00"),
    }

    a1 = report(desk, "payroll-1721-a1", {"year": "2025"})
    assert_no_personal_data(a1)
    row_d = by_key(a1)[str(d)]
    assert row_d["employee_reference"] == "ID-001" and row_d["ptkp_status"] == "TK/0"
    assert (
        row_d["line_01_salary"],
        row_d["line_05_insurance_premiums"],
        row_d["line_08_gross"],
        row_d["line_09_biaya_jabatan"],
        row_d["line_10_jht_jp"],
        row_d["line_11_deductions"],
        row_d["line_12_net"],
        row_d["line_15_ptkp"],
        row_d["line_16_pkp"],
        row_d["line_17_pph21_on_pkp"],
        row_d["line_20_pph21_withheld"],
    ) == (
        "8000000.00",
        "363200.00",
        "8363200.00",
        "418160.00",
        "240000.00",
        "658160.00",
        "7705040.00",
        "54000000.00",
        "0.00",
        "0.00",
        "125448.00",
    )
    row_e = by_key(a1)[str(e)]
    assert row_e["line_08_gross"] == "15561000.00"
    assert row_e["line_10_jht_jp"] == "400423.00"
    assert row_e["line_20_pph21_withheld"] == "933660.00"
    assert liability_findings(DatabaseLogSource(desk.system.database)) == []


def test_payroll_report_parameters_are_checked(desk: Desk) -> None:
    service = ReportService(desk.system.database, desk.app)
    for name, parameters in (
        ("payroll-941", {"quarter": "2025-Q5"}),
        ("payroll-941", {}),
        ("payroll-940", {"year": "25"}),
        ("payroll-w2", {"year": "abcd"}),
        ("payroll-pph21-monthly", {"period": "2025-13"}),
        ("payroll-register", {}),
    ):
        with pytest.raises(InvalidInput):
            service.prepare(name, parameters)


def test_a_filed_941_reproduces_and_explains_its_figures_from_the_run_events(desk: Desk) -> None:
    hire_us(desk, "US-0001", "5000.00")
    run = pay_month(desk, "us-monthly", "US", 2025, 1)
    service = ReportService(desk.system.database, desk.app)
    filed = service.file(SETUP, "payroll-941", {"quarter": "2025-Q1"}, None)
    before = service.summary(service.prepare("payroll-941", {"quarter": "2025-Q1"}))
    # An event out of the report's scope leaves the digest as it was.
    desk.app.post_journal_entry(
        PostJournalEntry(
            context=SETUP,
            idempotency_key="unrelated",
            effective_date="2025-02-01",
            postings=[
                {"account": "Assets:Bank", "direction": "debit", "amount": "1.00", "asset": "USD"},
                {
                    "account": "Equity:Capital",
                    "direction": "credit",
                    "amount": "1.00",
                    "asset": "USD",
                },
            ],
        )
    )
    after = service.summary(service.prepare("payroll-941", {"quarter": "2025-Q1"}))
    assert after["digest"] == before["digest"] == filed["digest"]
    assert service.filing(UUID(filed["filing_id"]))["reproduction"]["matches"]
    explained = service.explain(UUID(filed["filing_id"]), row_key="2")
    assert explained["row"]["amount"] == "5000.00"
    assert [event["event_type"] for event in explained["events"]] == [
        "PayrollRunOpened",
        "PayrollRunCalculated",
        "PayrollRunPaid",
    ]
    assert {event["aggregate_id"] for event in explained["events"]} == {str(run.id)}
