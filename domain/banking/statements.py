"""Bank statements as plain values, the balance check, and the CSV format.

Pure parsing: nothing here touches a database. ``parse_statements(raw,
format)`` reads a file into ``ParsedStatement`` values or raises
``InvalidStatement`` naming the statement and entry (``statement[0].entry[3].
amount``); a refused file writes nothing because nothing has been written
yet. ISO 20022 camt.053 / camt.054 XML is read by ``domain.banking.camt``.

Amounts are integer minor units with the currency's ISO 4217 exponent; a
line carries a positive ``amount_minor`` and a ``direction`` (``credit`` =
money into the bank account, ``debit`` = money out), as the bank reports it.
``signed_minor`` is the effect on the account's balance.

The balance check is reported, never refused: a statement whose opening
balance plus its booked lines differs from its stated closing balance is
imported with ``balance_check.status == "mismatch"`` and the difference.

The CSV statement format is specified in ``domain.banking.statement_csv``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from domain.banking.errors import InvalidStatement
from domain.kernel import limits
from domain.kernel.errors import DomainError
from domain.kernel.money import ISO_CURRENCY_SCALES, format_amount, parse_amount

FORMATS = ("camt053", "csv")
FILE_BYTES_MAX = 32 * 1024 * 1024
STATEMENTS_PER_FILE_MAX = 100
LINES_PER_STATEMENT_MAX = 10_000
DETAILS_PER_STATEMENT_MAX = 20_000
TEXT_LENGTH_MAX = 500
BOOKED = "BOOK"


@dataclass(frozen=True, slots=True)
class TransactionDetails:
    """One transaction inside an entry (a batch entry has several): its
    references, ``amount_minor`` when the bank gives one in the statement
    currency, remittance text and the counterparty's name."""

    end_to_end_id: str = ""
    instruction_id: str = ""
    message_id: str = ""
    account_servicer_reference: str = ""
    payment_information_id: str = ""
    amount_minor: int | None = None
    remittance: str = ""
    creditor_reference: str = ""
    counterparty: str = ""
    counterparty_subject_id: str = ""
    """Once imported: the data subject the counterparty's name is sealed under
    (``counterparty`` is then empty in the log; ``domain.banking.counterparties``)."""

    def references(self) -> list[str]:
        return [
            self.end_to_end_id,
            self.account_servicer_reference,
            self.instruction_id,
            self.message_id,
            self.payment_information_id,
            self.creditor_reference,
            self.remittance,
        ]


@dataclass(frozen=True, slots=True)
class StatementLine:
    """One entry of a statement. ``index`` is its place in the statement (0-based);
    ``status`` is ``BOOK`` for booked entries (only those count and reconcile)."""

    index: int
    amount_minor: int
    currency: str
    direction: str  # "credit" (money in) | "debit" (money out)
    reversal: bool
    status: str
    booking_date: str
    value_date: str
    entry_reference: str = ""
    account_servicer_reference: str = ""
    additional_info: str = ""
    details: tuple[TransactionDetails, ...] = ()

    @property
    def signed_minor(self) -> int:
        return self.amount_minor if self.direction == "credit" else -self.amount_minor

    @property
    def booked(self) -> bool:
        return self.status == BOOKED

    def references(self) -> list[str]:
        """Every reference the bank gave, most specific first, without blanks or repeats."""
        found: list[str] = []
        for detail in self.details:
            found.extend(detail.references()[:6])
        found.extend([self.account_servicer_reference, self.entry_reference])
        found.extend(detail.remittance for detail in self.details)
        return list(dict.fromkeys(text for text in found if text))

    def as_record(self) -> dict[str, Any]:
        """JSON-ready fields (the shape stored in ``StatementImported``)."""
        return {
            "index": self.index,
            "amount_minor": self.amount_minor,
            "currency": self.currency,
            "direction": self.direction,
            "reversal": self.reversal,
            "status": self.status,
            "booking_date": self.booking_date,
            "value_date": self.value_date,
            "entry_reference": self.entry_reference,
            "account_servicer_reference": self.account_servicer_reference,
            "additional_info": self.additional_info,
            "details": [_details_record(detail) for detail in self.details],
        }


def _details_record(detail: TransactionDetails) -> dict[str, Any]:
    return {name: getattr(detail, name) for name in TransactionDetails.__slots__}


def line_from_record(record: dict[str, Any]) -> StatementLine:
    details = tuple(TransactionDetails(**item) for item in record.get("details", []))
    fields = {key: value for key, value in record.items() if key != "details"}
    return StatementLine(**fields, details=details)


@dataclass(frozen=True, slots=True)
class Balance:
    """A stated balance: ``code`` (OPBD, PRCD, CLBD, ...), signed ``amount_minor``, ``date``."""

    code: str
    amount_minor: int
    date: str

    def as_record(self) -> dict[str, Any]:
        return {"code": self.code, "amount_minor": self.amount_minor, "date": self.date}


