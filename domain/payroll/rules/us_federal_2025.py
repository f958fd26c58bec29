"""US federal payroll rules for wages paid in 2025 (rule set US-2025.1).

Why a module of data: the withholding tables change every year; a payslip must
be recomputable with the exact figures it was computed with, so each year is
its own frozen, versioned rule set and nothing here is derived at run time.

Sources (the figure's source is in the comment beside it):
- [P15T-25] IRS Publication 15-T (2025), Federal Income Tax Withholding Methods,
  section 1: Worksheet 1A and the 2025 Annual Percentage Method Tables for
  Automated Payroll Systems (STANDARD and Form W-4 Step 2 Checkbox schedules),
  irs.gov/pub/irs-prior/p15t--2025.pdf. The IRS PDF itself could not be opened
  from here; the rows were read from two independent transcriptions of it and
  cross-checked against Rev. Proc. 2024-40 section 3.01 (rate tables) and 3.15
  (standard deduction $15,000 / $30,000 / $22,500): every STANDARD column-A
  figure is a rate-table boundary plus (standard deduction - line 1g amount),
  every Step 2 figure is (boundary + standard deduction) / 2, rounded to the
  dollar. tests/payroll/test_us_rule_tables.py re-derives all of them.
- [P15-25] IRS Publication 15 (2025), (Circular E), Employer's Tax Guide,
  read from a text conversion of the IRS PDF: What's New p. 2; section 7
  (supplemental wages) p. 22; section 9 (Additional Medicare Tax) p. 28;
  section 14 (FUTA) p. 43.
"""

from __future__ import annotations

from decimal import Decimal

from domain.payroll.rules._figures import row, usd
from domain.payroll.rules.types import UsFederalRuleSet

_STANDARD = {
    "married_filing_jointly": (  # [P15T-25] STANDARD, Married Filing Jointly
        row("0", "0", "0"),  # [P15T-25] A $0, C $0, D 0%
        row("17100", "0", "10"),  # [P15T-25] A $17,100, C $0, D 10%
        row("40950", "2385", "12"),  # [P15T-25] A $40,950, C $2,385, D 12%
        row("114050", "11157", "22"),  # [P15T-25] A $114,050, C $11,157, D 22%
        row("223800", "35302", "24"),  # [P15T-25] A $223,800, C $35,302, D 24%
        row("411700", "80398", "32"),  # [P15T-25] A $411,700, C $80,398, D 32%
        row("518150", "114462", "35"),  # [P15T-25] A $518,150, C $114,462, D 35%
        row("768700", "202154.50", "37"),  # [P15T-25] A $768,700, C $202,154.50, D 37%
    ),
    "single": (  # [P15T-25] STANDARD, Single or Married Filing Separately
        row("0", "0", "0"),  # [P15T-25] A $0, C $0, D 0%
        row("6400", "0", "10"),  # [P15T-25] A $6,400, C $0, D 10%
        row("18325", "1192.50", "12"),  # [P15T-25] A $18,325, C $1,192.50, D 12%
        row("54875", "5578.50", "22"),  # [P15T-25] A $54,875, C $5,578.50, D 22%
        row("109750", "17651", "24"),  # [P15T-25] A $109,750, C $17,651, D 24%
        row("203700", "40199", "32"),  # [P15T-25] A $203,700, C $40,199, D 32%
        row("256925", "57231", "35"),  # [P15T-25] A $256,925, C $57,231, D 35%
        row("632750", "188769.75", "37"),  # [P15T-25] A $632,750, C $188,769.75, D 37%
    ),
    "head_of_household": (  # [P15T-25] STANDARD, Head of Household
        row("0", "0", "0"),  # [P15T-25] A $0, C $0, D 0%
        row("13900", "0", "10"),  # [P15T-25] A $13,900, C $0, D 10%
        row("30900", "1700", "12"),  # [P15T-25] A $30,900, C $1,700, D 12%
        row("78750", "7442", "22"),  # [P15T-25] A $78,750, C $7,442, D 22%
        row("117250", "15912", "24"),  # [P15T-25] A $117,250, C $15,912, D 24%
        row("211200", "38460", "32"),  # [P15T-25] A $211,200, C $38,460, D 32%
        row("264400", "55484", "35"),  # [P15T-25] A $264,400, C $55,484, D 35%
        row("640250", "187031.50", "37"),  # [P15T-25] A $640,250, C $187,031.50, D 37%
    ),
}

