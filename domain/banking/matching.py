"""Matching bank statement lines to ledger movements, and the reconciliation report.

Pure functions of plain values; the commands that load and save are in
``domain.banking.service``.

A *movement* is what one journal entry did to the ledger bank account in
one currency: its postings to the account netted, seen from the bank's
side (a debit of the bank account is money in, a ``credit`` line on the
statement). Matching, in two passes over the free lines (booking date, then
line id, so the result does not depend on input order):

1. **reference**: the line's references (EndToEndId, AcctSvcrRef, InstrId,
   MsgId, NtryRef, remittance) against the entry's ``reference`` and its
   metadata values; same currency, direction and amount; nearest date wins.
2. **amount_date**: same currency, direction and amount, effective date
   within ``window_days`` of the line's booking or value date; nearest
   date, then earliest log position wins.

A line is matched at most once and a movement at most once: both passes
take only free lines and free movements and claim what they take.
"""

from __future__ import annotations

import calendar
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from domain.kernel import limits
from domain.kernel.money import format_amount

WINDOW_DAYS_DEFAULT = 3
WINDOW_DAYS_MAX = 31
REFERENCE_LENGTH_MIN = 4
"""Shorter strings (a currency code, "1") are not references worth matching on."""


@dataclass(frozen=True, slots=True)
class Movement:
    """What journal entry ``entry_id`` did to the bank account in ``currency``:
    ``direction`` credit (money in) or debit (money out), ``amount_minor`` > 0."""

    entry_id: str
    position: int
    effective_date: str
    direction: str
    amount_minor: int
    currency: str
    reference: str = ""
    references: tuple[str, ...] = ()
    description: str = ""


@dataclass(frozen=True, slots=True)
class LineToMatch:
    """A booked statement line, as matching sees it."""

    line_id: str
    booking_date: str
    value_date: str
    direction: str
    amount_minor: int
    currency: str
    references: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Match:
    line_id: str
    entry_id: str
    how: str  # reference | amount_date | manual


def movement_of(
    entry_id: str,
    position: int,
    effective_date: str,
    postings: Iterable[Sequence[Any]],
    account: str,
    *,
    reference: str = "",
    metadata: dict[str, str] | None = None,
    description: str = "",
) -> list[Movement]:
    """The movements an entry's postings ``[account, direction, amount_minor, asset]``
    make on ``account``: one per asset whose net is not zero."""
    net: dict[str, int] = defaultdict(int)
    for row in postings:
        if row[0] == account:
            net[str(row[3])] += int(row[2]) if row[1] == "debit" else -int(row[2])
    references = tuple(
        text
        for text in dict.fromkeys([reference, *(metadata or {}).values()])
        if len(text) >= REFERENCE_LENGTH_MIN
    )
    return [
        Movement(
            entry_id,
            position,
            effective_date,
            "credit" if amount > 0 else "debit",
            abs(amount),
            asset,
            reference,
            references,
            description,
        )
        for asset, amount in sorted(net.items())
        if amount != 0
    ]


def days_between(first: str, second: str) -> int:
    return abs((date.fromisoformat(first) - date.fromisoformat(second)).days)


def _distance(line: LineToMatch, movement: Movement) -> int:
    return min(
        days_between(line.booking_date, movement.effective_date),
        days_between(line.value_date, movement.effective_date),
    )


def auto_match(
    lines: Sequence[LineToMatch],
    movements: Sequence[Movement],
    *,
    matched_lines: Iterable[str] = (),
    matched_entries: Iterable[str] = (),
    window_days: int = WINDOW_DAYS_DEFAULT,
) -> list[Match]:
    """New matches for the free lines among the free movements (see module docstring)."""
    assert 0 <= window_days <= WINDOW_DAYS_MAX
    taken_lines = set(matched_lines)
    taken_entries = set(matched_entries)
    free = sorted(
        (line for line in lines if line.line_id not in taken_lines),
        key=lambda line: (line.booking_date, line.line_id),
    )
    pool = [movement for movement in movements if movement.entry_id not in taken_entries]
    by_reference: dict[str, list[Movement]] = defaultdict(list)
    by_amount: dict[tuple[str, str, int], list[Movement]] = defaultdict(list)
    for movement in pool:
        for reference in movement.references:
            by_reference[reference].append(movement)
        by_amount[(movement.currency, movement.direction, movement.amount_minor)].append(movement)
    matches: list[Match] = []

    def claim(line: LineToMatch, candidates: Iterable[Movement], how: str) -> bool:
        best = min(
            (
                movement
                for movement in candidates
                if movement.entry_id not in taken_entries
                and (movement.currency, movement.direction, movement.amount_minor)
                == (line.currency, line.direction, line.amount_minor)
            ),
            key=lambda movement: (_distance(line, movement), movement.position),
            default=None,
        )
        if best is None:
            return False
        taken_lines.add(line.line_id)
        taken_entries.add(best.entry_id)
        matches.append(Match(line.line_id, best.entry_id, how))
        return True

    for line in free:
        for reference in line.references:
            if claim(line, by_reference.get(reference, ()), "reference"):
                break
    for line in free:
        if line.line_id in taken_lines:
            continue
        bucket = by_amount.get((line.currency, line.direction, line.amount_minor), ())
        claim(line, (m for m in bucket if _distance(line, m) <= window_days), "amount_date")
    return matches


