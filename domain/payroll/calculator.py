"""The payroll calculator: one entry point, ``calculate(request) -> Payslip``.

Why a thin composition: the rules live in ``us_federal`` and ``indonesia``
and the figures in ``rules``; this module only picks the rule set for the
request's jurisdiction and year, adds up earnings, lays the lines out in a
fixed order (every line of the jurisdiction, zero when nothing is due), and
carries the year-to-date figures forward. ``parse_calculation_request`` and
``payslip_to_dict`` are re-exported so an HTTP adapter needs only this module.
"""

from __future__ import annotations

from fractions import Fraction

from domain.kernel.money import ISO_CURRENCY_SCALES, format_amount
from domain.payroll import indonesia, us_federal
from domain.payroll.payslip import (
    EARNING,
    EMPLOYEE_TAX,
    Payslip,
    PayslipLine,
    net_of,
    payslip_to_dict,
)
from domain.payroll.requests import (
    PAY_PERIODS_PER_YEAR,
    CalculationRequest,
    Earning,
    IdCalculationRequest,
    UsCalculationRequest,
    parse_calculation_request,
)
from domain.payroll.rules import indonesia_rule_set_for, us_federal_rule_set_for

__all__ = ["calculate", "parse_calculation_request", "payslip_to_dict"]

_US_REGULAR = frozenset({"regular", "overtime", "allowance"})
_ID_BPJS_BASE = frozenset({"regular", "allowance"})


def calculate(request: CalculationRequest) -> Payslip:
    """Compute one payslip; raises ``NoRuleSet`` for a year without rules."""
    if isinstance(request, UsCalculationRequest):
        return _calculate_us(request)
    return _calculate_id(request)


def _earning_lines(earnings: tuple[Earning, ...], rule_set: str) -> list[PayslipLine]:
    return [PayslipLine(e.code, EARNING, e.amount_minor, Fraction(e.amount_minor), e.amount_minor,
                        None, rule_set) for e in earnings]


def _sum(earnings: tuple[Earning, ...], codes: frozenset[str]) -> int:
    return sum(e.amount_minor for e in earnings if e.code in codes)


def _calculate_us(request: UsCalculationRequest) -> Payslip:
    rules = us_federal_rule_set_for(request.tax_year)
    periods = PAY_PERIODS_PER_YEAR[request.pay_frequency]
    ytd = request.year_to_date
    gross = _sum(request.earnings, _US_REGULAR | {"bonus"})
    regular = _sum(request.earnings, _US_REGULAR)
    bonus = _sum(request.earnings, frozenset({"bonus"}))
    worksheet: dict[str, str] | None = None
    table_row: dict[str, str] | None = None
    regular_tax, regular_exact = 0, Fraction(0)
    if regular > 0:
        regular_tax, regular_exact, worksheet, table_row = us_federal.worksheet_1a(
            rules, periods, request.filing_status, request.w4, regular)
    bonus_tax, bonus_exact, bonus_text = us_federal.supplemental(
        rules, bonus, ytd.supplemental_wages_minor)
    income_tax = PayslipLine(
        "federal_income_tax", EMPLOYEE_TAX, regular_tax + bonus_tax, regular_exact + bonus_exact,
        gross, None, rules.version,
        f"Pub. 15-T Worksheet 1A on regular wages {format_amount(regular, 2)}; {bonus_text}"
        if regular else f"no regular wages: Worksheet 1A not applied; {bonus_text}",
        table_row=table_row, worksheet=worksheet)
    fica, ss_wages = us_federal.fica_lines(rules, gross, ytd.social_security_wages_minor,
                                           ytd.medicare_wages_minor)
    futa, futa_wages = us_federal.futa_line(rules, gross, ytd.futa_wages_minor)
    lines = (*_earning_lines(request.earnings, rules.version), income_tax, *fica, futa)
    return Payslip(
        jurisdiction="US", tax_year=rules.tax_year, asset=rules.asset,
        scale=ISO_CURRENCY_SCALES[rules.asset], rule_set=rules.version, gross_minor=gross,
        net_minor=net_of(gross, lines), lines=lines,
        year_to_date_after={
            "wages": ytd.wages_minor + gross,
            "supplemental_wages": ytd.supplemental_wages_minor + bonus,
            "social_security_wages": ytd.social_security_wages_minor + ss_wages,
            "medicare_wages": ytd.medicare_wages_minor + gross,
            "futa_wages": ytd.futa_wages_minor + futa_wages,
        },
    )


def _calculate_id(request: IdCalculationRequest) -> Payslip:
    rules = indonesia_rule_set_for(request.tax_year)
    ytd = request.year_to_date
    gross = _sum(request.earnings, frozenset({"regular", "overtime", "allowance", "bonus"}))
    bpjs = indonesia.bpjs_lines(rules, request.month, _sum(request.earnings, _ID_BPJS_BASE),
                                request.jkk_rate_percent)
    taxable = gross + sum(bpjs[code].amount_minor
                          for code in ("jkk_employer", "jkm_employer", "bpjs_kesehatan_employer"))
    jht_jp = bpjs["jht"].amount_minor + bpjs["jp"].amount_minor
    if request.month == 12 or request.last_month_of_employment:
        amount, worksheet, steps = indonesia.annual_recalculation(
            rules, request.ptkp_status, ytd.taxable_gross_minor + taxable,
            ytd.employee_jht_jp_minor + jht_jp, ytd.pph21_withheld_minor)
        pph21 = PayslipLine(
            "pph21", EMPLOYEE_TAX, amount, Fraction(amount), taxable, None, rules.version,
            "last month: UU PPh Pasal 17 on the year, less PPh 21 withheld before"
            " (negative = refund to the employee)", worksheet=worksheet, steps=steps)
    else:
        amount, exact, worksheet, table_row = indonesia.ter_withholding(
            rules, request.ptkp_status, taxable)
        pph21 = PayslipLine(
            "pph21", EMPLOYEE_TAX, amount, exact, taxable, worksheet["ter_rate_percent"],
            rules.version, "TER of the month's gross incl. employer JKK, JKM, BPJS Kesehatan",
            table_row=table_row, worksheet=worksheet)
    order = ("bpjs_kesehatan", "jht", "jp", "bpjs_kesehatan_employer", "jht_employer",
             "jp_employer", "jkk_employer", "jkm_employer")
    lines = (*_earning_lines(request.earnings, rules.version), pph21,
             *(bpjs[code] for code in order))
    return Payslip(
        jurisdiction="ID", tax_year=rules.tax_year, asset=rules.asset,
        scale=ISO_CURRENCY_SCALES[rules.asset], rule_set=rules.version, gross_minor=gross,
        net_minor=net_of(gross, lines), lines=lines,
        year_to_date_after={
            "taxable_gross": ytd.taxable_gross_minor + taxable,
            "pph21_withheld": ytd.pph21_withheld_minor + amount,
            "employee_jht_jp": ytd.employee_jht_jp_minor + jht_jp,
        },
    )
