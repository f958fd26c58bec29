"""Refusals of bank statements and reconciliation."""

from __future__ import annotations

from domain.kernel.errors import DomainError, InvalidInput


class InvalidStatement(InvalidInput):
    """A bank statement file that cannot be read; the message names the statement
    and entry (``statement[1].entry[4].amount``)."""

    code = "invalid_statement"


class StatementAlreadyImported(DomainError):
    """A statement with this id (account, statement id, sequence) was imported
    before with different content."""

    code = "statement_already_imported"


class UnknownStatement(DomainError):
    code = "unknown_statement"


class UnknownStatementLine(DomainError):
    code = "unknown_statement_line"


class LineAlreadyMatched(DomainError):
    code = "line_already_matched"


class EntryAlreadyMatched(DomainError):
    """The journal entry is already matched to another statement line."""

    code = "entry_already_matched"


class LineNotMatched(DomainError):
    code = "line_not_matched"


class MatchNotAllowed(DomainError):
    """The entry cannot explain the line: it does not post to the line's ledger
    account in the line's currency and direction, or it is not posted."""

    code = "match_not_allowed"