# --- periods and the report ----------------------------------------------------


def period_bounds(period: str) -> tuple[str, str]:
    """First and last day of a ``YYYY-MM`` period."""
    period = limits.period_name(period)
    year, month = int(period[:4]), int(period[5:])
    last = calendar.monthrange(year, month)[1]
    return f"{period}-01", f"{period}-{last:02d}"


@dataclass(frozen=True, slots=True)
class ReportLine:
    """A statement line in the report, with what the report shows of it."""

    line: LineToMatch
    statement: str
    counterparty: str = ""
    description: str = ""


@dataclass(frozen=True, slots=True)
class ReconciliationReport:
    """One ledger bank account in one period. Amounts in minor units of ``currency``;
    ``as_dict`` renders them as decimal strings with ``scale`` decimals."""

    account: str
    period: str
    currency: str
    scale: int
    matched: list[tuple[ReportLine, Movement | None, str]]
    unmatched_lines: list[ReportLine]
    unmatched_movements: list[Movement]
    statements: list[str]
    statement_closing_minor: int | None
    statement_closing_date: str | None
    ledger_balance_minor: int
    ledger_position: int | None = None

    @property
    def difference_minor(self) -> int | None:
        if self.statement_closing_minor is None:
            return None
        return self.statement_closing_minor - self.ledger_balance_minor

    def _amount(self, value: int | None) -> str | None:
        return None if value is None else format_amount(value, self.scale)

    def as_dict(self) -> dict[str, Any]:
        first, last = period_bounds(self.period)

        def signed(direction: str, amount: int) -> int:
            return amount if direction == "credit" else -amount

        matched = []
        for item, movement, how in self.matched:
            line = item.line
            entry_amount = None if movement is None else movement.amount_minor
            matched.append(
                {
                    "line_id": line.line_id,
                    "entry_id": None if movement is None else movement.entry_id,
                    "how": how,
                    "booking_date": line.booking_date,
                    "effective_date": None if movement is None else movement.effective_date,
                    "direction": line.direction,
                    "amount": self._amount(line.amount_minor),
                    "entry_amount": self._amount(entry_amount),
                    "difference": self._amount(
                        None if entry_amount is None else line.amount_minor - entry_amount
                    ),
                }
            )
        return {
            "account": self.account,
            "period": self.period,
            "from_date": first,
            "to_date": last,
            "currency": self.currency,
            "statements": self.statements,
            "matched": matched,
            "unmatched_lines": [
                {
                    "line_id": item.line.line_id,
                    "statement": item.statement,
                    "booking_date": item.line.booking_date,
                    "value_date": item.line.value_date,
                    "direction": item.line.direction,
                    "amount": self._amount(item.line.amount_minor),
                    "references": list(item.line.references),
                    "counterparty": item.counterparty,
                    "description": item.description,
                }
                for item in self.unmatched_lines
            ],
            "unmatched_movements": [
                {
                    "entry_id": movement.entry_id,
                    "effective_date": movement.effective_date,
                    "direction": movement.direction,
                    "amount": self._amount(movement.amount_minor),
                    "reference": movement.reference,
                    "description": movement.description,
                }
                for movement in self.unmatched_movements
            ],
            "totals": {
                "lines": len(self.matched) + len(self.unmatched_lines),
                "matched": len(self.matched),
                "unmatched_lines": len(self.unmatched_lines),
                "unmatched_movements": len(self.unmatched_movements),
                "unmatched_lines_net": self._amount(
                    sum(signed(i.line.direction, i.line.amount_minor) for i in self.unmatched_lines)
                ),
                "unmatched_movements_net": self._amount(
                    sum(signed(m.direction, m.amount_minor) for m in self.unmatched_movements)
                ),
            },
            "statement_closing_balance": self._amount(self.statement_closing_minor),
            "statement_closing_date": self.statement_closing_date,
            "ledger_balance": self._amount(self.ledger_balance_minor),
            "ledger_position": self.ledger_position,
            "difference": self._amount(self.difference_minor),
        }
