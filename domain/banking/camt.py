"""ISO 20022 camt.053 (statement) and camt.054 (debit/credit notification) XML.

Read by local element names, so every schema version (camt.053.001.02
through .001.08 and later) parses alike; a namespace, when present, must be
a camt.053 or camt.054 one. The XML goes through defusedxml with DTDs,
entities and external references forbidden: a "billion laughs" or an
external-entity file is refused before anything is expanded or fetched.

Per statement (``Stmt``, or ``Ntfctn`` in camt.054): ``Id``, the sequence
number (``ElctrncSeqNb`` or ``LglSeqNb``), the account (``Acct/Id/IBAN`` or
``Acct/Id/Othr/Id``), its currency (``Acct/Ccy``, else the currency of its
amounts), balances ``OPBD``/``PRCD`` (opening) and ``CLBD`` (closing) with
their ``CdtDbtInd``, and entries (``Ntry``): amount and currency,
``CdtDbtInd``, ``RvslInd``, ``Sts``, ``BookgDt``/``ValDt`` (``Dt`` or
``DtTm``; a date-time keeps its date as written), ``NtryRef``,
``AcctSvcrRef``, and per transaction (``TxDtls``, several in a batch) the
references (``EndToEndId``, ``InstrId``, ``MsgId``, ``AcctSvcrRef``,
``PmtInfId``), remittance (``Ustrd``, ``CdtrRefInf/Ref``) and the
counterparty's name.

A reversal entry (``RvslInd`` true) keeps the direction the bank booked it
in: ``CdtDbtInd`` is the direction of the reversal itself, so it counts in
the balance check like any other entry.
"""

from __future__ import annotations

import re
from typing import Any
from xml.etree.ElementTree import Element, ParseError

import defusedxml
import defusedxml.ElementTree as SafeTree

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

_NAMESPACE = re.compile(r"^urn:iso:std:iso:20022:tech:xsd:camt\.05[34]\.001\.[0-9]{2}\Z")
_DATE_TIME = re.compile(
    r"^([0-9]{4}-[0-9]{2}-[0-9]{2})(T[0-9]{2}:[0-9]{2}(:[0-9]{2}(\.[0-9]+)?)?)?"
    r"(Z|[+-][0-9]{2}:?[0-9]{2})?\Z"
)
OPENING_CODES = ("OPBD", "PRCD")  # in order of preference
CLOSING_CODE = "CLBD"
DIRECTIONS = {"CRDT": "credit", "DBIT": "debit"}


def _local(tag: object) -> str:
    return str(tag).rsplit("}", 1)[-1]


def _child(element: Element | None, *names: str) -> Element | None:
    """The first element down the path of local ``names``."""
    for name in names:
        if element is None:
            return None
        element = next((child for child in element if _local(child.tag) == name), None)
    return element


def _children(element: Element | None, name: str) -> list[Element]:
    if element is None:
        return []
    return [child for child in element if _local(child.tag) == name]


def _text(element: Element | None, *names: str) -> str:
    found = _child(element, *names)
    return (found.text or "").strip() if found is not None else ""


def _parse_xml(raw: bytes) -> Element:
    try:
        root: Any = SafeTree.fromstring(
            raw, forbid_dtd=True, forbid_entities=True, forbid_external=True
        )
    except defusedxml.DTDForbidden:
        raise InvalidStatement(
            "file: XML with a document type declaration (DTD) is refused: it can declare"
            " entity expansions or external entities",
            field="file",
        ) from None
    except defusedxml.EntitiesForbidden:
        raise InvalidStatement(
            "file: XML entity declarations are refused (entity expansion)", field="file"
        ) from None
    except defusedxml.ExternalReferenceForbidden:
        raise InvalidStatement(
            "file: XML external entities or references are refused", field="file"
        ) from None
    except ParseError as error:
        raise InvalidStatement(f"file: not well-formed XML ({error})", field="file") from None
    assert isinstance(root, Element)
    return root


