"""Builders of camt.053 statements for the tests: the core tests make their own files.

``camt053([stmt(...), ...], version="08")`` renders a document; ``ntry(...)``
one entry. Amounts are decimal strings, as a bank writes them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from xml.sax.saxutils import escape

IBAN = "DE89370400440532013000"


@dataclass
class Tx:
    """One TxDtls of an entry."""

    end_to_end_id: str = ""
    instruction_id: str = ""
    message_id: str = ""
    amount: str = ""
    remittance: str = ""
    debtor: str = ""
    creditor: str = ""


@dataclass
class Ntry:
    amount: str
    direction: str = "CRDT"
    booking_date: str = "2026-01-05"
    value_date: str = ""
    reversal: bool | None = None
    status: str = "BOOK"
    entry_ref: str = ""
    servicer_ref: str = ""
    currency: str = "EUR"
    transactions: list[Tx] = field(default_factory=list)
    date_time: bool = False


@dataclass
class Stmt:
    statement_id: str = "STMT-1"
    entries: list[Ntry] = field(default_factory=list)
    opening: str | None = "1000.00"
    closing: str | None = None  # computed from the entries when None and opening is set
    iban: str = IBAN
    currency: str = "EUR"
    sequence: str = "1"
    opening_code: str = "OPBD"
    closing_date: str = "2026-01-31"
    omit_closing: bool = False


def _tag(name: str, text: str) -> str:
    return f"<{name}>{escape(text)}</{name}>" if text else ""


def _signed_cents(amount: str, direction: str) -> int:
    units, _, cents = amount.partition(".")
    value = int(units) * 100 + int((cents + "00")[:2])
    return value if direction == "CRDT" else -value


def closing_of(statement: Stmt) -> str:
    assert statement.opening is not None
    total = _signed_cents(statement.opening, "CRDT") + sum(
        _signed_cents(entry.amount, entry.direction)
        for entry in statement.entries
        if entry.status == "BOOK"
    )
    return f"{'-' if total < 0 else ''}{abs(total) // 100}.{abs(total) % 100:02d}"


def _balance(code: str, amount: str, currency: str, day: str) -> str:
    indicator = "DBIT" if amount.startswith("-") else "CRDT"
    return (
        f"<Bal><Tp><CdOrPrtry><Cd>{code}</Cd></CdOrPrtry></Tp>"
        f'<Amt Ccy="{currency}">{amount.lstrip("-")}</Amt><CdtDbtInd>{indicator}</CdtDbtInd>'
        f"<Dt><Dt>{day}</Dt></Dt></Bal>"
    )


def _date(name: str, day: str, date_time: bool) -> str:
    inner = f"<DtTm>{day}T10:15:00+01:00</DtTm>" if date_time else f"<Dt>{day}</Dt>"
    return f"<{name}>{inner}</{name}>"


def _transaction(tx: Tx, currency: str, version: str) -> str:
    refs = (
        _tag("MsgId", tx.message_id)
        + _tag("InstrId", tx.instruction_id)
        + _tag("EndToEndId", tx.end_to_end_id)
    )
    amount = f'<Amt Ccy="{currency}">{tx.amount}</Amt>' if tx.amount else ""
    parties = ""
    for role, name in (("Dbtr", tx.debtor), ("Cdtr", tx.creditor)):
        if name:
            named = f"<Nm>{escape(name)}</Nm>"
            parties += (
                f"<{role}><Pty>{named}</Pty></{role}>"
                if version >= "08"
                else f"<{role}>{named}</{role}>"
            )
    return (
        "<TxDtls>"
        + (f"<Refs>{refs}</Refs>" if refs else "")
        + amount
        + (f"<RltdPties>{parties}</RltdPties>" if parties else "")
        + (f"<RmtInf><Ustrd>{escape(tx.remittance)}</Ustrd></RmtInf>" if tx.remittance else "")
        + "</TxDtls>"
    )


def _entry(entry: Ntry, version: str) -> str:
    status = (
        f"<Sts><Cd>{entry.status}</Cd></Sts>" if version >= "06" else f"<Sts>{entry.status}</Sts>"
    )
    reversal = "" if entry.reversal is None else f"<RvslInd>{str(entry.reversal).lower()}</RvslInd>"
    details = "".join(_transaction(tx, entry.currency, version) for tx in entry.transactions)
    return (
        "<Ntry>"
        + _tag("NtryRef", entry.entry_ref)
        + f'<Amt Ccy="{entry.currency}">{entry.amount}</Amt>'
        + f"<CdtDbtInd>{entry.direction}</CdtDbtInd>"
        + reversal
        + status
        + _date("BookgDt", entry.booking_date, entry.date_time)
        + _date("ValDt", entry.value_date or entry.booking_date, entry.date_time)
        + _tag("AcctSvcrRef", entry.servicer_ref)
        + (f"<NtryDtls>{details}</NtryDtls>" if details else "")
        + "</Ntry>"
    )


def _statement(statement: Stmt, version: str) -> str:
    balances = ""
    if statement.opening is not None:
        balances += _balance(
            statement.opening_code, statement.opening, statement.currency, "2026-01-01"
        )
    if not statement.omit_closing and (
        statement.closing is not None or statement.opening is not None
    ):
        closing = statement.closing if statement.closing is not None else closing_of(statement)
        balances += _balance("CLBD", closing, statement.currency, statement.closing_date)
    return (
        "<Stmt>"
        + _tag("Id", statement.statement_id)
        + _tag("ElctrncSeqNb", statement.sequence)
        + "<CreDtTm>2026-02-01T08:00:00</CreDtTm>"
        + f"<Acct><Id><IBAN>{statement.iban}</IBAN></Id><Ccy>{statement.currency}</Ccy></Acct>"
        + balances
        + "".join(_entry(entry, version) for entry in statement.entries)
        + "</Stmt>"
    )


def camt053(statements: list[Stmt], version: str = "02") -> bytes:
    body = "".join(_statement(statement, version) for statement in statements)
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f'<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.{version}">'
        "<BkToCstmrStmt><GrpHdr><MsgId>MSG-1</MsgId><CreDtTm>2026-02-01T08:00:00</CreDtTm></GrpHdr>"
        f"{body}</BkToCstmrStmt></Document>"
    ).encode()
