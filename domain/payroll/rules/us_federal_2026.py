"""US federal payroll rules for wages paid in 2026 (rule set US-2026.1).

Why a module of data: see ``us_federal_2025``; each year is its own frozen,
versioned rule set.

Sources (the figure's source is in the comment beside it):
- [P15T-26] IRS Publication 15-T (2026), section 1: Worksheet 1A (p. 10) and
  the 2026 Annual Percentage Method Tables for Automated Payroll Systems
  (p. 12), irs.gov/pub/irs-pdf/p15t.pdf. The IRS PDF itself could not be opened
  from here; the rows were read from two independent transcriptions of it (one
  a pdfplumber extraction quoting the PDF verbatim) and cross-checked against
  Rev. Proc. 2025-32 section 4.01 (rate tables) and the 2026 standard deduction
  ($16,100 / $32,200 / $24,150): tests/payroll/test_us_rule_tables.py
  re-derives every column-A and column-C figure.
- [P15-26] IRS Publication 15 (2026), (Circular E), What's New and sections 7,
  9 and 14, irs.gov/publications/p15. Not opened here either: the figures are
  the publication's sentences as quoted verbatim by several independent
  sources ("The social security wage base limit is $184,500."; supplemental
  "22% (37% if supplemental wages ... exceed $1 million)"; "For 2026, the FUTA
  tax rate is 6.0% ... first $7,000"). Page numbers could not be confirmed.

Not confirmed for 2026: the line 1k allowance amount ($4,300) was found in only
one transcription of Pub. 15-T (2026) Worksheet 1A; it is unchanged from 2025,
which is what the IRS has done since 2020 (the figure is the withholding
allowance, frozen by the repeal of personal exemptions), so it is used as is.
"""

from __future__ import annotations

from decimal import Decimal

from domain.payroll.rules._figures import row, usd
from domain.payroll.rules.types import UsFederalRuleSet

_STANDARD = {
    "married_filing_jointly": (  # [P15T-26] STANDARD, Married Filing Jointly, p. 12
        row("0", "0", "0"),  # [P15T-26] A $0, C $0, D 0%
        row("19300", "0", "10"),  # [P15T-26] A $19,300, C $0, D 10%
        row("44100", "2480", "12"),  # [P15T-26] A $44,100, C $2,480, D 12%
        row("120100", "11600", "22"),  # [P15T-26] A $120,100, C $11,600, D 22%
        row("230700", "35932", "24"),  # [P15T-26] A $230,700, C $35,932, D 24%
        row("422850", "82048", "32"),  # [P15T-26] A $422,850, C $82,048, D 32%
        row("531750", "116896", "35"),  # [P15T-26] A $531,750, C $116,896, D 35%
        row("788000", "206583.50", "37"),  # [P15T-26] A $788,000, C $206,583.50, D 37%
    ),
    "single": (  # [P15T-26] STANDARD, Single or Married Filing Separately, p. 12
        row("0", "0", "0"),  # [P15T-26] A $0, C $0, D 0%
        row("7500", "0", "10"),  # [P15T-26] A $7,500, C $0, D 10%
        row("19900", "1240", "12"),  # [P15T-26] A $19,900, C $1,240, D 12%
        row("57900", "5800", "22"),  # [P15T-26] A $57,900, C $5,800, D 22%
        row("113200", "17966", "24"),  # [P15T-26] A $113,200, C $17,966, D 24%
        row("209275", "41024", "32"),  # [P15T-26] A $209,275, C $41,024, D 32%
        row("263725", "58448", "35"),  # [P15T-26] A $263,725, C $58,448, D 35%
        row("648100", "192979.25", "37"),  # [P15T-26] A $648,100, C $192,979.25, D 37%
    ),
    "head_of_household": (  # [P15T-26] STANDARD, Head of Household, p. 12
        row("0", "0", "0"),  # [P15T-26] A $0, C $0, D 0%
        row("15550", "0", "10"),  # [P15T-26] A $15,550, C $0, D 10%
        row("33250", "1770", "12"),  # [P15T-26] A $33,250, C $1,770, D 12%
        row("83000", "7740", "22"),  # [P15T-26] A $83,000, C $7,740, D 22%
        row("121250", "16155", "24"),  # [P15T-26] A $121,250, C $16,155, D 24%
        row("217300", "39207", "32"),  # [P15T-26] A $217,300, C $39,207, D 32%
        row("271750", "56631", "35"),  # [P15T-26] A $271,750, C $56,631, D 35%
        row("656150", "191171", "37"),  # [P15T-26] A $656,150, C $191,171, D 37%
    ),
}

