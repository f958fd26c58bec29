"""What the demo's billing quarter left: its summary and the lines it prints."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from backoffice.demo.filing import Filed
from domain.billing.service import Billing
from domain.kernel.money import format_amount


def _money(amount_minor: int) -> str:
    return format_amount(amount_minor, 2)


@dataclass(frozen=True, slots=True)
class BillingSummary:
    invoices: dict[str, int]  # currency -> count
    by_status: dict[str, int]
    first_last: dict[str, tuple[str, str]]  # currency -> (first, last number)
    credit_notes: list[str]
    written_off_minor: dict[str, int]
    receipts_applied: int
    allocated_minor: dict[str, int]
    open_receivables: dict[str, int]
    bills: int
    bill_lines_matched: int
    bills_by_status: dict[str, int]
    open_payables: dict[str, int]
    output_tax: dict[str, int]
    input_tax: dict[str, int]
    filed: list[Filed]

    def lines(self) -> list[str]:
        def per(values: Mapping[str, int]) -> str:
            return ", ".join(f"{_money(v)} {c}" for c, v in sorted(values.items())) or "none"

        firsts = [a for a, _b in self.first_last.values()]
        lasts = [b for _a, b in self.first_last.values()]
        numbers = f"numbered {min(firsts)}..{max(lasts)}" if firsts else "none numbered"
        statuses = ", ".join(f"{s} {n}" for s, n in sorted(self.by_status.items()))
        return [
            f"billing: {sum(self.invoices.values())} invoices issued ("
            + ", ".join(f"{c} {n}" for c, n in sorted(self.invoices.items()))
            + f"; {numbers}): {statuses}",
            f"  credit notes {', '.join(self.credit_notes) or 'none'}; written off"
            f" {per(self.written_off_minor)}; {self.receipts_applied} receipts allocated"
            f" ({per(self.allocated_minor)}); receivables open {per(self.open_receivables)}",
            f"  supplier bills {self.bills} ({self.bill_lines_matched} lines matched to goods"
            f" receipts): "
            + ", ".join(f"{s} {n}" for s, n in sorted(self.bills_by_status.items()))
            + f"; payables open {per(self.open_payables)}",
            f"  tax: output {per({c: v for c, v in self.output_tax.items() if v})} (USD sales"
            f" zero-rated), input {per(self.input_tax)}",
            *(filed.line() for filed in self.filed),
        ]


def billing_summary(billing: Billing, ours: set[str], filed: list[Filed]) -> BillingSummary:
    """The summary of the invoices, credit notes, remittances and bills of the
    parties ``ours`` (their ids), with the filings ``filed``."""
    invoices = [i for i in billing.invoices() if i.party_id in ours and i.issued]
    counts: dict[str, int] = {}
    statuses: dict[str, int] = {}
    numbers: dict[str, list[str]] = {}
    written: dict[str, int] = {}
    open_ar: dict[str, int] = {}
    for invoice in invoices:
        counts[invoice.currency] = counts.get(invoice.currency, 0) + 1
        statuses[invoice.status] = statuses.get(invoice.status, 0) + 1
        numbers.setdefault(invoice.currency, []).append(invoice.number)
        if invoice.written_off_minor:
            written[invoice.currency] = written.get(invoice.currency, 0) + invoice.written_off_minor
        if invoice.open_amount_minor:
            open_ar[invoice.currency] = open_ar.get(invoice.currency, 0) + invoice.open_amount_minor
    notes = sorted(n.number for n in billing.credit_notes() if n.party_id in ours)
    remittances = [r for r in billing.remittances() if r.party_id in ours]
    applied = [r for r in remittances if r.source_kind == "receipt"]
    allocated: dict[str, int] = {}
    for remittance in applied:
        amount = remittance.amount_minor - remittance.unallocated_minor
        allocated[remittance.currency] = allocated.get(remittance.currency, 0) + amount
    bills = [b for b in billing.bills() if b.party_id in ours]
    bill_statuses: dict[str, int] = {}
    open_ap: dict[str, int] = {}
    matched = 0
    for bill in bills:
        bill_statuses[bill.status] = bill_statuses.get(bill.status, 0) + 1
        if bill.open_amount_minor:
            open_ap[bill.currency] = open_ap.get(bill.currency, 0) + bill.open_amount_minor
        matched += sum(1 for line in bill.lines if line.get("goods_receipt_id"))
    output: dict[str, int] = {}
    for invoice in invoices:
        output[invoice.currency] = output.get(invoice.currency, 0) + invoice.tax_total_minor
    for note in billing.credit_notes():
        if note.party_id in ours:
            output[note.currency] = output.get(note.currency, 0) - note.tax_total_minor
    input_tax: dict[str, int] = {}
    for bill in bills:
        if bill.tax_total_minor:
            input_tax[bill.currency] = input_tax.get(bill.currency, 0) + bill.tax_total_minor
    return BillingSummary(
        invoices=counts, by_status=statuses,
        first_last={c: (min(n), max(n)) for c, n in numbers.items()},
        credit_notes=notes, written_off_minor=written, receipts_applied=len(applied),
        allocated_minor=allocated, open_receivables=open_ar, bills=len(bills),
        bill_lines_matched=matched, bills_by_status=bill_statuses, open_payables=open_ap,
        output_tax=output, input_tax=input_tax, filed=list(filed),
    )  # fmt: skip
