"""The monthly TER tables of PP 58/2023 and the PTKP-to-category mapping.

Why a module of its own: the tables are the regulation's annex, in force from
1 January 2024 and unchanged in 2025 and 2026; both year rule sets point at
this one copy, so a correction is made once and a future amendment becomes a
new module rather than an edit.

Source [PP58]: Peraturan Pemerintah Nomor 58 Tahun 2023, Lampiran (Tarif
Efektif Bulanan Kategori A, B and C), as reproduced in the DJP socialisation
slides "Materi Sosialisasi PP 58 Tahun 2023 dan PMK 168 Tahun 2023"
(pajak.go.id). The official PDFs could not be opened from here; the rows were
read from a layer-by-layer transcription of those slides (A 44 layers, B 40,
C 41) and every layer boundary was checked against a second, independent
transcription. Layers are inclusive at the top ("sampai dengan"), so a gross of
exactly Rp5.400.000 is in layer 1 of category A. Amounts are IDR minor units
(one rupiah = 100).

Category mapping [PP58-2]: PP 58/2023 Pasal 2 ayat (2) (and PMK 168/2023):
A = TK/0, TK/1, K/0; B = TK/2, TK/3, K/1, K/2; C = K/3.
"""

from __future__ import annotations

from domain.payroll.rules._figures import ter

TER_CATEGORY_BY_PTKP = {
    "TK/0": "A",  # [PP58-2] kategori A
    "TK/1": "A",  # [PP58-2] kategori A
    "K/0": "A",  # [PP58-2] kategori A
    "TK/2": "B",  # [PP58-2] kategori B
    "TK/3": "B",  # [PP58-2] kategori B
    "K/1": "B",  # [PP58-2] kategori B
    "K/2": "B",  # [PP58-2] kategori B
    "K/3": "C",  # [PP58-2] kategori C
}

