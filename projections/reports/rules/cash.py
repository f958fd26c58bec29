"""Large cash transaction rules per jurisdiction (see ``rules/__init__.py``)."""

from __future__ import annotations

from typing import Any

CASH_RULES: tuple[dict[str, Any], ...] = (
    {
        "jurisdiction": "US",
        "report": "FinCEN Currency Transaction Report (CTR)",
        # 31 CFR 1010.311: a transaction in currency of more than $10,000;
        # 31 CFR 1010.313: multiple transactions by or for one person during one
        # business day are aggregated, and deposits made at night or over a weekend
        # or holiday count as received on the next business day; cash in and cash
        # out are aggregated separately (FinCEN CTR FAQ), never netted;
        # 31 CFR 1010.306(a)(1): filed within 15 days following the transaction day.
        "authority": "31 CFR 1010.311, 1010.313, 1010.306(a)(1)",
        "currency": "USD",
        "threshold": "10000.00",
        "comparison": "more_than",
        "aggregation": "person_business_day_by_direction",
        "due_days": 15,
        "due_days_kind": "calendar",
        "calendar": "us-federal",
        "closed_kinds": ("holiday",),
    },
    {
        "jurisdiction": "ID",
        "report": "PPATK Laporan Transaksi Keuangan Tunai (LTKT, cash transaction report)",
        # UU 8/2010 Pasal 23 ayat (1) huruf b: cash of at least Rp500,000,000 in one
        # transaction or several in one working day; Pasal 25 ayat (2): reported at
        # the latest 14 working days from the transaction date.
        "authority": "UU No. 8 Tahun 2010, Pasal 23 ayat (1) huruf b, Pasal 25 ayat (2)",
        "currency": "IDR",
        "threshold": "500000000.00",  # ISO 4217: IDR has exponent 2
        "comparison": "at_least",
        "aggregation": "person_business_day_by_direction",
        "due_days": 14,
        "due_days_kind": "working",
        "calendar": "id-national",
        # Cuti bersama (collective leave) is listed in the calendar but does not
        # close business here: counting it as a working day can only make a due
        # date earlier, never late. Add "collective_leave" to close it too.
        "closed_kinds": ("holiday",),
    },
)
