"""Indonesia: PPh 21 for permanent employees by TER, and BPJS contributions.

Why this shape: PP 58/2023 and PMK 168/2023 split the year in two. January to
November (and not the last month of employment) withhold a flat TER rate of
the month's gross, chosen by PTKP category; the last month (December, or the
month employment ends) recomputes the year under UU PPh Pasal 17 and withholds
the difference, which is negative (a refund) when TER over-withheld.

Bases and rounding (IDR minor units; one rupiah = 100 minor units):
- BPJS bases are regular + allowance earnings only, never bonus or overtime.
  BPJS Kesehatan uses the base capped at Rp12.000.000; JP uses the base capped
  at the JP cap in force for the pay month; JHT, JKK and JKM are uncapped.
- Each premium is rate x base, rounded half up to the whole rupiah.
- The month's taxable gross is every earning plus the employer-paid JKK, JKM
  and BPJS Kesehatan premiums as rounded (PMK 168/2023 Pasal 5: those premiums
  are the employee's income); employer JHT and JP are not.
- TER PPh 21 is TER rate x taxable gross, rounded half up to the rupiah (the
  regulation states no rounding; whole rupiah is what is deposited).
- Last month: biaya jabatan = 5% of the year's gross, rounded half up to the
  rupiah, at most Rp6.000.000 (the annual maximum is used even for a part year:
  the start month of employment is not an input); neto = gross - biaya jabatan
  - the employee's JHT + JP for the year; PKP = neto - PTKP, at least zero,
  rounded down to whole thousands (Pasal 17 ayat (4)); the Pasal 17 tax on it
  is exact in whole rupiah.
"""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction

from domain.kernel.money import format_amount
from domain.payroll.arithmetic import floor_to, format_percent, percent_of, round_half_up_to
from domain.payroll.payslip import EMPLOYEE_DEDUCTION, EMPLOYER_CONTRIBUTION, PayslipLine
from domain.payroll.rules.types import IndonesiaRuleSet, TerRow

SCALE = 2
RUPIAH_MINOR = 100


def _idr(value_minor: int) -> str:
    return format_amount(value_minor, SCALE)


def jp_cap_for(rules: IndonesiaRuleSet, month: int) -> int:
    """The JP wage cap in force for ``month`` of the rule set's year."""
    in_force = [cap for cap in rules.jp_wage_caps
                if (cap.effective_year, cap.effective_month) <= (rules.tax_year, month)]
    assert in_force, "a rule set carries the cap in force from January"
    return max(in_force, key=lambda cap: (cap.effective_year, cap.effective_month)).cap_minor


def premium(code: str, kind: str, base_minor: int, rate_percent: Decimal,
            rules: IndonesiaRuleSet, explanation: str) -> PayslipLine:
    """``rate_percent`` of ``base_minor``, rounded half up to the whole rupiah."""
    exact = percent_of(base_minor, rate_percent)
    return PayslipLine(code, kind, round_half_up_to(exact, RUPIAH_MINOR), exact, base_minor,
                       format_percent(rate_percent), rules.version, explanation)


def bpjs_lines(rules: IndonesiaRuleSet, month: int, bpjs_base_minor: int,
               jkk_rate_percent: Decimal) -> dict[str, PayslipLine]:
    """Every BPJS line, employee and employer, for one month."""
    kes_base = min(bpjs_base_minor, rules.kesehatan_wage_cap_minor)
    jp_cap = jp_cap_for(rules, month)
    jp_base = min(bpjs_base_minor, jp_cap)
    kes_text = f"wage capped at {_idr(rules.kesehatan_wage_cap_minor)}"
    jp_text = f"wage capped at {_idr(jp_cap)} (cap in force for month {month})"
    lines = (
        premium("bpjs_kesehatan", EMPLOYEE_DEDUCTION, kes_base,
                rules.kesehatan_employee_rate_percent, rules, kes_text),
        premium("jht", EMPLOYEE_DEDUCTION, bpjs_base_minor, rules.jht_employee_rate_percent,
                rules, "no wage cap"),
        premium("jp", EMPLOYEE_DEDUCTION, jp_base, rules.jp_employee_rate_percent, rules,
                jp_text),
        premium("bpjs_kesehatan_employer", EMPLOYER_CONTRIBUTION, kes_base,
                rules.kesehatan_employer_rate_percent, rules, kes_text),
        premium("jht_employer", EMPLOYER_CONTRIBUTION, bpjs_base_minor,
                rules.jht_employer_rate_percent, rules, "no wage cap"),
        premium("jp_employer", EMPLOYER_CONTRIBUTION, jp_base, rules.jp_employer_rate_percent,
                rules, jp_text),
        premium("jkk_employer", EMPLOYER_CONTRIBUTION, bpjs_base_minor, jkk_rate_percent, rules,
                "risk-group rate; part of the employee's taxable gross"),
        premium("jkm_employer", EMPLOYER_CONTRIBUTION, bpjs_base_minor, rules.jkm_rate_percent,
                rules, "part of the employee's taxable gross"),
    )
    return {line.code: line for line in lines}


