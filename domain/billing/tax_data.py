"""The shipped tax codes: a generic VAT set and Indonesia's PPN.

Every figure carries its source beside it. A change in the law is a new
version appended to its code, never an edit of an old one: invoices dated
before the change must recompute to the same tax on replay.

**Generic VAT** (``VAT-*``): a generic example, not advice for any country.
The figures are the United Kingdom's as HMRC publishes them in "VAT guide
(VAT Notice 700)", https://www.gov.uk/guidance/vat-guide-notice-700, section
3.3 "VAT rates" (standard 20%, reduced 5%, zero 0%) and 3.6 "Exempt
supplies"; the standard rate is 20% since 4 January 2011 (Notice 700,
February 2011 edition, para 1.2). Tax is worked out on the invoice total per
rate and rounded once to the nearer penny, one of the methods Notice 700
para 17.5 allows (HMRC manual VATREC12010,
https://www.gov.uk/hmrc-internal-manuals/vat-trader-records/vatrec12010).

**Indonesia** (``ID-PPN*``, IDR only). IDR has scale 2 in this codebase, so
Rp 1 is 100 minor units; tax documents carry whole rupiah, so base and tax
round to whole rupiah (a step of 100 minor units).

- From 2022-04-01: PPN 11% on the selling price, UU 7/2021 (Harmonisasi
  Peraturan Perpajakan, "UU HPP") amending Pasal 7 ayat (1) UU PPN. PPN was
  rounded *down* to whole rupiah: PER-29/PJ/2015 as DJP (@kring_pajak)
  explained it, DDTCNews 3 Aug 2022,
  https://news.ddtc.co.id/bagaimana-aturan-pembulatan-ppn-di-e-faktur-simak-lagi-penjelasan-djp-40998
  (DPP Rp15.766 x 11% = Rp1.734,26 -> Rp1.734).
- From 2025-01-01: PMK 131/2024 (in force 1 January 2025, Pasal 6). Luxury
  goods subject to PPnBM: 12% on the selling price or import value (Pasal 2
  ayat (2)-(3)). Everything else: 12% on the *DPP nilai lain* of 11/12 of the
  price (Pasal 3), an effective 11%. Sources: beritadaerah.co.id, 2 Jan 2025,
  https://beritadaerah.co.id/index.php/2025/01/02/menkeu-tetapkan-aturan-baru-ppn-12-persen-ini-penjelasannya ;
  Rustan Consulting, "12% Value Added Tax Tariff (Update #1)",
  https://www.rustanconsulting.com/taxupdates/10/12-value-added-tax-tariff-update- ;
  SW Indonesia, https://sw-indonesia.com/news/sw-indonesia-tax-update-pmk-131-tahun-2024-english .
  Base and tax round *half up* to whole rupiah: PER-11/PJ/2025 Pasal 129
  ayat (2)-(3), DDTCNews 28 May 2025,
  https://news.ddtc.co.id/berita/nasional/1811072/per-11pj2025-pertegas-ketentuan-pembulatan-pada-era-coretax-system
  (Rp1.500.000,49 -> Rp1.500.000; Rp1.900.000,50 -> Rp1.900.001). PER-11 was
  issued in May 2025 for the Coretax era; it is applied here from the start
  of the 2025 version (an assumption, see the billing notes).
- Luxury goods sold to end consumers with a retail invoice in January 2025
  stayed at 12% x 11/12 (PMK 131/2024 Pasal 2, transition 1-31 January 2025;
  Rustan Consulting table above): code ``ID-PPN-LUX-RETAIL``.

PPN is rounded per line: the Coretax e-Faktur carries DPP, DPP nilai lain and
PPN on every line, and the invoice total is their sum.
"""

from __future__ import annotations

from datetime import date
from types import MappingProxyType

from domain.billing.tax_codes import (
    AmountRounding,
    RoundingMode,
    TaxBaseRule,
    TaxCode,
    TaxCodeVersion,
)

_VAT_OUTPUT = "Liabilities:Tax:VAT-Output"
_VAT_INPUT = "Assets:Tax:VAT-Input"
_PPN_OUTPUT = "Liabilities:Tax:PPN-Keluaran"
_PPN_INPUT = "Assets:Tax:PPN-Masukan"

_NOTICE_700 = "HMRC VAT Notice 700 s3.3 (rates), s3.6 (exempt), s17.5 (rounding); generic example"
_UU_HPP = "UU 7/2021 (HPP): PPN 11% from 2022-04-01; rounding down per PER-29/PJ/2015"
_PMK_131 = "PMK 131/2024 (from 2025-01-01); rounding half up per PER-11/PJ/2025 Pasal 129"

_VAT_FROM = date(2011, 1, 4)  # standard rate 20% from 4 January 2011 (Notice 700, Feb 2011, 1.2)
_HPP_FROM = date(2022, 4, 1)  # UU 7/2021 Pasal 7 ayat (1) huruf a UU PPN: 11% from 1 April 2022
_PMK_131_FROM = date(2025, 1, 1)  # PMK 131/2024 Pasal 6: in force 1 January 2025
_LUX_RETAIL_FULL_FROM = date(2025, 2, 1)  # PMK 131/2024 Pasal 2: transition ends 31 Jan 2025


