"""Indonesian payroll rules for tax year 2026 (rule set ID-2026.1).

Why a module per year: the Jaminan Pensiun wage cap moves every March, so the
year's rule set carries the caps in force during the year (January and
February keep the previous March's cap); everything else comes from the
statutory figures and the PP 58/2023 TER tables, cited where they are defined
(``_id_statutory``, ``id_pp58_2023``).

Source [BPJS-JP]: BPJS Ketenagakerjaan circular letters announcing the JP
wage cap, as quoted by secondary compilations (the circulars themselves could
not be opened here).
"""

from __future__ import annotations

from domain.payroll.rules import _id_statutory as law
from domain.payroll.rules._figures import idr
from domain.payroll.rules.id_pp58_2023 import TER_CATEGORY_BY_PTKP, TER_TABLES
from domain.payroll.rules.types import IndonesiaRuleSet, WageCap

_JP_WAGE_CAPS = (
    WageCap(2025, 3, idr("10547400")),  # [BPJS-JP] SE B/726/022025: Rp10.547.400 from 1 March 2025
    WageCap(2026, 3, idr("11086300")),  # [BPJS-JP] SE B/1226/022026: Rp11.086.300 from March 2026
)

RULE_SET = IndonesiaRuleSet(
    version="ID-2026.1",
    tax_year=2026,
    asset="IDR",
    ter_category_by_ptkp=TER_CATEGORY_BY_PTKP,
    ter_tables=TER_TABLES,
    pasal17_layers=law.PASAL17_LAYERS,
    ptkp_self_minor=law.PTKP_SELF_MINOR,
    ptkp_married_minor=law.PTKP_MARRIED_MINOR,
    ptkp_per_dependant_minor=law.PTKP_PER_DEPENDANT_MINOR,
    ptkp_dependants_max=law.PTKP_DEPENDANTS_MAX,
    biaya_jabatan_rate_percent=law.BIAYA_JABATAN_RATE_PERCENT,
    biaya_jabatan_annual_max_minor=law.BIAYA_JABATAN_ANNUAL_MAX_MINOR,
    pkp_rounding_minor=law.PKP_ROUNDING_MINOR,
    kesehatan_employer_rate_percent=law.KESEHATAN_EMPLOYER_RATE_PERCENT,
    kesehatan_employee_rate_percent=law.KESEHATAN_EMPLOYEE_RATE_PERCENT,
    kesehatan_wage_cap_minor=law.KESEHATAN_WAGE_CAP_MINOR,
    jht_employer_rate_percent=law.JHT_EMPLOYER_RATE_PERCENT,
    jht_employee_rate_percent=law.JHT_EMPLOYEE_RATE_PERCENT,
    jp_employer_rate_percent=law.JP_EMPLOYER_RATE_PERCENT,
    jp_employee_rate_percent=law.JP_EMPLOYEE_RATE_PERCENT,
    jp_wage_caps=_JP_WAGE_CAPS,
    jkk_rates_percent=law.JKK_RATES_PERCENT,
    jkm_rate_percent=law.JKM_RATE_PERCENT,
)
