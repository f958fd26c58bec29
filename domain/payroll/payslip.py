"""A payslip as plain values, and its JSON-ready form.

Why every line is always present: a payslip is compared, summed and replayed;
a line that is absent in one month and present in the next makes reports and
postings branch. Zero is a value, so every line of the jurisdiction appears.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

from domain.kernel.money import format_amount
from domain.payroll.arithmetic import format_exact

EARNING = "earning"
EMPLOYEE_TAX = "employee_tax"
EMPLOYEE_DEDUCTION = "employee_deduction"
EMPLOYER_CONTRIBUTION = "employer_contribution"
WITHHELD_KINDS = frozenset({EMPLOYEE_TAX, EMPLOYEE_DEDUCTION})


@dataclass(frozen=True, slots=True)
class PayslipLine:
    """One line: ``amount_minor`` (rounded) and ``exact_minor`` (unrounded).

    ``taxable_base_minor`` is what the rate was applied to; ``rate_percent`` the
    rate as printed ("1.45"), or ``None`` where a table row or worksheet
    decides (``table_row``, ``worksheet``, ``steps``). ``rule_set`` is the
    version of the rules used.
    """

    code: str
    kind: str
    amount_minor: int
    exact_minor: Fraction
    taxable_base_minor: int
    rate_percent: str | None
    rule_set: str
    explanation: str = ""
    table_row: dict[str, str] | None = None
    worksheet: dict[str, str] | None = None
    steps: tuple[dict[str, str], ...] = field(default_factory=tuple)


@dataclass(frozen=True, slots=True)
class Payslip:
    """A computed payslip: ``gross_minor``, ``net_minor`` (gross less the employee's
    taxes and deductions), every line, and year-to-date figures after this period."""

    jurisdiction: str
    tax_year: int
    asset: str
    scale: int
    rule_set: str
    gross_minor: int
    net_minor: int
    lines: tuple[PayslipLine, ...]
    year_to_date_after: dict[str, int]


def net_of(gross_minor: int, lines: tuple[PayslipLine, ...]) -> int:
    return gross_minor - sum(line.amount_minor for line in lines if line.kind in WITHHELD_KINDS)


def payslip_to_dict(payslip: Payslip) -> dict[str, Any]:
    """The response body: amounts as decimal strings of the asset's scale."""
    scale = payslip.scale
    return {
        "jurisdiction": payslip.jurisdiction,
        "tax_year": payslip.tax_year,
        "rule_set": payslip.rule_set,
        "asset": payslip.asset,
        "gross": format_amount(payslip.gross_minor, scale),
        "net": format_amount(payslip.net_minor, scale),
        "year_to_date_after": {
            name: format_amount(value, scale)
            for name, value in payslip.year_to_date_after.items()
        },
        "lines": [_line_to_dict(line, payslip.asset, scale) for line in payslip.lines],
    }


def _line_to_dict(line: PayslipLine, asset: str, scale: int) -> dict[str, Any]:
    out: dict[str, Any] = {
        "code": line.code,
        "kind": line.kind,
        "amount": format_amount(line.amount_minor, scale),
        "amount_exact": format_exact(line.exact_minor, scale),
        "asset": asset,
        "taxable_base": format_amount(line.taxable_base_minor, scale),
        "rate_percent": line.rate_percent,
        "rule_set": line.rule_set,
        "explanation": line.explanation,
    }
    if line.table_row is not None:
        out["table_row"] = dict(line.table_row)
    if line.worksheet is not None:
        out["worksheet"] = dict(line.worksheet)
    if line.steps:
        out["steps"] = [dict(step) for step in line.steps]
    return out
