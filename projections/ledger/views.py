"""Answers of the balances projection: plain values, amounts as integers and strings.

Counters stay integers of minor units; ``net`` is also rendered as a decimal
string with the asset's scale. ``as_dict`` gives the JSON shape for the API
and the CLI: every amount a decimal string (never a float), with the
asset's scale.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from domain.kernel.money import ISO_CURRENCY_SCALES, format_amount
from domain.ledger.accounts import DEBIT_NORMAL_TYPES
from projections.ledger.schema import COUNTERS, CounterRow


@dataclass(frozen=True, slots=True)
class BalanceLine:
    """One account in one asset: the four counters and the net balance on the
    account's normal side (``net_minor``; ``net`` as a decimal string)."""

    account: str
    account_type: str
    asset: str
    scale: int
    debits_posted: int
    credits_posted: int
    debits_pending: int
    credits_pending: int
    net_minor: int
    net: str

    def as_dict(self) -> dict[str, Any]:
        amounts = {name: format_amount(getattr(self, name), self.scale) for name in COUNTERS}
        return {
            "account": self.account,
            "account_type": self.account_type,
            "asset": self.asset,
            **amounts,
            "net": self.net,
        }


@dataclass(frozen=True, slots=True)
class AccountBalance:
    """An account's balances as of ``position`` (the log position the answer
    reflects) and, when asked, ``as_of_date`` (inclusive)."""

    account: str
    account_type: str
    position: int
    as_of_date: str | None
    lines: list[BalanceLine]

    def as_dict(self) -> dict[str, Any]:
        return {
            "account": self.account,
            "account_type": self.account_type,
            "position": self.position,
            "as_of_date": self.as_of_date,
            "balances": [line.as_dict() for line in self.lines],
        }


@dataclass(frozen=True, slots=True)
class AssetTotals:
    """Sums over all accounts in one asset; ``net_minor`` (debits - credits) is 0
    in a sound ledger, and so is ``pending_net_minor``."""

    asset: str
    scale: int
    debits_posted: int
    credits_posted: int
    debits_pending: int
    credits_pending: int

    @property
    def net_minor(self) -> int:
        return self.debits_posted - self.credits_posted

    @property
    def pending_net_minor(self) -> int:
        return self.debits_pending - self.credits_pending

    def as_dict(self) -> dict[str, Any]:
        amounts = {name: format_amount(getattr(self, name), self.scale) for name in COUNTERS}
        return {"asset": self.asset, **amounts, "net": format_amount(self.net_minor, self.scale)}


@dataclass(frozen=True, slots=True)
class TrialBalance:
    """Every account and asset with activity, and the totals per asset."""

    position: int
    as_of_date: str | None
    lines: list[BalanceLine]
    totals: list[AssetTotals]

    @property
    def balanced(self) -> bool:
        return all(t.net_minor == 0 and t.pending_net_minor == 0 for t in self.totals)

    def as_dict(self) -> dict[str, Any]:
        return {
            "position": self.position,
            "as_of_date": self.as_of_date,
            "balanced": self.balanced,
            "lines": [line.as_dict() for line in self.lines],
            "totals": [total.as_dict() for total in self.totals],
        }


def net_minor(account_type: str, debits_posted: int, credits_posted: int) -> int:
    """Posted balance on the account's normal side (debit for assets and expenses)."""
    if account_type in DEBIT_NORMAL_TYPES:
        return debits_posted - credits_posted
    return credits_posted - debits_posted


def scale_of(asset: str, registered: dict[str, int]) -> int:
    """The asset's decimal places: ISO 4217 first, then registered assets (0 if unknown)."""
    return ISO_CURRENCY_SCALES.get(asset, registered.get(asset, 0))


def balance_line(row: CounterRow, account_type: str, scales: dict[str, int]) -> BalanceLine:
    net = net_minor(account_type, row.debits_posted, row.credits_posted)
    scale = scale_of(row.asset, scales)
    return BalanceLine(
        row.account,
        account_type,
        row.asset,
        scale,
        row.debits_posted,
        row.credits_posted,
        row.debits_pending,
        row.credits_pending,
        net,
        format_amount(net, scale),
    )


def asset_totals(lines: list[BalanceLine]) -> list[AssetTotals]:
    sums: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0, 0])
    scales: dict[str, int] = {}
    for line in lines:
        total = sums[line.asset]
        total[0] += line.debits_posted
        total[1] += line.credits_posted
        total[2] += line.debits_pending
        total[3] += line.credits_pending
        scales[line.asset] = line.scale
    return [AssetTotals(asset, scales[asset], *sums[asset]) for asset in sorted(sums)]
