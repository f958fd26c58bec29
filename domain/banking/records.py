"""Aggregates of bank reconciliation: imported statements and the matches of
one ledger bank account.

``BankStatement``: one imported statement, id = uuid5(bank account,
statement id, sequence number), so a second import of the same statement
collides on the id. Its one event, ``StatementImported``, carries the
parsed lines (amounts in minor units, dates, references) and the balance
check as the importer saw it.

``BankReconciliation``: the matches of one ledger account (id = uuid5 of
the account code). Every statement imported for the account is attached to
it, and every match and unmatch is an event on it, so its version
serialises concurrent matchers: a statement line is matched at most once
and a journal entry explains at most one line, on any backend.
"""

from __future__ import annotations

import hashlib
from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid5

import orjson
from eventsourcing.domain import Aggregate

from domain.banking.errors import UnknownStatementLine
from domain.banking.statements import ParsedStatement, StatementLine, line_from_record
from domain.kernel.topics import pin_topics

_STATEMENT_NAMESPACE = uuid5(NAMESPACE_URL, "urn:backoffice:bank-statement")
_RECONCILIATION_NAMESPACE = uuid5(NAMESPACE_URL, "urn:backoffice:bank-reconciliation")
MATCH_KINDS = ("reference", "amount_date", "manual")


def bank_statement_id(bank_account: str, statement_id: str, sequence: str) -> UUID:
    return uuid5(_STATEMENT_NAMESPACE, f"{bank_account}\x00{statement_id}\x00{sequence}")


def reconciliation_id(ledger_account: str) -> UUID:
    return uuid5(_RECONCILIATION_NAMESPACE, ledger_account)


def line_id(statement: UUID, index: int) -> str:
    """A statement line's id: ``<statement uuid>:<index>``."""
    return f"{statement}:{index}"


def split_line_id(text: str) -> tuple[UUID, int]:
    statement, _, index = text.rpartition(":")
    try:
        parsed = UUID(statement)
        position = int(index)
    except ValueError:
        raise UnknownStatementLine(
            f"line_id: {text[:80]!r} is not a statement line id (<statement id>:<index>)",
            field="line_id",
        ) from None
    if position < 0 or str(position) != index:
        raise UnknownStatementLine(f"line_id: {text[:80]!r} has no such index", field="line_id")
    return parsed, position


def statement_fingerprint(ledger_account: str, statement: ParsedStatement) -> str:
    """SHA-256 of what an import records: the same file imports to the same fingerprint."""
    body = {
        "ledger_account": ledger_account,
        "bank_account": statement.bank_account,
        "statement_id": statement.statement_id,
        "sequence": statement.sequence,
        "currency": statement.currency,
        "opening": None if statement.opening is None else statement.opening.as_record(),
        "closing": None if statement.closing is None else statement.closing.as_record(),
        "lines": [line.as_record() for line in statement.lines],
    }
    return hashlib.sha256(orjson.dumps(body, option=orjson.OPT_SORT_KEYS)).hexdigest()


class BankStatement(Aggregate):
    """An imported bank statement; its lines are ``lines`` (``StatementLine``)."""

    class StatementImported(Aggregate.Created):
        """The statement as parsed. ``lines``: ``StatementLine.as_record()`` rows;
        ``opening``/``closing``: ``Balance.as_record()`` or None; ``balance_check``:
        ``BalanceCheck.as_record()``."""

        class_version = 1

        ledger_account: str
        bank_account: str
        statement_id: str
        sequence: str
        source_format: str
        message_id: str
        currency: str
        from_date: str
        to_date: str
        opening: dict[str, Any] | None
        closing: dict[str, Any] | None
        lines: list[dict[str, Any]]
        balance_check: dict[str, Any]
        fingerprint: str
        actor: str
        correlation_id: str

    def __init__(  # the StatementImported fields; only assigns
        self,
        ledger_account: str,
        bank_account: str,
        statement_id: str,
        sequence: str,
        source_format: str,
        message_id: str,
        currency: str,
        from_date: str,
        to_date: str,
        opening: dict[str, Any] | None,
        closing: dict[str, Any] | None,
        lines: list[dict[str, Any]],
        balance_check: dict[str, Any],
        fingerprint: str,
        actor: str,
        correlation_id: str,
    ) -> None:
        self.ledger_account = ledger_account
        self.bank_account = bank_account
        self.statement_id = statement_id
        self.sequence = sequence
        self.source_format = source_format
        self.message_id = message_id
        self.currency = currency
        self.from_date = from_date
        self.to_date = to_date
        self.opening = opening
        self.closing = closing
        self.line_records = lines
        self.balance_check = balance_check
        self.fingerprint = fingerprint
        self.imported_by = actor

    @classmethod
    def imported(
        cls,
        *,
        id: UUID,
        ledger_account: str,
        bank_account: str,
        statement_id: str,
        sequence: str,
        source_format: str,
        message_id: str,
        currency: str,
        from_date: str,
        to_date: str,
        opening: dict[str, Any] | None,
        closing: dict[str, Any] | None,
        lines: list[dict[str, Any]],
        balance_check: dict[str, Any],
        fingerprint: str,
        actor: str,
        correlation_id: str,
    ) -> BankStatement:
        """A newly imported bank statement."""
        return cls._create(
            cls.StatementImported,
            id=id,
            ledger_account=ledger_account,
            bank_account=bank_account,
            statement_id=statement_id,
            sequence=sequence,
            source_format=source_format,
            message_id=message_id,
            currency=currency,
            from_date=from_date,
            to_date=to_date,
            opening=opening,
            closing=closing,
            lines=lines,
            balance_check=balance_check,
            fingerprint=fingerprint,
            actor=actor,
            correlation_id=correlation_id,
        )

    @property
    def lines(self) -> list[StatementLine]:
        return [line_from_record(record) for record in self.line_records]

    def line(self, index: int) -> StatementLine:
        if not 0 <= index < len(self.line_records):
            raise UnknownStatementLine(
                f"line_id: statement {self.id} has {len(self.line_records)} lines, no line {index}",
                field="line_id",
            )
        return line_from_record(self.line_records[index])


# The log knows these events under their first module name (see domain.kernel.topics).
pin_topics("domain.bank_records", BankStatement)
