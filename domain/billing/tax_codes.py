"""Tax codes as data, versioned by effective date.

A tax code (``VAT-STD``, ``ID-PPN``) is a name an invoice line carries; what
it means changes with the law. Each change is a new ``TaxCodeVersion`` with
the date it took effect, so an invoice dated before a change is still computed
(and, on replay, recomputed) under the rule of its own date. The figures live
in ``tax_data``; this module holds their shape, the look-up by date and the
integer arithmetic that applies one version to an amount.

All arithmetic is on integers of minor units with exact ratios: the rate is
parsed once from a decimal string with ``Decimal`` and turned into a fraction,
so no float and no implicit rounding ever touches an amount.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from enum import StrEnum

from domain.billing.errors import TaxCodeNotInForce, UnknownTaxCode

TAX_CODE_PATTERN = re.compile(r"^[A-Z][A-Z0-9-]{0,31}\Z")
VERSIONS_PER_CODE_MAX = 64


class RoundingMode(StrEnum):
    """Where tax is rounded: on every line, or once per code on the invoice."""

    PER_LINE = "per_line"
    PER_INVOICE = "per_invoice"


class TaxBaseRule(StrEnum):
    """What the rate is applied to.

    ``full_price``: the line net. ``other_value``: a fixed fraction of the net
    (Indonesia's *DPP nilai lain*, 11/12 since 2025). ``exempt``: no tax, and
    the amount stays out of the taxable base on the return, which is what
    separates an exempt supply from a zero-rated one (taxable at 0%).
    """

    FULL_PRICE = "full_price"
    OTHER_VALUE = "other_value"
    EXEMPT = "exempt"


class AmountRounding(StrEnum):
    """How a fraction of the rounding step is resolved (on the magnitude)."""

    HALF_UP = "half_up"  # 0.5 and above away from zero
    DOWN = "down"  # truncate toward zero


@dataclass(frozen=True, slots=True)
class TaxCodeVersion:
    """One version of a tax code, in force from ``valid_from`` until the next.

    ``rate_percent`` is a decimal string ("12", "5", "0"). ``base_numerator`` /
    ``base_denominator`` give the fraction of the net that is taxed under
    ``other_value``. ``rounding_decimals`` is the number of decimals of the
    major unit that base and tax are rounded to (0: whole rupiah); ``None``
    means the currency's minor unit. ``source`` cites the law for the figures.
    """

    code: str
    valid_from: date
    rate_percent: str
    base_rule: TaxBaseRule
    rounding_mode: RoundingMode
    output_tax_account: str
    input_tax_account: str
    source: str
    base_numerator: int = 1
    base_denominator: int = 1
    amount_rounding: AmountRounding = AmountRounding.HALF_UP
    rounding_decimals: int | None = None

    @property
    def rate_ratio(self) -> tuple[int, int]:
        """The rate as an exact fraction (numerator, denominator) of one."""
        numerator, denominator = Decimal(self.rate_percent).as_integer_ratio()
        return numerator, denominator * 100

    @property
    def is_reportable(self) -> bool:
        """Whether the amounts belong in the taxable base of the tax return."""
        return self.base_rule is not TaxBaseRule.EXEMPT

    def rounding_step_minor(self, scale: int) -> int:
        """The rounding step in minor units of a currency with ``scale`` decimals."""
        if self.rounding_decimals is None or self.rounding_decimals >= scale:
            return 1
        return int(10 ** (scale - self.rounding_decimals))  # int(): mypy types int ** int as Any

    def taxable_base_minor(self, net_minor: int, scale: int) -> int:
        """The base the rate applies to, rounded as the law rounds a document's base."""
        assert net_minor >= 0
        if self.base_rule is TaxBaseRule.EXEMPT:
            return 0
        if self.base_rule is TaxBaseRule.FULL_PRICE:
            return net_minor
        return round_ratio(
            net_minor * self.base_numerator,
            self.base_denominator,
            self.rounding_step_minor(scale),
            self.amount_rounding,
        )

    def tax_minor(self, taxable_base_minor: int, scale: int) -> int:
        """Tax on an already rounded base, rounded once.

        The tax is computed from the base as it appears on the document, so
        anyone recomputing rate x base from the printed figures gets the same
        tax (the Coretax e-Faktur carries both per line).
        """
        assert taxable_base_minor >= 0
        rate_numerator, rate_denominator = self.rate_ratio
        return round_ratio(
            taxable_base_minor * rate_numerator,
            rate_denominator,
            self.rounding_step_minor(scale),
            self.amount_rounding,
        )


@dataclass(frozen=True, slots=True)
class TaxCode:
    """A named tax code, optionally bound to one currency, with its versions
    in ascending ``valid_from`` order."""

    code: str
    name: str
    currency: str | None
    versions: tuple[TaxCodeVersion, ...]


def round_ratio(numerator: int, denominator: int, step: int, rounding: AmountRounding) -> int:
    """``numerator / denominator`` rounded to a multiple of ``step``, exactly.

    Works on magnitudes (callers flip signs afterwards, so a credit note rounds
    exactly like the invoice it mirrors).
    """
    assert numerator >= 0 and denominator > 0 and step > 0
    units, remainder = divmod(numerator, denominator * step)
    if rounding is AmountRounding.HALF_UP and 2 * remainder >= denominator * step:
        units += 1
    return units * step


def resolve_catalog(catalog: Mapping[str, TaxCode] | None) -> Mapping[str, TaxCode]:
    """``catalog``, or the shipped one from ``tax_data`` when none is given."""
    if catalog is not None:
        return catalog
    # Imported here, not at the top: tax_data builds its records from the types above.
    from domain.billing.tax_data import TAX_CODES

    return TAX_CODES


def tax_code_at(
    code: object,
    on_date: date,
    *,
    catalog: Mapping[str, TaxCode] | None = None,
    field: str = "tax_code",
) -> TaxCodeVersion:
    """The version of ``code`` in force on ``on_date``.

    Refuses an unknown code and a date before the code's first version: there
    is no rule to fall back on, and guessing one would misstate tax.
    """
    catalog = resolve_catalog(catalog)
    if not isinstance(code, str) or code not in catalog:
        raise UnknownTaxCode(
            f"{field}: unknown tax code {str(code)[:40]!r}; known codes: "
            + ", ".join(sorted(catalog)),
            field=field,
        )
    versions = catalog[code].versions
    in_force = [version for version in versions if version.valid_from <= on_date]
    if not in_force:
        raise TaxCodeNotInForce(
            f"{field}: tax code {code!r} has no version in force on {on_date.isoformat()};"
            f" its first version starts on {versions[0].valid_from.isoformat()}",
            field=field,
        )
    return in_force[-1]


def check_tax_codes(catalog: Mapping[str, TaxCode]) -> list[str]:
    """Findings about a catalog (empty when sound): run on the shipped data in
    the tests and on any catalog loaded from elsewhere before it is used."""
    findings: list[str] = []
    for key, tax_code in sorted(catalog.items()):
        if key != tax_code.code or not TAX_CODE_PATTERN.match(key):
            findings.append(f"{key}: key and code differ or the code is malformed")
        if not tax_code.versions or len(tax_code.versions) > VERSIONS_PER_CODE_MAX:
            findings.append(f"{key}: needs 1 to {VERSIONS_PER_CODE_MAX} versions")
            continue
        dates = [version.valid_from for version in tax_code.versions]
        if dates != sorted(set(dates)):
            findings.append(f"{key}: versions must have distinct, ascending valid_from dates")
        for version in tax_code.versions:
            finding = _version_findings(key, version)
            if finding:
                findings.append(finding)
    return findings


def _version_findings(key: str, version: TaxCodeVersion) -> str:
    """One finding line for a version, or the empty string when it is sound."""
    problems: list[str] = []
    if version.code != key:
        problems.append("code differs from its tax code")
    try:
        rate = Decimal(version.rate_percent)
        if not rate.is_finite() or not Decimal(0) <= rate <= Decimal(100):
            problems.append("rate_percent outside 0..100")
    except InvalidOperation:
        problems.append("rate_percent is not a decimal string")
    if not 0 < version.base_numerator <= version.base_denominator:
        problems.append("base fraction must lie in (0, 1]")
    if version.base_rule is TaxBaseRule.EXEMPT and version.rate_percent not in ("0", "0.0"):
        problems.append("an exempt code carries no rate")
    if not version.source.strip():
        problems.append("cite the source of the figures")
    if not problems:
        return ""
    return f"{key} from {version.valid_from.isoformat()}: " + "; ".join(problems)