_CATEGORY_A = (  # [PP58] Lampiran, Tarif Efektif Bulanan Kategori A
    ter("5400000", "0"),  # [PP58] Kategori A layer 1: up to Rp5.400.000, 0%
    ter("5650000", "0.25"),  # [PP58] Kategori A layer 2: Rp5.400.001 to Rp5.650.000, 0.25%
    ter("5950000", "0.5"),  # [PP58] Kategori A layer 3: Rp5.650.001 to Rp5.950.000, 0.5%
    ter("6300000", "0.75"),  # [PP58] Kategori A layer 4: Rp5.950.001 to Rp6.300.000, 0.75%
    ter("6750000", "1"),  # [PP58] Kategori A layer 5: Rp6.300.001 to Rp6.750.000, 1%
    ter("7500000", "1.25"),  # [PP58] Kategori A layer 6: Rp6.750.001 to Rp7.500.000, 1.25%
    ter("8550000", "1.5"),  # [PP58] Kategori A layer 7: Rp7.500.001 to Rp8.550.000, 1.5%
    ter("9650000", "1.75"),  # [PP58] Kategori A layer 8: Rp8.550.001 to Rp9.650.000, 1.75%
    ter("10050000", "2"),  # [PP58] Kategori A layer 9: Rp9.650.001 to Rp10.050.000, 2%
    ter("10350000", "2.25"),  # [PP58] Kategori A layer 10: Rp10.050.001 to Rp10.350.000, 2.25%
    ter("10700000", "2.5"),  # [PP58] Kategori A layer 11: Rp10.350.001 to Rp10.700.000, 2.5%
    ter("11050000", "3"),  # [PP58] Kategori A layer 12: Rp10.700.001 to Rp11.050.000, 3%
    ter("11600000", "3.5"),  # [PP58] Kategori A layer 13: Rp11.050.001 to Rp11.600.000, 3.5%
    ter("12500000", "4"),  # [PP58] Kategori A layer 14: Rp11.600.001 to Rp12.500.000, 4%
    ter("13750000", "5"),  # [PP58] Kategori A layer 15: Rp12.500.001 to Rp13.750.000, 5%
    ter("15100000", "6"),  # [PP58] Kategori A layer 16: Rp13.750.001 to Rp15.100.000, 6%
    ter("16950000", "7"),  # [PP58] Kategori A layer 17: Rp15.100.001 to Rp16.950.000, 7%
    ter("19750000", "8"),  # [PP58] Kategori A layer 18: Rp16.950.001 to Rp19.750.000, 8%
    ter("24150000", "9"),  # [PP58] Kategori A layer 19: Rp19.750.001 to Rp24.150.000, 9%
    ter("26450000", "10"),  # [PP58] Kategori A layer 20: Rp24.150.001 to Rp26.450.000, 10%
    ter("28000000", "11"),  # [PP58] Kategori A layer 21: Rp26.450.001 to Rp28.000.000, 11%
    ter("30050000", "12"),  # [PP58] Kategori A layer 22: Rp28.000.001 to Rp30.050.000, 12%
    ter("32400000", "13"),  # [PP58] Kategori A layer 23: Rp30.050.001 to Rp32.400.000, 13%
    ter("35400000", "14"),  # [PP58] Kategori A layer 24: Rp32.400.001 to Rp35.400.000, 14%
    ter("39100000", "15"),  # [PP58] Kategori A layer 25: Rp35.400.001 to Rp39.100.000, 15%
    ter("43850000", "16"),  # [PP58] Kategori A layer 26: Rp39.100.001 to Rp43.850.000, 16%
    ter("47800000", "17"),  # [PP58] Kategori A layer 27: Rp43.850.001 to Rp47.800.000, 17%
    ter("51400000", "18"),  # [PP58] Kategori A layer 28: Rp47.800.001 to Rp51.400.000, 18%
    ter("56300000", "19"),  # [PP58] Kategori A layer 29: Rp51.400.001 to Rp56.300.000, 19%
    ter("62200000", "20"),  # [PP58] Kategori A layer 30: Rp56.300.001 to Rp62.200.000, 20%
    ter("68600000", "21"),  # [PP58] Kategori A layer 31: Rp62.200.001 to Rp68.600.000, 21%
    ter("77500000", "22"),  # [PP58] Kategori A layer 32: Rp68.600.001 to Rp77.500.000, 22%
    ter("89000000", "23"),  # [PP58] Kategori A layer 33: Rp77.500.001 to Rp89.000.000, 23%
    ter("103000000", "24"),  # [PP58] Kategori A layer 34: Rp89.000.001 to Rp103.000.000, 24%
    ter("125000000", "25"),  # [PP58] Kategori A layer 35: Rp103.000.001 to Rp125.000.000, 25%
    ter("157000000", "26"),  # [PP58] Kategori A layer 36: Rp125.000.001 to Rp157.000.000, 26%
    ter("206000000", "27"),  # [PP58] Kategori A layer 37: Rp157.000.001 to Rp206.000.000, 27%
    ter("337000000", "28"),  # [PP58] Kategori A layer 38: Rp206.000.001 to Rp337.000.000, 28%
    ter("454000000", "29"),  # [PP58] Kategori A layer 39: Rp337.000.001 to Rp454.000.000, 29%
    ter("550000000", "30"),  # [PP58] Kategori A layer 40: Rp454.000.001 to Rp550.000.000, 30%
    ter("695000000", "31"),  # [PP58] Kategori A layer 41: Rp550.000.001 to Rp695.000.000, 31%
    ter("910000000", "32"),  # [PP58] Kategori A layer 42: Rp695.000.001 to Rp910.000.000, 32%
    ter("1400000000", "33"),  # [PP58] Kategori A layer 43: Rp910.000.001 to Rp1.400.000.000, 33%
    ter(None, "34"),  # [PP58] Kategori A layer 44: above Rp1.400.000.000, 34%
)

