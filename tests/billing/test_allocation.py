"""Allocating receipts to open items: reference first, then oldest due; never over."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from domain.billing.allocation import (
    Allocation,
    Receipt,
    allocate_automatically,
    allocate_manually,
)
from domain.billing.errors import (
    AllocationExceedsOpenAmount,
    AllocationExceedsReceipt,
    CrossCurrencyAllocation,
    InvalidAllocation,
    OpenItemOfAnotherParty,
    UnknownOpenItem,
)
from domain.billing.open_items import OpenItem

JAN = date(2026, 1, 1)


def item(
    invoice_id: str,
    amount_minor: int,
    due_in_days: int = 30,
    *,
    issued_in_days: int = 0,
    reference: str = "",
    currency: str = "EUR",
    party: str = "customer-1",
) -> OpenItem:
    return OpenItem(
        invoice_id=invoice_id,
        party=party,
        currency=currency,
        due_date=JAN + timedelta(days=due_in_days),
        issue_date=JAN + timedelta(days=issued_in_days),
        reference=reference,
        open_amount_minor=amount_minor,
    )


def receipt(amount_minor: int, reference: str = "", currency: str = "EUR") -> Receipt:
    return Receipt("customer-1", currency, amount_minor, reference)


def test_an_item_whose_reference_matches_is_paid_before_older_items() -> None:
    items = [
        item("A", 10_000, 10),
        item("B", 5_000, 40, reference="INV-2026-000002"),
        item("C", 7_000, 20),
    ]
    result = allocate_automatically(receipt(12_000, " inv-2026-000002 "), items)
    assert result.allocations == (Allocation("B", 5_000), Allocation("A", 7_000))
    assert result.unallocated_minor == 0


def test_without_a_matching_reference_the_oldest_due_item_is_paid_first() -> None:
    items = [item("late", 1_000, 60), item("early", 1_000, 10), item("middle", 1_000, 30)]
    result = allocate_automatically(receipt(2_500, "no such reference"), items)
    assert result.allocations == (
        Allocation("early", 1_000),
        Allocation("middle", 1_000),
        Allocation("late", 500),
    )


def test_items_due_the_same_day_go_by_issue_date_then_invoice_id() -> None:
    items = [
        item("Z", 100, 30, issued_in_days=5),
        item("B", 100, 30, issued_in_days=1),
        item("A", 100, 30, issued_in_days=1),
    ]
    result = allocate_automatically(receipt(300), items)
    assert [each.invoice_id for each in result.allocations] == ["A", "B", "Z"]


def test_a_receipt_smaller_than_the_oldest_item_pays_it_partly() -> None:
    result = allocate_automatically(receipt(400), [item("A", 1_000), item("B", 1_000, 60)])
    assert result.allocations == (Allocation("A", 400),)
    assert result.unallocated_minor == 0 and not result.is_overpayment


def test_an_overpayment_leaves_a_customer_credit() -> None:
    result = allocate_automatically(receipt(5_000), [item("A", 1_000), item("B", 2_000, 60)])
    assert result.allocated_minor == 3_000
    assert result.unallocated_minor == 2_000 and result.is_overpayment


def test_manual_allocation_applies_the_given_amounts_and_keeps_the_rest_as_credit() -> None:
    items = [item("A", 1_000), item("B", 2_000, 60)]
    result = allocate_manually(
        receipt(2_500), items, [Allocation("B", 2_000), Allocation("A", 100)]
    )
    assert result.allocations == (Allocation("B", 2_000), Allocation("A", 100))
    assert result.unallocated_minor == 400


def test_manual_allocation_never_exceeds_an_items_open_amount() -> None:
    with pytest.raises(AllocationExceedsOpenAmount) as refused:
        allocate_manually(receipt(5_000), [item("A", 1_000)], [Allocation("A", 1_001)])
    assert refused.value.field == "allocations[0].amount_minor"


def test_manual_allocation_never_exceeds_the_receipt() -> None:
    items = [item("A", 1_000), item("B", 1_000)]
    with pytest.raises(AllocationExceedsReceipt) as refused:
        allocate_manually(receipt(1_500), items, [Allocation("A", 1_000), Allocation("B", 600)])
    assert refused.value.field == "allocations[1].amount_minor"


def test_manual_allocation_refuses_unknown_items_duplicates_and_zero_amounts() -> None:
    items = [item("A", 1_000)]
    with pytest.raises(UnknownOpenItem):
        allocate_manually(receipt(500), items, [Allocation("Q", 100)])
    with pytest.raises(InvalidAllocation):
        allocate_manually(receipt(500), items, [Allocation("A", 100), Allocation("A", 100)])
    with pytest.raises(InvalidAllocation):
        allocate_manually(receipt(500), items, [Allocation("A", 0)])


def test_a_receipt_in_another_currency_is_refused_until_exchange_rates_exist() -> None:
    with pytest.raises(CrossCurrencyAllocation) as refused:
        allocate_automatically(receipt(1_000), [item("A", 1_000), item("B", 1_000, currency="USD")])
    assert refused.value.field == "open_items[1].currency"
    assert "exchange rates are not supported yet" in refused.value.message
    with pytest.raises(CrossCurrencyAllocation):
        allocate_manually(receipt(1_000), [item("B", 1_000, currency="USD")], [])


def test_an_open_item_of_another_party_is_refused() -> None:
    with pytest.raises(OpenItemOfAnotherParty):
        allocate_automatically(receipt(1_000), [item("A", 1_000, party="customer-2")])


open_item_draws = st.lists(
    st.tuples(
        st.integers(min_value=1, max_value=1_000_000),  # open amount
        st.integers(min_value=0, max_value=120),  # due in days
        st.booleans(),  # carries the receipt's reference
    ),
    max_size=15,
)


@settings(max_examples=200, derandomize=True, deadline=None)
@given(drawn=open_item_draws, amount=st.integers(min_value=1, max_value=5_000_000))
def test_automatic_allocation_never_exceeds_open_amounts_and_accounts_for_every_cent(
    drawn: list[tuple[int, int, bool]], amount: int
) -> None:
    items = [
        item(f"I{index:02d}", open_amount, due, reference="REF-1" if referenced else "")
        for index, (open_amount, due, referenced) in enumerate(drawn)
    ]
    result = allocate_automatically(receipt(amount, "ref-1"), items)
    open_by_id = {each.invoice_id: each.open_amount_minor for each in items}
    ids = [allocation.invoice_id for allocation in result.allocations]
    assert len(ids) == len(set(ids))
    for allocation in result.allocations:
        assert 0 < allocation.amount_minor <= open_by_id[allocation.invoice_id]
    assert result.allocated_minor + result.unallocated_minor == amount
    assert result.unallocated_minor == max(0, amount - sum(open_by_id.values()))


@settings(max_examples=200, derandomize=True, deadline=None)
@given(
    drawn=open_item_draws,
    amount=st.integers(min_value=1, max_value=5_000_000),
    shares=st.lists(st.integers(min_value=1, max_value=1_000_000), max_size=15),
)
def test_manual_allocation_that_is_accepted_stays_within_open_amounts_and_the_receipt(
    drawn: list[tuple[int, int, bool]], amount: int, shares: list[int]
) -> None:
    items = [
        item(f"I{index:02d}", open_amount, due) for index, (open_amount, due, _) in enumerate(drawn)
    ]
    requested = [
        Allocation(each.invoice_id, share) for each, share in zip(items, shares, strict=False)
    ]
    try:
        result = allocate_manually(receipt(amount), items, requested)
    except (AllocationExceedsOpenAmount, AllocationExceedsReceipt):
        over_item = any(
            share > each.open_amount_minor for each, share in zip(items, shares, strict=False)
        )
        assert over_item or sum(a.amount_minor for a in requested) > amount
        return
    open_by_id = {each.invoice_id: each.open_amount_minor for each in items}
    assert all(a.amount_minor <= open_by_id[a.invoice_id] for a in result.allocations)
    assert result.allocated_minor + result.unallocated_minor == amount
    assert result.unallocated_minor >= 0
