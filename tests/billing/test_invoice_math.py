"""Invoice arithmetic: line nets, per-line versus per-invoice tax, credit notes, refusals."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from domain.billing.errors import (
    EmptyInvoice,
    InvalidInvoiceLine,
    TooManyInvoiceLines,
    UnknownCurrency,
    UnknownTaxCode,
)
from domain.billing.invoice_math import (
    DocumentKind,
    InvoiceLine,
    compute_credit_note,
    compute_invoice,
)
from domain.billing.tax_codes import RoundingMode, TaxCode
from domain.billing.tax_data import TAX_CODES

ON = date(2026, 3, 1)


def line(quantity: str = "1", unit_price: str = "10.00", tax_code: str = "VAT-STD") -> InvoiceLine:
    return InvoiceLine("Consulting", quantity, unit_price, tax_code, "Income:Services")


def five_percent_catalog() -> dict[str, TaxCode]:
    """Two 5% codes that differ only in where they round."""
    reduced = TAX_CODES["VAT-RED"]
    (version,) = reduced.versions
    per_line = replace(version, code="RED-LINE", rounding_mode=RoundingMode.PER_LINE)
    per_invoice = replace(version, code="RED-INVOICE", rounding_mode=RoundingMode.PER_INVOICE)
    return {
        "RED-LINE": replace(reduced, code="RED-LINE", versions=(per_line,)),
        "RED-INVOICE": replace(reduced, code="RED-INVOICE", versions=(per_invoice,)),
    }


def test_a_line_net_rounds_half_a_cent_up() -> None:
    totals = compute_invoice([line("0.5", "0.01")], currency="USD", tax_date=ON)
    assert totals.lines[0].net_minor == 1


def test_a_line_net_is_exact_before_its_single_rounding() -> None:
    totals = compute_invoice([line("3", "0.333333")], currency="USD", tax_date=ON)
    assert totals.lines[0].net_minor == 100  # 0.999999 -> 1.00
    totals = compute_invoice([line("1.000001", "999999.999999")], currency="USD", tax_date=ON)
    assert totals.lines[0].net_minor == 100_000_100  # 1000001.000000999999 -> 1000001.00


def test_a_zero_decimal_currency_rounds_the_net_to_whole_units() -> None:
    totals = compute_invoice([line("2.5", "101")], currency="JPY", tax_date=ON)
    assert totals.lines[0].net_minor == 253  # 252.5 -> 253


def test_per_line_and_per_invoice_rounding_give_different_totals_on_the_same_lines() -> None:
    # Three lines of 0.10 at 5%: 0.005 tax each. Per line each rounds up to 0.01 (0.03
    # in all); per invoice 0.30 x 5% = 0.015 rounds once, to 0.02.
    catalog = five_percent_catalog()
    per_line = compute_invoice(
        [line("1", "0.10", "RED-LINE")] * 3, currency="GBP", tax_date=ON, catalog=catalog
    )
    per_invoice = compute_invoice(
        [line("1", "0.10", "RED-INVOICE")] * 3, currency="GBP", tax_date=ON, catalog=catalog
    )
    assert [each.tax_minor for each in per_line.lines] == [1, 1, 1]
    assert per_line.tax_total_minor == 3 and per_line.gross_total_minor == 33
    assert [each.tax_minor for each in per_invoice.lines] == [None, None, None]
    assert per_invoice.tax_total_minor == 2 and per_invoice.gross_total_minor == 32


def test_totals_are_given_per_tax_code_and_add_up_to_the_invoice_total() -> None:
    lines = [line("2", "49.99"), line("1", "10.00", "VAT-RED"), line("3", "1.00")]
    totals = compute_invoice(lines, currency="EUR", tax_date=ON)
    assert [total.tax_code for total in totals.tax_totals] == ["VAT-RED", "VAT-STD"]
    std = totals.tax_totals[1]
    assert (std.net_minor, std.taxable_base_minor, std.tax_minor) == (10298, 10298, 2060)
    assert totals.net_total_minor == 11298
    assert totals.tax_total_minor == 2060 + 50
    assert totals.gross_total_minor == 11298 + 2110


def test_a_credit_note_is_the_invoice_with_every_amount_negated() -> None:
    lines = [line("2", "49.99"), line("1", "1000000", "ID-PPN")]
    invoice = compute_invoice(lines[:1], currency="EUR", tax_date=ON)
    credit = compute_credit_note(lines[:1], currency="EUR", tax_date=ON)
    assert credit.kind is DocumentKind.CREDIT_NOTE
    assert credit.gross_total_minor == -invoice.gross_total_minor
    assert credit.tax_totals[0].tax_minor == -invoice.tax_totals[0].tax_minor
    rupiah = compute_credit_note(lines[1:], currency="IDR", tax_date=ON)
    assert (rupiah.lines[0].taxable_base_minor, rupiah.lines[0].tax_minor) == (
        -91_666_700,
        -11_000_000,
    )


def test_an_invoice_without_lines_is_refused() -> None:
    with pytest.raises(EmptyInvoice) as refused:
        compute_invoice([], currency="EUR", tax_date=ON)
    assert refused.value.field == "lines"


def test_200_lines_are_accepted_and_201_refused() -> None:
    assert len(compute_invoice([line()] * 200, currency="EUR", tax_date=ON).lines) == 200
    with pytest.raises(TooManyInvoiceLines):
        compute_invoice([line()] * 201, currency="EUR", tax_date=ON)


@pytest.mark.parametrize("quantity", ["0", "0.000000", "-1"])
def test_a_zero_or_negative_quantity_is_refused(quantity: str) -> None:
    with pytest.raises(InvalidInvoiceLine) as refused:
        compute_invoice([line(), line(quantity)], currency="EUR", tax_date=ON)
    assert refused.value.field == "lines[1].quantity"


def test_a_unit_price_with_seven_decimals_is_refused_naming_the_line() -> None:
    lines = [line(), line(), line(), line("1", "0.1234567")]
    with pytest.raises(InvalidInvoiceLine) as refused:
        compute_invoice(lines, currency="EUR", tax_date=ON)
    assert refused.value.field == "lines[3].unit_price"
    assert "at most 6 decimals" in refused.value.message


@pytest.mark.parametrize("bad", ["1e3", "NaN", " 1", "1,5", "+1", ""])
def test_a_quantity_that_is_not_a_plain_decimal_is_refused(bad: str) -> None:
    with pytest.raises(InvalidInvoiceLine) as refused:
        compute_invoice([line(bad)], currency="EUR", tax_date=ON)
    assert refused.value.field == "lines[0].quantity"


def test_a_float_unit_price_is_refused() -> None:
    bad = InvoiceLine("x", "1", 1.5, "VAT-STD", "Income:Sales")  # type: ignore[arg-type]
    with pytest.raises(InvalidInvoiceLine) as refused:
        compute_invoice([bad], currency="EUR", tax_date=ON)
    assert refused.value.field == "lines[0].unit_price"


def test_a_negative_unit_price_is_refused() -> None:
    with pytest.raises(InvalidInvoiceLine) as refused:
        compute_invoice([line("1", "-5.00")], currency="EUR", tax_date=ON)
    assert refused.value.field == "lines[0].unit_price"


def test_an_empty_description_is_refused() -> None:
    with pytest.raises(InvalidInvoiceLine) as refused:
        compute_invoice(
            [InvoiceLine(" ", "1", "1", "VAT-STD", "Income:Sales")], currency="EUR", tax_date=ON
        )
    assert refused.value.field == "lines[0].description"


def test_an_unknown_tax_code_on_a_line_names_the_line() -> None:
    with pytest.raises(UnknownTaxCode) as refused:
        compute_invoice([line(), line("1", "1", "GST")], currency="EUR", tax_date=ON)
    assert refused.value.field == "lines[1].tax_code"


def test_an_unknown_currency_is_refused() -> None:
    with pytest.raises(UnknownCurrency):
        compute_invoice([line()], currency="XXX", tax_date=ON)


decimal_text = st.builds(
    lambda whole, fraction, digits: (
        f"{whole}.{str(fraction).zfill(6)[:digits]}" if digits else str(whole)
    ),
    st.integers(min_value=0, max_value=10_000),
    st.integers(min_value=0, max_value=999_999),
    st.integers(min_value=0, max_value=6),
)
codes = st.sampled_from(["VAT-STD", "VAT-RED", "VAT-ZERO", "VAT-EXEMPT", "RED-LINE"])


@settings(max_examples=150, derandomize=True, deadline=None)
@given(
    drawn=st.lists(st.tuples(decimal_text, decimal_text, codes), min_size=1, max_size=20),
    credit=st.booleans(),
)
def test_invoice_totals_are_the_sums_of_their_lines(
    drawn: list[tuple[str, str, str]], credit: bool
) -> None:
    catalog = {**TAX_CODES, **five_percent_catalog()}
    lines = [
        line(quantity if quantity.strip("0.") else "1", price, code)
        for quantity, price, code in drawn
    ]
    kind = DocumentKind.CREDIT_NOTE if credit else DocumentKind.INVOICE
    totals = compute_invoice(lines, currency="EUR", tax_date=ON, kind=kind, catalog=catalog)
    assert totals.net_total_minor == sum(each.net_minor for each in totals.lines)
    assert totals.net_total_minor == sum(total.net_minor for total in totals.tax_totals)
    assert totals.tax_total_minor == sum(total.tax_minor for total in totals.tax_totals)
    assert totals.gross_total_minor == totals.net_total_minor + totals.tax_total_minor
    for total in totals.tax_totals:
        own = [each for each in totals.lines if each.tax_code == total.tax_code]
        if total.version.rounding_mode is RoundingMode.PER_LINE:
            assert total.tax_minor == sum(each.tax_minor or 0 for each in own)
    sign = -1 if credit else 1
    assert all(sign * each.net_minor >= 0 for each in totals.lines)
