"""Structuring alerts: several cash transactions by one person, each below the
reporting threshold, within a rolling window of business days, whose sum
crosses it (the pattern of splitting cash to stay under a report).

The threshold, currency, comparison and business days are the
jurisdiction's large cash rule (``projections/reports/rules/cash.py``);
cash in and cash out are looked at separately, as the rule aggregates them.
A transaction that crosses the threshold on its own is left out: the large
cash report has it. ``window_days`` (default 3) is the window's length in
business days, counted from the business day of its first transaction.

One alert per window that brings in a transaction no earlier alert of the
same person and direction holds, so overlapping windows over the same
transactions give one row. ``period`` (or ``date_from``/``date_to``)
selects alerts by the window's first business day; transactions outside it
still count within a window. Like ``large-cash``, rows name the person by
subject id only, and count only cash in the rule's currency.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass

from domain.kernel.errors import InvalidInput
from domain.kernel.money import format_amount
from projections.reports.cash_rules import (
    CASH_SCOPE,
    JURISDICTION,
    CashRule,
    CashTransaction,
    cash_transactions,
    rule_for,
)
from projections.reports.framework import (
    LogSource,
    ParameterSpec,
    ReportRow,
    ReportRun,
    ranges_text,
)
from projections.reports.parameters import (
    DATE_FROM,
    DATE_TO,
    PERIOD,
    DateRange,
    check_period_or_range,
    date_range,
)

WINDOW_DAYS_DEFAULT = 3
WINDOW_DAYS_MAX = 31
_WINDOW_DAYS = re.compile(r"^[1-9][0-9]?\Z")
WINDOW_DAYS = ParameterSpec(
    "window_days",
    "text",
    f"the rolling window in business days, 1 to {WINDOW_DAYS_MAX} (default {WINDOW_DAYS_DEFAULT})",
)


def window_days_of(parameters: Mapping[str, str]) -> int:
    text = parameters.get("window_days")
    if text is None:
        return WINDOW_DAYS_DEFAULT
    if not _WINDOW_DAYS.match(text) or int(text) > WINDOW_DAYS_MAX:
        raise InvalidInput(
            f"window_days: a whole number of business days from 1 to {WINDOW_DAYS_MAX},"
            f" got {text[:20]!r}",
            field="window_days",
        )
    return int(text)


@dataclass(frozen=True, slots=True)
class Alert:
    subject_id: str
    direction: str
    window_start: str
    window_end: str
    transactions: list[CashTransaction]
    calendar_confirmed: bool


def alerts_of(
    transactions: list[CashTransaction], rule: CashRule, window_days: int
) -> Iterator[Alert]:
    """The alerts of one person and direction (``transactions`` by business day, position)."""
    last_end_index = -1
    end_index = 0
    for start_index, first in enumerate(transactions):
        window_end, confirmed = rule.calendar.add_open_days(first.business_day, window_days - 1)
        end_index = max(end_index, start_index)
        while (
            end_index + 1 < len(transactions)
            and transactions[end_index + 1].business_day <= window_end
        ):
            end_index += 1
        if end_index <= last_end_index or end_index == start_index:
            continue  # nothing new since the previous alert, or a single transaction
        window = transactions[start_index : end_index + 1]
        if not rule.crosses(sum(transaction.amount_minor for transaction in window)):
            continue
        last_end_index = end_index
        yield Alert(
            first.subject_id,
            first.direction,
            first.business_day.isoformat(),
            window_end.isoformat(),
            window,
            confirmed and all(transaction.calendar_confirmed for transaction in window),
        )


class StructuringReport:
    name = "structuring"
    title = (
        "Structuring alerts: cash below the threshold that crosses it within a few business days"
    )
    parameters = (JURISDICTION, WINDOW_DAYS, PERIOD, DATE_FROM, DATE_TO)
    scope = CASH_SCOPE
    columns = (
        "key",
        "person_subject_id",
        "direction",
        "window_start",
        "window_end",
        "transaction_count",
        "total",
        "currency",
        "threshold",
        "transaction_dates",
        "calendar_confirmed",
        "positions",
    )

    def validate(self, parameters: dict[str, str]) -> None:
        rule_for(parameters)
        window_days_of(parameters)
        check_period_or_range(parameters, required=False)

    def compute(
        self, source: LogSource, as_of_position: int, parameters: Mapping[str, str]
    ) -> ReportRun:
        rule = rule_for(parameters)
        window_days = window_days_of(parameters)
        dates = date_range(parameters)
        people: dict[tuple[str, str], list[CashTransaction]] = {}
        for transaction in cash_transactions(source, as_of_position, rule):
            if transaction.asset != rule.currency or rule.crosses(transaction.amount_minor):
                continue
            people.setdefault((transaction.subject_id, transaction.direction), []).append(
                transaction
            )
        context = {**dates.as_dict(), "window_days": window_days, "rule": rule.as_context()}
        return ReportRun(context, self._rows(rule, window_days, dates, people))

    @staticmethod
    def _rows(
        rule: CashRule,
        window_days: int,
        dates: DateRange,
        people: dict[tuple[str, str], list[CashTransaction]],
    ) -> Iterator[ReportRow]:
        found: list[Alert] = []
        for person in sorted(people):
            ordered = sorted(people[person], key=lambda t: (t.business_day, t.position))
            found.extend(
                alert
                for alert in alerts_of(ordered, rule, window_days)
                if dates.contains(alert.window_start)
            )
        found.sort(key=lambda alert: (alert.window_start, alert.subject_id, alert.direction))
        for alert in found:
            positions = sorted(transaction.position for transaction in alert.transactions)
            values = {
                "person_subject_id": alert.subject_id,
                "direction": alert.direction,
                "window_start": alert.window_start,
                "window_end": alert.window_end,
                "transaction_count": len(alert.transactions),
                "total": format_amount(
                    sum(transaction.amount_minor for transaction in alert.transactions),
                    rule.scale,
                ),
                "currency": rule.currency,
                "threshold": rule.threshold,
                "transaction_dates": ",".join(
                    transaction.on.isoformat() for transaction in alert.transactions
                ),
                "calendar_confirmed": alert.calendar_confirmed,
                "positions": ranges_text(positions),
            }
            row_key = f"{alert.window_start}/{alert.subject_id}/{alert.direction}"
            yield ReportRow(row_key, values, positions)


REPORTS = (StructuringReport(),)
