"""Cash rules, holiday calendars and the cash transactions of the log, shared by
the large cash (``large_cash``) and structuring (``structuring``) reports.

The rules are data (``projections/reports/rules``); this module checks them
once, on first use, and answers the questions the reports ask: which
business day a transaction counts for (a weekend or a closed day counts for
the next open day), whether a total crosses the threshold, and when a
report is due.

A cash transaction is a posted cash receipt (``ReceiptPosted`` with
``cash: true``: cash in, from the payer) or a settled cash payment
(``PaymentSettled`` with ``cash: true``: cash out, to the payee). Those are
the moments money changed hands in the books: a receipt held or rejected by
compliance, or a payment never settled, moved no cash. The person is the
data subject id the event carries, never a name.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from functools import cache
from typing import Any, NamedTuple

from eventsourcing.utils import get_topic

from domain.kernel.errors import InvalidInput
from domain.kernel.money import ISO_CURRENCY_SCALES, parse_amount
from domain.payments.payment import Payment
from domain.receipts.receipt import Receipt
from projections.reports.framework import LogSource, ParameterSpec, ReportScope
from projections.reports.rules import holidays_id_national, holidays_us_federal
from projections.reports.rules.cash import CASH_RULES

CASH_IN = "in"
CASH_OUT = "out"
COMPARISONS = ("more_than", "at_least")
DUE_DAYS_KINDS = ("calendar", "working")
AGGREGATIONS = ("person_business_day_by_direction",)
DAY_KINDS = ("holiday", "collective_leave")
WEEKEND = (5, 6)  # Saturday, Sunday (date.weekday())
SHIFT_DAYS_MAX = 31  # no calendar closes for a month: a longer run is bad data

RECEIPT_POSTED = get_topic(Receipt.ReceiptPosted)
PAYMENT_SETTLED = get_topic(Payment.PaymentSettled)
CASH_SCOPE = ReportScope(
    frozenset({RECEIPT_POSTED, PAYMENT_SETTLED}),
    "posted receipts (cash in) and settled payments (cash out) flagged cash",
)
_CALENDAR_DATA = (holidays_us_federal.CALENDAR, holidays_id_national.CALENDAR)


@dataclass(frozen=True, slots=True)
class HolidayCalendar:
    """Open days: Monday to Friday except ``closed`` days; ``years``: confirmed lists."""

    name: str
    years: frozenset[int]
    closed: frozenset[date]
    sources: tuple[str, ...]

    def is_open(self, day: date) -> bool:
        return day.weekday() not in WEEKEND and day not in self.closed

    def business_day_of(self, day: date) -> tuple[date, bool]:
        """The first open day on or after ``day``; False if a year it looked at is unconfirmed."""
        confirmed = day.year in self.years
        for _ in range(SHIFT_DAYS_MAX):
            if self.is_open(day):
                return day, confirmed
            day += timedelta(days=1)
            confirmed = confirmed and day.year in self.years
        raise AssertionError(f"calendar {self.name}: no open day within {SHIFT_DAYS_MAX} days")

    def add_open_days(self, day: date, count: int) -> tuple[date, bool]:
        """The ``count``-th open day after ``day``; False if a year it crossed is unconfirmed."""
        confirmed = day.year in self.years
        for _ in range(count):
            day, known = self.business_day_of(day + timedelta(days=1))
            confirmed = confirmed and known
        return day, confirmed


@dataclass(frozen=True, slots=True)
class CashRule:
    """One jurisdiction's large cash rule (see ``rules/__init__.py`` for the fields)."""

    jurisdiction: str
    report: str
    authority: str
    currency: str
    scale: int
    threshold_minor: int
    threshold: str
    comparison: str
    aggregation: str
    due_days: int
    due_days_kind: str
    calendar: HolidayCalendar
    closed_kinds: tuple[str, ...]

    def crosses(self, amount_minor: int) -> bool:
        if self.comparison == "more_than":
            return amount_minor > self.threshold_minor
        return amount_minor >= self.threshold_minor

    def business_day_of(self, day: date) -> tuple[date, bool]:
        return self.calendar.business_day_of(day)

    def due_date(self, business_day: date) -> tuple[date, bool]:
        """When the report of a transaction counted for ``business_day`` is due."""
        if self.due_days_kind == "calendar":
            return business_day + timedelta(days=self.due_days), True
        return self.calendar.add_open_days(business_day, self.due_days)

    def as_context(self) -> dict[str, Any]:
        return {
            "jurisdiction": self.jurisdiction,
            "report": self.report,
            "authority": self.authority,
            "currency": self.currency,
            "threshold": self.threshold,
            "comparison": self.comparison,
            "aggregation": self.aggregation,
            "due_days": self.due_days,
            "due_days_kind": self.due_days_kind,
            "calendar": self.calendar.name,
            "calendar_closed_kinds": list(self.closed_kinds),
            "calendar_years": sorted(self.calendar.years),
        }


