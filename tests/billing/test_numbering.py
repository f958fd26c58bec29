"""Gap-free invoice numbers: the text form, the next-number rule and the gap check."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from domain.billing.errors import InvalidInvoiceNumber, InvoiceSequenceExhausted
from domain.billing.numbering import (
    InvoiceNumber,
    NumberingFinding,
    format_invoice_number,
    gaps,
    next_invoice_number,
    parse_invoice_number,
)


def numbers(series: str, year: int, *sequences: int) -> list[InvoiceNumber]:
    return [InvoiceNumber(series, year, sequence) for sequence in sequences]


def test_an_invoice_number_formats_as_series_year_and_six_digits() -> None:
    assert format_invoice_number("INV", 2026, 123) == "INV-2026-000123"
    assert str(InvoiceNumber("CN", 2026, 7)) == "CN-2026-000007"


def test_an_invoice_number_parses_back_to_its_parts() -> None:
    assert parse_invoice_number("INV-2026-000123") == InvoiceNumber("INV", 2026, 123)


@pytest.mark.parametrize(
    "text",
    ["INV-2026-123", "inv-2026-000123", "INV-2026-000000", "INV-26-000001", "", "I-2026-000001"],
)
def test_a_malformed_invoice_number_is_refused(text: str) -> None:
    with pytest.raises(InvalidInvoiceNumber) as refused:
        parse_invoice_number(text)
    assert refused.value.field == "number"


def test_the_next_number_is_the_last_plus_one() -> None:
    last = InvoiceNumber("INV", 2026, 122)
    assert next_invoice_number(last, "INV", 2026) == InvoiceNumber("INV", 2026, 123)


def test_each_year_starts_again_at_one() -> None:
    assert next_invoice_number(None, "INV", 2026) == InvoiceNumber("INV", 2026, 1)
    last_of_2025 = InvoiceNumber("INV", 2025, 4711)
    assert next_invoice_number(last_of_2025, "INV", 2026) == InvoiceNumber("INV", 2026, 1)


def test_a_series_that_used_its_last_number_refuses_another() -> None:
    with pytest.raises(InvoiceSequenceExhausted):
        InvoiceNumber("INV", 2026, 999_999).following()


def test_consecutive_numbers_have_no_gaps() -> None:
    assert gaps(numbers("INV", 2026, 3, 1, 2, 4)) == []


def test_a_missing_range_is_reported_once() -> None:
    assert gaps(numbers("INV", 2026, 1, 2, 5, 6)) == [
        NumberingFinding("missing", "INV", 2026, 3, 4, 0)
    ]


def test_a_missing_first_number_is_a_gap() -> None:
    (finding,) = gaps(numbers("INV", 2026, 2, 3))
    assert (finding.kind, finding.first, finding.last) == ("missing", 1, 1)
    assert str(finding) == "INV-2026: 000001..000001 missing"


def test_a_number_issued_twice_is_reported_as_a_duplicate() -> None:
    (finding,) = gaps(numbers("INV", 2026, 1, 2, 2, 3))
    assert (finding.kind, finding.first, finding.count) == ("duplicate", 2, 2)


def test_gaps_are_checked_per_series_and_year() -> None:
    issued = numbers("INV", 2025, 1, 2) + numbers("INV", 2026, 1, 3) + numbers("CN", 2026, 1)
    assert gaps(issued) == [NumberingFinding("missing", "INV", 2026, 2, 2, 0)]


@settings(max_examples=100, derandomize=True, deadline=None)
@given(
    series=st.from_regex(r"[A-Z]{2,8}", fullmatch=True),
    year=st.integers(min_value=1900, max_value=2199),
    sequence=st.integers(min_value=1, max_value=999_999),
)
def test_formatting_and_parsing_round_trip(series: str, year: int, sequence: int) -> None:
    number = InvoiceNumber(series, year, sequence)
    assert parse_invoice_number(str(number)) == number


@settings(max_examples=100, derandomize=True, deadline=None)
@given(
    count=st.integers(min_value=1, max_value=60),
    removed=st.sets(st.integers(min_value=1, max_value=60), max_size=10),
)
def test_gaps_report_exactly_the_removed_numbers(count: int, removed: set[int]) -> None:
    kept = [sequence for sequence in range(1, count + 1) if sequence not in removed]
    found: set[int] = set()
    for finding in gaps(numbers("INV", 2026, *kept)):
        found.update(range(finding.first, finding.last + 1))
    highest = max(kept, default=0)
    assert found == {sequence for sequence in removed if sequence < highest}
