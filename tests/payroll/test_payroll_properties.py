"""Rules that hold for every payslip, checked with hypothesis (derandomized, so a
failure reproduces on every run)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from domain.payroll.calculator import calculate, parse_calculation_request, payslip_to_dict
from tests.payroll.support import id_body, us_body

US_LINES = {
    "federal_income_tax",
    "social_security",
    "medicare",
    "additional_medicare",
    "social_security_employer",
    "medicare_employer",
    "futa",
}
ID_LINES = {
    "pph21",
    "bpjs_kesehatan",
    "jht",
    "jp",
    "bpjs_kesehatan_employer",
    "jht_employer",
    "jp_employer",
    "jkk_employer",
    "jkm_employer",
}

cents = st.integers(min_value=0, max_value=4_000_000)
earning_codes = st.sampled_from(["regular", "overtime", "allowance", "bonus"])
us_earnings = st.lists(st.tuples(earning_codes, cents), min_size=1, max_size=4)
filing = st.sampled_from(["single", "married_filing_jointly", "head_of_household"])


def _usd(minor: int) -> str:
    return f"{minor // 100}.{minor % 100:02d}"


def _minor(text: str) -> int:
    return int(Decimal(text) * 100)


def _us_request(
    earnings: list[tuple[str, int]], status: str, checkbox: bool, ytd: dict[str, str] | None = None
) -> dict[str, Any]:
    return us_body(
        tax_year=2026,
        tax_profile={"filing_status": status, "w4": {"version": 2020, "step2_checkbox": checkbox}},
        earnings=[{"code": code, "amount": _usd(amount)} for code, amount in earnings],
        year_to_date=ytd or {},
    )


def _run(body: dict[str, Any]) -> dict[str, Any]:
    return payslip_to_dict(calculate(parse_calculation_request(body)))


def _net_holds(result: dict[str, Any]) -> None:
    withheld = sum(
        _minor(item["amount"])
        for item in result["lines"]
        if item["kind"] in ("employee_tax", "employee_deduction")
    )
    earned = sum(_minor(item["amount"]) for item in result["lines"] if item["kind"] == "earning")
    assert _minor(result["gross"]) == earned
    assert _minor(result["net"]) == _minor(result["gross"]) - withheld


@settings(derandomize=True, max_examples=150)
@given(us_earnings, filing, st.booleans())
def test_us_net_is_gross_less_the_employee_lines_and_every_line_is_present(
    earnings: list[tuple[str, int]], status: str, checkbox: bool
):
    result = _run(_us_request(earnings, status, checkbox))
    _net_holds(result)
    assert {item["code"] for item in result["lines"]} >= US_LINES


@settings(derandomize=True, max_examples=40)
@given(
    st.lists(st.integers(min_value=0, max_value=3_000_000), min_size=26, max_size=26),
    st.integers(min_value=0, max_value=10_000_000),
)
def test_a_simulated_year_keeps_social_security_within_the_base_and_ytd_rising(
    wages: list[int], bonus_minor: int
):
    """26 biweekly periods, a bonus in period 13; year-to-date carried forward."""
    ytd: dict[str, str] = {}
    ss_total = additional_total = medicare_total = 0
    for period, wage in enumerate(wages, start=1):
        earnings = [("regular", wage)] + ([("bonus", bonus_minor)] if period == 13 else [])
        result = _run(_us_request(earnings, "single", False, ytd) | {"period_number": period})
        after = result["year_to_date_after"]
        assert all(_minor(after[k]) >= _minor(ytd.get(k, "0")) for k in after)
        lines = {item["code"]: item for item in result["lines"]}
        ss_total += _minor(lines["social_security"]["taxable_base"])
        additional_total += _minor(lines["additional_medicare"]["taxable_base"])
        medicare_total += _minor(lines["medicare"]["taxable_base"])
        _net_holds(result)
        ytd = after
    assert ss_total == _minor(ytd["social_security_wages"]) <= 18_450_000
    assert ss_total == min(medicare_total, 18_450_000)
    assert additional_total == max(0, medicare_total - 20_000_000)


rupiah = st.integers(min_value=0, max_value=200_000_000)
ptkp = st.sampled_from(["TK/0", "TK/1", "TK/2", "TK/3", "K/0", "K/1", "K/2", "K/3"])
jkk = st.sampled_from(["0.24", "0.54", "0.89", "1.27", "1.74"])


@settings(derandomize=True, max_examples=30)
@given(st.lists(rupiah, min_size=12, max_size=12), st.sampled_from(range(12)), rupiah, ptkp, jkk)
def test_an_indonesian_year_nets_correctly_and_december_settles_the_year(
    regular: list[int], bonus_month: int, bonus: int, status: str, jkk_rate: str
):
    ytd: dict[str, str] = {}
    for month in range(1, 13):
        earnings = [{"code": "regular", "amount": str(regular[month - 1])}]
        if month - 1 == bonus_month:
            earnings.append({"code": "bonus", "amount": str(bonus)})
        result = _run(
            id_body(
                month=month,
                earnings=earnings,
                jkk_rate_percent=jkk_rate,
                tax_profile={"ptkp_status": status},
                year_to_date=ytd,
            )
        )
        _net_holds(result)
        assert {item["code"] for item in result["lines"]} >= ID_LINES
        after = result["year_to_date_after"]
        for name in ("taxable_gross", "employee_jht_jp"):
            assert _minor(after[name]) >= _minor(ytd.get(name, "0"))
        if month < 12:
            assert _minor(after["pph21_withheld"]) >= _minor(ytd.get("pph21_withheld", "0"))
        ytd = after
    pph21 = next(item for item in result["lines"] if item["code"] == "pph21")
    assert ytd["pph21_withheld"] == pph21["worksheet"]["annual_pph21"]
