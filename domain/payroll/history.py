"""Year-to-date and paid periods, folded from the paid runs in the log.

Why a fold and not a stored balance: year-to-date figures are facts about
payslips already paid, so they are recomputed from those payslips every
time (a run cancelled before payment never counts; a paid run is never
changed). The rule: an employee's year-to-date before a run is the sum, over
every run of the same jurisdiction and tax year (the pay date's year) that is
paid when the run is calculated, of what each payslip added to the figures
(``ytd_after - ytd_before``). The runs folded are recorded on the calculation
(``ytd_basis``) and checked again at payment: a run paid in between makes the
calculation stale.

What each earlier period was paid (regular pay plus arrears paid since) is
folded from every paid regular run of the jurisdiction, any year, so that a
pay change dated in the past shows as arrears in the next run.
"""

from __future__ import annotations

from collections.abc import Iterable

from domain.payroll.payslips import PaidPeriods
from domain.payroll.run import PAID, PayrollRun

YTD_KEYS: dict[str, tuple[str, ...]] = {
    "US": ("wages", "supplemental_wages", "social_security_wages", "medicare_wages",
           "futa_wages"),
    "ID": ("taxable_gross", "pph21_withheld", "employee_jht_jp"),
}


def paid_runs(runs: Iterable[object], jurisdiction: str, exclude: object) -> list[PayrollRun]:
    """The paid runs of ``jurisdiction`` other than ``exclude``, by id."""
    found = [run for run in runs if isinstance(run, PayrollRun) and run.status == PAID
             and run.jurisdiction == jurisdiction and run.id != exclude]
    return sorted(found, key=lambda run: str(run.id))


def ytd_basis(runs: list[PayrollRun], tax_year: int) -> list[str]:
    return [str(run.id) for run in runs if run.tax_year == tax_year]


def year_to_date(runs: list[PayrollRun], jurisdiction: str, tax_year: int
                 ) -> dict[str, dict[str, int]]:
    """Employee id -> year-to-date figures before a run of ``tax_year``."""
    keys = YTD_KEYS[jurisdiction]
    totals: dict[str, dict[str, int]] = {}
    for run in runs:
        if run.tax_year != tax_year:
            continue
        for slip in run.payslips:
            figures = totals.setdefault(slip["employee_id"], dict.fromkeys(keys, 0))
            for key in keys:
                figures[key] += slip["ytd_after"][key] - slip["ytd_before"][key]
    return totals


def zero_ytd(jurisdiction: str) -> dict[str, int]:
    return dict.fromkeys(YTD_KEYS[jurisdiction], 0)


def paid_periods(runs: list[PayrollRun]) -> dict[str, PaidPeriods]:
    """Employee id -> period key -> (start, end, paid for it so far)."""
    paid: dict[str, PaidPeriods] = {}
    for run in runs:
        for slip in run.payslips:
            periods = paid.setdefault(slip["employee_id"], {})
            regular = slip.get("regular_for")
            records = ([] if regular is None else [regular]) + list(slip.get("arrears_for", []))
            for record in records:
                key = record["period"]
                start, _, end = key.partition("/")
                earlier = periods.get(key, (start, end, 0))[2]
                periods[key] = (start, end, earlier + int(record["amount_minor"]))
    return paid
