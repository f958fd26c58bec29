"""Financial reports: trial balance, balance sheet, income statement.

Each is computed from the log up to a position (``ledger_fold``), per asset
(no conversion between assets), posted amounts only. Amounts are decimal
strings with the asset's scale; a balance is on the account's normal side
(debit for assets and expenses, credit otherwise).

For a ``period`` that has been closed (as of the report's position), every
row also carries the figure "as reported at close" (as of the position of
the period's first ``PeriodClosed``), the ``difference`` and
``late_positions``: the entry events recorded after the close that cause it
(entries dated in range and recorded after the close, e.g. after a reopen).
Without a closed period those three columns are null.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from domain.kernel.errors import InvalidInput
from domain.kernel.money import format_amount
from projections.reports.framework import (
    LogSource,
    ParameterSpec,
    ReportRow,
    ReportRun,
    ReportScope,
    ranges_text,
)
from projections.reports.ledger_fold import (
    LEDGER_SCOPE,
    Key,
    LedgerFold,
    merged_positions,
)
from projections.reports.ledger_projection import ledger_fold_of
from projections.reports.parameters import (
    DATE_FROM,
    DATE_TO,
    PERIOD,
    DateRange,
    check_period_or_range,
    period_bounds,
)

AS_OF_DATE = ParameterSpec(
    "as_of_date", "date", "effective date the balances are as of (inclusive)"
)
CREDIT_NORMAL = False
DEBIT_NORMAL = True


@dataclass(frozen=True, slots=True)
class Figure:
    """A sum over some lines on one side, now and as reported at close."""

    now_minor: int
    at_close_minor: int | None
    positions: list[int]
    late_positions: list[int]


def figure(fold: LedgerFold, keys: list[Key], debit_normal: bool) -> Figure:
    lines = [fold.lines[key] for key in keys]
    sign = 1 if debit_normal else -1
    now = sign * sum(line.debits - line.credits for line in lines)
    entries = list(merged_positions(lines))
    positions = sorted(set(entries).union(fold.metadata_positions(keys)))
    closed_at = fold.closed_at
    if fold.at_close is None or closed_at is None:
        return Figure(now, None, positions, [])
    snapshot = fold.at_close
    at_close = sign * sum(
        snapshot.get(key, (0, 0))[0] - snapshot.get(key, (0, 0))[1] for key in keys
    )
    late = [position for position in entries if position > closed_at]
    return Figure(now, at_close, positions, late)


def comparison(found: Figure, scale: int, name: str) -> dict[str, Any]:
    """The figure's columns: ``name``, ``name_at_close``, ``difference``, ``late_positions``."""
    closed = found.at_close_minor is not None
    return {
        name: format_amount(found.now_minor, scale),
        f"{name}_at_close": format_amount(found.at_close_minor, scale)
        if found.at_close_minor is not None
        else None,
        "difference": format_amount(found.now_minor - found.at_close_minor, scale)
        if found.at_close_minor is not None
        else None,
        "late_positions": ranges_text(found.late_positions) if closed else None,
    }


def _point_in_time_range(parameters: Mapping[str, str]) -> DateRange:
    period = parameters.get("period")
    if period is not None:
        return DateRange(None, period_bounds(period)[1], period)
    return DateRange(None, parameters.get("as_of_date"))


def _check_point_in_time(parameters: dict[str, str]) -> None:
    if "period" in parameters and "as_of_date" in parameters:
        raise InvalidInput("period: give a period or an as_of_date, not both", field="period")


def _is_debit_normal(account_type: str) -> bool:
    return account_type in ("asset", "expense", "unknown")


# --- trial balance -------------------------------------------------------------------


class TrialBalanceReport:
    name = "trial-balance"
    title = "Trial balance: posted debits, credits and balance per account and asset"
    parameters = (PERIOD, AS_OF_DATE)
    scope: ReportScope = LEDGER_SCOPE
    columns = (
        "key",
        "account",
        "account_type",
        "asset",
        "debits",
        "credits",
        "balance",
        "balance_at_close",
        "difference",
        "late_positions",
    )

    def validate(self, parameters: dict[str, str]) -> None:
        _check_point_in_time(parameters)

    def compute(
        self, source: LogSource, as_of_position: int, parameters: Mapping[str, str]
    ) -> ReportRun:
        dates = _point_in_time_range(parameters)
        fold = ledger_fold_of(source, as_of_position, dates, dates.period)
        return ReportRun(fold.context(), self._rows(fold), fold.period_positions)

    def _rows(self, fold: LedgerFold) -> Iterator[ReportRow]:
        for asset, keys in fold.keys_by_asset().items():
            scale = fold.scale(asset)
            for key in keys:
                account_type = fold.account_type(key[0])
                line = fold.lines[key]
                found = figure(fold, [key], _is_debit_normal(account_type))
                values = {
                    "account": key[0],
                    "account_type": account_type,
                    "asset": asset,
                    "debits": format_amount(line.debits, scale),
                    "credits": format_amount(line.credits, scale),
                    **comparison(found, scale, "balance"),
                }
                yield ReportRow(f"{key[0]}/{asset}", values, found.positions)
            total = figure(fold, keys, DEBIT_NORMAL)
            values = {
                "account": "(total)",
                "account_type": "total",
                "asset": asset,
                "debits": format_amount(sum(fold.lines[key].debits for key in keys), scale),
                "credits": format_amount(sum(fold.lines[key].credits for key in keys), scale),
                **comparison(total, scale, "balance"),
            }
            yield ReportRow(f"(total)/{asset}", values, total.positions)


