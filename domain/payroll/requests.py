"""Calculation requests as typed values, parsed strictly from a JSON-like dict.

Why strict: a payslip is money owed; a misspelt key that silently falls back
to a default would compute a wrong payslip that looks right. Unknown keys,
unknown codes, negative amounts, too many decimals and wrong types are all
refused, and the error's ``field`` names the part (``earnings[0].amount``).

IDR amounts are minor units of ISO 4217 scale 2 (``"8000000"`` is 800000000
minor units), but Indonesian payroll figures are whole rupiah, so an IDR amount
with a non-zero fraction is refused.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from domain.kernel.errors import InvalidAmount
from domain.kernel.money import ISO_CURRENCY_SCALES, parse_amount
from domain.payroll.errors import (
    InvalidPayrollAmount,
    InvalidPayrollRequest,
    UnknownEarningCode,
    UnknownFilingStatus,
    UnknownPayFrequency,
    UnknownPtkpStatus,
)
from domain.payroll.rules._id_statutory import JKK_RATES_PERCENT
from domain.payroll.rules.id_pp58_2023 import TER_CATEGORY_BY_PTKP

EARNING_CODES = ("regular", "overtime", "allowance", "bonus")
PAY_PERIODS_PER_YEAR = {
    "daily": 260, "weekly": 52, "biweekly": 26, "semimonthly": 24,
    "monthly": 12, "quarterly": 4, "semiannual": 2, "annual": 1,
}  # fmt: skip
FILING_STATUSES = ("single", "married_filing_separately", "married_filing_jointly",
                   "head_of_household")
MARITAL_STATUSES = ("single", "married")
EARNINGS_MAX = 50
ALLOWANCES_MAX = 99
_RATE = re.compile(r"^[0-9]{1,2}(?:\.[0-9]{1,4})?\Z")
_IDR_UNIT_MINOR = 10 ** ISO_CURRENCY_SCALES["IDR"]


@dataclass(frozen=True, slots=True)
class Earning:
    """One earning: ``code`` (regular, overtime, allowance, bonus) and its amount."""

    code: str
    amount_minor: int


@dataclass(frozen=True, slots=True)
class W4Form2020:
    """A 2020-or-later Form W-4: Step 2 checkbox, Step 3 credits, Steps 4(a)-(c)."""

    step2_checkbox: bool
    step3_credits_minor: int
    step4a_other_income_minor: int
    step4b_deductions_minor: int
    step4c_extra_withholding_minor: int


@dataclass(frozen=True, slots=True)
class W4Form2019:
    """A 2019-or-earlier Form W-4: marital status, allowances, additional amount."""

    marital: str
    allowances: int
    extra_minor: int


@dataclass(frozen=True, slots=True)
class UsYearToDate:
    """Figures paid earlier in the calendar year, before this period."""

    wages_minor: int = 0
    supplemental_wages_minor: int = 0
    social_security_wages_minor: int = 0
    medicare_wages_minor: int = 0
    futa_wages_minor: int = 0


@dataclass(frozen=True, slots=True)
class UsCalculationRequest:
    """A US federal payslip request; ``filing_status`` is ``None`` for a 2019 W-4."""

    tax_year: int
    pay_frequency: str
    period_number: int
    filing_status: str | None
    w4: W4Form2020 | W4Form2019
    earnings: tuple[Earning, ...]
    year_to_date: UsYearToDate


@dataclass(frozen=True, slots=True)
class IdYearToDate:
    """January up to the previous month: taxable gross, PPh 21 withheld, JHT+JP paid."""

    taxable_gross_minor: int = 0
    pph21_withheld_minor: int = 0
    employee_jht_jp_minor: int = 0


@dataclass(frozen=True, slots=True)
class IdCalculationRequest:
    """An Indonesian payslip request for ``month`` (1-12) of ``tax_year``."""

    tax_year: int
    month: int
    jkk_rate_percent: Decimal
    ptkp_status: str
    earnings: tuple[Earning, ...]
    year_to_date: IdYearToDate
    last_month_of_employment: bool = False


CalculationRequest = UsCalculationRequest | IdCalculationRequest


def parse_calculation_request(body: object) -> CalculationRequest:
    """Validate a JSON-like dict into a typed request; refusals name the field."""
    data = _mapping(body, "body")
    jurisdiction = data.get("jurisdiction")
    if jurisdiction == "US":
        return _parse_us(data)
    if jurisdiction == "ID":
        return _parse_id(data)
    raise InvalidPayrollRequest(
        f"jurisdiction: expected 'US' or 'ID', got {jurisdiction!r}", field="jurisdiction"
    )


def _parse_us(data: Mapping[str, Any]) -> UsCalculationRequest:
    _known_keys(data, "", {"jurisdiction", "tax_year", "pay_frequency", "period_number",
                           "tax_profile", "earnings", "year_to_date"})
    scale = ISO_CURRENCY_SCALES["USD"]
    frequency = data.get("pay_frequency")
    if frequency not in PAY_PERIODS_PER_YEAR:
        raise UnknownPayFrequency(
            f"pay_frequency: expected one of {', '.join(PAY_PERIODS_PER_YEAR)}, got {frequency!r}",
            field="pay_frequency",
        )
    periods = PAY_PERIODS_PER_YEAR[frequency]
    profile = _mapping(data.get("tax_profile"), "tax_profile")
    _known_keys(profile, "tax_profile", {"filing_status", "w4"})
    w4 = _parse_w4(_mapping(profile.get("w4"), "tax_profile.w4"), scale)
    filing_status = None
    if isinstance(w4, W4Form2020) or "filing_status" in profile:
        filing_status = profile.get("filing_status")
        if filing_status not in FILING_STATUSES:
            raise UnknownFilingStatus(
                f"tax_profile.filing_status: expected one of {', '.join(FILING_STATUSES)},"
                f" got {filing_status!r}",
                field="tax_profile.filing_status",
            )
    ytd = _optional_mapping(data.get("year_to_date"), "year_to_date")
    names = ("wages", "supplemental_wages", "social_security_wages", "medicare_wages",
             "futa_wages")
    _known_keys(ytd, "year_to_date", set(names))
    values = [_amount(ytd.get(name, "0"), scale, f"year_to_date.{name}") for name in names]
    return UsCalculationRequest(
        tax_year=_year(data.get("tax_year")),
        pay_frequency=frequency,
        period_number=_integer(data.get("period_number"), "period_number", 1, periods),
        filing_status=filing_status,
        w4=w4,
        earnings=_earnings(data.get("earnings"), scale, whole_units=False),
        year_to_date=UsYearToDate(*values),
    )


def _parse_w4(w4: Mapping[str, Any], scale: int) -> W4Form2020 | W4Form2019:
    version = w4.get("version")
    if version == 2019 and not isinstance(version, bool):
        _known_keys(w4, "tax_profile.w4", {"version", "marital", "allowances", "extra"})
        marital = w4.get("marital")
        if marital not in MARITAL_STATUSES:
            raise UnknownFilingStatus(
                f"tax_profile.w4.marital: expected 'single' or 'married', got {marital!r}",
                field="tax_profile.w4.marital",
            )
        allowances = _integer(w4.get("allowances", 0), "tax_profile.w4.allowances", 0,
                              ALLOWANCES_MAX)
        extra = _amount(w4.get("extra", "0"), scale, "tax_profile.w4.extra")
        return W4Form2019(marital, allowances, extra)
    if version == 2020 and not isinstance(version, bool):
        names = ("step3_credits", "step4a_other_income", "step4b_deductions",
                 "step4c_extra_withholding")
        _known_keys(w4, "tax_profile.w4", {"version", "step2_checkbox", *names})
        checkbox = w4.get("step2_checkbox", False)
        if not isinstance(checkbox, bool):
            raise InvalidPayrollRequest(
                "tax_profile.w4.step2_checkbox: expected true or false",
                field="tax_profile.w4.step2_checkbox",
            )
        values = [_amount(w4.get(name, "0"), scale, f"tax_profile.w4.{name}") for name in names]
        return W4Form2020(checkbox, *values)
    raise InvalidPayrollRequest(
        f"tax_profile.w4.version: expected 2020 (2020 or later form) or 2019 (2019 or"
        f" earlier form), got {version!r}",
        field="tax_profile.w4.version",
    )


def _parse_id(data: Mapping[str, Any]) -> IdCalculationRequest:
    _known_keys(data, "", {"jurisdiction", "tax_year", "month", "jkk_rate_percent",
                           "tax_profile", "earnings", "year_to_date",
                           "last_month_of_employment"})
    scale = ISO_CURRENCY_SCALES["IDR"]
    profile = _mapping(data.get("tax_profile"), "tax_profile")
    _known_keys(profile, "tax_profile", {"ptkp_status"})
    ptkp = profile.get("ptkp_status")
    if ptkp not in TER_CATEGORY_BY_PTKP:
        raise UnknownPtkpStatus(
            f"tax_profile.ptkp_status: expected one of {', '.join(TER_CATEGORY_BY_PTKP)},"
            f" got {ptkp!r}",
            field="tax_profile.ptkp_status",
        )
    last_month = data.get("last_month_of_employment", False)
    if not isinstance(last_month, bool):
        raise InvalidPayrollRequest(
            "last_month_of_employment: expected true or false", field="last_month_of_employment"
        )
    ytd = _optional_mapping(data.get("year_to_date"), "year_to_date")
    names = ("taxable_gross", "pph21_withheld", "employee_jht_jp")
    _known_keys(ytd, "year_to_date", set(names))
    values = [_amount(ytd.get(name, "0"), scale, f"year_to_date.{name}", whole_units=True)
              for name in names]
    return IdCalculationRequest(
        tax_year=_year(data.get("tax_year")),
        month=_integer(data.get("month"), "month", 1, 12),
        jkk_rate_percent=_jkk_rate(data.get("jkk_rate_percent")),
        ptkp_status=ptkp,
        earnings=_earnings(data.get("earnings"), scale, whole_units=True),
        year_to_date=IdYearToDate(*values),
        last_month_of_employment=last_month,
    )


def _jkk_rate(value: object) -> Decimal:
    field = "jkk_rate_percent"
    if not isinstance(value, str) or not _RATE.match(value):
        raise InvalidPayrollRequest(
            f"{field}: expected a decimal string such as \"0.24\", got {value!r}", field=field
        )
    rate = Decimal(value)
    if rate not in JKK_RATES_PERCENT:
        allowed = ", ".join(str(r) for r in JKK_RATES_PERCENT)
        raise InvalidPayrollRequest(f"{field}: expected one of {allowed}, got {value}",
                                    field=field)
    return rate


def _earnings(value: object, scale: int, *, whole_units: bool) -> tuple[Earning, ...]:
    if not isinstance(value, list) or not value:
        raise InvalidPayrollRequest("earnings: expected a non-empty list", field="earnings")
    if len(value) > EARNINGS_MAX:
        raise InvalidPayrollRequest(f"earnings: at most {EARNINGS_MAX} items", field="earnings")
    earnings = []
    for index, item in enumerate(value):
        prefix = f"earnings[{index}]"
        entry = _mapping(item, prefix)
        _known_keys(entry, prefix, {"code", "amount"})
        code = entry.get("code")
        if code not in EARNING_CODES:
            raise UnknownEarningCode(
                f"{prefix}.code: expected one of {', '.join(EARNING_CODES)}, got {code!r}",
                field=f"{prefix}.code",
            )
        amount = _amount(entry.get("amount"), scale, f"{prefix}.amount", whole_units=whole_units)
        earnings.append(Earning(code, amount))
    return tuple(earnings)


def _amount(value: object, scale: int, field: str, *, whole_units: bool = False) -> int:
    try:
        minor = parse_amount(value, scale, field=field, allow_zero=True)
    except InvalidAmount as error:
        raise InvalidPayrollAmount(error.message, field=field) from error
    if whole_units and minor % _IDR_UNIT_MINOR:
        raise InvalidPayrollAmount(
            f"{field}: Indonesian payroll amounts are whole rupiah, got {value!r}", field=field
        )
    return minor


def _integer(value: object, field: str, lowest: int, highest: int) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or not lowest <= value <= highest:
        raise InvalidPayrollRequest(
            f"{field}: expected a whole number from {lowest} to {highest}, got {value!r}",
            field=field,
        )
    return value


def _year(value: object) -> int:
    return _integer(value, "tax_year", 1900, 9999)


def _mapping(value: object, field: str) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise InvalidPayrollRequest(f"{field}: expected an object", field=field)
    return value


def _optional_mapping(value: object, field: str) -> Mapping[str, Any]:
    return {} if value is None else _mapping(value, field)


def _known_keys(data: Mapping[str, Any], prefix: str, allowed: set[str]) -> None:
    for key in data:
        if key not in allowed:
            name = f"{prefix}.{key}" if prefix else str(key)
            raise InvalidPayrollRequest(f"{name}: unknown field", field=name)