_STEP2 = {
    "married_filing_jointly": (  # [P15T-25] Step 2 Checkbox, Married Filing Jointly
        row("0", "0", "0"),  # [P15T-25] A $0, C $0, D 0%
        row("15000", "0", "10"),  # [P15T-25] A $15,000, C $0, D 10%
        row("26925", "1192.50", "12"),  # [P15T-25] A $26,925, C $1,192.50, D 12%
        row("63475", "5578.50", "22"),  # [P15T-25] A $63,475, C $5,578.50, D 22%
        row("118350", "17651", "24"),  # [P15T-25] A $118,350, C $17,651, D 24%
        row("212300", "40199", "32"),  # [P15T-25] A $212,300, C $40,199, D 32%
        row("265525", "57231", "35"),  # [P15T-25] A $265,525, C $57,231, D 35%
        row("390800", "101077.25", "37"),  # [P15T-25] A $390,800, C $101,077.25, D 37%
    ),
    "single": (  # [P15T-25] Step 2 Checkbox, Single or Married Filing Separately
        row("0", "0", "0"),  # [P15T-25] A $0, C $0, D 0%
        row("7500", "0", "10"),  # [P15T-25] A $7,500, C $0, D 10%
        row("13463", "596.25", "12"),  # [P15T-25] A $13,463, C $596.25, D 12%
        row("31738", "2789.25", "22"),  # [P15T-25] A $31,738, C $2,789.25, D 22%
        row("59175", "8825.50", "24"),  # [P15T-25] A $59,175, C $8,825.50, D 24%
        row("106150", "20099.50", "32"),  # [P15T-25] A $106,150, C $20,099.50, D 32%
        row("132763", "28615.50", "35"),  # [P15T-25] A $132,763, C $28,615.50, D 35%
        row("320675", "94384.88", "37"),  # [P15T-25] A $320,675, C $94,384.88, D 37%
    ),
    "head_of_household": (  # [P15T-25] Step 2 Checkbox, Head of Household
        row("0", "0", "0"),  # [P15T-25] A $0, C $0, D 0%
        row("11250", "0", "10"),  # [P15T-25] A $11,250, C $0, D 10%
        row("19750", "850", "12"),  # [P15T-25] A $19,750, C $850, D 12%
        row("43675", "3721", "22"),  # [P15T-25] A $43,675, C $3,721, D 22%
        row("62925", "7956", "24"),  # [P15T-25] A $62,925, C $7,956, D 24%
        row("109900", "19230", "32"),  # [P15T-25] A $109,900, C $19,230, D 32%
        row("136500", "27742", "35"),  # [P15T-25] A $136,500, C $27,742, D 35%
        row("324425", "93515.75", "37"),  # [P15T-25] A $324,425, C $93,515.75, D 37%
    ),
}

RULE_SET = UsFederalRuleSet(
    version="US-2025.1",
    tax_year=2025,
    asset="USD",
    standard=_STANDARD,
    step2_checkbox=_STEP2,
    line_1g_married_jointly_minor=usd("12900"),  # [P15T-25] Worksheet 1A line 1g: $12,900 MFJ
    line_1g_other_minor=usd("8600"),  # [P15T-25] Worksheet 1A line 1g: $8,600 otherwise
    allowance_minor=usd("4300"),  # [P15T-25] Worksheet 1A line 1k: line 1j x $4,300
    social_security_rate_percent=Decimal("6.2"),  # [P15-25] What's New p. 2; section 9 p. 28
    social_security_wage_base_minor=usd("176100"),  # [P15-25] What's New p. 2: $176,100
    medicare_rate_percent=Decimal("1.45"),  # [P15-25] What's New p. 2; section 9 p. 28
    additional_medicare_rate_percent=Decimal("0.9"),  # [P15-25] section 9 p. 28: 0.9%
    additional_medicare_threshold_minor=usd("200000"),  # [P15-25] section 9 p. 28: $200,000
    futa_gross_rate_percent=Decimal("6.0"),  # [P15-25] section 14 p. 43: 6.0%
    futa_credit_percent=Decimal("5.4"),  # [P15-25] section 14 p. 43: credit up to 5.4%
    futa_wage_base_minor=usd("7000"),  # [P15-25] section 14 p. 43: first $7,000
    supplemental_flat_rate_percent=Decimal("22"),  # [P15-25] section 7 p. 22: flat 22%
    supplemental_mandatory_rate_percent=Decimal("37"),  # [P15-25] section 7 p. 22: 37%
    supplemental_mandatory_threshold_minor=usd("1000000"),  # [P15-25] section 7 p. 22: $1 million
)