def parse_camt(raw: bytes) -> list[ParsedStatement]:
    """Every statement (or notification) of a camt.053 / camt.054 document."""
    root = _parse_xml(raw)
    tag = str(root.tag)
    namespace = tag[1:].split("}", 1)[0] if tag.startswith("{") else ""
    if _local(tag) != "Document":
        raise InvalidStatement(
            f"file: the root element is {_local(tag)[:40]!r}, expected 'Document'", field="file"
        )
    if namespace and not _NAMESPACE.match(namespace):
        raise InvalidStatement(
            f"file: namespace {namespace[:80]!r} is not camt.053 or camt.054"
            " (urn:iso:std:iso:20022:tech:xsd:camt.053.001.NN)",
            field="file",
        )
    container = _child(root, "BkToCstmrStmt") or _child(root, "BkToCstmrDbtCdtNtfctn")
    if container is None:
        raise InvalidStatement(
            "file: the Document holds no BkToCstmrStmt (camt.053) or BkToCstmrDbtCdtNtfctn"
            " (camt.054)",
            field="file",
        )
    message_id = check_text(_text(container, "GrpHdr", "MsgId"), "GrpHdr.MsgId")
    items = _children(container, "Stmt") or _children(container, "Ntfctn")
    if not items:
        raise InvalidStatement("file: no Stmt (or Ntfctn) element", field="file")
    return [_statement(item, index, message_id) for index, item in enumerate(items)]


def _statement(element: Element, index: int, message_id: str) -> ParsedStatement:
    where = f"statement[{index}]"
    statement_id = check_text(_text(element, "Id"), f"{where}.Id")
    if not statement_id:
        raise InvalidStatement(f"{where}.Id: required", field=f"{where}.Id")
    sequence = _text(element, "ElctrncSeqNb") or _text(element, "LglSeqNb")
    account = _child(element, "Acct")
    bank_account = _text(account, "Id", "IBAN") or _text(account, "Id", "Othr", "Id")
    if not bank_account:
        raise InvalidStatement(
            f"{where}.Acct.Id: the account IBAN (or Othr/Id) is required", field=f"{where}.Acct"
        )
    bank_account = check_text(bank_account, f"{where}.Acct.Id")
    currency = _statement_currency(element, account, where)
    balances = [_balance(item, currency, f"{where}.balance[{i}]")
                for i, item in enumerate(_children(element, "Bal"))]  # fmt: skip
    by_code: dict[str, Balance] = {}
    for balance in balances:
        by_code.setdefault(balance.code, balance)
    opening = next((by_code[code] for code in OPENING_CODES if code in by_code), None)
    lines = [
        _line(entry, position, currency, f"{where}.entry[{position}]")
        for position, entry in enumerate(_children(element, "Ntry"))
    ]
    check_counts(where, lines)
    period = _child(element, "FrToDt")
    return ParsedStatement(
        source_format="camt053",
        bank_account=bank_account,
        statement_id=statement_id,
        sequence=check_text(sequence, f"{where}.ElctrncSeqNb"),
        currency=currency,
        lines=tuple(lines),
        opening=opening,
        closing=by_code.get(CLOSING_CODE),
        message_id=message_id,
        from_date=_optional_date(
            _text(period, "FrDtTm") or _text(period, "FrDt"), f"{where}.FrToDt"
        ),
        to_date=_optional_date(_text(period, "ToDtTm") or _text(period, "ToDt"), f"{where}.FrToDt"),
    )


def _statement_currency(element: Element, account: Element | None, where: str) -> str:
    """``Acct/Ccy``; without it, the currency of the statement's first amount."""
    stated = _text(account, "Ccy")
    if stated:
        return check_currency(stated, f"{where}.Acct.Ccy")
    for item in [*_children(element, "Bal"), *_children(element, "Ntry")]:
        amount = _child(item, "Amt")
        if amount is not None and amount.get("Ccy"):
            return check_currency(str(amount.get("Ccy")), f"{where}.Acct.Ccy")
    raise InvalidStatement(
        f"{where}.Acct.Ccy: the account currency is required (Acct/Ccy or Amt/@Ccy)",
        field=f"{where}.Acct.Ccy",
    )


