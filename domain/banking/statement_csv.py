"""The CSV bank statement format: reading it, and writing it (tests, exports).

CSV statement format
--------------------

UTF-8 (a byte-order mark is tolerated), comma-separated, RFC 4180 quoting.
The first row is the header, exactly these names in this order, with an
optional tenth column ``kind``::

    account,statement_id,booking_date,value_date,amount,currency,reference,counterparty,description[,kind]

- ``account``: the bank account identifier (IBAN or the bank's account id).
- ``statement_id``: the bank's statement id. Rows are grouped into
  statements by (``account``, ``statement_id``) in order of first
  appearance; a file may hold several statements.
- ``booking_date``, ``value_date``: ``YYYY-MM-DD``; an empty value date is
  the booking date.
- ``amount``: a signed plain decimal string, at most the currency's
  decimals: ``1250.00`` is money in (credit), ``-80.5`` money out (debit).
  No ``+``, exponent, spaces or thousands separators; zero is refused on
  entry rows.
- ``currency``: ISO 4217 code; one currency per statement.
- ``reference``: the bank's reference of the line (matched against journal
  entry references), ``counterparty``, ``description``: free text.
- ``kind``: ``entry`` (the default, also when the column is absent or
  empty), ``opening`` or ``closing``. A balance row states the statement's
  opening or closing balance: ``amount`` is the signed balance (zero
  allowed), ``booking_date`` its date; ``value_date``, ``reference``,
  ``counterparty`` and ``description`` must be empty. At most one of each
  per statement.

Example::

    account,statement_id,booking_date,value_date,amount,currency,reference,counterparty,description,kind
    DE89370400440532013000,2026-01,2025-12-31,,1000.00,EUR,,,,opening
    DE89370400440532013000,2026-01,2026-01-05,2026-01-05,250.00,EUR,INV-7,ACME GmbH,invoice 7,
    DE89370400440532013000,2026-01,2026-01-31,,1250.00,EUR,,,,closing
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field

from domain.banking.errors import InvalidStatement
from domain.banking.statements import (
    BOOKED,
    Balance,
    ParsedStatement,
    StatementLine,
    TransactionDetails,
    amount_minor,
    check_counts,
    check_currency,
    check_date,
    check_text,
)
from domain.kernel.money import format_amount

CSV_COLUMNS = (
    "account",
    "statement_id",
    "booking_date",
    "value_date",
    "amount",
    "currency",
    "reference",
    "counterparty",
    "description",
)
CSV_KINDS = ("entry", "opening", "closing")


@dataclass
class _CsvStatement:
    account: str
    statement_id: str
    currency: str
    lines: list[StatementLine] = field(default_factory=list)
    opening: Balance | None = None
    closing: Balance | None = None


def parse_csv(raw: bytes) -> list[ParsedStatement]:
    """Parse the CSV statement format of this module's docstring."""
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise InvalidStatement(f"file: not UTF-8 text (byte {error.start})", field="file") from None
    rows = csv.reader(io.StringIO(text, newline=""), strict=True)
    try:
        header = next(rows, None)
        if header is None or [name.strip() for name in header[:9]] != list(CSV_COLUMNS):
            raise InvalidStatement(
                f"header: expected {','.join(CSV_COLUMNS)}[,kind], got {','.join(header or [])[:200]!r}",
                field="header",
            )
        width = len(header)
        if width > 10 or (width == 10 and header[9].strip() != "kind"):
            raise InvalidStatement("header: the only optional column is 'kind'", field="header")
        statements: dict[tuple[str, str], _CsvStatement] = {}
        for row_number, row in enumerate(rows, start=2):
            if not any(cell.strip() for cell in row):
                continue  # blank lines
            if len(row) != width:
                raise InvalidStatement(
                    f"row {row_number}: {len(row)} columns, the header has {width}",
                    field=f"row[{row_number}]",
                )
            _csv_row(statements, row, row_number)
    except csv.Error as error:
        raise InvalidStatement(f"file: not valid CSV ({error})", field="file") from None
    if not statements:
        raise InvalidStatement("file: no statement rows after the header", field="file")
    parsed = []
    for index, item in enumerate(statements.values()):
        check_counts(f"statement[{index}]", item.lines)
        parsed.append(
            ParsedStatement(
                source_format="csv",
                bank_account=item.account,
                statement_id=item.statement_id,
                sequence="",
                currency=item.currency,
                lines=tuple(item.lines),
                opening=item.opening,
                closing=item.closing,
            )
        )
    return parsed


