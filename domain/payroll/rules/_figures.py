"""Small constructors so rule modules can write figures as printed ("18,325" as
"18325") and still hold integer minor units, parsed strictly, never via float."""

from __future__ import annotations

from decimal import Decimal

from domain.kernel.money import ISO_CURRENCY_SCALES, parse_amount
from domain.payroll.rules.types import Pasal17Layer, PercentageRow, TerRow

USD_SCALE = ISO_CURRENCY_SCALES["USD"]
IDR_SCALE = ISO_CURRENCY_SCALES["IDR"]


def usd(dollars: str) -> int:
    """US dollars as printed ("1192.50") -> cents."""
    return parse_amount(dollars, USD_SCALE, field="rule_set", allow_zero=True)


def idr(rupiah: str) -> int:
    """Whole rupiah as printed ("5400000") -> IDR minor units (x100)."""
    return parse_amount(rupiah, IDR_SCALE, field="rule_set", allow_zero=True)


def row(at_least: str, tentative: str, rate_percent: str) -> PercentageRow:
    return PercentageRow(usd(at_least), usd(tentative), Decimal(rate_percent))


def ter(up_to: str | None, rate_percent: str) -> TerRow:
    return TerRow(None if up_to is None else idr(up_to), Decimal(rate_percent))


def layer(up_to: str | None, rate_percent: str) -> Pasal17Layer:
    return Pasal17Layer(None if up_to is None else idr(up_to), Decimal(rate_percent))
