"""US federal payroll: Pub. 15-T Worksheet 1A, FICA, Additional Medicare, FUTA.

Why one module: these are the rules of one publication family applied to one
pay period; each function takes plain values and a rule set and returns a
``PayslipLine``, so each rule is testable on its own.

Rounding (documented once, applied everywhere here):
- Worksheet 1A is computed exactly; lines 2h and 3b (an annual figure divided
  by the pay periods) are rounded half up to the cent, so 3c and 4b are cents
  and every printed line adds up. Pub. 15-T permits (but does not require)
  whole-dollar rounding; this calculator keeps cents.
- Every other tax is rate x base, exact, rounded half up to the cent once per
  line; ``exact_minor`` keeps the unrounded value for the Form 941 line 7
  fractions-of-cents adjustment.
Regular, overtime and allowance earnings are regular wages for income tax
(Pub. 15 section 7 lets an employer treat overtime as regular wages); bonus is
a supplemental wage identified separately and withheld at the flat rate (method
1a), with the mandatory rate on the part above the year's threshold. A period
with no regular wages does not run Worksheet 1A (Step 4(c) extra withholding
applies to regular pay). Every earning is FICA and FUTA wages (no pre-tax
deductions are modelled).
"""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction

from domain.kernel.money import format_amount
from domain.payroll.arithmetic import format_exact, format_percent, percent_of, round_half_up
from domain.payroll.payslip import EMPLOYEE_TAX, EMPLOYER_CONTRIBUTION, PayslipLine
from domain.payroll.requests import W4Form2019, W4Form2020
from domain.payroll.rules.types import PercentageRow, UsFederalRuleSet

SCALE = 2
_MFJ = "married_filing_jointly"


def _money(value: Fraction) -> str:
    return format_exact(value, SCALE)


def _table(rules: UsFederalRuleSet, filing_status: str | None,
           w4: W4Form2020 | W4Form2019) -> tuple[str, tuple[PercentageRow, ...]]:
    if isinstance(w4, W4Form2019):
        # Pub. 15-T: a 2019-or-earlier W-4 uses the STANDARD tables, married -> MFJ,
        # single -> single; never head of household.
        status = _MFJ if w4.marital == "married" else "single"
        return f"STANDARD {status}", rules.standard[status]
    status = filing_status or "single"
    if status == "married_filing_separately":
        status = "single"  # the table is "Single or Married Filing Separately"
    tables = rules.step2_checkbox if w4.step2_checkbox else rules.standard
    label = "Step 2 Checkbox" if w4.step2_checkbox else "STANDARD"
    return f"{label} {status}", tables[status]


def _adjusted_annual_wage(rules: UsFederalRuleSet, filing_status: str | None,
                          w4: W4Form2020 | W4Form2019, line_1c: int,
                          lines: dict[str, str]) -> int:
    """Worksheet 1A Step 1 after line 1c: lines 1d-1i (2020+) or 1j-1l (2019-)."""
    if isinstance(w4, W4Form2019):
        line_1k = w4.allowances * rules.allowance_minor
        line_1l = max(0, line_1c - line_1k)
        lines.update({"1j": str(w4.allowances), "1k": format_amount(line_1k, SCALE),
                      "1l": format_amount(line_1l, SCALE)})
        return line_1l
    line_1e = line_1c + w4.step4a_other_income_minor
    if w4.step2_checkbox:
        line_1g = 0
    elif filing_status == _MFJ:
        line_1g = rules.line_1g_married_jointly_minor
    else:
        line_1g = rules.line_1g_other_minor
    line_1h = w4.step4b_deductions_minor + line_1g
    line_1i = max(0, line_1e - line_1h)
    lines.update({
        "1d": format_amount(w4.step4a_other_income_minor, SCALE),
        "1e": format_amount(line_1e, SCALE),
        "1f": format_amount(w4.step4b_deductions_minor, SCALE),
        "1g": format_amount(line_1g, SCALE), "1h": format_amount(line_1h, SCALE),
        "1i": format_amount(line_1i, SCALE),
    })
    return line_1i


def worksheet_1a(rules: UsFederalRuleSet, periods: int, filing_status: str | None,
                 w4: W4Form2020 | W4Form2019, wages_minor: int
                 ) -> tuple[int, Fraction, dict[str, str], dict[str, str]]:
    """Pub. 15-T Worksheet 1A for one period.

    Returns (4b in cents, the unrounded amount, every worksheet line, the table
    row used).
    """
    lines: dict[str, str] = {"1a": format_amount(wages_minor, SCALE), "1b": str(periods)}
    line_1c = wages_minor * periods
    lines["1c"] = format_amount(line_1c, SCALE)
    line_2a = _adjusted_annual_wage(rules, filing_status, w4, line_1c, lines)
    label, table = _table(rules, filing_status, w4)
    index = max(i for i, row in enumerate(table) if row.at_least_minor <= line_2a)
    row = table[index]
    line_2e = line_2a - row.at_least_minor
    line_2f = percent_of(line_2e, row.rate_percent)
    line_2g = row.tentative_minor + line_2f
    line_2h = round_half_up(line_2g / periods)
    credits = w4.step3_credits_minor if isinstance(w4, W4Form2020) else 0
    line_3b = round_half_up(Fraction(credits, periods))
    line_3c = max(0, line_2h - line_3b)
    extra = w4.step4c_extra_withholding_minor if isinstance(w4, W4Form2020) else w4.extra_minor
    line_4b = line_3c + extra
    exact = max(Fraction(0), line_2g / periods - Fraction(credits, periods)) + extra
    lines.update({
        "2a": format_amount(line_2a, SCALE), "2b": format_amount(row.at_least_minor, SCALE),
        "2c": format_amount(row.tentative_minor, SCALE), "2d": format_percent(row.rate_percent),
        "2e": format_amount(line_2e, SCALE), "2f": _money(line_2f), "2g": _money(line_2g),
        "2h": format_amount(line_2h, SCALE), "3a": format_amount(credits, SCALE),
        "3b": format_amount(line_3b, SCALE), "3c": format_amount(line_3c, SCALE),
        "4a": format_amount(extra, SCALE), "4b": format_amount(line_4b, SCALE),
    })
    upper = table[index + 1].at_least_minor if index + 1 < len(table) else None
    table_row = {
        "table": f"{rules.tax_year} Annual Percentage Method, {label}",
        "row": str(index + 1),
        "at_least": format_amount(row.at_least_minor, SCALE),
        "but_less_than": "" if upper is None else format_amount(upper, SCALE),
        "tentative_amount": format_amount(row.tentative_minor, SCALE),
        "rate_percent": format_percent(row.rate_percent),
    }
    return line_4b, exact, lines, table_row