_CATEGORY_B = (  # [PP58] Lampiran, Tarif Efektif Bulanan Kategori B
    ter("6200000", "0"),  # [PP58] Kategori B layer 1: up to Rp6.200.000, 0%
    ter("6500000", "0.25"),  # [PP58] Kategori B layer 2: Rp6.200.001 to Rp6.500.000, 0.25%
    ter("6850000", "0.5"),  # [PP58] Kategori B layer 3: Rp6.500.001 to Rp6.850.000, 0.5%
    ter("7300000", "0.75"),  # [PP58] Kategori B layer 4: Rp6.850.001 to Rp7.300.000, 0.75%
    ter("9200000", "1"),  # [PP58] Kategori B layer 5: Rp7.300.001 to Rp9.200.000, 1%
    ter("10750000", "1.5"),  # [PP58] Kategori B layer 6: Rp9.200.001 to Rp10.750.000, 1.5%
    ter("11250000", "2"),  # [PP58] Kategori B layer 7: Rp10.750.001 to Rp11.250.000, 2%
    ter("11600000", "2.5"),  # [PP58] Kategori B layer 8: Rp11.250.001 to Rp11.600.000, 2.5%
    ter("12600000", "3"),  # [PP58] Kategori B layer 9: Rp11.600.001 to Rp12.600.000, 3%
    ter("13600000", "4"),  # [PP58] Kategori B layer 10: Rp12.600.001 to Rp13.600.000, 4%
    ter("14950000", "5"),  # [PP58] Kategori B layer 11: Rp13.600.001 to Rp14.950.000, 5%
    ter("16400000", "6"),  # [PP58] Kategori B layer 12: Rp14.950.001 to Rp16.400.000, 6%
    ter("18450000", "7"),  # [PP58] Kategori B layer 13: Rp16.400.001 to Rp18.450.000, 7%
    ter("21850000", "8"),  # [PP58] Kategori B layer 14: Rp18.450.001 to Rp21.850.000, 8%
    ter("26000000", "9"),  # [PP58] Kategori B layer 15: Rp21.850.001 to Rp26.000.000, 9%
    ter("27700000", "10"),  # [PP58] Kategori B layer 16: Rp26.000.001 to Rp27.700.000, 10%
    ter("29350000", "11"),  # [PP58] Kategori B layer 17: Rp27.700.001 to Rp29.350.000, 11%
    ter("31450000", "12"),  # [PP58] Kategori B layer 18: Rp29.350.001 to Rp31.450.000, 12%
    ter("33950000", "13"),  # [PP58] Kategori B layer 19: Rp31.450.001 to Rp33.950.000, 13%
    ter("37100000", "14"),  # [PP58] Kategori B layer 20: Rp33.950.001 to Rp37.100.000, 14%
    ter("41100000", "15"),  # [PP58] Kategori B layer 21: Rp37.100.001 to Rp41.100.000, 15%
    ter("45800000", "16"),  # [PP58] Kategori B layer 22: Rp41.100.001 to Rp45.800.000, 16%
    ter("49500000", "17"),  # [PP58] Kategori B layer 23: Rp45.800.001 to Rp49.500.000, 17%
    ter("53800000", "18"),  # [PP58] Kategori B layer 24: Rp49.500.001 to Rp53.800.000, 18%
    ter("58500000", "19"),  # [PP58] Kategori B layer 25: Rp53.800.001 to Rp58.500.000, 19%
    ter("64000000", "20"),  # [PP58] Kategori B layer 26: Rp58.500.001 to Rp64.000.000, 20%
    ter("71000000", "21"),  # [PP58] Kategori B layer 27: Rp64.000.001 to Rp71.000.000, 21%
    ter("80000000", "22"),  # [PP58] Kategori B layer 28: Rp71.000.001 to Rp80.000.000, 22%
    ter("93000000", "23"),  # [PP58] Kategori B layer 29: Rp80.000.001 to Rp93.000.000, 23%
    ter("109000000", "24"),  # [PP58] Kategori B layer 30: Rp93.000.001 to Rp109.000.000, 24%
    ter("129000000", "25"),  # [PP58] Kategori B layer 31: Rp109.000.001 to Rp129.000.000, 25%
    ter("163000000", "26"),  # [PP58] Kategori B layer 32: Rp129.000.001 to Rp163.000.000, 26%
    ter("211000000", "27"),  # [PP58] Kategori B layer 33: Rp163.000.001 to Rp211.000.000, 27%
    ter("374000000", "28"),  # [PP58] Kategori B layer 34: Rp211.000.001 to Rp374.000.000, 28%
    ter("459000000", "29"),  # [PP58] Kategori B layer 35: Rp374.000.001 to Rp459.000.000, 29%
    ter("555000000", "30"),  # [PP58] Kategori B layer 36: Rp459.000.001 to Rp555.000.000, 30%
    ter("704000000", "31"),  # [PP58] Kategori B layer 37: Rp555.000.001 to Rp704.000.000, 31%
    ter("957000000", "32"),  # [PP58] Kategori B layer 38: Rp704.000.001 to Rp957.000.000, 32%
    ter("1405000000", "33"),  # [PP58] Kategori B layer 39: Rp957.000.001 to Rp1.405.000.000, 33%
    ter(None, "34"),  # [PP58] Kategori B layer 40: above Rp1.405.000.000, 34%
)