def _calendar(data: dict[str, Any], closed_kinds: tuple[str, ...]) -> HolidayCalendar:
    closed: set[date] = set()
    for day_text, name, kind in data["days"]:
        assert kind in DAY_KINDS, f"calendar {data['name']}: {day_text} has kind {kind!r}"
        assert name, f"calendar {data['name']}: {day_text} has no name"
        day = date.fromisoformat(day_text)
        assert day.year in data["years"], f"calendar {data['name']}: {day_text} outside its years"
        if kind in closed_kinds:
            closed.add(day)
    return HolidayCalendar(
        data["name"], frozenset(data["years"]), frozenset(closed), tuple(data["sources"])
    )


def _rule(data: dict[str, Any], calendars: dict[str, dict[str, Any]]) -> CashRule:
    where = f"cash rule {data.get('jurisdiction')!r}"
    scale = ISO_CURRENCY_SCALES.get(data["currency"])
    assert scale is not None, f"{where}: {data['currency']} is not an ISO 4217 currency"
    assert data["comparison"] in COMPARISONS, f"{where}: comparison {data['comparison']!r}"
    assert data["aggregation"] in AGGREGATIONS, f"{where}: aggregation {data['aggregation']!r}"
    assert data["due_days_kind"] in DUE_DAYS_KINDS, f"{where}: {data['due_days_kind']!r}"
    assert isinstance(data["due_days"], int) and 0 < data["due_days"] <= 90, where
    assert data["calendar"] in calendars, f"{where}: unknown calendar {data['calendar']!r}"
    closed_kinds = tuple(data["closed_kinds"])
    assert set(closed_kinds) <= set(DAY_KINDS), f"{where}: closed_kinds {closed_kinds}"
    threshold_minor = parse_amount(data["threshold"], scale, field="threshold")
    return CashRule(
        jurisdiction=data["jurisdiction"],
        report=data["report"],
        authority=data["authority"],
        currency=data["currency"],
        scale=scale,
        threshold_minor=threshold_minor,
        threshold=data["threshold"],
        comparison=data["comparison"],
        aggregation=data["aggregation"],
        due_days=data["due_days"],
        due_days_kind=data["due_days_kind"],
        calendar=_calendar(calendars[data["calendar"]], closed_kinds),
        closed_kinds=closed_kinds,
    )


@cache
def cash_rules() -> dict[str, CashRule]:
    """Every jurisdiction's rule, checked (a bad rule file is a programmer error)."""
    calendars = {data["name"]: data for data in _CALENDAR_DATA}
    rules = {data["jurisdiction"]: _rule(data, calendars) for data in CASH_RULES}
    assert len(rules) == len(CASH_RULES), "a jurisdiction is defined twice"
    return rules


JURISDICTIONS = tuple(sorted(data["jurisdiction"] for data in CASH_RULES))
JURISDICTION = ParameterSpec(
    "jurisdiction",
    "text",
    "whose rules apply (threshold, currency, business days, due dates)",
    required=True,
    choices=JURISDICTIONS,
)


def rule_for(parameters: dict[str, str] | Any) -> CashRule:
    jurisdiction = parameters.get("jurisdiction")
    rule = cash_rules().get(jurisdiction) if isinstance(jurisdiction, str) else None
    if rule is None:
        raise InvalidInput(f"jurisdiction: one of {', '.join(JURISDICTIONS)}", field="jurisdiction")
    return rule


# --- the cash transactions of the log ---------------------------------------------


class CashTransaction(NamedTuple):
    """One cash movement: ``on`` its business date, counted for ``business_day``.

    A named tuple: a report builds one per cash transaction of the log, and
    a frozen dataclass costs several times as much to build."""

    position: int
    subject_id: str
    direction: str
    on: date
    business_day: date
    amount_minor: int
    asset: str
    calendar_confirmed: bool


def cash_transactions(
    source: LogSource, as_of_position: int, rule: CashRule
) -> Iterator[CashTransaction]:
    """Every cash transaction up to ``as_of_position``, in log order, in any asset."""
    days: dict[str, tuple[date, date, bool]] = {}  # business date -> (on, counted for, confirmed)
    for event in source.events(as_of_position, CASH_SCOPE):
        fields = event.state
        if fields.get("cash") is not True:
            continue
        if event.topic == RECEIPT_POSTED:
            direction, subject_id = CASH_IN, fields["payer_subject_id"]
        else:
            direction, subject_id = CASH_OUT, fields["payee_subject_id"]
        day = days.get(fields["business_date"])
        if day is None:
            on = date.fromisoformat(fields["business_date"])
            day = days[fields["business_date"]] = (on, *rule.business_day_of(on))
        on, business_day, confirmed = day
        yield CashTransaction(
            position=event.position,
            subject_id=str(subject_id),
            direction=direction,
            on=on,
            business_day=business_day,
            amount_minor=int(fields["amount_minor"]),
            asset=str(fields["asset"]),
            calendar_confirmed=confirmed,
        )