# --- balance sheet -------------------------------------------------------------------

SECTIONS = (("asset", "asset"), ("liability", "liability"), ("equity", "equity"))


class BalanceSheetReport:
    name = "balance-sheet"
    title = "Balance sheet: assets = liabilities + equity + current earnings, per asset"
    parameters = (PERIOD, AS_OF_DATE)
    scope: ReportScope = LEDGER_SCOPE
    columns = (
        "key",
        "section",
        "account",
        "asset",
        "balance",
        "balance_at_close",
        "difference",
        "late_positions",
    )

    def validate(self, parameters: dict[str, str]) -> None:
        _check_point_in_time(parameters)

    def compute(
        self, source: LogSource, as_of_position: int, parameters: Mapping[str, str]
    ) -> ReportRun:
        dates = _point_in_time_range(parameters)
        fold = ledger_fold_of(source, as_of_position, dates, dates.period)
        return ReportRun(fold.context(), self._rows(fold), fold.period_positions)

    def _rows(self, fold: LedgerFold) -> Iterator[ReportRow]:
        for asset, keys in fold.keys_by_asset().items():
            scale = fold.scale(asset)
            by_type: dict[str, list[Key]] = {}
            for key in keys:
                by_type.setdefault(fold.account_type(key[0]), []).append(key)

            def row(
                section: str, account: str, found: Figure, asset: str = asset, scale: int = scale
            ) -> ReportRow:
                values = {"section": section, "account": account, "asset": asset}
                values |= comparison(found, scale, "balance")
                return ReportRow(f"{account}/{asset}", values, found.positions)

            for section, account_type in SECTIONS:
                for key in by_type.get(account_type, []):
                    yield row(section, key[0], figure(fold, [key], account_type == "asset"))
                if section == "equity":
                    earnings = by_type.get("income", []) + by_type.get("expense", [])
                    yield row("equity", "(current earnings)", figure(fold, earnings, CREDIT_NORMAL))
            for key in by_type.get("unknown", []):
                yield row("unclassified", key[0], figure(fold, [key], DEBIT_NORMAL))
            assets = by_type.get("asset", [])
            liabilities = by_type.get("liability", [])
            equity = (
                by_type.get("equity", []) + by_type.get("income", []) + by_type.get("expense", [])
            )
            yield row("total", "(total assets)", figure(fold, assets, DEBIT_NORMAL))
            yield row("total", "(total liabilities)", figure(fold, liabilities, CREDIT_NORMAL))
            yield row("total", "(total equity)", figure(fold, equity, CREDIT_NORMAL))
            yield row(
                "total",
                "(total liabilities and equity)",
                figure(fold, liabilities + equity, CREDIT_NORMAL),
            )


# --- income statement ------------------------------------------------------------------


class IncomeStatementReport:
    name = "income-statement"
    title = "Income statement: income and expenses dated in a period or date range, per asset"
    parameters = (PERIOD, DATE_FROM, DATE_TO)
    scope: ReportScope = LEDGER_SCOPE
    columns = (
        "key",
        "section",
        "account",
        "asset",
        "amount",
        "amount_at_close",
        "difference",
        "late_positions",
    )

    def validate(self, parameters: dict[str, str]) -> None:
        check_period_or_range(parameters, required=True)

    def compute(
        self, source: LogSource, as_of_position: int, parameters: Mapping[str, str]
    ) -> ReportRun:
        period = parameters.get("period")
        if period is not None:
            dates = DateRange(*period_bounds(period), period)
        else:
            dates = DateRange(parameters["date_from"], parameters["date_to"])
        fold = ledger_fold_of(source, as_of_position, dates, period)
        return ReportRun(fold.context(), self._rows(fold), fold.period_positions)

    def _rows(self, fold: LedgerFold) -> Iterator[ReportRow]:
        for asset, keys in fold.keys_by_asset().items():
            scale = fold.scale(asset)
            income = [key for key in keys if fold.account_type(key[0]) == "income"]
            expense = [key for key in keys if fold.account_type(key[0]) == "expense"]
            if not income and not expense:
                continue

            def row(
                section: str, account: str, found: Figure, asset: str = asset, scale: int = scale
            ) -> ReportRow:
                values = {"section": section, "account": account, "asset": asset}
                values |= comparison(found, scale, "amount")
                return ReportRow(f"{account}/{asset}", values, found.positions)

            for key in income:
                yield row("income", key[0], figure(fold, [key], CREDIT_NORMAL))
            for key in expense:
                yield row("expense", key[0], figure(fold, [key], DEBIT_NORMAL))
            yield row("total", "(total income)", figure(fold, income, CREDIT_NORMAL))
            yield row("total", "(total expense)", figure(fold, expense, DEBIT_NORMAL))
            yield row("total", "(net income)", figure(fold, income + expense, CREDIT_NORMAL))


REPORTS = (TrialBalanceReport(), BalanceSheetReport(), IncomeStatementReport())
__all__ = ["DATE_FROM", "DATE_TO", "REPORTS"]
