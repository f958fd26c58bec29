"""Indonesian national holidays (libur nasional) and collective leave (cuti
bersama), 2025-2026, as set by the joint decrees (SKB) of the Ministers of
Religious Affairs, Manpower, and Administrative Reform.

Sources:

- 2025: SKB No. 1017/2024, 2/2024, 2/2024 (14 October 2024), as published by
  Sekretariat Kabinet and Kemenko PMK (17 national holidays, 10 days of
  collective leave), amended by SKB No. 933/2025, 1/2025, 3/2025 (7 August
  2025), which added collective leave on 18 August 2025
  (https://www.kemenkopmk.go.id/pemerintah-tetapkan-cuti-bersama-18-agustus-2025-untuk-peringatan-hut-ke-80-ri).
- 2026: SKB No. 1497/2025, 2/2025, 5/2025 (19 September 2025), 17 national
  holidays and 8 days of collective leave, as published by Kemenko PMK and
  the Semarang city education office
  (https://disdiksmg.semarangkota.go.id/post-detail/resmi-daftar-hari-libur-nasional-dan-cuti-bersama-tahun-2026-berdasarkan-skb-3-menteri).

2027 is not included: no SKB for 2027 could be confirmed (it is usually
signed in the autumn before). Outside 2025-2026 only weekends are known, and
the reports mark the rows that depend on those years.
"""

from __future__ import annotations

from typing import Any

CALENDAR: dict[str, Any] = {
    "name": "id-national",
    "years": (2025, 2026),
    "sources": (
        "SKB Menag, Menaker, MenPANRB No. 1017/2024, 2/2024, 2/2024 (2025)",
        "SKB Menag, Menaker, MenPANRB No. 933/2025, 1/2025, 3/2025 (2025 amendment)",
        "SKB Menag, Menaker, MenPANRB No. 1497/2025, 2/2025, 5/2025 (2026)",
    ),
    "days": (
        ("2025-01-01", "Tahun Baru 2025 Masehi", "holiday"),
        ("2025-01-27", "Isra Mikraj Nabi Muhammad SAW", "holiday"),
        ("2025-01-28", "Cuti bersama Tahun Baru Imlek", "collective_leave"),
        ("2025-01-29", "Tahun Baru Imlek 2576 Kongzili", "holiday"),
        ("2025-03-28", "Cuti bersama Hari Suci Nyepi", "collective_leave"),
        ("2025-03-29", "Hari Suci Nyepi (Tahun Baru Saka 1947)", "holiday"),
        ("2025-03-31", "Idulfitri 1446 Hijriah", "holiday"),
        ("2025-04-01", "Idulfitri 1446 Hijriah", "holiday"),
        ("2025-04-02", "Cuti bersama Idulfitri", "collective_leave"),
        ("2025-04-03", "Cuti bersama Idulfitri", "collective_leave"),
        ("2025-04-04", "Cuti bersama Idulfitri", "collective_leave"),
        ("2025-04-07", "Cuti bersama Idulfitri", "collective_leave"),
        ("2025-04-18", "Wafat Yesus Kristus", "holiday"),
        ("2025-04-20", "Kebangkitan Yesus Kristus (Paskah)", "holiday"),
        ("2025-05-01", "Hari Buruh Internasional", "holiday"),
        ("2025-05-12", "Hari Raya Waisak 2569 BE", "holiday"),
        ("2025-05-13", "Cuti bersama Hari Raya Waisak", "collective_leave"),
        ("2025-05-29", "Kenaikan Yesus Kristus", "holiday"),
        ("2025-05-30", "Cuti bersama Kenaikan Yesus Kristus", "collective_leave"),
        ("2025-06-01", "Hari Lahir Pancasila", "holiday"),
        ("2025-06-06", "Iduladha 1446 Hijriah", "holiday"),
        ("2025-06-09", "Cuti bersama Iduladha", "collective_leave"),
        ("2025-06-27", "1 Muharam Tahun Baru Islam 1447 Hijriah", "holiday"),
        ("2025-08-17", "Proklamasi Kemerdekaan", "holiday"),
        ("2025-08-18", "Cuti bersama HUT ke-80 Republik Indonesia", "collective_leave"),
        ("2025-09-05", "Maulid Nabi Muhammad SAW", "holiday"),
        ("2025-12-25", "Kelahiran Yesus Kristus", "holiday"),
        ("2025-12-26", "Cuti bersama Kelahiran Yesus Kristus", "collective_leave"),
        ("2026-01-01", "Tahun Baru 2026 Masehi", "holiday"),
        ("2026-01-16", "Isra Mikraj Nabi Muhammad SAW", "holiday"),
        ("2026-02-16", "Cuti bersama Tahun Baru Imlek", "collective_leave"),
        ("2026-02-17", "Tahun Baru Imlek 2577 Kongzili", "holiday"),
        ("2026-03-18", "Cuti bersama Hari Suci Nyepi", "collective_leave"),
        ("2026-03-19", "Hari Suci Nyepi (Tahun Baru Saka 1948)", "holiday"),
        ("2026-03-20", "Cuti bersama Idulfitri", "collective_leave"),
        ("2026-03-21", "Idulfitri 1447 Hijriah", "holiday"),
        ("2026-03-22", "Idulfitri 1447 Hijriah", "holiday"),
        ("2026-03-23", "Cuti bersama Idulfitri", "collective_leave"),
        ("2026-03-24", "Cuti bersama Idulfitri", "collective_leave"),
        ("2026-04-03", "Wafat Yesus Kristus", "holiday"),
        ("2026-04-05", "Kebangkitan Yesus Kristus (Paskah)", "holiday"),
        ("2026-05-01", "Hari Buruh Internasional", "holiday"),
        ("2026-05-14", "Kenaikan Yesus Kristus", "holiday"),
        ("2026-05-15", "Cuti bersama Kenaikan Yesus Kristus", "collective_leave"),
        ("2026-05-27", "Iduladha 1447 Hijriah", "holiday"),
        ("2026-05-28", "Cuti bersama Iduladha", "collective_leave"),
        ("2026-05-31", "Hari Raya Waisak 2570 BE", "holiday"),
        ("2026-06-01", "Hari Lahir Pancasila", "holiday"),
        ("2026-06-16", "1 Muharam Tahun Baru Islam 1448 Hijriah", "holiday"),
        ("2026-08-17", "Proklamasi Kemerdekaan", "holiday"),
        ("2026-08-25", "Maulid Nabi Muhammad SAW", "holiday"),
        ("2026-12-24", "Cuti bersama Kelahiran Yesus Kristus", "collective_leave"),
        ("2026-12-25", "Kelahiran Yesus Kristus", "holiday"),
    ),
}
