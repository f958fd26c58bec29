"""Credit notes: a correction of an issued invoice, never an edit of it.

A credit note references its invoice, carries the lines credited (all of the
invoice's for a full credit, some or part of them for a partial one) and its
own number from its own series. Its tax is computed under the rules of the
invoice's date, so it mirrors exactly what the invoice charged. Issuing it
posts the mirror entry (debit income and output tax, credit receivables) in
the same commit as ``CreditNoteIssued`` and the invoice's ``InvoiceCredited``.
A credit note is never more than the invoice's open amount: money already
allocated is freed by undoing the allocation first.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from eventsourcing.domain import Aggregate

from domain.kernel.topics import pin_topics


class CreditNote(Aggregate):
    """One issued credit note (they are issued when created: no drafts)."""

    class CreditNoteIssued(Aggregate.Created):
        """For ``invoice_id`` (``invoice_number``) of ``party_id``: ``number`` on
        ``issue_date``, the credited ``lines``, the totals as positive minor units
        credited, ``tax_totals`` rows as on the invoice, the entry ``entry_id``."""

        class_version = 1
        invoice_id: str
        invoice_number: str
        party_id: str
        currency: str
        number: str
        series: str
        year: int
        sequence: int
        issue_date: str
        reason: str
        lines: list[dict[str, str]]
        net_total_minor: int
        tax_total_minor: int
        gross_total_minor: int
        tax_totals: list[dict[str, Any]]
        entry_id: str
        actor: str
        correlation_id: str

    def __init__(  # the CreditNoteIssued fields; only assigns
        self,
        invoice_id: str,
        invoice_number: str,
        party_id: str,
        currency: str,
        number: str,
        series: str,
        year: int,
        sequence: int,
        issue_date: str,
        reason: str,
        lines: list[dict[str, str]],
        net_total_minor: int,
        tax_total_minor: int,
        gross_total_minor: int,
        tax_totals: list[dict[str, Any]],
        entry_id: str,
        actor: str,
        correlation_id: str,
    ) -> None:
        self.invoice_id = invoice_id
        self.invoice_number = invoice_number
        self.party_id = party_id
        self.currency = currency
        self.number = number
        self.series = series
        self.year = year
        self.sequence = sequence
        self.issue_date = issue_date
        self.reason = reason
        self.lines = lines
        self.net_total_minor = net_total_minor
        self.tax_total_minor = tax_total_minor
        self.gross_total_minor = gross_total_minor
        self.tax_totals = tax_totals
        self.entry_id = entry_id
        self.issued_by = actor

    @classmethod
    def issued(
        cls,
        *,
        id: UUID,
        invoice_id: str,
        invoice_number: str,
        party_id: str,
        currency: str,
        number: str,
        series: str,
        year: int,
        sequence: int,
        issue_date: str,
        reason: str,
        lines: list[dict[str, str]],
        net_total_minor: int,
        tax_total_minor: int,
        gross_total_minor: int,
        tax_totals: list[dict[str, Any]],
        entry_id: str,
        actor: str,
        correlation_id: str,
    ) -> CreditNote:
        """A newly issued credit note."""
        return cls._create(
            cls.CreditNoteIssued,
            id=id,
            invoice_id=invoice_id,
            invoice_number=invoice_number,
            party_id=party_id,
            currency=currency,
            number=number,
            series=series,
            year=year,
            sequence=sequence,
            issue_date=issue_date,
            reason=reason,
            lines=lines,
            net_total_minor=net_total_minor,
            tax_total_minor=tax_total_minor,
            gross_total_minor=gross_total_minor,
            tax_totals=tax_totals,
            entry_id=entry_id,
            actor=actor,
            correlation_id=correlation_id,
        )

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": str(self.id),
            "invoice_id": self.invoice_id,
            "invoice_number": self.invoice_number,
            "party_id": self.party_id,
            "currency": self.currency,
            "number": self.number,
            "issue_date": self.issue_date,
            "reason": self.reason,
            "lines": [dict(line) for line in self.lines],
            "net_total_minor": self.net_total_minor,
            "tax_total_minor": self.tax_total_minor,
            "gross_total_minor": self.gross_total_minor,
            "tax_totals": [dict(row) for row in self.tax_totals],
            "entry_id": self.entry_id,
            "version": self.version,
        }


pin_topics("domain.billing.credit_note", CreditNote)
