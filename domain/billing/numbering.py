"""Gap-free invoice numbers: ``INV-2026-000123`` per series and year.

Tax law in most places wants invoice numbers without gaps, so an auditor can
see that no invoice was suppressed. The sequence restarts at 1 each year in
each series, and the next number is always the last one plus one. Handing
out numbers without a race is the storage layer's job (it serialises per
series and year); this module only knows the value, its text form and how to
find gaps and duplicates in a list of issued numbers.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

from domain.billing.errors import InvalidInvoiceNumber, InvoiceSequenceExhausted

SEQUENCE_DIGITS = 6
SEQUENCE_MAX = 10**SEQUENCE_DIGITS - 1
YEAR_MIN = 1900
YEAR_MAX = 2199
SERIES_PATTERN = re.compile(r"^[A-Z]{2,8}\Z")
_NUMBER = re.compile(r"^(?P<series>[A-Z]{2,8})-(?P<year>[0-9]{4})-(?P<sequence>[0-9]{6})\Z")


@dataclass(frozen=True, slots=True, order=True)
class InvoiceNumber:
    """``series`` (2-8 capital letters: INV, CN), ``year`` and ``sequence`` (1..999999)."""

    series: str
    year: int
    sequence: int

    def __post_init__(self) -> None:
        if not isinstance(self.series, str) or not SERIES_PATTERN.match(self.series):
            raise InvalidInvoiceNumber(
                f"series: 2 to 8 capital letters, got {str(self.series)[:20]!r}", field="series"
            )
        if not _is_int(self.year) or not YEAR_MIN <= self.year <= YEAR_MAX:
            raise InvalidInvoiceNumber(
                f"year: between {YEAR_MIN} and {YEAR_MAX}, got {self.year!r}", field="year"
            )
        if not _is_int(self.sequence) or not 1 <= self.sequence <= SEQUENCE_MAX:
            raise InvalidInvoiceNumber(
                f"sequence: between 1 and {SEQUENCE_MAX}, got {self.sequence!r}",
                field="sequence",
            )

    def __str__(self) -> str:
        return format_invoice_number(self.series, self.year, self.sequence)

    def following(self) -> InvoiceNumber:
        """The next number in the same series and year (last + 1)."""
        if self.sequence == SEQUENCE_MAX:
            raise InvoiceSequenceExhausted(
                f"sequence: series {self.series} has used all {SEQUENCE_MAX} numbers"
                f" for {self.year}",
                field="sequence",
            )
        return InvoiceNumber(self.series, self.year, self.sequence + 1)


@dataclass(frozen=True, slots=True)
class NumberingFinding:
    """A gap (``missing`` sequences ``first``..``last``) or a ``duplicate``
    (``first`` == ``last``, issued ``count`` times) in one series and year."""

    kind: Literal["missing", "duplicate"]
    series: str
    year: int
    first: int
    last: int
    count: int

    def __str__(self) -> str:
        if self.kind == "duplicate":
            return f"{self.series}-{self.year}: {self.first:06d} issued {self.count} times"
        return f"{self.series}-{self.year}: {self.first:06d}..{self.last:06d} missing"


def format_invoice_number(series: str, year: int, sequence: int) -> str:
    """``INV-2026-000123``; the value is validated first."""
    InvoiceNumber(series, year, sequence)  # raises on a bad part
    return f"{series}-{year:04d}-{sequence:0{SEQUENCE_DIGITS}d}"


def parse_invoice_number(text: object, *, field: str = "number") -> InvoiceNumber:
    """The inverse of ``format_invoice_number``; refuses any other spelling."""
    match = _NUMBER.match(text) if isinstance(text, str) else None
    if match is None:
        raise InvalidInvoiceNumber(
            f"{field}: expected SERIES-YYYY-NNNNNN such as INV-2026-000123, got {str(text)[:40]!r}",
            field=field,
        )
    try:
        return InvoiceNumber(match["series"], int(match["year"]), int(match["sequence"]))
    except InvalidInvoiceNumber as refusal:
        raise InvalidInvoiceNumber(f"{field}: {refusal.message}", field=field) from refusal


def next_invoice_number(last: InvoiceNumber | None, series: str, year: int) -> InvoiceNumber:
    """The number to issue after ``last`` (None: nothing issued yet this year)."""
    if last is None or (last.series, last.year) != (series, year):
        assert last is None or (last.series == series and last.year < year), (
            "last must be the newest number of this series"
        )
        return InvoiceNumber(series, year, 1)
    return last.following()


def gaps(numbers: Iterable[InvoiceNumber]) -> list[NumberingFinding]:
    """Findings for every gap and duplicate, per series and year, in order.

    Each year's sequence must run 1, 2, 3 ... up to its highest number; a
    missing start counts as a gap. An empty list means the numbers are gap-free.
    """
    issued: defaultdict[tuple[str, int], defaultdict[int, int]] = defaultdict(
        lambda: defaultdict(int)
    )
    for number in numbers:
        issued[number.series, number.year][number.sequence] += 1
    findings: list[NumberingFinding] = []
    for (series, year), counts in sorted(issued.items()):
        expected = 1
        for sequence in sorted(counts):
            if sequence > expected:
                findings.append(
                    NumberingFinding("missing", series, year, expected, sequence - 1, 0)
                )
            if counts[sequence] > 1:
                findings.append(
                    NumberingFinding(
                        "duplicate", series, year, sequence, sequence, counts[sequence]
                    )
                )
            expected = sequence + 1
    return findings


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)
