"""Number series: who hands out the next invoice (or credit note) number.

One aggregate per series and year (``INV`` 2026, ``CN`` 2026). Issuing a
document triggers ``NumberAssigned`` on its series and the document's own
event, saved in one commit with the document's entry. The series' version
serialises issuers across threads and processes: two issuers who read the
same last number collide on the series' next version, one commit wins and the
other decides again with the next number. A number is therefore used exactly
when its document was issued: no gaps (a failed commit assigns nothing), no
reuse. Log notification ids have gaps and are never invoice numbers.
"""

from __future__ import annotations

from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate

from domain.billing.numbering import InvoiceNumber, next_invoice_number
from domain.kernel.topics import pin_topics

_SERIES_NAMESPACE = uuid5(NAMESPACE_URL, "urn:backoffice:billing-number-series")


def number_series_id(series: str, year: int) -> UUID:
    return uuid5(_SERIES_NAMESPACE, f"{series}\x00{year:04d}")


class NumberSeries(Aggregate):
    """The numbers of one series in one year, handed out in order."""

    class NumberSeriesStarted(Aggregate.Created):
        class_version = 1
        series: str
        year: int
        actor: str
        correlation_id: str

    class NumberAssigned(Aggregate.Event):
        """``sequence`` went to ``document_id`` (an invoice or a credit note), issued on
        ``issue_date``."""

        class_version = 1
        sequence: int
        document_id: str
        issue_date: str
        actor: str
        correlation_id: str

        def apply(self, aggregate: Any) -> None:
            aggregate.last_sequence = self.sequence
            aggregate.last_issue_date = self.issue_date

    def __init__(self, series: str, year: int, actor: str, correlation_id: str) -> None:
        self.series = series
        self.year = year
        self.last_sequence = 0
        self.last_issue_date = ""

    @classmethod
    def started(
        cls,
        *,
        id: UUID,
        series: str,
        year: int,
        actor: str,
        correlation_id: str,
    ) -> NumberSeries:
        """A number series, started for its year."""
        return cls._create(
            cls.NumberSeriesStarted,
            id=id,
            series=series,
            year=year,
            actor=actor,
            correlation_id=correlation_id,
        )

    def next_number(self) -> InvoiceNumber:
        last = None if self.last_sequence == 0 else self.last_number()
        return next_invoice_number(last, self.series, self.year)

    def last_number(self) -> InvoiceNumber:
        assert self.last_sequence > 0
        return InvoiceNumber(self.series, self.year, self.last_sequence)


pin_topics("domain.billing.number_series", NumberSeries)
