"""US federal holidays (5 U.S.C. 6103) as observed, 2025-2027.

Sources: the Office of Personnel Management's federal holiday tables
(https://www.opm.gov/policy-data-oversight/pay-leave/federal-holidays/),
as mirrored by the US Court of Appeals for the Eleventh Circuit
(https://www.ca11.uscourts.gov/federal-holidays, 2026) and by
https://www.federalholidays.net/usa/federal-holidays-2027.html (2027, with
OPM's notes: June 19, July 4 and December 25, 2027 fall on a weekend and are
observed on Friday June 18, Monday July 5 and Friday December 24). 2025
from published 2025 lists (Inauguration Day coincides with Martin Luther
King Jr.'s birthday on January 20). New Year's Day 2028 falls on a Saturday
and is observed on Friday December 31, 2027 (OPM lists it under 2028).

Not included: the executive closures of December 24 and 26, 2025 (federal
offices closed by executive order, not legal public holidays; banks open).
"""

from __future__ import annotations

from typing import Any

CALENDAR: dict[str, Any] = {
    "name": "us-federal",
    "years": (2025, 2026, 2027),
    "sources": (
        "https://www.opm.gov/policy-data-oversight/pay-leave/federal-holidays/",
        "https://www.ca11.uscourts.gov/federal-holidays",
        "https://www.federalholidays.net/usa/federal-holidays-2027.html",
    ),
    "days": (
        ("2025-01-01", "New Year's Day", "holiday"),
        ("2025-01-20", "Birthday of Martin Luther King, Jr.; Inauguration Day", "holiday"),
        ("2025-02-17", "Washington's Birthday", "holiday"),
        ("2025-05-26", "Memorial Day", "holiday"),
        ("2025-06-19", "Juneteenth National Independence Day", "holiday"),
        ("2025-07-04", "Independence Day", "holiday"),
        ("2025-09-01", "Labor Day", "holiday"),
        ("2025-10-13", "Columbus Day", "holiday"),
        ("2025-11-11", "Veterans Day", "holiday"),
        ("2025-11-27", "Thanksgiving Day", "holiday"),
        ("2025-12-25", "Christmas Day", "holiday"),
        ("2026-01-01", "New Year's Day", "holiday"),
        ("2026-01-19", "Birthday of Martin Luther King, Jr.", "holiday"),
        ("2026-02-16", "Washington's Birthday", "holiday"),
        ("2026-05-25", "Memorial Day", "holiday"),
        ("2026-06-19", "Juneteenth National Independence Day", "holiday"),
        ("2026-07-03", "Independence Day (observed; July 4 is a Saturday)", "holiday"),
        ("2026-09-07", "Labor Day", "holiday"),
        ("2026-10-12", "Columbus Day", "holiday"),
        ("2026-11-11", "Veterans Day", "holiday"),
        ("2026-11-26", "Thanksgiving Day", "holiday"),
        ("2026-12-25", "Christmas Day", "holiday"),
        ("2027-01-01", "New Year's Day", "holiday"),
        ("2027-01-18", "Birthday of Martin Luther King, Jr.", "holiday"),
        ("2027-02-15", "Washington's Birthday", "holiday"),
        ("2027-05-31", "Memorial Day", "holiday"),
        ("2027-06-18", "Juneteenth (observed; June 19 is a Saturday)", "holiday"),
        ("2027-07-05", "Independence Day (observed; July 4 is a Sunday)", "holiday"),
        ("2027-09-06", "Labor Day", "holiday"),
        ("2027-10-11", "Columbus Day", "holiday"),
        ("2027-11-11", "Veterans Day", "holiday"),
        ("2027-11-25", "Thanksgiving Day", "holiday"),
        ("2027-12-24", "Christmas Day (observed; December 25 is a Saturday)", "holiday"),
        ("2027-12-31", "New Year's Day 2028 (observed; January 1 is a Saturday)", "holiday"),
    ),
}
