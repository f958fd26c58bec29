"""Known answers for PPh 21 and BPJS, hand-computed from the regulations.

The worked examples ("contoh") of PMK 168/2023 could not be reached from this
machine (neither the regulation's annex nor DJP's socialisation slides were
readable past their first page), so these answers are computed by hand, in
each docstring, from the rules the brief and the regulations state: the PP
58/2023 TER annex, UU PPh Pasal 17(1)(a) and (4), Pasal 7 PTKP, biaya jabatan
5% up to Rp6.000.000, and the BPJS rates and caps.
"""

from __future__ import annotations

from typing import Any

from domain.payroll.indonesia import jp_cap_for, ter_row
from domain.payroll.rules import indonesia_rule_set_for
from tests.payroll.support import id_body, line, run


def _month(month: int, regular: str, **changes: Any) -> dict[str, Any]:
    return id_body(month=month, earnings=[{"code": "regular", "amount": regular}], **changes)


def test_a_tk0_employee_on_8_million_pays_ter_a_1_5_percent_of_gross_with_premiums():
    """Gross 8.000.000 + JKK 0.24% (19.200) + JKM 0.30% (24.000) + BPJS
    Kesehatan employer 4% (320.000) = 8.363.200; TER A layer 7 (7.500.001 to
    8.550.000) is 1.5%: PPh 21 = 125.448. Employee: Kesehatan 80.000, JHT
    160.000, JP 80.000; net = 8.000.000 - 445.448 = 7.554.552."""
    result = run(id_body())
    pph21 = line(result, "pph21")
    assert pph21["amount"] == "125448.00"
    assert pph21["taxable_base"] == "8363200.00"
    assert pph21["table_row"]["layer"] == "7"
    assert result["net"] == "7554552.00"


def test_the_top_of_a_ter_layer_is_inclusive():
    """PP 58/2023 Lampiran, Kategori A: "sampai dengan 5.400.000" is 0%, the
    next rupiah is layer 2 at 0.25%."""
    rules = indonesia_rule_set_for(2025)
    assert ter_row(rules, "A", 540_000_000)[0] == 1
    assert ter_row(rules, "A", 540_000_100)[0] == 2
    assert str(ter_row(rules, "C", 141_900_000_100)[1].rate_percent) == "34"


def test_k3_is_category_c_and_k1_is_category_b():
    """PP 58/2023 Pasal 2: K/3 uses category C (layer 1 up to 6.600.000), K/1
    category B (layer 1 up to 6.200.000). 6.300.000 gross with 0.24% JKK:
    6.300.000 + 15.120 + 18.900 + 252.000 = 6.586.020: C layer 1 (0%), B layer 3
    (6.500.001 to 6.850.000, 0.5%) = 32.930,10 -> 32.930."""
    k3 = run(_month(1, "6300000", tax_profile={"ptkp_status": "K/3"}))
    k1 = run(_month(1, "6300000", tax_profile={"ptkp_status": "K/1"}))
    assert (line(k3, "pph21")["worksheet"]["category"], line(k3, "pph21")["amount"]) == (
        "C",
        "0.00",
    )
    assert (line(k1, "pph21")["worksheet"]["category"], line(k1, "pph21")["amount"]) == (
        "B",
        "32930.00",
    )


def test_the_jp_cap_in_force_follows_the_pay_month():
    """JP wage cap: 10.042.300 from March 2024, 10.547.400 from March 2025,
    11.086.300 from March 2026 (BPJS Ketenagakerjaan circulars)."""
    assert jp_cap_for(indonesia_rule_set_for(2025), 2) == 1_004_230_000
    assert jp_cap_for(indonesia_rule_set_for(2025), 3) == 1_054_740_000
    assert jp_cap_for(indonesia_rule_set_for(2026), 2) == 1_054_740_000
    assert jp_cap_for(indonesia_rule_set_for(2026), 3) == 1_108_630_000
    march = run(_month(3, "20000000", tax_year=2026))
    assert line(march, "jp")["amount"] == "110863.00"
    assert line(march, "bpjs_kesehatan")["amount"] == "120000.00"


