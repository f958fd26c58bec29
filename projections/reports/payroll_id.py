"""Indonesian payroll reports from the paid runs' payslips (pay date decides).

- ``payroll-pph21-monthly`` (``period`` YYYY-MM): the SPT Masa PPh 21 summary
  for permanent employees (tax object 21-100-01): employees, gross (the
  month's taxable gross: earnings plus the employer-paid JKK, JKM and BPJS
  Kesehatan premiums, i.e. the PPh 21 lines' bases), PPh 21 withheld, PPh 21
  returned (a December true-up that returns over-withholding) and their net.
  The row is there even when nothing was paid (a nil return is filed too).
- ``payroll-1721-a1`` (``year``): form 1721-A1 per employee and year: the
  income lines (1 salary, arrears included; 3 other allowances and overtime;
  5 insurance premiums paid by the employer; 7 bonus), 8 gross, 9 biaya
  jabatan, 10 JHT and JP contributions, 11-12 net, 15 PTKP, 16 PKP
  (rounded down to the thousand), 17 the Pasal 17 tax on it, 19 PPh 21 owed
  and 20 PPh 21 withheld (every PPh 21 line of the year, the December
  true-up included). Lines 9 and 15-17 are the calculator's annual
  recalculation (``domain.payroll.indonesia.annual_recalculation``) on the
  year's figures and the PTKP status in force at the year's last pay date;
  19 equals 20 once the last month of the year (or of employment) was paid.
  Lines 2, 4, 6, 13 and 18 are zero (no tax allowance, fees, benefits in
  kind or earlier employer) and shown as such.
- ``payroll-bpjs-monthly`` (``period``): BPJS contributions per programme
  (Kesehatan, JHT, JP, JKK, JKM): employees, the wage base (capped as the
  programme caps it), employee and employer contributions and their total.

Amounts are IDR with two decimals (ISO 4217); rows carry the employee
reference and subject id, never a name, NPWP or NIK.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from decimal import Decimal
from typing import Any

from domain.kernel.money import format_amount
from domain.payroll.indonesia import annual_recalculation
from domain.payroll.rules import indonesia_rule_set_for
from projections.reports.framework import LogSource, ReportRow, ReportRun, ranges_text
from projections.reports.payroll_fold import (
    MONTH,
    PAYROLL_SCOPE,
    SCALE,
    YEAR,
    base_sum,
    by_employee,
    check_year,
    fold_payroll,
    line_sum,
    run_positions,
    year_months,
)

ASSET = "IDR"
TAX_OBJECT_PERMANENT = "21-100-01"
EMPLOYER_PREMIUMS = ("jkk_employer", "jkm_employer", "bpjs_kesehatan_employer")
PROGRAMMES: tuple[tuple[str, str, str | None, str], ...] = (
    ("bpjs_kesehatan", "BPJS Kesehatan", "bpjs_kesehatan", "bpjs_kesehatan_employer"),
    ("jht", "BPJS Ketenagakerjaan: Jaminan Hari Tua", "jht", "jht_employer"),
    ("jp", "BPJS Ketenagakerjaan: Jaminan Pensiun", "jp", "jp_employer"),
    ("jkk", "BPJS Ketenagakerjaan: Jaminan Kecelakaan Kerja", None, "jkk_employer"),
    ("jkm", "BPJS Ketenagakerjaan: Jaminan Kematian", None, "jkm_employer"),
)


def _money(minor: int) -> str:
    return format_amount(minor, SCALE)


class Pph21MonthlyReport:
    name = "payroll-pph21-monthly"
    title = "Indonesia SPT Masa PPh 21: monthly summary of PPh 21 withheld"
    parameters = (MONTH,)
    scope = PAYROLL_SCOPE
    columns = ("key", "description", "employee_count", "gross", "pph21_withheld",
               "pph21_returned", "pph21_net", "asset", "positions")

    def validate(self, parameters: dict[str, str]) -> None:
        return None

    def compute(self, source: LogSource, as_of_position: int, parameters: Mapping[str, str]
                ) -> ReportRun:
        period = parameters["period"]
        fold = fold_payroll(source, as_of_position)
        runs = fold.paid_runs("ID", [period])
        context = {"period": period, "asset": ASSET, "runs": [run.run_id for run in runs]}

        def rows() -> Iterator[ReportRow]:
            slips = [slip for run in runs for slip in run.payslips]
            amounts = [line_sum(slip, "pph21") for slip in slips]
            positions = run_positions(runs)
            yield ReportRow(TAX_OBJECT_PERMANENT, {
                "description": "Pegawai tetap (permanent employees)",
                "employee_count": len({slip["employee_id"] for slip in slips}),
                "gross": _money(sum(base_sum(slip, "pph21") for slip in slips)),
                "pph21_withheld": _money(sum(amount for amount in amounts if amount > 0)),
                "pph21_returned": _money(-sum(amount for amount in amounts if amount < 0)),
                "pph21_net": _money(sum(amounts)),
                "asset": ASSET, "positions": ranges_text(positions),
            }, positions)

        return ReportRun(context, rows())


A1_ZERO_LINES = ("line_02_tax_allowance", "line_04_fees", "line_06_benefits_in_kind",
                 "line_13_net_previous_employer", "line_18_pph21_previous_employer")


class Form1721A1Report:
    name = "payroll-1721-a1"
    title = "Indonesia 1721-A1: annual PPh 21 statement per employee"
    parameters = (YEAR,)
    scope = PAYROLL_SCOPE
    columns = (
        "key", "employee_reference", "subject_id", "ptkp_status", "first_month",
        "last_month", "line_01_salary", "line_02_tax_allowance",
        "line_03_other_allowances_overtime", "line_04_fees",
        "line_05_insurance_premiums", "line_06_benefits_in_kind", "line_07_bonus",
        "line_08_gross", "line_09_biaya_jabatan", "line_10_jht_jp", "line_11_deductions",
        "line_12_net", "line_13_net_previous_employer", "line_14_net_for_pph21",
        "line_15_ptkp", "line_16_pkp", "line_17_pph21_on_pkp",
        "line_18_pph21_previous_employer", "line_19_pph21_owed", "line_20_pph21_withheld",
        "asset", "positions",
    )

    def validate(self, parameters: dict[str, str]) -> None:
        check_year(parameters)

    def compute(self, source: LogSource, as_of_position: int, parameters: Mapping[str, str]
                ) -> ReportRun:
        year = check_year(dict(parameters))
        fold = fold_payroll(source, as_of_position)
        runs = fold.paid_runs("ID", year_months(year))
        context = {"year": year, "asset": ASSET, "runs": [run.run_id for run in runs]}
        rules = indonesia_rule_set_for(year) if runs else None

        def rows() -> Iterator[ReportRow]:
            for item in by_employee(fold, runs):
                slips = [slip for _run, slip in item.slips]
                last_pay_date = max(run.pay_date for run, _slip in item.slips)
                positions = item.positions()
                ptkp_status = "TK/0"
                if item.employee is not None:
                    profile, profile_position = item.employee.profile_on(last_pay_date)
                    ptkp_status = str(profile["ptkp_status"])
                    positions = sorted({*positions, profile_position})
                salary = sum(line_sum(slip, "regular", "arrears") for slip in slips)
                other = sum(line_sum(slip, "allowance", "overtime") for slip in slips)
                premiums = sum(line_sum(slip, *EMPLOYER_PREMIUMS) for slip in slips)
                bonus = sum(line_sum(slip, "bonus") for slip in slips)
                gross = salary + other + premiums + bonus
                jht_jp = sum(line_sum(slip, "jht", "jp") for slip in slips)
                withheld = sum(line_sum(slip, "pph21") for slip in slips)
                assert rules is not None
                _tax, sheet, _steps = annual_recalculation(rules, ptkp_status, gross, jht_jp, 0)
                biaya = _minor(sheet["biaya_jabatan"])
                annual = _minor(sheet["annual_pph21"])
                values: dict[str, Any] = {
                    "employee_reference": item.employee.reference if item.employee else None,
                    "subject_id": str(slips[0]["subject_id"]), "ptkp_status": ptkp_status,
                    "first_month": min(run.pay_date for run, _slip in item.slips)[:7],
                    "last_month": last_pay_date[:7],
                    "line_01_salary": _money(salary), "line_02_tax_allowance": _money(0),
                    "line_03_other_allowances_overtime": _money(other),
                    "line_04_fees": _money(0), "line_05_insurance_premiums": _money(premiums),
                    "line_06_benefits_in_kind": _money(0), "line_07_bonus": _money(bonus),
                    "line_08_gross": _money(gross), "line_09_biaya_jabatan": _money(biaya),
                    "line_10_jht_jp": _money(jht_jp),
                    "line_11_deductions": _money(biaya + jht_jp),
                    "line_12_net": _money(gross - biaya - jht_jp),
                    "line_13_net_previous_employer": _money(0),
                    "line_14_net_for_pph21": _money(gross - biaya - jht_jp),
                    "line_15_ptkp": _money(_minor(sheet["ptkp"])),
                    "line_16_pkp": _money(_minor(sheet["pkp"])),
                    "line_17_pph21_on_pkp": _money(annual),
                    "line_18_pph21_previous_employer": _money(0),
                    "line_19_pph21_owed": _money(annual),
                    "line_20_pph21_withheld": _money(withheld),
                    "asset": ASSET, "positions": ranges_text(positions),
                }
                yield ReportRow(item.employee_id, values, positions)

        return ReportRun(context, rows())


def _minor(amount_text: str) -> int:
    """A worksheet amount (a decimal string of the asset's scale) in minor units."""
    return int(Decimal(amount_text.replace(",", "")).scaleb(SCALE))


class BpjsMonthlyReport:
    name = "payroll-bpjs-monthly"
    title = "Indonesia BPJS contributions per month: employee and employer per programme"
    parameters = (MONTH,)
    scope = PAYROLL_SCOPE
    columns = ("key", "programme", "employee_count", "wage_base", "employee_contribution",
               "employer_contribution", "total", "asset", "positions")

    def validate(self, parameters: dict[str, str]) -> None:
        return None

    def compute(self, source: LogSource, as_of_position: int, parameters: Mapping[str, str]
                ) -> ReportRun:
        period = parameters["period"]
        fold = fold_payroll(source, as_of_position)
        runs = fold.paid_runs("ID", [period])
        context = {"period": period, "asset": ASSET, "runs": [run.run_id for run in runs]}

        def rows() -> Iterator[ReportRow]:
            slips = [slip for run in runs for slip in run.payslips]
            positions = run_positions(runs)
            for key, label, employee_code, employer_code in PROGRAMMES:
                employee = (sum(line_sum(slip, employee_code) for slip in slips)
                            if employee_code else 0)
                employer = sum(line_sum(slip, employer_code) for slip in slips)
                covered = {slip["employee_id"] for slip in slips
                           if base_sum(slip, employer_code) > 0}
                yield ReportRow(key, {
                    "programme": label, "employee_count": len(covered),
                    "wage_base": _money(sum(base_sum(slip, employer_code) for slip in slips)),
                    "employee_contribution": _money(employee),
                    "employer_contribution": _money(employer),
                    "total": _money(employee + employer), "asset": ASSET,
                    "positions": ranges_text(positions),
                }, positions)

        return ReportRun(context, rows())


REPORTS = (Pph21MonthlyReport(), Form1721A1Report(), BpjsMonthlyReport())
