"""Tax codes: known answers from the regulations' own examples, and versioning.

Indonesian figures are in IDR minor units (scale 2 here): Rp 1 = 100.
"""

from __future__ import annotations

from datetime import date

import pytest

from domain.billing.errors import TaxCodeCurrencyMismatch, TaxCodeNotInForce, UnknownTaxCode
from domain.billing.invoice_math import InvoiceLine, compute_invoice
from domain.billing.tax_codes import (
    AmountRounding,
    TaxBaseRule,
    check_tax_codes,
    round_ratio,
    tax_code_at,
)
from domain.billing.tax_data import TAX_CODES

RUPIAH = 100  # minor units per rupiah


def ppn_of(price_rupiah: int, code: str, on: date) -> tuple[int, int]:
    """(taxable base, tax) in whole rupiah for one line of ``price_rupiah``."""
    totals = compute_invoice(
        [InvoiceLine("goods", "1", str(price_rupiah), code, "Income:Sales")],
        currency="IDR",
        tax_date=on,
    )
    (line,) = totals.lines
    assert line.taxable_base_minor is not None and line.tax_minor is not None
    assert line.taxable_base_minor % RUPIAH == 0 and line.tax_minor % RUPIAH == 0
    return line.taxable_base_minor // RUPIAH, line.tax_minor // RUPIAH


def test_the_shipped_tax_codes_have_no_findings() -> None:
    assert check_tax_codes(TAX_CODES) == []


def test_ppn_on_rp_10_million_of_ordinary_goods_in_2025_is_rp_1_1_million() -> None:
    # PMK 131/2024 Pasal 3: DPP nilai lain 11/12 x 10.000.000 = 9.166.666,67 -> 9.166.667
    # (whole rupiah, half up, PER-11/PJ/2025 Pasal 129); PPN 12% x 9.166.667 = 1.100.000,04
    # -> 1.100.000, the effective 11% burden.
    assert ppn_of(10_000_000, "ID-PPN", date(2025, 3, 1)) == (9_166_667, 1_100_000)


def test_ppn_on_rp_50_million_matches_the_ministry_illustration() -> None:
    # Murianews, "Isi lengkap PMK 131 Tahun 2024", 2 Jan 2025: Rp 50 juta -> DPP nilai
    # lain Rp 45,83 juta -> PPN Rp 5,5 juta, the same as 11% of the price.
    assert ppn_of(50_000_000, "ID-PPN", date(2025, 1, 2)) == (45_833_333, 5_500_000)


def test_ppn_on_a_rp_20_million_computer_in_january_2025_is_rp_2_2_million() -> None:
    # IDN Times, "Skema dan cara menghitung PPN 12 persen": computer Rp 20 juta on
    # 5 Jan 2025, PPN = 12% x (11/12 x Rp 20 juta) = Rp 2,2 juta.
    assert ppn_of(20_000_000, "ID-PPN", date(2025, 1, 5)) == (18_333_333, 2_200_000)


def test_ppn_on_a_rp_6_million_retail_price_is_rp_660_thousand() -> None:
    # Kompasiana, "Mengenal DPP nilai lain dan PPN besaran tertentu": DPP = 11/12 x
    # Rp 6.000.000 = Rp 5.500.000; PPN = 12% x Rp 5.500.000 = Rp 660.000.
    assert ppn_of(6_000_000, "ID-PPN", date(2025, 6, 1)) == (5_500_000, 660_000)


def test_a_luxury_car_sold_at_retail_pays_11_twelfths_in_january_and_full_price_after() -> None:
    # IDN Times (as above): luxury car Rp 10 miliar; 5 Jan 2025 (transition) PPN =
    # 12% x 11/12 x Rp 10 miliar = Rp 1,1 miliar; 5 Mar 2025 PPN = 12% x Rp 10 miliar
    # = Rp 1,2 miliar. (The article's first sentence says Rp 5 miliar; its figures use 10.)
    price = 10_000_000_000
    assert ppn_of(price, "ID-PPN-LUX-RETAIL", date(2025, 1, 5))[1] == 1_100_000_000
    assert ppn_of(price, "ID-PPN-LUX-RETAIL", date(2025, 3, 5))[1] == 1_200_000_000


def test_luxury_goods_sold_to_businesses_pay_12_percent_on_the_full_price_from_2025() -> None:
    # PMK 131/2024 Pasal 2 ayat (2)-(3); Rustan Consulting table: 12% x sales price.
    assert ppn_of(10_000_000_000, "ID-PPN-LUX", date(2025, 1, 5)) == (
        10_000_000_000,
        1_200_000_000,
    )


def test_ppn_before_2025_rounds_down_to_whole_rupiah_as_djp_explained() -> None:
    # DDTCNews 3 Aug 2022 quoting @kring_pajak (PER-29/PJ/2015): DPP Rp15.766 x 11%
    # = Rp1.734,26 -> PPN Rp1.734.
    assert ppn_of(15_766, "ID-PPN", date(2022, 8, 3)) == (15_766, 1_734)
    # Enforcea, "Nilai rupiah dibulatkan ke bawah": DPP Rp3.453.454 x 11% = Rp379.879,94
    # -> Rp379.879 (rounded down, not to the nearer rupiah).
    assert ppn_of(3_453_454, "ID-PPN", date(2024, 6, 1)) == (3_453_454, 379_879)