def supplemental(rules: UsFederalRuleSet, bonus_minor: int, ytd_supplemental_minor: int
                 ) -> tuple[int, Fraction, str]:
    """Flat-rate withholding on supplemental wages (Pub. 15 section 7, method 1a),
    mandatory rate on the part that takes the year's total past the threshold."""
    threshold = rules.supplemental_mandatory_threshold_minor
    room = max(0, threshold - ytd_supplemental_minor)
    flat_part = min(bonus_minor, room)
    mandatory_part = bonus_minor - flat_part
    exact = (percent_of(flat_part, rules.supplemental_flat_rate_percent)
             + percent_of(mandatory_part, rules.supplemental_mandatory_rate_percent))
    text = (f"supplemental {format_amount(bonus_minor, SCALE)}: "
            f"{format_percent(rules.supplemental_flat_rate_percent)}% of "
            f"{format_amount(flat_part, SCALE)} + "
            f"{format_percent(rules.supplemental_mandatory_rate_percent)}% of "
            f"{format_amount(mandatory_part, SCALE)} above the year's "
            f"{format_amount(threshold, SCALE)}")
    return round_half_up(exact), exact, text


def rate_line(code: str, kind: str, base_minor: int, rate_percent: Decimal,
              rules: UsFederalRuleSet, explanation: str) -> PayslipLine:
    """A line that is ``rate_percent`` of ``base_minor``, rounded half up to the cent."""
    exact = percent_of(base_minor, rate_percent)
    return PayslipLine(code, kind, round_half_up(exact), exact, base_minor,
                       format_percent(rate_percent), rules.version, explanation)


def fica_lines(rules: UsFederalRuleSet, wages_minor: int, ytd_ss_minor: int,
               ytd_medicare_minor: int) -> tuple[list[PayslipLine], int]:
    """Social Security (to the wage base), Medicare, Additional Medicare lines,
    employee and employer; returns them and the Social Security wages taxed."""
    base = rules.social_security_wage_base_minor
    ss_wages = min(wages_minor, max(0, base - ytd_ss_minor))
    threshold = rules.additional_medicare_threshold_minor
    above = (max(0, ytd_medicare_minor + wages_minor - threshold)
             - max(0, ytd_medicare_minor - threshold))
    ss_text = (f"6.2% each up to the {format_amount(base, SCALE)} wage base; "
               f"{format_amount(min(ytd_ss_minor, base), SCALE)} taxed earlier this year")
    lines = [
        rate_line("social_security", EMPLOYEE_TAX, ss_wages, rules.social_security_rate_percent,
                  rules, ss_text),
        rate_line("medicare", EMPLOYEE_TAX, wages_minor, rules.medicare_rate_percent, rules,
                  "no wage base"),
        rate_line("additional_medicare", EMPLOYEE_TAX, above,
                  rules.additional_medicare_rate_percent, rules,
                  f"employee only, on Medicare wages above {format_amount(threshold, SCALE)}"
                  " in the calendar year"),
        rate_line("social_security_employer", EMPLOYER_CONTRIBUTION, ss_wages,
                  rules.social_security_rate_percent, rules, ss_text),
        rate_line("medicare_employer", EMPLOYER_CONTRIBUTION, wages_minor,
                  rules.medicare_rate_percent, rules, "no wage base"),
    ]
    return lines, ss_wages


def futa_line(rules: UsFederalRuleSet, wages_minor: int, ytd_futa_minor: int
              ) -> tuple[PayslipLine, int]:
    """FUTA at the gross rate less the maximum state credit, on the first wages of
    the year up to the FUTA wage base."""
    base = rules.futa_wage_base_minor
    futa_wages = min(wages_minor, max(0, base - ytd_futa_minor))
    net_rate = rules.futa_gross_rate_percent - rules.futa_credit_percent
    text = (f"{format_percent(rules.futa_gross_rate_percent)}% gross less the "
            f"{format_percent(rules.futa_credit_percent)}% maximum state credit = "
            f"{format_percent(net_rate)}% on the first {format_amount(base, SCALE)}")
    return rate_line("futa", EMPLOYER_CONTRIBUTION, futa_wages, net_rate, rules, text), futa_wages
