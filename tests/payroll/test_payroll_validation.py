"""Bad requests are refused with a stable code and the offending field named."""

from __future__ import annotations

from typing import Any

import pytest

from domain.kernel.errors import InvalidInput
from domain.payroll.calculator import calculate, parse_calculation_request
from domain.payroll.errors import NoRuleSet
from domain.payroll.rules import rule_set_for
from tests.payroll.support import id_body, us_body


def _refused(body: dict[str, Any]) -> InvalidInput:
    with pytest.raises(InvalidInput) as caught:
        parse_calculation_request(body)
    return caught.value


def _w4(**fields: Any) -> dict[str, Any]:
    return {"filing_status": "single", "w4": {"version": 2020, **fields}}


@pytest.mark.parametrize(
    ("body", "field"),
    [
        (us_body(earnings=[{"code": "regular", "amount": "-1.00"}]), "earnings[0].amount"),
        (us_body(earnings=[{"code": "regular", "amount": "1.005"}]), "earnings[0].amount"),
        (us_body(earnings=[{"code": "regular", "amount": 100}]), "earnings[0].amount"),
        (us_body(earnings=[{"code": "regular", "amount": "1e3"}]), "earnings[0].amount"),
        (us_body(earnings=[{"code": "tips", "amount": "1.00"}]), "earnings[0].code"),
        (
            us_body(earnings=[{"code": "regular", "amount": "1.00", "memo": "x"}]),
            "earnings[0].memo",
        ),
        (us_body(earnings=[]), "earnings"),
        (us_body(tax_profile=_w4() | {"filing_status": "widowed"}), "tax_profile.filing_status"),
        (us_body(tax_profile={"w4": {"version": 2020}}), "tax_profile.filing_status"),
        (us_body(tax_profile=_w4(step2_checkbox="yes")), "tax_profile.w4.step2_checkbox"),
        (us_body(tax_profile=_w4(step3_credits="-5.00")), "tax_profile.w4.step3_credits"),
        (us_body(tax_profile={"w4": {"version": 2021}}), "tax_profile.w4.version"),
        (
            us_body(tax_profile={"w4": {"version": 2019, "marital": "widowed"}}),
            "tax_profile.w4.marital",
        ),
        (
            us_body(tax_profile={"w4": {"version": 2019, "marital": "single", "allowances": -1}}),
            "tax_profile.w4.allowances",
        ),
        (us_body(pay_frequency="fortnightly"), "pay_frequency"),
        (us_body(period_number=27), "period_number"),
        (us_body(tax_year="2025"), "tax_year"),
        (us_body(year_to_date={"wages": "-0.01"}), "year_to_date.wages"),
        (us_body(year_to_date={"bonus_wages": "0.00"}), "year_to_date.bonus_wages"),
        (us_body(jurisdiction="UK"), "jurisdiction"),
        (id_body(tax_profile={"ptkp_status": "K/4"}), "tax_profile.ptkp_status"),
        (id_body(jkk_rate_percent="0.25"), "jkk_rate_percent"),
        (id_body(jkk_rate_percent=0.24), "jkk_rate_percent"),
        (id_body(month=13), "month"),
        (id_body(earnings=[{"code": "regular", "amount": "8000000.50"}]), "earnings[0].amount"),
        (id_body(earnings=[{"code": "regular", "amount": "8000000.123"}]), "earnings[0].amount"),
        (id_body(year_to_date={"pph21_withheld": "-1"}), "year_to_date.pph21_withheld"),
        (id_body(last_month_of_employment="yes"), "last_month_of_employment"),
    ],
)
def test_each_bad_input_is_refused_naming_the_field(body: dict[str, Any], field: str):
    error = _refused(body)
    assert error.field == field
    assert error.code.startswith("payroll_")


def test_an_unknown_earning_code_has_its_own_stable_code():
    assert _refused(us_body(earnings=[{"code": "tips", "amount": "1.00"}])).code == (
        "payroll_earning_code_unknown"
    )


def test_a_year_without_rules_is_refused_with_no_rule_set():
    request = parse_calculation_request(us_body(tax_year=2024))
    with pytest.raises(NoRuleSet) as caught:
        calculate(request)
    assert caught.value.code == "payroll_rule_set_missing"
    with pytest.raises(NoRuleSet):
        rule_set_for("ID", 2027)
    with pytest.raises(NoRuleSet):
        rule_set_for("FR", 2025)


def test_each_rule_set_carries_its_version():
    assert [rule_set_for(j, y).version for j in ("US", "ID") for y in (2025, 2026)] == [
        "US-2025.1",
        "US-2026.1",
        "ID-2025.1",
        "ID-2026.1",
    ]


def test_a_2019_w4_needs_no_filing_status():
    request = parse_calculation_request(
        us_body(
            tax_profile={
                "w4": {"version": 2019, "marital": "married", "allowances": 2, "extra": "10.00"}
            }
        )
    )
    result = calculate(request)
    income_tax = next(item for item in result.lines if item.code == "federal_income_tax")
    assert income_tax.worksheet is not None
    assert income_tax.worksheet["1k"] == "8600.00"
    assert income_tax.worksheet["4a"] == "10.00"
