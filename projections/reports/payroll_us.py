"""US federal payroll tax reports from the paid runs' payslips (pay date decides).

- ``payroll-941`` (``quarter`` YYYY-Qn): Form 941 Part 1 lines. 1 employees
  paid for a pay period that includes the 12th of the quarter's third month;
  2 wages (every earning: the gross); 3 federal income tax withheld; 5a
  column 1 the Social Security wages (the payslips' taxable bases, to the
  wage base), column 2 = column 1 x 0.124; 5c Medicare wages x 0.029; 5d
  wages subject to Additional Medicare withholding x 0.009; 5e = 5a + 5c + 5d
  column 2; 6 = 3 + 5e; 7 the current quarter's fractions of cents: the
  Social Security and Medicare actually withheld and owed (employee and
  employer lines, each rounded per payslip) minus 5e; 10 = 6 + 7. Lines 4,
  5b, 5f, 8 and 9 are zero (no tips, no section 3121(q) notices, no sick
  pay or tips adjustments) and not shown.
- ``payroll-940`` (``year``): Form 940 Part 2 and Part 5. 3 total payments to
  all employees; 4 exempt payments (none); 5 payments above 7,000.00 per
  employee (3 less the FUTA wages); 6 = 4 + 5; 7 FUTA wages = 3 - 6; 8 = 7 x
  0.006 (6.0% less the maximum 5.4% credit; no credit reduction state); 12 =
  8; 16a-16d the FUTA lines of the payslips paid in each quarter; 17 their sum.
- ``payroll-w2`` (``year``): Form W-2 boxes 1-6 per employee. 1 wages (the
  gross: the back office has no pre-tax deductions), 2 federal income tax,
  3 Social Security wages, 4 Social Security tax, 5 Medicare wages, 6
  Medicare tax (Additional Medicare included, as the W-2 instructions say).

Rows carry the employee reference and subject id, never a name or tax id.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from domain.kernel.money import format_amount
from projections.reports.framework import LogSource, ReportRow, ReportRun, ranges_text
from projections.reports.parameters import period_bounds
from projections.reports.payroll_fold import (
    PAYROLL_SCOPE,
    QUARTER,
    SCALE,
    YEAR,
    RunRecord,
    base_sum,
    by_employee,
    check_quarter,
    check_year,
    fold_payroll,
    line_sum,
    quarter_months,
    run_positions,
    year_months,
)

ASSET = "USD"
FUTA_WAGE_BASE_MINOR = 700_000  # 7,000.00 (FUTA, 26 U.S.C. 3306(b)(1))


def times_rate(amount_minor: int, numerator: int, denominator: int) -> int:
    """``amount x numerator / denominator`` rounded half up to the cent (amount >= 0)."""
    sign = -1 if amount_minor < 0 else 1
    value = abs(amount_minor) * numerator
    return sign * ((2 * value + denominator) // (2 * denominator))


def _money(minor: int | None) -> str | None:
    return None if minor is None else format_amount(minor, SCALE)


def _line(key: str, description: str, amount: int | None, positions: list[int], *,
          wages: int | None = None, rate: str | None = None, count: int | None = None
          ) -> ReportRow:
    values: dict[str, Any] = {
        "description": description, "wages": _money(wages), "rate": rate,
        "amount": None if count is not None else _money(amount), "count": count,
        "asset": ASSET, "positions": ranges_text(positions),
    }
    return ReportRow(key, values, positions)


LINE_COLUMNS = ("key", "description", "wages", "rate", "amount", "count", "asset", "positions")


class Form941Report:
    name = "payroll-941"
    title = "US Form 941: employer's quarterly federal tax return, Part 1 lines"
    parameters = (QUARTER,)
    scope = PAYROLL_SCOPE
    columns = LINE_COLUMNS

    def validate(self, parameters: dict[str, str]) -> None:
        check_quarter(parameters)

    def compute(self, source: LogSource, as_of_position: int, parameters: Mapping[str, str]
                ) -> ReportRun:
        year, quarter = check_quarter(dict(parameters))
        months = quarter_months(quarter)
        fold = fold_payroll(source, as_of_position)
        runs = fold.paid_runs("US", [f"{year}-{month:02d}" for month in months])
        twelfth = f"{year}-{months[2]:02d}-12"
        context = {"quarter": f"{year}-Q{quarter}", "asset": ASSET,
                   "pay_dates_from": f"{year}-{months[0]:02d}-01",
                   "pay_dates_to": period_bounds(f"{year}-{months[2]:02d}")[1],
                   "runs": [run.run_id for run in runs],
                   "line_1_pay_period_including": twelfth}
        return ReportRun(context, self._rows(runs, twelfth))

    @staticmethod
    def _rows(runs: list[RunRecord], twelfth: str) -> Iterator[ReportRow]:
        slips = [slip for run in runs for slip in run.payslips]
        positions = run_positions(runs)
        twelfth_runs = [run for run in runs
                        if run.opened["period_start"] <= twelfth <= run.opened["period_end"]]
        employees = {slip["employee_id"] for run in twelfth_runs for slip in run.payslips}
        wages = sum(int(slip["gross_minor"]) for slip in slips)
        income_tax = sum(line_sum(slip, "federal_income_tax") for slip in slips)
        ss_wages = sum(base_sum(slip, "social_security") for slip in slips)
        medicare_wages = sum(base_sum(slip, "medicare") for slip in slips)
        additional_wages = sum(base_sum(slip, "additional_medicare") for slip in slips)
        ss_tax = times_rate(ss_wages, 124, 1000)
        medicare_tax = times_rate(medicare_wages, 29, 1000)
        additional_tax = times_rate(additional_wages, 9, 1000)
        line_5e = ss_tax + medicare_tax + additional_tax
        actual = sum(line_sum(slip, "social_security", "social_security_employer", "medicare",
                              "medicare_employer", "additional_medicare") for slip in slips)
        line_6 = income_tax + line_5e
        line_7 = actual - line_5e
        yield _line("1", "Number of employees who received wages for the pay period "
                    "including the 12th of the quarter's third month", None,
                    run_positions(twelfth_runs), count=len(employees))
        yield _line("2", "Wages, tips, and other compensation", wages, positions)
        yield _line("3", "Federal income tax withheld from wages", income_tax, positions)
        yield _line("5a", "Taxable social security wages", ss_tax, positions,
                    wages=ss_wages, rate="0.124")
        yield _line("5c", "Taxable Medicare wages & tips", medicare_tax, positions,
                    wages=medicare_wages, rate="0.029")
        yield _line("5d", "Taxable wages & tips subject to Additional Medicare Tax "
                    "withholding", additional_tax, positions, wages=additional_wages,
                    rate="0.009")
        yield _line("5e", "Total social security and Medicare taxes", line_5e, positions)
        yield _line("6", "Total taxes before adjustments", line_6, positions)
        yield _line("7", "Current quarter's adjustment for fractions of cents", line_7,
                    positions)
        yield _line("10", "Total taxes after adjustments", line_6 + line_7, positions)


class Form940Report:
    name = "payroll-940"
    title = "US Form 940: employer's annual FUTA tax return, Parts 2 and 5"
    parameters = (YEAR,)
    scope = PAYROLL_SCOPE
    columns = LINE_COLUMNS

    def validate(self, parameters: dict[str, str]) -> None:
        check_year(parameters)

    def compute(self, source: LogSource, as_of_position: int, parameters: Mapping[str, str]
                ) -> ReportRun:
        year = check_year(dict(parameters))
        fold = fold_payroll(source, as_of_position)
        runs = fold.paid_runs("US", year_months(year))
        context = {"year": year, "asset": ASSET, "runs": [run.run_id for run in runs],
                   "futa_wage_base": format_amount(FUTA_WAGE_BASE_MINOR, SCALE),
                   "credit_reduction_states": []}
        return ReportRun(context, self._rows(runs))

    @staticmethod
    def _rows(runs: list[RunRecord]) -> Iterator[ReportRow]:
        positions = run_positions(runs)
        slips = [slip for run in runs for slip in run.payslips]
        total = sum(int(slip["gross_minor"]) for slip in slips)
        futa_wages = sum(base_sum(slip, "futa") for slip in slips)
        line_5 = total - futa_wages
        line_8 = times_rate(futa_wages, 6, 1000)
        yield _line("3", "Total payments to all employees", total, positions)
        yield _line("4", "Payments exempt from FUTA tax", 0, positions)
        yield _line("5", "Total of payments made to each employee in excess of $7,000",
                    line_5, positions)
        yield _line("6", "Subtotal (line 4 + line 5)", line_5, positions)
        yield _line("7", "Total taxable FUTA wages (line 3 - line 6)", futa_wages, positions,
                    rate=None)
        yield _line("8", "FUTA tax before adjustments (line 7 x 0.006)", line_8, positions,
                    wages=futa_wages, rate="0.006")
        yield _line("12", "Total FUTA tax after adjustments", line_8, positions)
        quarterly_total = 0
        for quarter, letter in zip((1, 2, 3, 4), "abcd", strict=True):
            months = {f"{month:02d}" for month in quarter_months(quarter)}
            in_quarter = [run for run in runs if run.pay_date[5:7] in months]
            amount = sum(line_sum(slip, "futa") for run in in_quarter for slip in run.payslips)
            quarterly_total += amount
            yield _line(f"16{letter}", f"FUTA tax liability, quarter {quarter}", amount,
                        run_positions(in_quarter))
        yield _line("17", "Total tax liability for the year (the FUTA lines as rounded "
                    "per payslip)", quarterly_total, positions)


class FormW2Report:
    name = "payroll-w2"
    title = "US Form W-2 boxes 1-6, per employee and year"
    parameters = (YEAR,)
    scope = PAYROLL_SCOPE
    columns = (
        "key", "employee_reference", "subject_id", "box_1_wages",
        "box_2_federal_income_tax", "box_3_social_security_wages",
        "box_4_social_security_tax", "box_5_medicare_wages", "box_6_medicare_tax",
        "asset", "payslip_count", "positions",
    )

    def validate(self, parameters: dict[str, str]) -> None:
        check_year(parameters)

    def compute(self, source: LogSource, as_of_position: int, parameters: Mapping[str, str]
                ) -> ReportRun:
        year = check_year(dict(parameters))
        fold = fold_payroll(source, as_of_position)
        runs = fold.paid_runs("US", year_months(year))
        context = {"year": year, "asset": ASSET, "runs": [run.run_id for run in runs]}

        def rows() -> Iterator[ReportRow]:
            for item in by_employee(fold, runs):
                slips = [slip for _run, slip in item.slips]
                positions = item.positions()
                values = {
                    "employee_reference": item.employee.reference if item.employee else None,
                    "subject_id": str(slips[0]["subject_id"]),
                    "box_1_wages": _money(sum(int(slip["gross_minor"]) for slip in slips)),
                    "box_2_federal_income_tax": _money(
                        sum(line_sum(slip, "federal_income_tax") for slip in slips)),
                    "box_3_social_security_wages": _money(
                        sum(base_sum(slip, "social_security") for slip in slips)),
                    "box_4_social_security_tax": _money(
                        sum(line_sum(slip, "social_security") for slip in slips)),
                    "box_5_medicare_wages": _money(
                        sum(base_sum(slip, "medicare") for slip in slips)),
                    "box_6_medicare_tax": _money(
                        sum(line_sum(slip, "medicare", "additional_medicare")
                            for slip in slips)),
                    "asset": ASSET, "payslip_count": len(slips),
                    "positions": ranges_text(positions),
                }
                yield ReportRow(item.employee_id, values, positions)

        return ReportRun(context, rows())


REPORTS = (Form941Report(), Form940Report(), FormW2Report())