@dataclass(frozen=True, slots=True)
class BalanceCheck:
    """Opening balance + booked lines against the stated closing balance.

    ``status``: ``ok``, ``mismatch`` (``difference_minor`` = stated - expected)
    or ``unavailable`` (the statement lacks an opening or closing balance).
    """

    status: str
    opening_minor: int | None
    lines_net_minor: int
    expected_closing_minor: int | None
    stated_closing_minor: int | None
    difference_minor: int | None
    note: str = ""

    def as_record(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in BalanceCheck.__slots__}

    def as_view(self, scale: int) -> dict[str, Any]:
        """Amounts as decimal strings (None where unknown)."""

        def text(value: int | None) -> str | None:
            return None if value is None else format_amount(value, scale)

        return {
            "status": self.status,
            "opening": text(self.opening_minor),
            "lines_net": text(self.lines_net_minor),
            "expected_closing": text(self.expected_closing_minor),
            "stated_closing": text(self.stated_closing_minor),
            "difference": text(self.difference_minor),
            "note": self.note,
        }


@dataclass(frozen=True, slots=True)
class ParsedStatement:
    """One statement of a file: the bank account, the bank's statement id and
    sequence number, currency, balances and lines, and the balance check."""

    source_format: str
    bank_account: str
    statement_id: str
    sequence: str
    currency: str
    lines: tuple[StatementLine, ...]
    opening: Balance | None = None
    closing: Balance | None = None
    message_id: str = ""
    from_date: str = ""
    to_date: str = ""

    @property
    def balance_check(self) -> BalanceCheck:
        return check_balances(self)

    @property
    def scale(self) -> int:
        return ISO_CURRENCY_SCALES[self.currency]


def check_balances(statement: ParsedStatement) -> BalanceCheck:
    """Opening + booked lines = closing? Reported, never refused."""
    net = sum(line.signed_minor for line in statement.lines if line.booked)
    opening, closing = statement.opening, statement.closing
    if opening is None or closing is None:
        missing = " and ".join(
            name
            for name, balance in (("opening (OPBD/PRCD)", opening), ("closing (CLBD)", closing))
            if balance is None
        )
        return BalanceCheck(
            "unavailable",
            None if opening is None else opening.amount_minor,
            net,
            None,
            None if closing is None else closing.amount_minor,
            None,
            f"the statement states no {missing} balance",
        )
    expected = opening.amount_minor + net
    difference = closing.amount_minor - expected
    return BalanceCheck(
        "ok" if difference == 0 else "mismatch",
        opening.amount_minor,
        net,
        expected,
        closing.amount_minor,
        difference,
        "" if difference == 0 else "opening balance + booked lines != stated closing balance",
    )


# --- entry point --------------------------------------------------------------


def parse_statements(raw: bytes, source_format: str = "camt053") -> list[ParsedStatement]:
    """Parse a statement file: ``camt053`` (camt.053/camt.054 XML) or ``csv``."""
    if source_format not in FORMATS:
        raise InvalidStatement(
            f"format: one of {', '.join(FORMATS)}, got {source_format!r}", field="format"
        )
    if len(raw) > FILE_BYTES_MAX:
        raise InvalidStatement(f"file: larger than {FILE_BYTES_MAX} bytes", field="file")
    if not raw.strip():
        raise InvalidStatement("file: empty", field="file")
    if source_format == "csv":
        from domain.banking.statement_csv import parse_csv

        statements = parse_csv(raw)
    else:
        from domain.banking.camt import parse_camt

        statements = parse_camt(raw)
    if len(statements) > STATEMENTS_PER_FILE_MAX:
        raise InvalidStatement(
            f"file: at most {STATEMENTS_PER_FILE_MAX} statements per file", field="file"
        )
    return statements


# --- shared field checks (camt and CSV) ----------------------------------------


def check_text(value: str, where: str) -> str:
    """Collapse whitespace (XML text spans lines) and bound the length."""
    text = " ".join(value.split())
    if len(text) > TEXT_LENGTH_MAX:
        raise InvalidStatement(f"{where}: at most {TEXT_LENGTH_MAX} characters", field=where)
    return text


def check_currency(value: str, where: str) -> str:
    if value not in ISO_CURRENCY_SCALES:
        raise InvalidStatement(
            f"{where}: {value[:12]!r} is not an ISO 4217 currency code", field=where
        )
    return value


def check_date(value: str, where: str) -> str:
    try:
        return limits.effective_date(value, where)
    except DomainError as error:
        raise InvalidStatement(error.message, field=where) from None


def amount_minor(
    text: str, currency: str, where: str, *, signed: bool = False, zero: bool = False
) -> int:
    """Minor units of ``text`` in ``currency``; the error names ``where``."""
    try:
        return parse_amount(
            text.strip(),
            ISO_CURRENCY_SCALES[currency],
            field=where,
            allow_negative=signed,
            allow_zero=zero,
        )
    except DomainError as error:
        raise InvalidStatement(error.message, field=where) from None


def check_counts(statement_where: str, lines: list[StatementLine]) -> None:
    if len(lines) > LINES_PER_STATEMENT_MAX:
        raise InvalidStatement(
            f"{statement_where}: at most {LINES_PER_STATEMENT_MAX} entries per statement",
            field=statement_where,
        )
    if sum(len(line.details) for line in lines) > DETAILS_PER_STATEMENT_MAX:
        raise InvalidStatement(
            f"{statement_where}: at most {DETAILS_PER_STATEMENT_MAX} transaction details"
            " per statement",
            field=statement_where,
        )