def _amount(element: Element | None, currency: str, where: str, *, zero: bool) -> int:
    if element is None or not (element.text or "").strip():
        raise InvalidStatement(f"{where}.Amt: required", field=f"{where}.Amt")
    stated = element.get("Ccy")
    if not stated:
        raise InvalidStatement(f"{where}.Amt: the Ccy attribute is required", field=f"{where}.Amt")
    if stated != currency:
        raise InvalidStatement(
            f"{where}.Amt: in {stated[:12]}, but the statement is in {currency}",
            field=f"{where}.Amt",
        )
    return amount_minor(element.text or "", currency, f"{where}.Amt", zero=zero)


def _direction(element: Element, where: str) -> str:
    indicator = _text(element, "CdtDbtInd")
    if indicator not in DIRECTIONS:
        raise InvalidStatement(
            f"{where}.CdtDbtInd: CRDT or DBIT, got {indicator[:12]!r}", field=f"{where}.CdtDbtInd"
        )
    return DIRECTIONS[indicator]


def _date_of(element: Element | None, where: str) -> str:
    """The date of a ``Dt``/``DtTm`` choice (a date-time keeps its written date)."""
    text = _text(element, "Dt") or _text(element, "DtTm")
    if not text:
        return ""
    match = _DATE_TIME.match(text)
    if match is None:
        raise InvalidStatement(
            f"{where}: {text[:40]!r} is not an ISO date or date-time", field=where
        )
    return check_date(match.group(1), where)


def _optional_date(text: str, where: str) -> str:
    if not text:
        return ""
    match = _DATE_TIME.match(text)
    if match is None:
        raise InvalidStatement(f"{where}: {text[:40]!r} is not an ISO date-time", field=where)
    return check_date(match.group(1), where)


def _balance(element: Element, currency: str, where: str) -> Balance:
    code = _text(element, "Tp", "CdOrPrtry", "Cd") or _text(element, "Tp", "CdOrPrtry", "Prtry")
    if not code:
        raise InvalidStatement(f"{where}.Tp: the balance type is required", field=f"{where}.Tp")
    amount = _amount(_child(element, "Amt"), currency, where, zero=True)
    signed = amount if _direction(element, where) == "credit" else -amount
    return Balance(
        check_text(code, f"{where}.Tp"), signed, _date_of(_child(element, "Dt"), f"{where}.Dt")
    )


def _entry_amount(element: Element, currency: str, where: str) -> int:
    """``Ntry/Amt``; when a bank states it in another currency, the amount in the
    account currency from ``AmtDtls`` (instructed, transaction or counter value)."""
    stated = _child(element, "Amt")
    if stated is not None and stated.get("Ccy") not in (None, currency):
        for kind in ("InstdAmt", "TxAmt", "CntrValAmt"):
            other = _child(element, "AmtDtls", kind, "Amt")
            if other is not None and other.get("Ccy") == currency:
                return _amount(other, currency, f"{where}.AmtDtls.{kind}", zero=True)
    return _amount(stated, currency, where, zero=True)


