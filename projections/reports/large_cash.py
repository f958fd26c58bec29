"""Large cash transactions: what a jurisdiction's cash transaction report must
contain (US: FinCEN CTR; Indonesia: PPATK LTKT), from the rules in
``projections/reports/rules/cash.py``.

Per person (data subject), per business day and per direction (cash in and
cash out are totalled separately, never netted), the cash transactions in
the rule's currency; a row for each total that crosses the threshold
(``more_than`` or ``at_least``), with its due date. A transaction on a
weekend or a closed day counts for the next business day. The period
(``period`` or ``date_from``/``date_to``, optional) selects business days.

What a row does not show, and why:

- the person's name: personal data stays sealed in the log. A report is
  filed with its digest and must reproduce to the same bytes later; a name
  opened at report time would change once the subject is erased (it reads
  ``[erased]``), and reports read only the log, never the key store. The
  subject id is resolved to the person through ``/v1/subjects`` by whoever
  may read personal data, and that read is itself recorded;
- cash in other currencies: there are no exchange rates of record, so they
  are not converted; the context counts them per currency (and their
  positions count in ``generated_from``) so that nobody mistakes the
  report for complete;
- cash returned after settlement (``PaymentReturned``) stays counted on
  the day it was paid: the transaction took place;
- two subject ids for one natural person (say, registered once as a
  customer and once as a payee) are two persons here.

``calendar_confirmed`` is false when the business day or the due date
depends on a year whose holiday list is not in the rules data (only weekends
are known there).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator, Mapping
from datetime import date

from domain.kernel.money import format_amount
from projections.reports.cash_rules import (
    CASH_SCOPE,
    JURISDICTION,
    CashRule,
    CashTransaction,
    cash_transactions,
    rule_for,
)
from projections.reports.framework import LogSource, ReportRow, ReportRun, ranges_text
from projections.reports.parameters import (
    DATE_FROM,
    DATE_TO,
    PERIOD,
    DateRange,
    check_period_or_range,
    date_range,
)

GroupKey = tuple[str, str, str]  # business day, subject id, direction


def group_by_day(
    transactions: Iterator[CashTransaction], rule: CashRule, dates: DateRange
) -> tuple[dict[GroupKey, list[CashTransaction]], list[CashTransaction]]:
    """Transactions in the rule's currency by (business day, person, direction),
    and those in range in other currencies."""
    groups: dict[GroupKey, list[CashTransaction]] = {}
    other: list[CashTransaction] = []
    for transaction in transactions:
        day = transaction.business_day.isoformat()
        if not dates.contains(day):
            continue
        if transaction.asset != rule.currency:
            other.append(transaction)
            continue
        key = (day, transaction.subject_id, transaction.direction)
        groups.setdefault(key, []).append(transaction)
    return groups, other


class LargeCashReport:
    name = "large-cash"
    title = "Large cash transactions: per person, business day and direction, over the threshold"
    parameters = (JURISDICTION, PERIOD, DATE_FROM, DATE_TO)
    scope = CASH_SCOPE
    columns = (
        "key",
        "person_subject_id",
        "business_day",
        "direction",
        "total",
        "currency",
        "transaction_count",
        "transaction_dates",
        "due_date",
        "calendar_confirmed",
        "positions",
    )

    def validate(self, parameters: dict[str, str]) -> None:
        rule_for(parameters)
        check_period_or_range(parameters, required=False)

    def compute(
        self, source: LogSource, as_of_position: int, parameters: Mapping[str, str]
    ) -> ReportRun:
        rule = rule_for(parameters)
        dates = date_range(parameters)
        groups, other = group_by_day(cash_transactions(source, as_of_position, rule), rule, dates)
        unconverted = Counter(transaction.asset for transaction in other)
        context = {
            **dates.as_dict(),
            "rule": rule.as_context(),
            "unconverted_cash_transactions": dict(sorted(unconverted.items())),
        }
        positions = [transaction.position for transaction in other]
        return ReportRun(context, self._rows(rule, groups), positions)

    @staticmethod
    def _rows(rule: CashRule, groups: dict[GroupKey, list[CashTransaction]]) -> Iterator[ReportRow]:
        for key in sorted(groups):
            day, subject_id, direction = key
            transactions = groups[key]
            total = sum(transaction.amount_minor for transaction in transactions)
            if not rule.crosses(total):
                continue
            due, due_confirmed = rule.due_date(date.fromisoformat(day))
            positions = sorted(transaction.position for transaction in transactions)
            values = {
                "person_subject_id": subject_id,
                "business_day": day,
                "direction": direction,
                "total": format_amount(total, rule.scale),
                "currency": rule.currency,
                "transaction_count": len(transactions),
                "transaction_dates": ",".join(
                    sorted({transaction.on.isoformat() for transaction in transactions})
                ),
                "due_date": due.isoformat(),
                "calendar_confirmed": due_confirmed
                and all(transaction.calendar_confirmed for transaction in transactions),
                "positions": ranges_text(positions),
            }
            yield ReportRow(f"{day}/{subject_id}/{direction}", values, positions)


REPORTS = (LargeCashReport(),)
