"""The demo's bank statement: one month of the checking account as the bank saw it.

Built from the ledger's own movements on the account (so it agrees with the
books by construction), then made realistic in two ways: a bank fee the
books have not recorded yet, and the month's last payment missing (the bank
books it in the next month). The bookkeeping corrections (an entry reversed
as "booked twice") never reached the bank and are left out. The XML is
camt.053.001.08, generated from these values alone, so the same ledger gives
the same file and a second import is recognised and skipped.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date, timedelta
from uuid import UUID
from xml.sax.saxutils import escape

from backoffice.demo import data
from domain.banking.matching import Movement, ReconciliationReport
from domain.banking.service import BankReconciler
from domain.kernel.context import Context
from domain.ledger.journal import entry_id_for_key
from domain.payments.terms import reservation_key

CORRECTION_REASON = "Booked twice"
"""The reason the demo gives when it reverses a mistaken entry (see ``backoffice.demo.ledger_year``)."""


@dataclass(frozen=True, slots=True)
class Line:
    """A statement entry: ``direction`` CRDT (money in) or DBIT, amount in cents."""

    direction: str
    amount_minor: int
    booking_date: str
    reference: str
    text: str


def _decimal(amount_minor: int) -> str:
    return f"{amount_minor // 100}.{amount_minor % 100:02d}"


def _balance(code: str, amount_minor: int, day: str) -> str:
    indicator = "DBIT" if amount_minor < 0 else "CRDT"
    return (
        f"<Bal><Tp><CdOrPrtry><Cd>{code}</Cd></CdOrPrtry></Tp>"
        f'<Amt Ccy="USD">{_decimal(abs(amount_minor))}</Amt><CdtDbtInd>{indicator}</CdtDbtInd>'
        f"<Dt><Dt>{day}</Dt></Dt></Bal>"
    )


def _entry(number: int, line: Line) -> str:
    reference = f"<Refs><EndToEndId>{escape(line.reference)}</EndToEndId></Refs>"
    return (
        f'<Ntry><Amt Ccy="USD">{_decimal(line.amount_minor)}</Amt>'
        f"<CdtDbtInd>{line.direction}</CdtDbtInd><Sts><Cd>BOOK</Cd></Sts>"
        f"<BookgDt><Dt>{line.booking_date}</Dt></BookgDt>"
        f"<ValDt><Dt>{line.booking_date}</Dt></ValDt>"
        f"<AcctSvcrRef>XDMO-{number:06d}</AcctSvcrRef>"
        f"<NtryDtls><TxDtls>{reference if line.reference else ''}"
        f"<RmtInf><Ustrd>{escape(line.text[:140])}</Ustrd></RmtInf></TxDtls></NtryDtls></Ntry>"
    )


def camt053(
    statement_id: str, first: str, last: str, opening_minor: int, lines: list[Line]
) -> bytes:
    """One statement of the demo account in camt.053.001.08."""
    closing_minor = opening_minor + sum(
        line.amount_minor if line.direction == "CRDT" else -line.amount_minor for line in lines
    )
    created = f"{date.fromisoformat(last) + timedelta(days=1)}T06:00:00"
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.08"><BkToCstmrStmt>'
        f"<GrpHdr><MsgId>MSG-{statement_id}</MsgId><CreDtTm>{created}</CreDtTm></GrpHdr>"
        f"<Stmt><Id>{statement_id}</Id><ElctrncSeqNb>{first[5:7]}</ElctrncSeqNb>"
        f"<CreDtTm>{created}</CreDtTm>"
        f"<FrToDt><FrDtTm>{first}T00:00:00</FrDtTm><ToDtTm>{last}T23:59:59</ToDtTm></FrToDt>"
        f"<Acct><Id><IBAN>{data.STATEMENT_IBAN}</IBAN></Id><Ccy>USD</Ccy></Acct>"
        + _balance("OPBD", opening_minor, first)
        + _balance("CLBD", closing_minor, last)
        + "".join(_entry(number, line) for number, line in enumerate(lines, 1))
        + "</Stmt></BkToCstmrStmt></Document>"
    ).encode()


def _signed(movement: Movement) -> int:
    return movement.amount_minor if movement.direction == "credit" else -movement.amount_minor


def _corrections(movements: list[Movement]) -> set[str]:
    """Entry ids of the demo's "booked twice" corrections: the reversal and the original."""
    found: set[str] = set()
    for movement in movements:
        if movement.description.endswith(f": {CORRECTION_REASON}"):
            found.add(movement.entry_id)
            found.add(movement.description.removeprefix("Reversal of ").split(":", 1)[0])
    return found


def statement_for(reconciler: BankReconciler, year: int, month: int, in_transit: str) -> bytes:
    """The month's statement of the checking account; ``in_transit``: the entry id
    the bank has not booked yet."""
    first = date(year, month, 1).isoformat()
    last = date(year, month, calendar.monthrange(year, month)[1]).isoformat()
    movements = [m for m in reconciler.movements(data.BANK, None, last) if m.currency == "USD"]
    left_out = _corrections(movements)
    opening_minor = sum(_signed(m) for m in movements if m.effective_date < first)
    lines = [
        Line(
            "CRDT" if movement.direction == "credit" else "DBIT",
            movement.amount_minor,
            movement.effective_date,
            movement.reference,
            movement.description,
        )
        for movement in movements
        if movement.effective_date >= first
        and movement.entry_id not in left_out
        and movement.entry_id != in_transit
    ]
    lines.append(Line("DBIT", data.BANK_FEE_MINOR, last, "", data.BANK_FEE_TEXT))
    return camt053(f"XDMO-{year}-{month:02d}", first, last, opening_minor, lines)


def reconcile_month(
    reconciler: BankReconciler, context: Context, year: int, month: int, in_transit_payment: UUID
) -> ReconciliationReport:
    """Import the month's statement (once) and match it; the report as it stands."""
    in_transit = str(entry_id_for_key(reservation_key(in_transit_payment)))
    raw = statement_for(reconciler, year, month, in_transit)
    reconciler.import_statements(context, raw, data.BANK)
    period = f"{year}-{month:02d}"
    reconciler.run(context, data.BANK, period)
    return reconciler.report(data.BANK, period, "USD")
