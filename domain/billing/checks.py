"""Invariant checks of billing, run after any fold: they return findings, an
empty list when everything holds.

- The control accounts equal their open items, per currency: receivables are
  the open invoices less the customers' unallocated credits (plus refunds not
  yet set against a credit); payables are the open posted bills less the
  suppliers' unallocated payments. Amounts are debit-positive, as balances
  are (debits minus credits).
- Every number series is gap-free: the numbers on issued documents run 1..n
  per series and year, each once, and n is the series' last number.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from domain.billing.numbering import InvoiceNumber, gaps


@dataclass(frozen=True, slots=True)
class ControlItem:
    """One open item as ``account`` sees it: ``amount_minor`` debit-positive
    (an open invoice positive, a customer's credit negative, an open bill negative)."""

    account: str
    currency: str
    kind: str
    item_id: str
    amount_minor: int


@dataclass(frozen=True, slots=True)
class ControlFinding:
    """``account`` in ``currency`` stands at ``ledger_minor``; its open items sum
    to ``open_items_minor``."""

    account: str
    currency: str
    ledger_minor: int
    open_items_minor: int

    def __str__(self) -> str:
        return (
            f"{self.account} {self.currency}: the ledger shows {self.ledger_minor},"
            f" the open items sum to {self.open_items_minor}"
        )


@dataclass(frozen=True, slots=True)
class SeriesState:
    """What a number series says it handed out: 1..``last_sequence``."""

    series: str
    year: int
    last_sequence: int


def control_findings(
    balances: Mapping[tuple[str, str], int],
    items: Iterable[ControlItem],
    accounts: Sequence[str],
) -> list[ControlFinding]:
    """Compare each control account's balance (``balances[(account, currency)]``,
    debits minus credits) with the sum of its open items, per currency."""
    sums: defaultdict[tuple[str, str], int] = defaultdict(int)
    for item in items:
        assert item.account in accounts, f"{item.account} is not a control account"
        sums[item.account, item.currency] += item.amount_minor
    keys = {key for key in balances if key[0] in accounts} | set(sums)
    return [
        ControlFinding(
            account, currency, balances.get((account, currency), 0), sums[account, currency]
        )
        for account, currency in sorted(keys)
        if balances.get((account, currency), 0) != sums[account, currency]
    ]


def numbering_findings(
    series: Iterable[SeriesState], numbers: Iterable[InvoiceNumber]
) -> list[str]:
    """Gaps and duplicates among the issued numbers, and any series whose last
    number is not the highest number issued in it."""
    issued = list(numbers)
    findings = [str(finding) for finding in gaps(issued)]
    highest: dict[tuple[str, int], int] = {}
    for number in issued:
        key = (number.series, number.year)
        highest[key] = max(highest.get(key, 0), number.sequence)
    stated = {(state.series, state.year): state.last_sequence for state in series}
    for key in sorted(set(highest) | set(stated)):
        if highest.get(key, 0) != stated.get(key, 0):
            findings.append(
                f"{key[0]}-{key[1]}: the series handed out {stated.get(key, 0)} numbers,"
                f" the documents carry up to {highest.get(key, 0)}"
            )
    return findings
