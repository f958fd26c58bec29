"""Known answers from the IRS publications themselves.

Pub. 15-T has no numeric Worksheet 1A example; its answer key is the Wage
Bracket Method tables, which the IRS builds from the same percentage method.
Pub. 15 (2025) section 7 has supplemental-wage examples and section 9 a
successor-employer wage-base example. Where the publication used the wage
bracket tables (whole dollars), the test compares our cents result rounded to
the dollar, as Pub. 15-T "Rounding" permits.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

import pytest

from domain.payroll.requests import W4Form2020
from domain.payroll.rules import us_federal_rule_set_for
from domain.payroll.us_federal import worksheet_1a
from tests.payroll.support import line, run, us_body

_SINGLE_2025_W4 = {"version": 2020, "step2_checkbox": False}


def _monthly(amount: str, code: str = "regular", **ytd: str) -> dict[str, object]:
    return us_body(
        pay_frequency="monthly",
        period_number=5,
        tax_profile={"filing_status": "single", "w4": _SINGLE_2025_W4},
        earnings=[{"code": code, "amount": amount}],
        year_to_date={key: value for key, value in ytd.items()},
    )


def _dollars(text: str) -> Decimal:
    return Decimal(text).quantize(Decimal("1"), rounding=ROUND_HALF_UP)


def test_a_separately_paid_bonus_is_withheld_at_the_flat_22_percent():
    """Pub. 15 (2025) section 7, Example 3 (p. 23): Sharon Warren, 2025 Form W-4,
    single; a $1,000 bonus under the flat rate method: "You withhold 22% of
    $1,000, or $220"."""
    result = run(_monthly("1000.00", code="bonus"))
    assert line(result, "federal_income_tax")["amount"] == "220.00"


def test_a_monthly_3000_single_wage_withholds_the_publications_190():
    """Pub. 15 (2025) section 7, Example 2 step 2 (p. 23): single 2025 Form W-4,
    nothing in Steps 2-4, monthly wages of $3,000: "the amount of withholding
    on the combined $3,000 amount to be $190" (wage bracket tables). Worksheet
    1A gives $190.13, which is $190 to the dollar."""
    result = run(_monthly("3000.00"))
    income_tax = line(result, "federal_income_tax")
    assert income_tax["amount"] == "190.13"
    assert _dollars(income_tax["amount"]) == Decimal("190")
    assert income_tax["worksheet"]["1i"] == "27400.00"


def test_wages_from_a_predecessor_employer_reduce_the_social_security_base():
    """Pub. 15 (2025) section 9, successor employer example (p. 28): Julian Gold
    received $2,000 from the predecessor; "The wages you paid to Julian are
    subject to social security tax on the first $174,100 ($176,100 minus
    $2,000)"."""
    result = run(
        us_body(
            pay_frequency="annual",
            period_number=1,
            earnings=[{"code": "regular", "amount": "250000.00"}],
            year_to_date={"social_security_wages": "2000.00", "medicare_wages": "2000.00"},
        )
    )
    assert line(result, "social_security")["taxable_base"] == "174100.00"
    assert line(result, "medicare")["taxable_base"] == "250000.00"
    assert line(result, "additional_medicare")["taxable_base"] == "52000.00"


def test_the_2025_social_security_maximum_is_the_wage_base_at_6_2_percent():
    """Pub. 15 (2025) What's New (p. 2): 6.2% each, wage base limit $176,100."""
    result = run(
        us_body(pay_frequency="annual", earnings=[{"code": "regular", "amount": "500000.00"}])
    )
    assert line(result, "social_security")["amount"] == "10918.20"
    assert line(result, "social_security_employer")["amount"] == "10918.20"


def test_futa_after_the_full_credit_is_0_6_percent_of_the_first_7000():
    """Pub. 15 (2025) section 14 (p. 43): 6.0% on the first $7,000; with the
    maximum 5.4% credit "the FUTA tax rate after credit is 0.6%"."""
    result = run(us_body(earnings=[{"code": "regular", "amount": "9000.00"}]))
    futa = line(result, "futa")
    assert (futa["taxable_base"], futa["amount"], futa["rate_percent"]) == (
        "7000.00",
        "42.00",
        "0.60",
    )
    assert "6.00% gross" in futa["explanation"]


# Pub. 15-T (2026) section 2, Wage Bracket Method Tables, weekly payroll
# period, Single or Married Filing Separately, Standard withholding (p. 14).
_WEEKLY_SINGLE_2026 = [
    ("625", "635", "34"),
    ("635", "645", "35"),
    ("645", "655", "36"),
    ("655", "665", "37"),
    ("665", "675", "38"),
    ("675", "685", "40"),
    ("685", "695", "41"),
    ("695", "705", "42"),
    ("705", "715", "43"),
    ("715", "725", "44"),
]


@pytest.mark.parametrize(("at_least", "less_than", "published"), _WEEKLY_SINGLE_2026)
def test_the_2026_percentage_method_matches_the_published_weekly_wage_bracket_cell(
    at_least: str, less_than: str, published: str
):
    """Pub. 15-T (2026) p. 14: the wage bracket cell is the percentage method at
    the bracket's midpoint, rounded to the dollar."""
    midpoint_cents = (int(at_least) + int(less_than)) * 50
    rules = us_federal_rule_set_for(2026)
    w4 = W4Form2020(False, 0, 0, 0, 0)
    amount, _, _, _ = worksheet_1a(rules, 52, "single", w4, midpoint_cents)
    assert _dollars(str(Decimal(amount) / 100)) == Decimal(published)
