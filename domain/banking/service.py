"""Commands of bank reconciliation: import statements, match, unmatch, report.

``BankReconciler`` wraps the one ``BackOffice`` application (it adds no
aggregate to it, only saves through it, so an API request's
``CompletedRequest`` rides in the same commit). Every write goes through
the account's ``BankReconciliation`` aggregate, whose version serialises
concurrent writers; refusals raise before anything is saved.

Ledger movements come from ``domain.ledger.movements``.
"""

from __future__ import annotations

from datetime import date, timedelta
from uuid import UUID

from domain.banking.errors import (
    EntryAlreadyMatched,
    LineAlreadyMatched,
    LineNotMatched,
    MatchNotAllowed,
)
from domain.banking.importing import ImportPlan, PlannedStatement, StatementImport
from domain.banking.matching import (
    WINDOW_DAYS_DEFAULT,
    WINDOW_DAYS_MAX,
    Match,
    auto_match,
    movement_of,
    period_bounds,
)
from domain.banking.reads import BalanceSource
from domain.banking.reconciliation import BankReconciliation
from domain.banking.report import ReconciliationReporting
from domain.banking.statements import StatementLine
from domain.kernel import limits
from domain.kernel.context import Context
from domain.kernel.errors import ConcurrencyConflict, InvalidInput
from domain.kernel.unit_of_work import (
    CONFLICT_RETRIES_MAX,
    save_once,
)
from domain.ledger.accounts import check_account_code

__all__ = ["BalanceSource", "BankReconciler", "ImportPlan", "PlannedStatement"]


class BankReconciler(StatementImport, ReconciliationReporting):
    """Statements in, matches made, reports out, for ledger bank accounts."""

    def plan_run(
        self, account: str, period: str, window_days: int = WINDOW_DAYS_DEFAULT
    ) -> tuple[list[Match], int]:
        """The automatic matches for the period's unmatched lines, and the version of
        the reconciliation they were computed against. Writes nothing."""
        account = check_account_code(account)
        self._window(window_days)
        first, last = period_bounds(period)
        reconciliation = self._reconciliation(account)
        if reconciliation is None:
            return [], 0
        lines = [item.line for item in self._period_lines(reconciliation, first, last)]
        movements = self.movements(account, _shift(first, -window_days), _shift(last, window_days))
        matches = auto_match(
            lines,
            movements,
            matched_lines=reconciliation.matches,
            matched_entries=reconciliation.entry_lines,
            window_days=window_days,
        )
        return matches, int(reconciliation.version)

    def apply_matches(
        self, context: Context, account: str, matches: list[Match], expected_version: int
    ) -> int | None:
        """Record planned matches, if the reconciliation has not moved since the plan."""
        context.checked()
        if not matches:
            return None
        with self.app.write_lock:
            reconciliation = self._reconciliation(account)
            if reconciliation is None or reconciliation.version != expected_version:
                raise ConcurrencyConflict(
                    f"the reconciliation of {account} changed while matching; run it again"
                )
            for match in matches:
                self._trigger_match(reconciliation, match, context)
            return save_once(self.app, reconciliation)

    def run(
        self, context: Context, account: str, period: str, window_days: int = WINDOW_DAYS_DEFAULT
    ) -> tuple[list[Match], int | None]:
        """Match the period's lines automatically; returns the new matches and position."""
        for _attempt in range(CONFLICT_RETRIES_MAX):
            matches, version = self.plan_run(account, period, window_days)
            try:
                return matches, self.apply_matches(context, account, matches, version)
            except ConcurrencyConflict:
                continue
        raise ConcurrencyConflict(f"the reconciliation of {account} kept changing; retry")

    def match(self, context: Context, line: str, entry_id: UUID) -> int:
        """Match a line to a journal entry by hand (``how`` = manual)."""
        context.checked()
        with self.app.write_lock:
            statement, statement_line = self._line(line)
            if not statement_line.booked:
                raise MatchNotAllowed(
                    f"line {line} is {statement_line.status}, not booked", field="line_id"
                )
            reconciliation = self._reconciliation(statement.ledger_account)
            assert reconciliation is not None, "importing attaches the statement"
            if line in reconciliation.matches:
                raise LineAlreadyMatched(
                    f"line {line} is matched to entry {reconciliation.matches[line][0]};"
                    " unmatch it first",
                    field="line_id",
                )
            if str(entry_id) in reconciliation.entry_lines:
                raise EntryAlreadyMatched(
                    f"journal entry {entry_id} is matched to line"
                    f" {reconciliation.entry_lines[str(entry_id)]}",
                    field="entry_id",
                )
            self._check_entry_explains(statement.ledger_account, statement_line, entry_id)
            self._trigger_match(reconciliation, Match(line, str(entry_id), "manual"), context)
            return save_once(self.app, reconciliation)

    def unmatch(self, context: Context, line: str, reason: str) -> int:
        context.checked()
        reason = limits.bounded_text(reason, "reason", limits.REASON_LENGTH_MAX)
        with self.app.write_lock:
            statement, _statement_line = self._line(line)
            reconciliation = self._reconciliation(statement.ledger_account)
            if reconciliation is None or line not in reconciliation.matches:
                raise LineNotMatched(f"line {line} is not matched", field="line_id")
            reconciliation.trigger_event(
                BankReconciliation.LineUnmatched,
                line_id=line,
                entry_id=reconciliation.matches[line][0],
                reason=reason,
                actor=context.actor,
                correlation_id=context.correlation_id,
            )
            return save_once(self.app, reconciliation)

    def _check_entry_explains(self, account: str, line: StatementLine, entry_id: UUID) -> None:
        entry = self.app.get_entry(entry_id)
        if entry.status != "posted":
            raise MatchNotAllowed(f"journal entry {entry_id} is {entry.status}", field="entry_id")
        moves = movement_of(str(entry.id), 0, entry.effective_date, entry.postings, account)
        if not any(
            move.currency == line.currency and move.direction == line.direction for move in moves
        ):
            side = "into" if line.direction == "credit" else "out of"
            raise MatchNotAllowed(
                f"journal entry {entry_id} moves no {line.currency} {side} {account}, as the"
                " line does",
                field="entry_id",
            )

    def _trigger_match(
        self, reconciliation: BankReconciliation, match: Match, context: Context
    ) -> None:
        reconciliation.trigger_event(
            BankReconciliation.LineMatched,
            line_id=match.line_id,
            entry_id=match.entry_id,
            how=match.how,
            actor=context.actor,
            correlation_id=context.correlation_id,
        )

    @staticmethod
    def _window(window_days: int) -> None:
        if not isinstance(window_days, int) or not 0 <= window_days <= WINDOW_DAYS_MAX:
            raise InvalidInput(
                f"window_days: an integer from 0 to {WINDOW_DAYS_MAX}", field="window_days"
            )


def _shift(day: str, days: int) -> str:
    return (date.fromisoformat(day) + timedelta(days=days)).isoformat()