def test_bpjs_bases_leave_out_bonus_and_overtime():
    """BPJS bases are regular + allowance only: a 5.000.000 bonus and 1.000.000
    overtime add to gross and PPh 21 but to no premium."""
    result = run(
        id_body(
            earnings=[
                {"code": "regular", "amount": "8000000"},
                {"code": "bonus", "amount": "5000000"},
                {"code": "overtime", "amount": "1000000"},
            ]
        )
    )
    assert line(result, "jht")["taxable_base"] == "8000000.00"
    assert line(result, "pph21")["taxable_base"] == "14363200.00"


def test_december_recalculates_the_year_under_pasal_17():
    """TK/0, 10.000.000 a month, JKK 0.24%. Each month: taxable 10.000.000 +
    24.000 + 30.000 + 400.000 = 10.454.000, TER A layer 11 (2.5%) = 261.350;
    JHT 200.000 + JP 100.000. After November: gross 114.994.000, withheld
    2.874.850, JHT+JP 3.300.000. December: gross 125.448.000; biaya jabatan
    5% = 6.272.400, capped at 6.000.000; neto 125.448.000 - 6.000.000 -
    3.600.000 = 115.848.000; PKP 115.848.000 - 54.000.000 = 61.848.000; tax
    5% x 60.000.000 + 15% x 1.848.000 = 3.277.200; December PPh 21 = 3.277.200
    - 2.874.850 = 402.350."""
    november = run(_month(11, "10000000"))
    assert line(november, "pph21")["amount"] == "261350.00"
    december = run(
        _month(
            12,
            "10000000",
            year_to_date={
                "taxable_gross": "114994000",
                "pph21_withheld": "2874850",
                "employee_jht_jp": "3300000",
            },
        )
    )
    pph21 = line(december, "pph21")
    assert pph21["worksheet"]["pkp"] == "61848000.00"
    assert pph21["worksheet"]["annual_pph21"] == "3277200.00"
    assert pph21["amount"] == "402350.00"
    assert [step["tax"] for step in pph21["steps"]] == ["3000000.00", "277200.00"]


def test_december_refunds_what_ter_over_withheld():
    """Jan-Nov gross 50.000.000 with 3.000.000 withheld; December 5.000.000
    (taxable 5.227.000): neto 55.227.000 - 2.761.350 - 150.000 = 52.315.650 is
    below PTKP 54.000.000, PKP 0, so PPh 21 for December is -3.000.000; net =
    5.000.000 + 3.000.000 - Kesehatan 50.000 - JHT 100.000 - JP 50.000."""
    result = run(
        _month(
            12,
            "5000000",
            year_to_date={
                "taxable_gross": "50000000",
                "pph21_withheld": "3000000",
                "employee_jht_jp": "0",
            },
        )
    )
    assert line(result, "pph21")["amount"] == "-3000000.00"
    assert result["net"] == "7800000.00"
    assert result["year_to_date_after"]["pph21_withheld"] == "0.00"


def test_the_last_month_of_employment_recalculates_before_december():
    """A June leaver: 5 months of 10.454.000 taxable (52.270.000, 1.306.750
    withheld, JHT+JP 1.500.000) + June: gross 62.724.000, biaya jabatan 5% =
    3.136.200, neto 62.724.000 - 3.136.200 - 1.800.000 = 57.787.800, below the
    K/0 PTKP of 58.500.000: PKP 0, and June refunds the 1.306.750 withheld."""
    result = run(
        _month(
            6,
            "10000000",
            last_month_of_employment=True,
            tax_profile={"ptkp_status": "K/0"},
            year_to_date={
                "taxable_gross": "52270000",
                "pph21_withheld": "1306750",
                "employee_jht_jp": "1500000",
            },
        )
    )
    pph21 = line(result, "pph21")
    assert pph21["worksheet"]["method"] == "pasal17_annual"
    assert pph21["worksheet"]["ptkp"] == "58500000.00"
    assert pph21["amount"] == "-1306750.00"