_STEP2 = {
    "married_filing_jointly": (  # [P15T-26] Step 2 Checkbox, Married Filing Jointly, p. 12
        row("0", "0", "0"),  # [P15T-26] A $0, C $0, D 0%
        row("16100", "0", "10"),  # [P15T-26] A $16,100, C $0, D 10%
        row("28500", "1240", "12"),  # [P15T-26] A $28,500, C $1,240, D 12%
        row("66500", "5800", "22"),  # [P15T-26] A $66,500, C $5,800, D 22%
        row("121800", "17966", "24"),  # [P15T-26] A $121,800, C $17,966, D 24%
        row("217875", "41024", "32"),  # [P15T-26] A $217,875, C $41,024, D 32%
        row("272325", "58448", "35"),  # [P15T-26] A $272,325, C $58,448, D 35%
        row("400450", "103291.75", "37"),  # [P15T-26] A $400,450, C $103,291.75, D 37%
    ),
    "single": (  # [P15T-26] Step 2 Checkbox, Single or Married Filing Separately, p. 12
        row("0", "0", "0"),  # [P15T-26] A $0, C $0, D 0%
        row("8050", "0", "10"),  # [P15T-26] A $8,050, C $0, D 10%
        row("14250", "620", "12"),  # [P15T-26] A $14,250, C $620, D 12%
        row("33250", "2900", "22"),  # [P15T-26] A $33,250, C $2,900, D 22%
        row("60900", "8983", "24"),  # [P15T-26] A $60,900, C $8,983, D 24%
        row("108938", "20512", "32"),  # [P15T-26] A $108,938, C $20,512, D 32%
        row("136163", "29224", "35"),  # [P15T-26] A $136,163, C $29,224, D 35%
        row("328350", "96489.63", "37"),  # [P15T-26] A $328,350, C $96,489.63, D 37%
    ),
    "head_of_household": (  # [P15T-26] Step 2 Checkbox, Head of Household, p. 12
        row("0", "0", "0"),  # [P15T-26] A $0, C $0, D 0%
        row("12075", "0", "10"),  # [P15T-26] A $12,075, C $0, D 10%
        row("20925", "885", "12"),  # [P15T-26] A $20,925, C $885, D 12%
        row("45800", "3870", "22"),  # [P15T-26] A $45,800, C $3,870, D 22%
        row("64925", "8077.50", "24"),  # [P15T-26] A $64,925, C $8,077.50, D 24%
        row("112950", "19603.50", "32"),  # [P15T-26] A $112,950, C $19,603.50, D 32%
        row("140175", "28315.50", "35"),  # [P15T-26] A $140,175, C $28,315.50, D 35%
        row("332375", "95585.50", "37"),  # [P15T-26] A $332,375, C $95,585.50, D 37%
    ),
}

RULE_SET = UsFederalRuleSet(
    version="US-2026.1",
    tax_year=2026,
    asset="USD",
    standard=_STANDARD,
    step2_checkbox=_STEP2,
    line_1g_married_jointly_minor=usd("12900"),  # [P15T-26] Worksheet 1A line 1g, p. 10: $12,900
    line_1g_other_minor=usd("8600"),  # [P15T-26] Worksheet 1A line 1g, p. 10: $8,600
    allowance_minor=usd("4300"),  # [P15T-26] Worksheet 1A line 1k: $4,300 (one source; see above)
    social_security_rate_percent=Decimal("6.2"),  # [P15-26] What's New: 6.2% each
    social_security_wage_base_minor=usd("184500"),  # [P15-26] What's New: $184,500
    medicare_rate_percent=Decimal("1.45"),  # [P15-26] What's New: 1.45% each
    additional_medicare_rate_percent=Decimal("0.9"),  # [P15-26] section 9: 0.9%
    additional_medicare_threshold_minor=usd("200000"),  # [P15-26] section 9: over $200,000
    futa_gross_rate_percent=Decimal("6.0"),  # [P15-26] section 14: 6.0%
    futa_credit_percent=Decimal("5.4"),  # [P15-26] section 14: credit up to 5.4%
    futa_wage_base_minor=usd("7000"),  # [P15-26] section 14: first $7,000
    supplemental_flat_rate_percent=Decimal("22"),  # [P15-26] What's New / section 7: 22%
    supplemental_mandatory_rate_percent=Decimal("37"),  # [P15-26] section 7: 37%
    supplemental_mandatory_threshold_minor=usd("1000000"),  # [P15-26] section 7: $1 million
)