def _csv_row(statements: dict[tuple[str, str], _CsvStatement], row: list[str], number: int) -> None:
    where = f"row {number}"
    cells = dict(zip((*CSV_COLUMNS, "kind"), (cell.strip() for cell in row), strict=False))
    account = check_text(cells["account"], f"{where}.account")
    statement_id = check_text(cells["statement_id"], f"{where}.statement_id")
    for name, value in (("account", account), ("statement_id", statement_id)):
        if not value:
            raise InvalidStatement(f"{where}.{name}: required", field=f"{where}.{name}")
    currency = check_currency(cells["currency"], f"{where}.currency")
    statement = statements.get((account, statement_id))
    if statement is None:
        statement = statements[(account, statement_id)] = _CsvStatement(
            account, statement_id, currency
        )
    if currency != statement.currency:
        raise InvalidStatement(
            f"{where}.currency: {currency}, but statement {statement_id!r} is in"
            f" {statement.currency}",
            field=f"{where}.currency",
        )
    kind = cells.get("kind") or "entry"
    if kind not in CSV_KINDS:
        raise InvalidStatement(
            f"{where}.kind: one of {', '.join(CSV_KINDS)}, got {kind[:20]!r}", field=f"{where}.kind"
        )
    booking_date = check_date(cells["booking_date"], f"{where}.booking_date")
    if kind != "entry":
        extra = [name for name in (*CSV_COLUMNS[6:], "value_date") if cells[name]]
        if extra:
            raise InvalidStatement(
                f"{where}: a {kind} balance row leaves {', '.join(extra)} empty", field=where
            )
        amount = amount_minor(cells["amount"], currency, f"{where}.amount", signed=True, zero=True)
        balance = Balance("OPBD" if kind == "opening" else "CLBD", amount, booking_date)
        if getattr(statement, kind) is not None:
            raise InvalidStatement(
                f"{where}: statement {statement_id!r} already has a {kind} balance", field=where
            )
        setattr(statement, kind, balance)
        return
    signed = amount_minor(cells["amount"], currency, f"{where}.amount", signed=True)
    value_date = (
        check_date(cells["value_date"], f"{where}.value_date")
        if cells["value_date"]
        else booking_date
    )
    details = TransactionDetails(
        counterparty=check_text(cells["counterparty"], f"{where}.counterparty"),
        remittance=check_text(cells["description"], f"{where}.description"),
    )
    statement.lines.append(
        StatementLine(
            index=len(statement.lines),
            amount_minor=abs(signed),
            currency=currency,
            direction="credit" if signed > 0 else "debit",
            reversal=False,
            status=BOOKED,
            booking_date=booking_date,
            value_date=value_date,
            entry_reference=check_text(cells["reference"], f"{where}.reference"),
            details=(details,) if details.counterparty or details.remittance else (),
        )
    )


def write_csv(statements: list[ParsedStatement]) -> bytes:
    """The CSV format of ``statements`` (tests and exports); parses back to the same lines."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow([*CSV_COLUMNS, "kind"])
    for statement in statements:
        scale = statement.scale
        base = [statement.bank_account, statement.statement_id]
        if statement.opening is not None:
            opening = statement.opening
            writer.writerow([*base, opening.date, "", format_amount(opening.amount_minor, scale),
                             statement.currency, "", "", "", "opening"])  # fmt: skip
        for line in statement.lines:
            detail = line.details[0] if line.details else TransactionDetails()
            writer.writerow([*base, line.booking_date, line.value_date,
                             format_amount(line.signed_minor, scale), line.currency,
                             line.entry_reference, detail.counterparty, detail.remittance,
                             "entry"])  # fmt: skip
        if statement.closing is not None:
            closing = statement.closing
            writer.writerow([*base, closing.date, "", format_amount(closing.amount_minor, scale),
                             statement.currency, "", "", "", "closing"])  # fmt: skip
    return out.getvalue().encode()
