"""Payroll bodies: employees (the person inline, sealed by the domain), runs and
their steps, payslips. No response carries personal data: an employee is its
id, HR reference and data subject id.

The calculator's body is checked by the domain's own strict parser
(``domain.payroll.requests``), so a refusal names the field the way the
payroll rules see it (``earnings[0].amount``); its schema here documents it.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, Field, StrictInt, StrictStr

from api.schemas.common import Amount, AssetCode, IsoDate, Reason, Request, Written
from api.schemas.payments import AccountIdentifierIn
from api.schemas.subjects import AddressText, NameText, TaxIdText
from domain.payroll.employee_commands import PAY_GROUP_LENGTH_MAX
from domain.payroll.requests import PAY_PERIODS_PER_YEAR
from domain.payroll.run import STATUSES
from domain.subjects.subject import REFERENCE_LENGTH_MAX

Jurisdiction = Literal["US", "ID"]
PayFrequency = Literal[
    "daily", "weekly", "biweekly", "semimonthly", "monthly", "quarterly", "semiannual", "annual"
]
assert set(PayFrequency.__args__) == set(PAY_PERIODS_PER_YEAR)  # type: ignore[attr-defined]
RunStatus = Literal["opened", "calculated", "approved", "paid", "cancelled"]
assert set(RunStatus.__args__) == set(STATUSES)  # type: ignore[attr-defined]
EarningCode = Literal["regular", "overtime", "allowance", "bonus"]
PayGroup = Annotated[StrictStr, Field(min_length=1, max_length=PAY_GROUP_LENGTH_MAX)]
Reference = Annotated[
    StrictStr,
    Field(
        min_length=1,
        max_length=REFERENCE_LENGTH_MAX,
        description="the HR number (never personal data); one hire per reference",
    ),
]
Hours = Annotated[StrictStr, Field(min_length=1, max_length=12, examples=["160"])]
TaxProfile = Annotated[
    dict[str, Any],
    Field(
        description="US: {filing_status, w4: {version: 2020, step2_checkbox, step3_credits, "
        "step4a_other_income, step4b_deductions, step4c_extra_withholding}} or "
        "{w4: {version: 2019, marital, allowances, extra}}; "
        "ID: {ptkp_status: TK/0..K/3, jkk_rate_percent: 0.24|0.54|0.89|1.27|1.74}",
        examples=[{"filing_status": "single", "w4": {"version": 2020}}],
    ),
]


# --- the calculator -------------------------------------------------------------

CALCULATION_EXAMPLE: dict[str, Any] = {
    "jurisdiction": "US",
    "tax_year": 2025,
    "pay_frequency": "biweekly",
    "period_number": 1,
    "tax_profile": {"filing_status": "single", "w4": {"version": 2020}},
    "earnings": [{"code": "regular", "amount": "2518.61"}],
}
CALCULATION_SCHEMA: dict[str, Any] = {
    "type": "object",
    "description": "US: jurisdiction, tax_year, pay_frequency, period_number, tax_profile, "
    "earnings, year_to_date {wages, supplemental_wages, social_security_wages, "
    "medicare_wages, futa_wages}. ID: jurisdiction, tax_year, month, jkk_rate_percent, "
    "tax_profile {ptkp_status}, earnings, year_to_date {taxable_gross, pph21_withheld, "
    "employee_jht_jp}, last_month_of_employment. Amounts are decimal strings; year_to_date "
    "holds the figures before this period (default zero).",
    "required": ["jurisdiction", "tax_year", "tax_profile", "earnings"],
    "properties": {
        "jurisdiction": {"type": "string", "enum": ["US", "ID"]},
        "tax_year": {"type": "integer"},
        "pay_frequency": {"type": "string", "enum": list(PAY_PERIODS_PER_YEAR)},
        "period_number": {"type": "integer"},
        "month": {"type": "integer", "minimum": 1, "maximum": 12},
        "jkk_rate_percent": {"type": "string"},
        "tax_profile": {"type": "object"},
        "earnings": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {
                    "code": {
                        "type": "string",
                        "enum": ["regular", "overtime", "allowance", "bonus"],
                    },
                    "amount": {"type": "string"},
                },
            },
        },
        "year_to_date": {"type": "object"},
        "last_month_of_employment": {"type": "boolean"},
    },
    "example": CALCULATION_EXAMPLE,
}


class PayslipLineOut(BaseModel):
    code: str
    kind: str
    amount: str
    amount_exact: str | None = None
    asset: str
    taxable_base: str
    rate_percent: str | None
    rule_set: str | None = None
    explanation: str | None = None
    table_row: dict[str, Any] | None = None
    worksheet: dict[str, Any] | None = None
    steps: list[dict[str, Any]] | None = None


class CalculationOut(BaseModel):
    jurisdiction: Jurisdiction
    tax_year: int
    rule_set: str
    asset: str
    gross: str
    net: str
    year_to_date_after: dict[str, str]
    lines: list[PayslipLineOut]


# --- employees --------------------------------------------------------------------


class PersonIn(Request):
    """The employee as a person: sealed as a data subject (kind ``employee``)."""

    name: NameText
    tax_id: TaxIdText | None = None
    address: AddressText | None = None

    def given(self) -> dict[str, str]:
        return self.model_dump(exclude_none=True)


class PayIn(Request):
    """``salary``: ``amount`` per pay period; ``hourly``: ``amount`` per hour, with
    ``hours_per_period``. ``asset`` defaults to the jurisdiction's (USD, IDR)."""

    basis: Literal["salary", "hourly"]
    amount: Amount
    asset: AssetCode | None = None
    hours_per_period: Hours | None = None

    def given(self) -> dict[str, Any]:
        return self.model_dump(exclude_none=True)


