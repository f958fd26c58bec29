"""The shapes of payroll rule sets: frozen dataclasses holding published figures.

Every money figure is an integer of minor units of the rule set's asset (USD
cents; IDR minor units, where one rupiah is 100 minor units because ISO 4217
gives IDR two decimals). Rates are ``Decimal`` percentages exactly as printed
("6.2" for 6.2%), never floats; the calculators turn them into exact fractions.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal


@dataclass(frozen=True, slots=True)
class PercentageRow:
    """One row of a Pub. 15-T annual percentage-method table.

    ``at_least_minor`` is column A (and E, the excess-over figure),
    ``tentative_minor`` column C and ``rate_percent`` column D; the row holds
    up to the next row's column A.
    """

    at_least_minor: int
    tentative_minor: int
    rate_percent: Decimal


@dataclass(frozen=True, slots=True)
class UsFederalRuleSet:
    """US federal payroll figures for one tax year.

    ``standard`` and ``step2_checkbox`` map a filing status (``single``,
    ``married_filing_jointly``, ``head_of_household``) to its annual table.
    """

    version: str
    tax_year: int
    asset: str
    standard: Mapping[str, tuple[PercentageRow, ...]]
    step2_checkbox: Mapping[str, tuple[PercentageRow, ...]]
    line_1g_married_jointly_minor: int
    line_1g_other_minor: int
    allowance_minor: int
    social_security_rate_percent: Decimal
    social_security_wage_base_minor: int
    medicare_rate_percent: Decimal
    additional_medicare_rate_percent: Decimal
    additional_medicare_threshold_minor: int
    futa_gross_rate_percent: Decimal
    futa_credit_percent: Decimal
    futa_wage_base_minor: int
    supplemental_flat_rate_percent: Decimal
    supplemental_mandatory_rate_percent: Decimal
    supplemental_mandatory_threshold_minor: int


@dataclass(frozen=True, slots=True)
class TerRow:
    """One layer of a monthly TER table: gross up to ``up_to_minor`` inclusive
    (``None`` for the open top layer) is withheld at ``rate_percent``."""

    up_to_minor: int | None
    rate_percent: Decimal


@dataclass(frozen=True, slots=True)
class Pasal17Layer:
    """One layer of UU PPh Pasal 17(1)(a): PKP up to ``up_to_minor`` (``None``
    open) taxed at ``rate_percent``."""

    up_to_minor: int | None
    rate_percent: Decimal


@dataclass(frozen=True, slots=True)
class WageCap:
    """A wage cap in force from ``effective_year``-``effective_month`` on."""

    effective_year: int
    effective_month: int
    cap_minor: int


@dataclass(frozen=True, slots=True)
class IndonesiaRuleSet:
    """Indonesian PPh 21 and BPJS figures for one tax year (IDR minor units)."""

    version: str
    tax_year: int
    asset: str
    ter_category_by_ptkp: Mapping[str, str]
    ter_tables: Mapping[str, tuple[TerRow, ...]]
    pasal17_layers: tuple[Pasal17Layer, ...]
    ptkp_self_minor: int
    ptkp_married_minor: int
    ptkp_per_dependant_minor: int
    ptkp_dependants_max: int
    biaya_jabatan_rate_percent: Decimal
    biaya_jabatan_annual_max_minor: int
    pkp_rounding_minor: int
    kesehatan_employer_rate_percent: Decimal
    kesehatan_employee_rate_percent: Decimal
    kesehatan_wage_cap_minor: int
    jht_employer_rate_percent: Decimal
    jht_employee_rate_percent: Decimal
    jp_employer_rate_percent: Decimal
    jp_employee_rate_percent: Decimal
    jp_wage_caps: tuple[WageCap, ...]
    jkk_rates_percent: tuple[Decimal, ...]
    jkm_rate_percent: Decimal
