"""Exact rate arithmetic and the one rounding rule payroll uses.

Why fractions: a rate times an amount, or an annual figure divided by 26 pay
periods, is kept exact (``fractions.Fraction`` of minor units) until the one
place the rules say to round; the exact value is kept beside the rounded one so
that, for example, the Form 941 line 7 "fractions of cents" adjustment can be
computed later from the per-payslip differences. No float is ever involved:
rates enter as ``Decimal`` percentages and become exact fractions.
"""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction

EXACT_EXTRA_PLACES = 10
"""Decimals beyond the asset's scale shown for a value with no finite decimal form."""


def percent_of(amount_minor: int, rate_percent: Decimal) -> Fraction:
    """``rate_percent`` % of ``amount_minor``, exactly, in minor units."""
    return Fraction(amount_minor) * Fraction(rate_percent) / 100


def round_half_up(value: Fraction) -> int:
    """Round to the nearest integer, halves away from zero ($2.50 -> $3)."""
    magnitude = abs(value)
    rounded = (magnitude.numerator * 2 + magnitude.denominator) // (magnitude.denominator * 2)
    return -rounded if value < 0 else rounded


def round_half_up_to(value: Fraction, unit_minor: int) -> int:
    """Round half up to a whole multiple of ``unit_minor`` (100 = a whole rupiah)."""
    return round_half_up(value / unit_minor) * unit_minor


def floor_to(value_minor: int, unit_minor: int) -> int:
    """Round a non-negative amount down to a multiple of ``unit_minor``."""
    assert value_minor >= 0
    return value_minor - value_minor % unit_minor


def format_exact(value_minor: Fraction, scale: int) -> str:
    """Render exact minor units as a decimal string of major units.

    Finite decimals are rendered exactly (never fewer than ``scale`` places);
    anything else (a division by 26) is rounded half up at ``scale`` +
    ``EXACT_EXTRA_PLACES`` places.
    """
    major = value_minor / 10**scale
    places = scale
    while places <= scale + EXACT_EXTRA_PLACES:
        scaled = major * 10**places
        if scaled.denominator == 1:
            return _render(int(scaled), places)
        places += 1
    return _render(round_half_up(major * 10**places), places)


def _render(units: int, places: int) -> str:
    sign = "-" if units < 0 else ""
    digits = str(abs(units)).rjust(places + 1, "0")
    if places == 0:
        return sign + digits
    return f"{sign}{digits[:-places]}.{digits[-places:]}"


def format_percent(rate_percent: Decimal) -> str:
    """A rate as printed in the rule set, at least two decimals ("1.45", "6.20")."""
    text = format(rate_percent.normalize(), "f")
    whole, _, fraction = text.partition(".")
    return f"{whole}.{fraction.ljust(2, '0')}"
