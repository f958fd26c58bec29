"""The transcribed Pub. 15-T tables agree with the Revenue Procedure they come from.

Independent oracle: Rev. Proc. 2024-40 section 3.01 (2025) and Rev. Proc.
2025-32 section 4.01 (2026) rate tables and standard deductions. A STANDARD
column-A figure is a rate-table boundary plus (standard deduction - Worksheet
1A line 1g); a Step 2 Checkbox figure is (boundary + standard deduction) / 2
rounded half up to the dollar; column C is the cumulative tax of the rows
below (halved, to the cent, for Step 2). A typo in a rule module fails here.
"""

from __future__ import annotations

from fractions import Fraction

import pytest

from domain.payroll.arithmetic import round_half_up
from domain.payroll.rules import us_federal_rule_set_for

_RATES = (10, 12, 22, 24, 32, 35, 37)
# (year, status): (standard deduction, line 1g, rate-table boundaries) in dollars.
_REV_PROC = {
    (2025, "single"): (15000, 8600, (11925, 48475, 103350, 197300, 250525, 626350)),
    (2025, "married_filing_jointly"): (
        30000,
        12900,
        (23850, 96950, 206700, 394600, 501050, 751600),
    ),
    (2025, "head_of_household"): (22500, 8600, (17000, 64850, 103350, 197300, 250500, 626350)),
    (2026, "single"): (16100, 8600, (12400, 50400, 105700, 201775, 256225, 640600)),
    (2026, "married_filing_jointly"): (
        32200,
        12900,
        (24800, 100800, 211400, 403550, 512450, 768700),
    ),
    (2026, "head_of_household"): (24150, 8600, (17700, 67450, 105700, 201750, 256200, 640600)),
}


def _cumulative(thresholds: list[int]) -> list[Fraction]:
    """Column C for rows starting at ``thresholds`` (cents) with rates 0, 10, ... 37."""
    tentative = [Fraction(0), Fraction(0)]
    for index in range(2, len(thresholds)):
        width = thresholds[index] - thresholds[index - 1]
        tentative.append(tentative[-1] + Fraction(width * _RATES[index - 2], 100))
    return tentative


@pytest.mark.parametrize(("year", "status"), sorted(_REV_PROC))
def test_the_standard_table_is_the_rate_schedule_shifted_by_the_standard_deduction(
    year: int, status: str
):
    deduction, line_1g, boundaries = _REV_PROC[(year, status)]
    shift = deduction - line_1g
    expected = [0, shift * 100] + [(b + shift) * 100 for b in boundaries]
    table = us_federal_rule_set_for(year).standard[status]
    assert [row.at_least_minor for row in table] == expected
    assert [row.tentative_minor for row in table] == [
        round_half_up(c) for c in _cumulative(expected)
    ]
    assert [str(row.rate_percent) for row in table] == ["0", *map(str, _RATES)]


@pytest.mark.parametrize(("year", "status"), sorted(_REV_PROC))
def test_the_step2_table_is_the_rate_schedule_halved(year: int, status: str):
    deduction, _, boundaries = _REV_PROC[(year, status)]
    expected = [0, deduction * 50] + [
        round_half_up(Fraction(b + deduction, 2)) * 100 for b in boundaries
    ]
    table = us_federal_rule_set_for(year).step2_checkbox[status]
    assert [row.at_least_minor for row in table] == expected
    standard = us_federal_rule_set_for(year).standard[status]
    assert [row.tentative_minor for row in table] == [
        round_half_up(Fraction(row.tentative_minor, 2)) for row in standard
    ]
