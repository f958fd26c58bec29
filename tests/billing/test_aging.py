"""Aging buckets at their boundaries, per-party and per-currency sums, dunning levels."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from domain.billing.aging import (
    DEFAULT_DUNNING_POLICY,
    AgingBucket,
    DunningPolicy,
    DunningStep,
    age_open_items,
    bucket_for,
    dunning_level,
)
from domain.billing.errors import InvalidDunningPolicy
from domain.billing.open_items import OpenItem

AS_OF = date(2026, 6, 30)


def overdue(
    invoice_id: str,
    days: int,
    amount_minor: int = 100,
    *,
    party: str = "customer-1",
    currency: str = "EUR",
) -> OpenItem:
    due = AS_OF - timedelta(days=days)
    return OpenItem(invoice_id, party, currency, due, due - timedelta(days=30), "", amount_minor)


@pytest.mark.parametrize(
    ("days", "bucket"),
    [
        (-5, AgingBucket.CURRENT),
        (0, AgingBucket.CURRENT),
        (1, AgingBucket.DAYS_1_30),
        (30, AgingBucket.DAYS_1_30),
        (31, AgingBucket.DAYS_31_60),
        (60, AgingBucket.DAYS_31_60),
        (61, AgingBucket.DAYS_61_90),
        (90, AgingBucket.DAYS_61_90),
        (91, AgingBucket.OVER_90),
    ],
)
def test_an_item_falls_in_its_bucket_by_days_past_due(days: int, bucket: AgingBucket) -> None:
    assert bucket_for(days) is bucket
    report = age_open_items([overdue("A", days)], AS_OF)
    assert report.totals["EUR"][bucket] == 100
    assert sum(report.totals["EUR"].values()) == 100


def test_aging_sums_per_party_and_currency_without_mixing_currencies() -> None:
    items = [
        overdue("A", 0, 1_000),
        overdue("B", 45, 2_000),
        overdue("C", 45, 300, currency="USD"),
        overdue("D", 120, 4_000, party="customer-2"),
    ]
    report = age_open_items(items, AS_OF)
    assert report.by_party["customer-1"]["EUR"][AgingBucket.CURRENT] == 1_000
    assert report.by_party["customer-1"]["EUR"][AgingBucket.DAYS_31_60] == 2_000
    assert report.by_party["customer-1"]["USD"][AgingBucket.DAYS_31_60] == 300
    assert report.by_party["customer-2"]["EUR"][AgingBucket.OVER_90] == 4_000
    assert report.totals["EUR"] == {
        AgingBucket.CURRENT: 1_000,
        AgingBucket.DAYS_1_30: 0,
        AgingBucket.DAYS_31_60: 2_000,
        AgingBucket.DAYS_61_90: 0,
        AgingBucket.OVER_90: 4_000,
    }
    assert report.totals["USD"][AgingBucket.DAYS_31_60] == 300


def test_an_item_issued_after_the_as_of_date_is_not_aged() -> None:
    future = OpenItem(
        "F", "customer-1", "EUR", AS_OF + timedelta(days=30), AS_OF + timedelta(days=1), "", 100
    )
    assert age_open_items([future], AS_OF).totals == {}


@pytest.mark.parametrize(
    ("days", "level"), [(-3, 0), (0, 0), (1, 1), (14, 1), (15, 2), (29, 2), (30, 3), (400, 3)]
)
def test_the_default_dunning_policy_escalates_at_1_15_and_30_days(days: int, level: int) -> None:
    assert dunning_level(days) == level
    assert dunning_level(days, DEFAULT_DUNNING_POLICY) == level


def test_a_custom_dunning_policy_sets_its_own_thresholds() -> None:
    policy = DunningPolicy((DunningStep(1, 7), DunningStep(2, 21)))
    assert [dunning_level(days, policy) for days in (6, 7, 21, 90)] == [0, 1, 2, 2]


def test_a_dunning_policy_whose_steps_do_not_ascend_is_refused() -> None:
    with pytest.raises(InvalidDunningPolicy):
        DunningPolicy((DunningStep(1, 15), DunningStep(2, 15)))
    with pytest.raises(InvalidDunningPolicy):
        DunningPolicy(())


@settings(max_examples=100, derandomize=True, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.integers(min_value=-30, max_value=400),
            st.integers(min_value=1, max_value=10**9),
            st.sampled_from(["EUR", "USD", "IDR"]),
            st.sampled_from(["p1", "p2", "p3"]),
        ),
        max_size=30,
    )
)
def test_aging_totals_are_the_open_amounts_per_currency(
    drawn: list[tuple[int, int, str, str]],
) -> None:
    items = [
        overdue(f"I{index}", days, amount, party=party, currency=currency)
        for index, (days, amount, currency, party) in enumerate(drawn)
    ]
    report = age_open_items(items, AS_OF)
    for currency, buckets in report.totals.items():
        expected = sum(each.open_amount_minor for each in items if each.currency == currency)
        assert sum(buckets.values()) == expected
        per_party = sum(
            sum(rows[currency].values()) for rows in report.by_party.values() if currency in rows
        )
        assert per_party == expected
