"""Commands of bank reconciliation: import statements, match, unmatch, report.

``BankReconciler`` wraps the one ``BackOffice`` application (it adds no
aggregate to it, only saves through it, so an API request's
``CompletedRequest`` rides in the same commit). Every write goes through
the account's ``BankReconciliation`` aggregate, whose version serialises
concurrent writers; refusals raise before anything is saved.

Ledger movements come from ``domain.ledger.movements``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any, Protocol
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError
from eventsourcing.persistence import IntegrityError

from domain.application import CONFLICT_RETRIES_MAX, BackOffice
from domain.banking.errors import (
    EntryAlreadyMatched,
    InvalidStatement,
    LineAlreadyMatched,
    LineNotMatched,
    MatchNotAllowed,
    StatementAlreadyImported,
    UnknownStatement,
)
from domain.banking.matching import (
    WINDOW_DAYS_DEFAULT,
    WINDOW_DAYS_MAX,
    LineToMatch,
    Match,
    Movement,
    ReconciliationReport,
    ReportLine,
    auto_match,
    movement_of,
    period_bounds,
)
from domain.banking.records import (
    BankReconciliation,
    BankStatement,
    bank_statement_id,
    line_id,
    reconciliation_id,
    split_line_id,
    statement_fingerprint,
)
from domain.banking.statements import ParsedStatement, StatementLine, parse_statements
from domain.kernel import limits
from domain.kernel.errors import ConcurrencyConflict, InvalidInput
from domain.kernel.money import ISO_CURRENCY_SCALES, format_amount
from domain.ledger.accounts import DEBIT_NORMAL_TYPES, Account, account_id, check_account_code
from domain.ledger.commands import Context
from domain.ledger.errors import AccountClosed, AssetNotAllowed, UnknownAccount
from domain.ledger.movements import ledger_movements


class BalanceSource(Protocol):
    """The balances projection (``projections.runner.ProjectionService``)."""

    def balance(self, account: str, as_of_date: str | None = ...) -> Any: ...


@dataclass(frozen=True, slots=True)
class PlannedStatement:
    """A statement of a file, its id, and whether it is already in the log."""

    statement: ParsedStatement
    statement_uuid: UUID
    fingerprint: str
    already_imported: bool

    def as_view(self) -> dict[str, Any]:
        statement = self.statement
        return {
            "id": str(self.statement_uuid),
            "bank_account": statement.bank_account,
            "statement_id": statement.statement_id,
            "sequence": statement.sequence,
            "currency": statement.currency,
            "lines": len(statement.lines),
            "balance_check": statement.balance_check.as_view(statement.scale),
        }


@dataclass(frozen=True, slots=True)
class ImportPlan:
    ledger_account: str
    statements: list[PlannedStatement]


class BankReconciler:
    """Statements in, matches made, reports out, for ledger bank accounts."""

    def __init__(self, app: BackOffice, balances: BalanceSource | None = None) -> None:
        self.app = app
        self.balances = balances

    # --- import -----------------------------------------------------------

    def plan_import(self, raw: bytes, ledger_account: str, source_format: str) -> ImportPlan:
        """Parse the file and check it against the ledger; writes nothing."""
        account = self._ledger_account(ledger_account)
        statements = parse_statements(raw, source_format)
        planned: list[PlannedStatement] = []
        seen: set[UUID] = set()
        for index, statement in enumerate(statements):
            if statement.currency not in account.assets:
                raise AssetNotAllowed(
                    f"statement[{index}]: in {statement.currency}; ledger account"
                    f" {account.code} holds {', '.join(account.assets)}",
                    field="account",
                )
            uuid = bank_statement_id(
                statement.bank_account, statement.statement_id, statement.sequence
            )
            if uuid in seen:
                raise InvalidStatement(
                    f"statement[{index}]: statement {statement.statement_id!r} appears twice"
                    " in the file",
                    field=f"statement[{index}]",
                )
            seen.add(uuid)
            fingerprint = statement_fingerprint(account.code, statement)
            planned.append(
                PlannedStatement(statement, uuid, fingerprint, self._imported(uuid, fingerprint))
            )
        return ImportPlan(account.code, planned)

    def _imported(self, uuid: UUID, fingerprint: str) -> bool:
        """True if this statement is in the log with this content; refused if with other content."""
        existing = self._get(uuid)
        if existing is None:
            return False
        if not isinstance(existing, BankStatement) or existing.fingerprint != fingerprint:
            label = getattr(existing, "statement_id", uuid)
            ledger = getattr(existing, "ledger_account", "?")
            raise StatementAlreadyImported(
                f"statement {label!r} (id {uuid}) was imported before, for ledger account"
                f" {ledger}, with different content; a correction comes as a new statement"
                " (another id or sequence number)",
                field="statement_id",
            )
        return True

    def import_statements(
        self, context: Context, raw: bytes, ledger_account: str, source_format: str = "camt053"
    ) -> tuple[ImportPlan, int | None]:
        """Import every statement of a file in one commit; statements already imported
        with the same content are skipped. Returns the plan and the log position
        (None when nothing was new)."""
        plan = self.plan_import(raw, ledger_account, source_format)
        return plan, self.commit_import(context, plan)

    def commit_import(self, context: Context, plan: ImportPlan) -> int | None:
        context.checked()
        for _attempt in range(CONFLICT_RETRIES_MAX):
            with self.app.write_lock:
                fresh = [
                    item
                    for item in plan.statements
                    if not self._imported(item.statement_uuid, item.fingerprint)
                ]
                if not fresh:
                    return None
                reconciliation = self._reconciliation(plan.ledger_account, context, create=True)
                assert reconciliation is not None
                aggregates: list[Any] = []
                for item in fresh:
                    aggregates.append(self._new_statement(context, plan.ledger_account, item))
                    statement = item.statement
                    dates = sorted(line.booking_date for line in statement.lines)
                    reconciliation.trigger_event(
                        BankReconciliation.StatementAttached,
                        statement=str(item.statement_uuid),
                        bank_account=statement.bank_account,
                        currency=statement.currency,
                        first_date=dates[0] if dates else "",
                        last_date=dates[-1] if dates else "",
                        closing_date="" if statement.closing is None else statement.closing.date,
                        actor=context.actor,
                        correlation_id=context.correlation_id,
                    )
                try:
                    recordings = self.app.save(*aggregates, reconciliation)
                except IntegrityError:
                    continue
                return max(recording.notification.id for recording in recordings)
        raise ConcurrencyConflict("the account's reconciliation changed concurrently; retry")

    def _new_statement(
        self, context: Context, ledger_account: str, item: PlannedStatement
    ) -> BankStatement:
        statement = item.statement
        return BankStatement._create(
            BankStatement.StatementImported,
            id=item.statement_uuid,
            ledger_account=ledger_account,
            bank_account=statement.bank_account,
            statement_id=statement.statement_id,
            sequence=statement.sequence,
            source_format=statement.source_format,
            message_id=statement.message_id,
            currency=statement.currency,
            from_date=statement.from_date,
            to_date=statement.to_date,
            opening=None if statement.opening is None else statement.opening.as_record(),
            closing=None if statement.closing is None else statement.closing.as_record(),
            lines=[line.as_record() for line in statement.lines],
            balance_check=statement.balance_check.as_record(),
            fingerprint=item.fingerprint,
            actor=context.actor,
            correlation_id=context.correlation_id,
        )

    # --- reading ------------------------------------------------------------

    def statement(self, statement_uuid: UUID) -> BankStatement:
        found = self._get(statement_uuid)
        if not isinstance(found, BankStatement):
            raise UnknownStatement(
                f"bank statement {statement_uuid} does not exist", field="statement_id"
            )
        return found

    def statement_view(self, statement_uuid: UUID) -> dict[str, Any]:
        """The statement with each line's match (entry id and how, or None)."""
        statement = self.statement(statement_uuid)
        reconciliation = self._reconciliation(statement.ledger_account)
        matches = reconciliation.matches if reconciliation is not None else {}
        scale = ISO_CURRENCY_SCALES[statement.currency]
        lines = []
        for line in statement.lines:
            identifier = line_id(statement.id, line.index)
            match = matches.get(identifier)
            lines.append(
                {
                    **line.as_record(),
                    "line_id": identifier,
                    "amount": format_amount(line.amount_minor, scale),
                    "match": None if match is None else {"entry_id": match[0], "how": match[1]},
                }
            )
        return {
            "id": str(statement.id),
            "ledger_account": statement.ledger_account,
            "bank_account": statement.bank_account,
            "statement_id": statement.statement_id,
            "sequence": statement.sequence,
            "format": statement.source_format,
            "currency": statement.currency,
            "from_date": statement.from_date,
            "to_date": statement.to_date,
            "opening": statement.opening,
            "closing": statement.closing,
            "balance_check": statement.balance_check,
            "imported_by": statement.imported_by,
            "lines": lines,
        }

    def movements(
        self, account: str, from_date: str | None = None, to_date: str | None = None
    ) -> list[Movement]:
        """The posted entries' movements on ``account`` with effective dates in
        [from_date, to_date] (inclusive; open ends when None), in log order."""
        return ledger_movements(self.app, account, from_date, to_date)

    # --- matching -----------------------------------------------------------

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
            return self._save(reconciliation)

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
            return self._save(reconciliation)

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
            return self._save(reconciliation)

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

    # --- report -------------------------------------------------------------

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

    def _period_lines(
        self, reconciliation: BankReconciliation, first: str, last: str
    ) -> list[ReportLine]:
        """Booked lines of the attached statements booked within [first, last]."""
        found: list[ReportLine] = []
        for attached in reconciliation.statements:
            if (
                not attached["first_date"]
                or attached["last_date"] < first
                or attached["first_date"] > last
            ):
                continue
            statement = self.statement(UUID(attached["statement"]))
            for line in statement.lines:
                if line.booked and first <= line.booking_date <= last:
                    found.append(_report_line(statement.id, line))
        return found

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

    # --- helpers ------------------------------------------------------------

    def _line(self, text: str) -> tuple[BankStatement, StatementLine]:
        statement_uuid, index = split_line_id(text)
        statement = self.statement(statement_uuid)
        return statement, statement.line(index)

    def _ledger_account(self, code: str, *, allow_closed: bool = False) -> Account:
        code = check_account_code(code, "account")
        found = self._get(account_id(code))
        if not isinstance(found, Account):
            raise UnknownAccount(f"account {code!r} does not exist", field="account")
        if found.closed and not allow_closed:
            raise AccountClosed(f"account {code} is closed", field="account")
        return found

    def _reconciliation(
        self, account: str, context: Context | None = None, *, create: bool = False
    ) -> BankReconciliation | None:
        found = self._get(reconciliation_id(account))
        if isinstance(found, BankReconciliation):
            return found
        if not create:
            return None
        assert context is not None
        started: BankReconciliation = BankReconciliation._create(
            BankReconciliation.ReconciliationStarted,
            id=reconciliation_id(account),
            ledger_account=account,
            actor=context.actor,
            correlation_id=context.correlation_id,
        )
        return started

    def _get(self, aggregate_id: UUID) -> Any:
        try:
            return self.app.repository.get(aggregate_id)
        except AggregateNotFoundError:
            return None

    def _save(self, aggregate: Any) -> int:
        try:
            recordings = self.app.save(aggregate)
        except IntegrityError:
            raise ConcurrencyConflict("changed concurrently by another writer; retry") from None
        return int(recordings[-1].notification.id)

    @staticmethod
    def _window(window_days: int) -> None:
        if not isinstance(window_days, int) or not 0 <= window_days <= WINDOW_DAYS_MAX:
            raise InvalidInput(
                f"window_days: an integer from 0 to {WINDOW_DAYS_MAX}", field="window_days"
            )


def _shift(day: str, days: int) -> str:
    return (date.fromisoformat(day) + timedelta(days=days)).isoformat()


def _report_line(statement_uuid: UUID, line: StatementLine) -> ReportLine:
    details = line.details
    return ReportLine(
        LineToMatch(
            line_id(statement_uuid, line.index),
            line.booking_date,
            line.value_date,
            line.direction,
            line.amount_minor,
            line.currency,
            tuple(line.references()),
        ),
        str(statement_uuid),
        counterparty=next((d.counterparty for d in details if d.counterparty), ""),
        description=next((d.remittance for d in details if d.remittance), line.additional_info),
    )