_CATEGORY_C = (  # [PP58] Lampiran, Tarif Efektif Bulanan Kategori C
    ter("6600000", "0"),  # [PP58] Kategori C layer 1: up to Rp6.600.000, 0%
    ter("6950000", "0.25"),  # [PP58] Kategori C layer 2: Rp6.600.001 to Rp6.950.000, 0.25%
    ter("7350000", "0.5"),  # [PP58] Kategori C layer 3: Rp6.950.001 to Rp7.350.000, 0.5%
    ter("7800000", "0.75"),  # [PP58] Kategori C layer 4: Rp7.350.001 to Rp7.800.000, 0.75%
    ter("8850000", "1"),  # [PP58] Kategori C layer 5: Rp7.800.001 to Rp8.850.000, 1%
    ter("9800000", "1.25"),  # [PP58] Kategori C layer 6: Rp8.850.001 to Rp9.800.000, 1.25%
    ter("10950000", "1.5"),  # [PP58] Kategori C layer 7: Rp9.800.001 to Rp10.950.000, 1.5%
    ter("11200000", "1.75"),  # [PP58] Kategori C layer 8: Rp10.950.001 to Rp11.200.000, 1.75%
    ter("12050000", "2"),  # [PP58] Kategori C layer 9: Rp11.200.001 to Rp12.050.000, 2%
    ter("12950000", "3"),  # [PP58] Kategori C layer 10: Rp12.050.001 to Rp12.950.000, 3%
    ter("14150000", "4"),  # [PP58] Kategori C layer 11: Rp12.950.001 to Rp14.150.000, 4%
    ter("15550000", "5"),  # [PP58] Kategori C layer 12: Rp14.150.001 to Rp15.550.000, 5%
    ter("17050000", "6"),  # [PP58] Kategori C layer 13: Rp15.550.001 to Rp17.050.000, 6%
    ter("19500000", "7"),  # [PP58] Kategori C layer 14: Rp17.050.001 to Rp19.500.000, 7%
    ter("22700000", "8"),  # [PP58] Kategori C layer 15: Rp19.500.001 to Rp22.700.000, 8%
    ter("26600000", "9"),  # [PP58] Kategori C layer 16: Rp22.700.001 to Rp26.600.000, 9%
    ter("28100000", "10"),  # [PP58] Kategori C layer 17: Rp26.600.001 to Rp28.100.000, 10%
    ter("30100000", "11"),  # [PP58] Kategori C layer 18: Rp28.100.001 to Rp30.100.000, 11%
    ter("32600000", "12"),  # [PP58] Kategori C layer 19: Rp30.100.001 to Rp32.600.000, 12%
    ter("35400000", "13"),  # [PP58] Kategori C layer 20: Rp32.600.001 to Rp35.400.000, 13%
    ter("38900000", "14"),  # [PP58] Kategori C layer 21: Rp35.400.001 to Rp38.900.000, 14%
    ter("43000000", "15"),  # [PP58] Kategori C layer 22: Rp38.900.001 to Rp43.000.000, 15%
    ter("47400000", "16"),  # [PP58] Kategori C layer 23: Rp43.000.001 to Rp47.400.000, 16%
    ter("51200000", "17"),  # [PP58] Kategori C layer 24: Rp47.400.001 to Rp51.200.000, 17%
    ter("55800000", "18"),  # [PP58] Kategori C layer 25: Rp51.200.001 to Rp55.800.000, 18%
    ter("60400000", "19"),  # [PP58] Kategori C layer 26: Rp55.800.001 to Rp60.400.000, 19%
    ter("66700000", "20"),  # [PP58] Kategori C layer 27: Rp60.400.001 to Rp66.700.000, 20%
    ter("74500000", "21"),  # [PP58] Kategori C layer 28: Rp66.700.001 to Rp74.500.000, 21%
    ter("83200000", "22"),  # [PP58] Kategori C layer 29: Rp74.500.001 to Rp83.200.000, 22%
    ter("95600000", "23"),  # [PP58] Kategori C layer 30: Rp83.200.001 to Rp95.600.000, 23%
    ter("110000000", "24"),  # [PP58] Kategori C layer 31: Rp95.600.001 to Rp110.000.000, 24%
    ter("134000000", "25"),  # [PP58] Kategori C layer 32: Rp110.000.001 to Rp134.000.000, 25%
    ter("169000000", "26"),  # [PP58] Kategori C layer 33: Rp134.000.001 to Rp169.000.000, 26%
    ter("221000000", "27"),  # [PP58] Kategori C layer 34: Rp169.000.001 to Rp221.000.000, 27%
    ter("390000000", "28"),  # [PP58] Kategori C layer 35: Rp221.000.001 to Rp390.000.000, 28%
    ter("463000000", "29"),  # [PP58] Kategori C layer 36: Rp390.000.001 to Rp463.000.000, 29%
    ter("561000000", "30"),  # [PP58] Kategori C layer 37: Rp463.000.001 to Rp561.000.000, 30%
    ter("709000000", "31"),  # [PP58] Kategori C layer 38: Rp561.000.001 to Rp709.000.000, 31%
    ter("965000000", "32"),  # [PP58] Kategori C layer 39: Rp709.000.001 to Rp965.000.000, 32%
    ter("1419000000", "33"),  # [PP58] Kategori C layer 40: Rp965.000.001 to Rp1.419.000.000, 33%
    ter(None, "34"),  # [PP58] Kategori C layer 41: above Rp1.419.000.000, 34%
)
TER_TABLES = {"A": _CATEGORY_A, "B": _CATEGORY_B, "C": _CATEGORY_C}
