"""Aging of open items and the dunning level they call for.

Aging answers "how late is what we are owed" as of a date: each open item
falls in one bucket by days past due (current, 1-30, 31-60, 61-90, over 90),
summed per party and currency and in total per currency. Amounts in different
currencies are never added together. It is a pure function of the items and
the date, so a report as of any past date is reproducible from the open items
as of that date.

Dunning levels come from policy data, not code, so a business can change
when reminders escalate without a release.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from itertools import pairwise

from domain.billing.errors import InvalidDunningPolicy
from domain.billing.open_items import OpenItem, check_open_items


class AgingBucket(StrEnum):
    CURRENT = "current"
    DAYS_1_30 = "1-30"
    DAYS_31_60 = "31-60"
    DAYS_61_90 = "61-90"
    OVER_90 = "over_90"


BucketAmounts = dict[AgingBucket, int]


@dataclass(frozen=True, slots=True)
class AgingReport:
    """``by_party[party][currency][bucket]`` and ``totals[currency][bucket]``,
    in minor units; every bucket is present (zero when empty), keys sorted."""

    as_of: date
    by_party: dict[str, dict[str, BucketAmounts]]
    totals: dict[str, BucketAmounts]


def days_past_due(item: OpenItem, as_of: date) -> int:
    """Days since the due date; zero or negative while not yet overdue."""
    return (as_of - item.due_date).days


def bucket_for(days_overdue: int) -> AgingBucket:
    """Due today or later is current; day 1 past due starts the 1-30 bucket."""
    if days_overdue <= 0:
        return AgingBucket.CURRENT
    if days_overdue <= 30:
        return AgingBucket.DAYS_1_30
    if days_overdue <= 60:
        return AgingBucket.DAYS_31_60
    if days_overdue <= 90:
        return AgingBucket.DAYS_61_90
    return AgingBucket.OVER_90


def age_open_items(items: Sequence[OpenItem], as_of: date) -> AgingReport:
    """Bucket every item open as of ``as_of``, per party and currency.

    Items issued after ``as_of`` did not exist on that date and are left out.
    """
    check_open_items(items)
    by_party: dict[str, dict[str, BucketAmounts]] = {}
    totals: dict[str, BucketAmounts] = {}
    for item in items:
        if item.issue_date > as_of:
            continue
        bucket = bucket_for(days_past_due(item, as_of))
        party_row = by_party.setdefault(item.party, {}).setdefault(item.currency, _empty())
        party_row[bucket] += item.open_amount_minor
        total_row = totals.setdefault(item.currency, _empty())
        total_row[bucket] += item.open_amount_minor
    return AgingReport(
        as_of=as_of,
        by_party={
            party: dict(sorted(currencies.items()))
            for party, currencies in sorted(by_party.items())
        },
        totals=dict(sorted(totals.items())),
    )


def _empty() -> BucketAmounts:
    return dict.fromkeys(AgingBucket, 0)


@dataclass(frozen=True, slots=True)
class DunningStep:
    """From ``days_overdue_min`` days past due on, the item is at ``level``."""

    level: int
    days_overdue_min: int


@dataclass(frozen=True, slots=True)
class DunningPolicy:
    """Escalation steps; levels and thresholds both strictly ascending, all > 0."""

    steps: tuple[DunningStep, ...]

    def __post_init__(self) -> None:
        levels = [step.level for step in self.steps]
        thresholds = [step.days_overdue_min for step in self.steps]
        ascending = all(a < b for a, b in pairwise(levels)) and all(
            a < b for a, b in pairwise(thresholds)
        )
        if not self.steps or not ascending or levels[0] < 1 or thresholds[0] < 1:
            raise InvalidDunningPolicy(
                "dunning_policy: steps need levels and day thresholds that start at 1 or more"
                " and strictly ascend",
                field="dunning_policy",
            )


DEFAULT_DUNNING_POLICY = DunningPolicy(
    steps=(
        DunningStep(level=1, days_overdue_min=1),
        DunningStep(level=2, days_overdue_min=15),
        DunningStep(level=3, days_overdue_min=30),
    )
)
"""Reminder from the first day overdue, second notice at 15 days, final at 30."""


def dunning_level(days_overdue: int, policy: DunningPolicy = DEFAULT_DUNNING_POLICY) -> int:
    """The highest level whose threshold is reached; 0 while not overdue."""
    level = 0
    for step in policy.steps:
        if days_overdue >= step.days_overdue_min:
            level = step.level
    return level
