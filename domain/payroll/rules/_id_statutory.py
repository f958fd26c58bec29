"""Indonesian payroll figures fixed in statute rather than re-published each
year: Pasal 17 brackets, PTKP, biaya jabatan and the BPJS contribution rates.

Why separate from the year modules: these figures hold across 2025 and 2026;
the year modules add what does change (the JP wage cap each March) and pick a
version. Sources (the figure's source is in the comment beside it):
- [UU-PPh-17] UU 7/1983 on income tax as amended by UU 7/2021 (Harmonisasi
  Peraturan Perpajakan) Pasal 17 ayat (1) huruf a (layers) and ayat (4)
  (PKP rounded down to whole thousands of rupiah).
- [UU-PPh-7] the same law, Pasal 7 ayat (1) as amended by UU 7/2021 (PTKP:
  Rp54.000.000 self, Rp4.500.000 married, Rp4.500.000 per dependant, at most 3).
- [PMK168-10] PMK 168/2023 Pasal 10 (biaya jabatan: 5% of gross, at most
  Rp6.000.000 a year); article number from a secondary source, not confirmed.
- [PP44] PP 44/2015 Pasal 16 and Lampiran I (JKK 0.24 / 0.54 / 0.89 / 1.27 /
  1.74% by risk group) and Pasal 18 ayat (1) (JKM 0.30%).
- [PP46] PP 46/2015 Pasal 16 ayat (1) (JHT 3.7% employer, 2% employee).
- [PP45] PP 45/2015 Pasal 28 ayat (1)-(3) (JP 2% employer, 1% employee).
- [JKN] Perpres 82/2018 as amended by Perpres 75/2019 and 64/2020 (BPJS
  Kesehatan 4% employer, 1% employee, wage capped at Rp12.000.000).
The statutes were not opened here; article references come from secondary
compilations that quote them, and every figure matches the brief.
"""

from __future__ import annotations

from decimal import Decimal

from domain.payroll.rules._figures import idr, layer

PASAL17_LAYERS = (
    layer("60000000", "5"),  # [UU-PPh-17] up to Rp60.000.000: 5%
    layer("250000000", "15"),  # [UU-PPh-17] above Rp60.000.000 to Rp250.000.000: 15%
    layer("500000000", "25"),  # [UU-PPh-17] above Rp250.000.000 to Rp500.000.000: 25%
    layer("5000000000", "30"),  # [UU-PPh-17] above Rp500.000.000 to Rp5.000.000.000: 30%
    layer(None, "35"),  # [UU-PPh-17] above Rp5.000.000.000: 35%
)
PKP_ROUNDING_MINOR = idr("1000")  # [UU-PPh-17] ayat (4): down to whole thousands of rupiah

PTKP_SELF_MINOR = idr("54000000")  # [UU-PPh-7] huruf a: Rp54.000.000
PTKP_MARRIED_MINOR = idr("4500000")  # [UU-PPh-7] huruf b: Rp4.500.000
PTKP_PER_DEPENDANT_MINOR = idr("4500000")  # [UU-PPh-7] huruf c: Rp4.500.000 each
PTKP_DEPENDANTS_MAX = 3  # [UU-PPh-7] huruf c: at most three dependants

BIAYA_JABATAN_RATE_PERCENT = Decimal("5")  # [PMK168-10] 5% of gross
BIAYA_JABATAN_ANNUAL_MAX_MINOR = idr("6000000")  # [PMK168-10] at most Rp6.000.000 a year

KESEHATAN_EMPLOYER_RATE_PERCENT = Decimal("4")  # [JKN] 4% paid by the employer
KESEHATAN_EMPLOYEE_RATE_PERCENT = Decimal("1")  # [JKN] 1% paid by the employee
KESEHATAN_WAGE_CAP_MINOR = idr("12000000")  # [JKN] wage capped at Rp12.000.000
JHT_EMPLOYER_RATE_PERCENT = Decimal("3.7")  # [PP46] 3.7% employer
JHT_EMPLOYEE_RATE_PERCENT = Decimal("2")  # [PP46] 2% employee
JP_EMPLOYER_RATE_PERCENT = Decimal("2")  # [PP45] 2% employer
JP_EMPLOYEE_RATE_PERCENT = Decimal("1")  # [PP45] 1% employee
JKK_RATES_PERCENT = (
    Decimal("0.24"),  # [PP44] risk group very low: 0.24%
    Decimal("0.54"),  # [PP44] risk group low: 0.54%
    Decimal("0.89"),  # [PP44] risk group medium: 0.89%
    Decimal("1.27"),  # [PP44] risk group high: 1.27%
    Decimal("1.74"),  # [PP44] risk group very high: 1.74%
)
JKM_RATE_PERCENT = Decimal("0.30")  # [PP44] Pasal 18 ayat (1): 0.30%