def test_coretax_rounding_takes_half_a_rupiah_up_and_less_than_half_down() -> None:
    # DDTCNews 28 May 2025 on PER-11/PJ/2025 Pasal 129 ayat (3): PPN Rp1.500.000,49 ->
    # Rp1.500.000,00 and Rp1.900.000,50 -> Rp1.900.001,00 (IDR minor units below).
    assert round_ratio(150_000_049, 1, RUPIAH, AmountRounding.HALF_UP) == 150_000_000
    assert round_ratio(190_000_050, 1, RUPIAH, AmountRounding.HALF_UP) == 190_000_100


def test_ppn_is_computed_from_the_dpp_nilai_lain_as_printed() -> None:
    # Rp 159: DPP 145,75 -> 146; PPN 12% x 146 = 17,52 -> 18. From the unrounded base
    # it would be 17 (11% x 159 = 17,49): the printed figures must recompute exactly.
    assert ppn_of(159, "ID-PPN", date(2025, 6, 1)) == (146, 18)


def test_ppn_switches_version_on_1_january_2025() -> None:
    before = tax_code_at("ID-PPN", date(2024, 12, 31))
    after = tax_code_at("ID-PPN", date(2025, 1, 1))
    assert (before.rate_percent, before.base_rule) == ("11", TaxBaseRule.FULL_PRICE)
    assert (after.rate_percent, after.base_rule) == ("12", TaxBaseRule.OTHER_VALUE)
    assert (after.base_numerator, after.base_denominator) == (11, 12)
    # Same burden on ordinary goods, different base; luxury goods pay more.
    assert ppn_of(10_000_000, "ID-PPN", date(2024, 12, 31)) == (10_000_000, 1_100_000)
    assert ppn_of(10_000_000, "ID-PPN", date(2025, 1, 1)) == (9_166_667, 1_100_000)
    assert ppn_of(10_000_000, "ID-PPN-LUX", date(2024, 12, 31))[1] == 1_100_000
    assert ppn_of(10_000_000, "ID-PPN-LUX", date(2025, 1, 1))[1] == 1_200_000


def test_the_retail_luxury_code_has_a_third_version_from_february_2025() -> None:
    assert tax_code_at("ID-PPN-LUX-RETAIL", date(2025, 1, 31)).base_rule is TaxBaseRule.OTHER_VALUE
    assert tax_code_at("ID-PPN-LUX-RETAIL", date(2025, 2, 1)).base_rule is TaxBaseRule.FULL_PRICE


def test_an_unknown_tax_code_is_refused_with_the_known_codes_listed() -> None:
    with pytest.raises(UnknownTaxCode) as refused:
        tax_code_at("VAT-LUXURY", date(2025, 1, 1))
    assert refused.value.field == "tax_code"
    assert "VAT-STD" in refused.value.message


def test_a_date_before_the_first_version_is_refused() -> None:
    with pytest.raises(TaxCodeNotInForce) as refused:
        tax_code_at("ID-PPN", date(2022, 3, 31))
    assert "2022-04-01" in refused.value.message


def test_a_ppn_code_on_a_dollar_invoice_is_refused() -> None:
    with pytest.raises(TaxCodeCurrencyMismatch) as refused:
        compute_invoice(
            [InvoiceLine("goods", "1", "10", "ID-PPN", "Income:Sales")],
            currency="USD",
            tax_date=date(2025, 1, 1),
        )
    assert refused.value.field == "lines[0].tax_code"


def test_uk_style_vat_charges_20_5_and_0_percent() -> None:
    # HMRC VAT Notice 700 s3.3: standard 20%, reduced 5%, zero 0%.
    lines = [
        InvoiceLine("standard", "1", "100.00", "VAT-STD", "Income:Sales"),
        InvoiceLine("reduced", "1", "100.00", "VAT-RED", "Income:Sales"),
        InvoiceLine("zero", "1", "100.00", "VAT-ZERO", "Income:Sales"),
    ]
    totals = compute_invoice(lines, currency="GBP", tax_date=date(2026, 1, 1))
    tax = {total.tax_code: total.tax_minor for total in totals.tax_totals}
    assert tax == {"VAT-RED": 500, "VAT-STD": 2000, "VAT-ZERO": 0}


def test_exempt_supplies_stay_out_of_the_taxable_base_while_zero_rated_ones_count() -> None:
    lines = [
        InvoiceLine("insurance", "1", "80.00", "VAT-EXEMPT", "Income:Fees"),
        InvoiceLine("books", "2", "15.00", "VAT-ZERO", "Income:Sales"),
    ]
    totals = compute_invoice(lines, currency="GBP", tax_date=date(2026, 1, 1))
    by_code = {total.tax_code: total for total in totals.tax_totals}
    exempt, zero = by_code["VAT-EXEMPT"], by_code["VAT-ZERO"]
    assert (exempt.net_minor, exempt.taxable_base_minor, exempt.tax_minor) == (8000, 0, 0)
    assert not exempt.reportable
    assert (zero.net_minor, zero.taxable_base_minor, zero.tax_minor) == (3000, 3000, 0)
    assert zero.reportable
    assert totals.gross_total_minor == 11000
