"""What an employee earns in a pay period: the pay in force each day, pro rata.

The rule (calendar days): a period's regular pay is, for each calendar day of
the period on which the person is employed (hire date to termination date,
both inclusive), the pay in force that day divided by the number of calendar
days in the period. A salary is an amount per pay period; an hourly rate
times the standard hours per period gives the same. So a monthly salary of
3,000.00 for someone hired on 16 June (15 of 30 days) pays 1,500.00, and a
pay change on the 11th of a 30-day month pays 10/30 at the old rate and
20/30 at the new. Weekends count like any day (calendar days, not working
days): no holiday calendar is needed, and the sum over a full period is
exactly the period's pay.

The pay in force on a day is the pay change with the latest effective date
on or before it (the later recorded wins on the same date), so a change
recorded today with a past effective date changes what the past periods
should have paid: ``domain.payroll.payslips`` pays the difference as arrears.
The exact amount is rounded once, half up, to the jurisdiction's unit (a cent
in the US, a whole rupiah in Indonesia).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from fractions import Fraction
from typing import Any

from domain.payroll.arithmetic import round_half_up_to

SALARY = "salary"
HOURLY = "hourly"
PAY_BASES = (SALARY, HOURLY)


@dataclass(frozen=True, slots=True)
class PeriodPay:
    """``amount_minor`` (rounded) of the period; ``segments``: (pay change ref,
    days paid at it) in date order; ``days_employed`` of ``days_in_period``."""

    amount_minor: int
    days_employed: int
    days_in_period: int
    segments: tuple[tuple[str, int], ...]

    @property
    def source_refs(self) -> tuple[str, ...]:
        return tuple(ref for ref, _days in self.segments)


def per_period_minor(change: dict[str, Any]) -> Fraction:
    """A pay change's amount per full period (hourly: rate times standard hours)."""
    amount = Fraction(int(change["amount_minor"]))
    if change["basis"] == HOURLY:
        return amount * Fraction(Decimal(str(change["hours_per_period"])))
    return amount


def in_force(changes: Sequence[dict[str, Any]], day: str) -> dict[str, Any] | None:
    """The pay change in force on ``day`` (ISO date), or None before the first."""
    found: dict[str, Any] | None = None
    for change in changes:
        if change["effective_date"] <= day and (
            found is None
            or (change["effective_date"], change["version"])
            > (found["effective_date"], found["version"])
        ):
            found = change
    return found


def period_pay(changes: Sequence[dict[str, Any]], period_start: str, period_end: str,
               employed_from: str, employed_to: str | None, unit_minor: int) -> PeriodPay:
    """Regular pay of one period under ``changes`` (see the module docstring)."""
    start, end = date.fromisoformat(period_start), date.fromisoformat(period_end)
    days_in_period = (end - start).days + 1
    exact = Fraction(0)
    segments: list[tuple[str, int]] = []
    employed = 0
    day = max(start, date.fromisoformat(employed_from))
    last = end if employed_to is None else min(end, date.fromisoformat(employed_to))
    while day <= last:
        employed += 1
        change = in_force(changes, day.isoformat())
        if change is not None:
            exact += per_period_minor(change) / days_in_period
            if segments and segments[-1][0] == change["ref"]:
                segments[-1] = (change["ref"], segments[-1][1] + 1)
            else:
                segments.append((change["ref"], 1))
        day += timedelta(days=1)
    return PeriodPay(round_half_up_to(exact, unit_minor), employed, days_in_period,
                     tuple(segments))


def overlaps(period_start: str, period_end: str, employed_from: str,
             employed_to: str | None) -> bool:
    """Whether the person is employed on at least one day of the period."""
    return employed_from <= period_end and (employed_to is None or employed_to >= period_start)
