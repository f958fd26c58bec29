"""From lines as entered to totals and journal postings: shared by invoices,
credit notes and supplier bills.

Posting rules (amounts from ``invoice_math``; every account summed, zero
amounts left out):

- invoice: debit receivables with the gross; credit each income account with
  its lines' net and each output tax account with its codes' tax;
- credit note: the mirror (its totals are negative): debit income and output
  tax, credit receivables;
- supplier bill: debit each line's account (expense, or goods received not
  invoiced) with its net and each input tax account with its codes' tax;
  credit payables with the gross;
- write-off: debit bad debts, credit receivables with the open amount (tax
  relief on bad debts is not claimed here).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from typing import Any

from domain.billing.errors import InvalidInvoiceLine
from domain.billing.invoice_math import LINES_PER_INVOICE_MAX, InvoiceLine, InvoiceTotals
from domain.kernel.context import Context
from domain.kernel.money import ISO_CURRENCY_SCALES, format_amount
from domain.ledger.commands import PostJournalEntry

LINE_FIELDS = ("description", "quantity", "unit_price", "tax_code", "income_account")
BILL_LINE_FIELDS = ("description", "quantity", "unit_price", "tax_code", "account")
GOODS_RECEIPT_FIELDS = ("goods_receipt_id", "goods_receipt_quantity", "goods_receipt_unit_price")
SALE = "sale"
PURCHASE = "purchase"


def invoice_lines(raw: object) -> list[dict[str, str]]:
    """Lines as entered (mappings or ``InvoiceLine``) as the plain rows events keep."""
    rows: list[dict[str, str]] = []
    for index, line in enumerate(_line_list(raw)):
        if isinstance(line, InvoiceLine):
            rows.append({name: getattr(line, name) for name in LINE_FIELDS})
        else:
            rows.append(_row(line, index, LINE_FIELDS, ()))
    return rows


def bill_lines(raw: object, default_goods_account: str) -> list[dict[str, str]]:
    """Bill lines: ``account`` defaults to goods received not invoiced when the
    line references a goods receipt (``goods_receipt`` {receipt_id, quantity,
    unit_price}); the three-way match itself comes with inventory."""
    rows: list[dict[str, str]] = []
    for index, line in enumerate(_line_list(raw)):
        if not isinstance(line, Mapping):
            raise InvalidInvoiceLine(f"lines[{index}]: expected an object", field=f"lines[{index}]")
        unknown = sorted(set(line) - {*BILL_LINE_FIELDS, "goods_receipt"})
        if unknown:
            raise InvalidInvoiceLine(
                f"lines[{index}]: unknown fields {', '.join(map(str, unknown))[:80]}",
                field=f"lines[{index}]",
            )
        receipt = line.get("goods_receipt")
        flat: dict[str, Any] = {name: line.get(name) for name in BILL_LINE_FIELDS}
        if receipt is not None:
            if not isinstance(receipt, Mapping):
                raise InvalidInvoiceLine(
                    f"lines[{index}].goods_receipt: expected {{receipt_id, quantity, unit_price}}",
                    field=f"lines[{index}].goods_receipt",
                )
            flat["goods_receipt_id"] = receipt.get("receipt_id")
            flat["goods_receipt_quantity"] = receipt.get("quantity")
            flat["goods_receipt_unit_price"] = receipt.get("unit_price")
            if flat["account"] is None:
                flat["account"] = default_goods_account
        rows.append(_row(flat, index, BILL_LINE_FIELDS, GOODS_RECEIPT_FIELDS))
    return rows


def as_invoice_lines(rows: Sequence[Mapping[str, str]], account_field: str) -> list[InvoiceLine]:
    return [
        InvoiceLine(
            description=row["description"],
            quantity=row["quantity"],
            unit_price=row["unit_price"],
            tax_code=row["tax_code"],
            income_account=row[account_field],
        )
        for row in rows
    ]


def tax_total_rows(totals: InvoiceTotals, side: str) -> list[dict[str, Any]]:
    """Per tax code, as events keep them (amounts with the totals' sign)."""
    return [
        {
            "tax_code": total.tax_code,
            "valid_from": total.version.valid_from.isoformat(),
            "net_minor": total.net_minor,
            "taxable_base_minor": total.taxable_base_minor,
            "tax_minor": total.tax_minor,
            "reportable": total.reportable,
            "account": _tax_account(
                total.version.output_tax_account, total.version.input_tax_account, side
            ),
        }
        for total in totals.tax_totals
    ]


def document_postings(
    totals: InvoiceTotals, control_account: str, side: str
) -> list[tuple[str, str, int]]:
    """(account, direction, amount_minor) of a document's entry (see the module's rules)."""
    sign = 1 if side == SALE else -1
    signed: defaultdict[str, int] = defaultdict(int)  # debit positive
    signed[control_account] += sign * totals.gross_total_minor
    for line in totals.lines:
        signed[line.income_account] -= sign * line.net_minor
    for total in totals.tax_totals:
        account = _tax_account(
            total.version.output_tax_account, total.version.input_tax_account, side
        )
        signed[account] -= sign * total.tax_minor
    return [
        (account, "debit" if amount > 0 else "credit", abs(amount))
        for account, amount in signed.items()
        if amount != 0
    ]


def entry_command(
    context: Context,
    *,
    key: str,
    effective_date: str,
    currency: str,
    postings: Sequence[tuple[str, str, int]],
    description: str,
    reference: str,
    metadata: dict[str, str],
) -> PostJournalEntry:
    scale = ISO_CURRENCY_SCALES[currency]
    return PostJournalEntry(
        context=context,
        idempotency_key=key,
        effective_date=effective_date,
        postings=[
            {
                "account": account,
                "direction": direction,
                "amount": format_amount(amount_minor, scale),
                "asset": currency,
            }
            for account, direction, amount_minor in postings
        ],
        description=description,
        reference=reference,
        metadata=metadata,
    )


def _tax_account(output_account: str, input_account: str, side: str) -> str:
    return output_account if side == SALE else input_account


def _line_list(raw: object) -> list[Any]:
    if not isinstance(raw, (list, tuple)) or not raw:
        raise InvalidInvoiceLine("lines: at least one line is needed", field="lines")
    if len(raw) > LINES_PER_INVOICE_MAX:
        raise InvalidInvoiceLine(
            f"lines: at most {LINES_PER_INVOICE_MAX} lines, got {len(raw)}", field="lines"
        )
    return list(raw)


def _row(
    line: object, index: int, required: Sequence[str], optional: Sequence[str]
) -> dict[str, str]:
    if not isinstance(line, Mapping):
        raise InvalidInvoiceLine(f"lines[{index}]: expected an object", field=f"lines[{index}]")
    unknown = sorted(set(line) - {*required, *optional})
    if unknown:
        raise InvalidInvoiceLine(
            f"lines[{index}]: unknown fields {', '.join(map(str, unknown))[:80]}",
            field=f"lines[{index}]",
        )
    row: dict[str, str] = {}
    for name in (*required, *optional):
        value = line.get(name)
        if value is None and name in optional:
            row[name] = ""
            continue
        if not isinstance(value, str):
            raise InvalidInvoiceLine(
                f"lines[{index}].{name}: a string is required", field=f"lines[{index}].{name}"
            )
        row[name] = value
    if any(row[name] for name in optional) and not all(row[name] for name in optional):
        raise InvalidInvoiceLine(
            f"lines[{index}].goods_receipt: receipt_id, quantity and unit_price together",
            field=f"lines[{index}].goods_receipt",
        )
    return row