def _vat(code: str, rate_percent: str, rule: TaxBaseRule) -> TaxCodeVersion:
    return TaxCodeVersion(
        code=code,
        valid_from=_VAT_FROM,
        rate_percent=rate_percent,
        base_rule=rule,
        rounding_mode=RoundingMode.PER_INVOICE,
        output_tax_account=_VAT_OUTPUT,
        input_tax_account=_VAT_INPUT,
        source=_NOTICE_700,
    )


def _ppn(
    code: str,
    valid_from: date,
    rate_percent: str,
    *,
    eleven_twelfths: bool,
    source: str,
    rounding: AmountRounding,
) -> TaxCodeVersion:
    return TaxCodeVersion(
        code=code,
        valid_from=valid_from,
        rate_percent=rate_percent,
        base_rule=TaxBaseRule.OTHER_VALUE if eleven_twelfths else TaxBaseRule.FULL_PRICE,
        base_numerator=11 if eleven_twelfths else 1,
        base_denominator=12 if eleven_twelfths else 1,
        rounding_mode=RoundingMode.PER_LINE,
        amount_rounding=rounding,
        rounding_decimals=0,  # whole rupiah on tax documents
        output_tax_account=_PPN_OUTPUT,
        input_tax_account=_PPN_INPUT,
        source=source,
    )


_DOWN = AmountRounding.DOWN
_HALF_UP = AmountRounding.HALF_UP

_CODES = (
    TaxCode(
        "VAT-STD",
        "VAT standard rate",
        None,
        (
            _vat("VAT-STD", "20", TaxBaseRule.FULL_PRICE),  # Notice 700 s3.3: standard rate 20%
        ),
    ),
    TaxCode(
        "VAT-RED",
        "VAT reduced rate",
        None,
        (
            _vat("VAT-RED", "5", TaxBaseRule.FULL_PRICE),  # Notice 700 s3.3/3.4: reduced rate 5%
        ),
    ),
    TaxCode(
        "VAT-ZERO",
        "VAT zero rate (taxable at 0%)",
        None,
        (
            _vat("VAT-ZERO", "0", TaxBaseRule.FULL_PRICE),  # Notice 700 s3.5: zero-rated, taxable
        ),
    ),
    TaxCode(
        "VAT-EXEMPT",
        "VAT exempt (outside the taxable base)",
        None,
        (
            _vat("VAT-EXEMPT", "0", TaxBaseRule.EXEMPT),  # Notice 700 s3.6: exempt supplies
        ),
    ),
    TaxCode(
        "ID-PPN",
        "PPN, goods and services other than luxury goods",
        "IDR",
        (
            # UU HPP: 11% x selling price from 2022-04-01
            _ppn("ID-PPN", _HPP_FROM, "11", eleven_twelfths=False, source=_UU_HPP, rounding=_DOWN),
            # PMK 131/2024 Pasal 3: 12% x DPP nilai lain (11/12 x price)
            _ppn(
                "ID-PPN",
                _PMK_131_FROM,
                "12",
                eleven_twelfths=True,
                source=_PMK_131,
                rounding=_HALF_UP,
            ),
        ),
    ),
    TaxCode(
        "ID-PPN-LUX",
        "PPN, luxury goods subject to PPnBM",
        "IDR",
        (
            # UU HPP: 11% x selling price from 2022-04-01
            _ppn(
                "ID-PPN-LUX", _HPP_FROM, "11", eleven_twelfths=False, source=_UU_HPP, rounding=_DOWN
            ),
            # PMK 131/2024 Pasal 2 ayat (2)-(3): 12% x selling price
            _ppn(
                "ID-PPN-LUX",
                _PMK_131_FROM,
                "12",
                eleven_twelfths=False,
                source=_PMK_131,
                rounding=_HALF_UP,
            ),
        ),
    ),
    TaxCode(
        "ID-PPN-LUX-RETAIL",
        "PPN, luxury goods to end consumers (retail invoice)",
        "IDR",
        (
            # UU HPP: 11% x selling price from 2022-04-01
            _ppn(
                "ID-PPN-LUX-RETAIL",
                _HPP_FROM,
                "11",
                eleven_twelfths=False,
                source=_UU_HPP,
                rounding=_DOWN,
            ),
            # PMK 131/2024 Pasal 2: 1-31 January 2025, 12% x 11/12 x selling price
            _ppn(
                "ID-PPN-LUX-RETAIL",
                _PMK_131_FROM,
                "12",
                eleven_twelfths=True,
                source=_PMK_131 + "; January 2025 transition",
                rounding=_HALF_UP,
            ),
            # PMK 131/2024 Pasal 2: from 1 February 2025, 12% x selling price
            _ppn(
                "ID-PPN-LUX-RETAIL",
                _LUX_RETAIL_FULL_FROM,
                "12",
                eleven_twelfths=False,
                source=_PMK_131,
                rounding=_HALF_UP,
            ),
        ),
    ),
)

TAX_CODES: MappingProxyType[str, TaxCode] = MappingProxyType(
    {tax_code.code: tax_code for tax_code in _CODES}
)
"""The shipped catalog, read-only; ``tax_code_at`` uses it by default."""
