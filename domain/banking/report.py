"""The reconciliation report of a ledger bank account for a period: matched
pairs, unmatched lines and movements, and the statement's closing balance
against the ledger's."""

from __future__ import annotations

from uuid import UUID

from domain.banking.matching import (
    ReconciliationReport,
    period_bounds,
)
from domain.banking.reads import BankReads
from domain.ledger.accounts import DEBIT_NORMAL_TYPES, check_account_code


class ReconciliationReporting(BankReads):
    """``report`` and its parts."""

    def report(
        self, account: str, period: str, currency: str | None = None
    ) -> ReconciliationReport:
        """Matched pairs, unmatched lines and movements, and the statement's closing
        balance against the ledger's, for ``account`` in ``period`` (YYYY-MM)."""
        account = check_account_code(account)
        first, last = period_bounds(period)
        ledger = self._ledger_account(account, allow_closed=True)
        reconciliation = self._reconciliation(account)
        attached = reconciliation.statements if reconciliation is not None else []
        currency = currency or (attached[-1]["currency"] if attached else ledger.assets[0])
        scale = self.app.catalog().scale_of(currency, field="currency")
        matches = reconciliation.matches if reconciliation is not None else {}
        lines = [
            item
            for item in (self._period_lines(reconciliation, first, last) if reconciliation else [])
            if item.line.currency == currency
        ]
        movements = [m for m in self.movements(account) if m.currency == currency]
        by_entry = {movement.entry_id: movement for movement in movements}
        matched_entries = set(reconciliation.entry_lines) if reconciliation else set()
        closing_minor, closing_date = self._closing(attached, currency, first, last)
        balance_minor, position = self._ledger_balance(account, currency, last)
        return ReconciliationReport(
            account=account,
            period=period,
            currency=currency,
            scale=scale,
            matched=[
                (item, by_entry.get(matches[item.line.line_id][0]), matches[item.line.line_id][1])
                for item in lines
                if item.line.line_id in matches
            ],
            unmatched_lines=[item for item in lines if item.line.line_id not in matches],
            unmatched_movements=[
                movement
                for movement in movements
                if first <= movement.effective_date <= last
                and movement.entry_id not in matched_entries
            ],
            statements=sorted({item.statement for item in lines}),
            statement_closing_minor=closing_minor,
            statement_closing_date=closing_date,
            ledger_balance_minor=balance_minor,
            ledger_position=position,
        )

    def _closing(
        self, attached: list[dict[str, str]], currency: str, first: str, last: str
    ) -> tuple[int | None, str | None]:
        """The latest closing balance dated in the period (the last imported on a tie)."""
        candidates = [
            (item["closing_date"], order, item)
            for order, item in enumerate(attached)
            if item["currency"] == currency and first <= item["closing_date"] <= last
        ]
        if not candidates:
            return None, None
        closing_date, _order, item = max(candidates, key=lambda found: (found[0], found[1]))
        closing = self.statement(UUID(item["statement"])).closing
        assert closing is not None
        return int(closing["amount_minor"]), closing_date

    def _ledger_balance(self, account: str, currency: str, as_of: str) -> tuple[int, int | None]:
        """The account's balance as the bank sees it (money in positive), as of ``as_of``."""
        if self.balances is None:
            return sum(
                m.amount_minor if m.direction == "credit" else -m.amount_minor
                for m in self.movements(account, None, as_of)
                if m.currency == currency
            ), None
        balance = self.balances.balance(account, as_of_date=as_of)
        net = sum(line.net_minor for line in balance.lines if line.asset == currency)
        debit_normal = balance.account_type in DEBIT_NORMAL_TYPES
        return (net if debit_normal else -net), int(balance.position)