def _line(element: Element, index: int, currency: str, where: str) -> StatementLine:
    amount = _entry_amount(element, currency, where)
    direction = _direction(element, where)
    reversal_text = _text(element, "RvslInd").lower()
    if reversal_text not in ("", "true", "false", "1", "0"):
        raise InvalidStatement(
            f"{where}.RvslInd: true or false, got {reversal_text[:12]!r}", field=f"{where}.RvslInd"
        )
    # Sts is text up to version 5 and a Cd choice from version 6 on.
    status = _text(element, "Sts") or _text(element, "Sts", "Cd") or BOOKED
    booking_date = _date_of(_child(element, "BookgDt"), f"{where}.BookgDt")
    value_date = _date_of(_child(element, "ValDt"), f"{where}.ValDt")
    if not booking_date and not value_date:
        raise InvalidStatement(
            f"{where}.BookgDt: a booking or value date is required", field=f"{where}.BookgDt"
        )
    details = []
    for entry_details in _children(element, "NtryDtls"):
        batch = _child(entry_details, "Btch")
        for position, transaction in enumerate(_children(entry_details, "TxDtls")):
            details.append(
                _details(transaction, currency, direction, f"{where}.TxDtls[{position}]")
            )
        if batch is not None and (_text(batch, "MsgId") or _text(batch, "PmtInfId")):
            details.append(
                TransactionDetails(
                    message_id=check_text(_text(batch, "MsgId"), f"{where}.Btch.MsgId"),
                    payment_information_id=check_text(
                        _text(batch, "PmtInfId"), f"{where}.Btch.PmtInfId"
                    ),
                )
            )
    return StatementLine(
        index=index,
        amount_minor=amount,
        currency=currency,
        direction=direction,
        reversal=reversal_text in ("true", "1"),
        status=check_text(status, f"{where}.Sts"),
        booking_date=booking_date or value_date,
        value_date=value_date or booking_date,
        entry_reference=check_text(_text(element, "NtryRef"), f"{where}.NtryRef"),
        account_servicer_reference=check_text(
            _text(element, "AcctSvcrRef"), f"{where}.AcctSvcrRef"
        ),
        additional_info=check_text(_text(element, "AddtlNtryInf"), f"{where}.AddtlNtryInf"),
        details=tuple(details),
    )


def _details(element: Element, currency: str, direction: str, where: str) -> TransactionDetails:
    refs = _child(element, "Refs")
    remittance = _child(element, "RmtInf")
    unstructured = " ".join((item.text or "").strip() for item in _children(remittance, "Ustrd"))
    creditor_reference = ""
    for structured in _children(remittance, "Strd"):
        creditor_reference = creditor_reference or _text(structured, "CdtrRefInf", "Ref")
    return TransactionDetails(
        end_to_end_id=_ref(refs, "EndToEndId", where),
        instruction_id=_ref(refs, "InstrId", where),
        message_id=_ref(refs, "MsgId", where),
        account_servicer_reference=_ref(refs, "AcctSvcrRef", where),
        payment_information_id=_ref(refs, "PmtInfId", where),
        amount_minor=_details_amount(element, currency, where),
        remittance=check_text(unstructured, f"{where}.RmtInf.Ustrd"),
        creditor_reference=check_text(creditor_reference, f"{where}.RmtInf.Strd"),
        counterparty=check_text(_counterparty(element, direction), f"{where}.RltdPties"),
    )


def _ref(refs: Element | None, name: str, where: str) -> str:
    value = _text(refs, name)
    # "NOTPROVIDED" is the standard's placeholder for an absent end-to-end id.
    return "" if value.upper() == "NOTPROVIDED" else check_text(value, f"{where}.Refs.{name}")


def _details_amount(element: Element, currency: str, where: str) -> int | None:
    """The transaction's amount in the statement currency, where the bank gives one."""
    for path in (("Amt",), ("AmtDtls", "TxAmt", "Amt")):
        amount = _child(element, *path)
        if amount is not None and amount.get("Ccy") == currency:
            prefix = ".".join((where, *path[:-1]))
            return _amount(amount, currency, prefix, zero=True)
    return None


def _counterparty(element: Element, direction: str) -> str:
    """The other side: the debtor of money in, the creditor of money out."""
    parties = _child(element, "RltdPties")
    role = "Dbtr" if direction == "credit" else "Cdtr"
    for name in (role, f"Ultmt{role}"):
        # Up to version 7 the name is Dbtr/Nm; from version 8 on, Dbtr/Pty/Nm.
        found = _text(parties, name, "Nm") or _text(parties, name, "Pty", "Nm")
        if found:
            return found
    return ""