class HireIn(Request):
    reference: Reference
    person: PersonIn
    bank_account: AccountIdentifierIn
    jurisdiction: Jurisdiction
    pay_group: PayGroup
    pay_frequency: PayFrequency
    hire_date: IsoDate
    tax_profile: TaxProfile
    pay: PayIn


class PayChangeIn(Request):
    pay: PayIn
    effective_date: IsoDate = Field(description="may lie in the past: paid as arrears")


class TaxProfileChangeIn(Request):
    tax_profile: TaxProfile
    effective_date: IsoDate


class TerminationIn(Request):
    termination_date: IsoDate = Field(description="the last day employed")
    reason: Reason


class EmployeeWritten(Written):
    id: str
    status: Literal["hired", "pay_changed", "tax_profile_changed", "terminated"]


class EmployeeOut(BaseModel):
    """An employee without personal data: the person is ``subject_id``."""

    id: str
    reference: str
    subject_id: str
    jurisdiction: Jurisdiction
    pay_group: str
    pay_frequency: str
    hire_date: str
    account_scheme: str
    account_country: str
    tax_profiles: list[dict[str, Any]]
    pay_changes: list[dict[str, Any]]
    deductions: list[dict[str, Any]]
    termination_date: str | None
    termination_reason: str | None
    version: int


class EmployeeList(BaseModel):
    employees: list[EmployeeOut]


# --- runs -------------------------------------------------------------------------


class OffCycleEarningIn(Request):
    code: EarningCode
    amount: Amount


class RunIn(Request):
    """A run of ``pay_group`` for one period; ``pay_date``'s year is the tax year.
    An ``off_cycle`` run (a bonus) names its ``earnings`` per employee id."""

    pay_group: PayGroup
    jurisdiction: Jurisdiction
    pay_frequency: PayFrequency
    period_start: IsoDate
    period_end: IsoDate
    period_number: Annotated[StrictInt, Field(ge=1, le=260)]
    pay_date: IsoDate
    kind: Literal["regular", "off_cycle"] = "regular"
    earnings: dict[str, list[OffCycleEarningIn]] | None = Field(
        default=None, max_length=10_000, description="off-cycle only: employee id -> earnings"
    )


class ApproveRunIn(Request):
    fingerprint: Annotated[StrictStr, Field(min_length=64, max_length=64)] | None = Field(
        default=None, description="the payslips you reviewed; refused (409) if they changed since"
    )


class RunWritten(Written):
    id: str
    status: RunStatus


class RunOut(BaseModel):
    id: str
    status: RunStatus
    kind: str
    pay_group: str
    jurisdiction: Jurisdiction
    pay_frequency: str
    period_start: str
    period_end: str
    period_number: int
    pay_date: str
    tax_year: int
    asset: str
    preparer: str
    fingerprint: str
    totals: dict[str, str]
    payslip_count: int
    approvals_required: int
    approved_by: list[str]
    entry_id: str | None
    payment_ids: dict[str, str]
    paid_by: str | None
    cancel_reason: str | None
    version: int


class RunList(BaseModel):
    runs: list[RunOut]


class RunPayslipOut(BaseModel):
    run_id: str
    employee_id: str
    subject_id: str
    asset: str
    rule_set: str
    gross: str
    net: str
    withheld: str
    employer: str
    year_to_date_before: dict[str, str]
    year_to_date_after: dict[str, str]
    lines: list[dict[str, Any]]


class RunPayslipList(BaseModel):
    payslips: list[RunPayslipOut]