def ter_row(rules: IndonesiaRuleSet, category: str, gross_minor: int) -> tuple[int, TerRow]:
    """The TER layer (1-based number, row) whose inclusive top holds ``gross_minor``."""
    for number, row in enumerate(rules.ter_tables[category], start=1):
        if row.up_to_minor is None or gross_minor <= row.up_to_minor:
            return number, row
    raise AssertionError("a TER table ends with an open layer")


def ptkp_of(rules: IndonesiaRuleSet, ptkp_status: str) -> int:
    """PTKP for a status such as ``K/2``: self, + married, + each dependant (max 3)."""
    marital, _, dependants_text = ptkp_status.partition("/")
    dependants = min(int(dependants_text), rules.ptkp_dependants_max)
    married = rules.ptkp_married_minor if marital == "K" else 0
    return rules.ptkp_self_minor + married + dependants * rules.ptkp_per_dependant_minor


def ter_withholding(rules: IndonesiaRuleSet, ptkp_status: str, taxable_gross_minor: int
                    ) -> tuple[int, Fraction, dict[str, str], dict[str, str]]:
    """January-November PPh 21: (amount, exact, worksheet, table row)."""
    category = rules.ter_category_by_ptkp[ptkp_status]
    number, row = ter_row(rules, category, taxable_gross_minor)
    exact = percent_of(taxable_gross_minor, row.rate_percent)
    amount = round_half_up_to(exact, RUPIAH_MINOR)
    worksheet = {"method": "TER", "ptkp_status": ptkp_status, "category": category,
                 "taxable_gross": _idr(taxable_gross_minor),
                 "ter_rate_percent": format_percent(row.rate_percent), "pph21": _idr(amount)}
    table_row = {"table": f"PP 58/2023 Tarif Efektif Bulanan Kategori {category}",
                 "layer": str(number),
                 "up_to": "" if row.up_to_minor is None else _idr(row.up_to_minor),
                 "rate_percent": format_percent(row.rate_percent)}
    return amount, exact, worksheet, table_row


def pasal17_tax(rules: IndonesiaRuleSet, pkp_minor: int) -> tuple[int, tuple[dict[str, str], ...]]:
    """UU PPh Pasal 17(1)(a) on ``pkp_minor``: (tax, one step per layer reached)."""
    tax = 0
    lower = 0
    steps = []
    for layer in rules.pasal17_layers:
        if pkp_minor <= lower:
            break
        upper = pkp_minor if layer.up_to_minor is None else min(pkp_minor, layer.up_to_minor)
        layer_tax = round_half_up_to(percent_of(upper - lower, layer.rate_percent), RUPIAH_MINOR)
        steps.append({"from": _idr(lower), "to": _idr(upper),
                      "rate_percent": format_percent(layer.rate_percent),
                      "tax": _idr(layer_tax)})
        tax += layer_tax
        lower = upper
    return tax, tuple(steps)


def annual_recalculation(rules: IndonesiaRuleSet, ptkp_status: str, annual_gross_minor: int,
                         annual_jht_jp_minor: int, withheld_before_minor: int
                         ) -> tuple[int, dict[str, str], tuple[dict[str, str], ...]]:
    """Last-month PPh 21: the year's Pasal 17 tax less what TER withheld before.

    Returns (this month's PPh 21, negative for a refund; worksheet; steps).
    """
    biaya = min(round_half_up_to(percent_of(annual_gross_minor, rules.biaya_jabatan_rate_percent),
                                 RUPIAH_MINOR),
                rules.biaya_jabatan_annual_max_minor)
    neto = annual_gross_minor - biaya - annual_jht_jp_minor
    ptkp = ptkp_of(rules, ptkp_status)
    pkp = floor_to(max(0, neto - ptkp), rules.pkp_rounding_minor)
    annual_tax, steps = pasal17_tax(rules, pkp)
    this_month = annual_tax - withheld_before_minor
    worksheet = {
        "method": "pasal17_annual", "ptkp_status": ptkp_status,
        "category": rules.ter_category_by_ptkp[ptkp_status],
        "annual_gross": _idr(annual_gross_minor), "biaya_jabatan": _idr(biaya),
        "employee_jht_jp": _idr(annual_jht_jp_minor), "neto": _idr(neto), "ptkp": _idr(ptkp),
        "pkp": _idr(pkp), "annual_pph21": _idr(annual_tax),
        "withheld_before": _idr(withheld_before_minor), "pph21": _idr(this_month),
    }
    return this_month, worksheet, steps
