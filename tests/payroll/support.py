"""Request builders shared by the payroll tests: a valid body, then the change
the test is about."""

from __future__ import annotations

from typing import Any

from domain.payroll.calculator import calculate, parse_calculation_request, payslip_to_dict


def us_body(**changes: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "jurisdiction": "US",
        "tax_year": 2025,
        "pay_frequency": "biweekly",
        "period_number": 1,
        "tax_profile": {
            "filing_status": "single",
            "w4": {
                "version": 2020,
                "step2_checkbox": False,
                "step3_credits": "0.00",
                "step4a_other_income": "0.00",
                "step4b_deductions": "0.00",
                "step4c_extra_withholding": "0.00",
            },
        },
        "earnings": [{"code": "regular", "amount": "2518.61"}],
        "year_to_date": {
            "wages": "0.00",
            "supplemental_wages": "0.00",
            "social_security_wages": "0.00",
            "medicare_wages": "0.00",
            "futa_wages": "0.00",
        },
    }
    body.update(changes)
    return body


def id_body(**changes: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "jurisdiction": "ID",
        "tax_year": 2025,
        "month": 1,
        "jkk_rate_percent": "0.24",
        "tax_profile": {"ptkp_status": "TK/0"},
        "earnings": [{"code": "regular", "amount": "8000000"}],
        "year_to_date": {"taxable_gross": "0", "pph21_withheld": "0", "employee_jht_jp": "0"},
    }
    body.update(changes)
    return body


def run(body: dict[str, Any]) -> dict[str, Any]:
    return payslip_to_dict(calculate(parse_calculation_request(body)))


def line(result: dict[str, Any], code: str) -> dict[str, Any]:
    matches: list[dict[str, Any]] = [item for item in result["lines"] if item["code"] == code]
    assert len(matches) == 1, code
    return matches[0]
