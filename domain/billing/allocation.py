"""Allocating a receipt (or a payment) to open items.

Automatic allocation settles first the items whose reference matches the
receipt's reference (the customer told us what they pay), then the oldest due
first, ties broken by issue date and then invoice id so the result never
depends on input order. Manual allocation takes the amounts given per item.
Either way no item gets more than its open amount, and what is left over is
returned as the unallocated remainder: a customer credit (overpayment) the
caller records as such.

One currency only: a receipt in EUR against an invoice in USD needs an
exchange rate and a gain/loss posting, which is not supported yet.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from domain.billing.errors import (
    AllocationExceedsOpenAmount,
    AllocationExceedsReceipt,
    CrossCurrencyAllocation,
    InvalidAllocation,
    InvalidReceipt,
    OpenItemOfAnotherParty,
    UnknownOpenItem,
)
from domain.billing.open_items import OpenItem, check_open_items
from domain.kernel.money import ISO_CURRENCY_SCALES


@dataclass(frozen=True, slots=True)
class Receipt:
    """Money received from (or paid to) ``party``: ``amount_minor`` > 0 of ``currency``."""

    party: str
    currency: str
    amount_minor: int
    reference: str = ""


@dataclass(frozen=True, slots=True)
class Allocation:
    """``amount_minor`` of the receipt applied to the open item ``invoice_id``."""

    invoice_id: str
    amount_minor: int


@dataclass(frozen=True, slots=True)
class AllocationResult:
    """The allocations in the order applied, and what is left of the receipt."""

    allocations: tuple[Allocation, ...]
    unallocated_minor: int

    @property
    def allocated_minor(self) -> int:
        return sum(allocation.amount_minor for allocation in self.allocations)

    @property
    def is_overpayment(self) -> bool:
        """Whether a remainder is left to hold as the party's credit."""
        return self.unallocated_minor > 0


def allocate_automatically(receipt: Receipt, items: Sequence[OpenItem]) -> AllocationResult:
    """Reference matches first, then oldest due (then issue date, then id)."""
    _check(receipt, items)
    wanted = normalised_reference(receipt.reference)

    def priority(item: OpenItem) -> tuple[bool, object, object, str]:
        matches = bool(wanted) and normalised_reference(item.reference) == wanted
        return (not matches, item.due_date, item.issue_date, item.invoice_id)

    remaining = receipt.amount_minor
    allocations: list[Allocation] = []
    for item in sorted(items, key=priority):
        if remaining == 0:
            break
        amount = min(remaining, item.open_amount_minor)
        allocations.append(Allocation(item.invoice_id, amount))
        remaining -= amount
    return AllocationResult(tuple(allocations), remaining)


def allocate_manually(
    receipt: Receipt, items: Sequence[OpenItem], requested: Sequence[Allocation]
) -> AllocationResult:
    """The amounts given per item, checked against open amounts and the receipt."""
    _check(receipt, items)
    by_id = {item.invoice_id: item for item in items}
    seen: set[str] = set()
    total = 0
    for index, allocation in enumerate(requested):
        prefix = f"allocations[{index}]"
        item = by_id.get(allocation.invoice_id)
        if item is None:
            raise UnknownOpenItem(
                f"{prefix}.invoice_id: {str(allocation.invoice_id)[:40]!r} is not an open item"
                f" of {receipt.party}",
                field=f"{prefix}.invoice_id",
            )
        if allocation.invoice_id in seen:
            raise InvalidAllocation(
                f"{prefix}.invoice_id: {allocation.invoice_id!r} is allocated twice",
                field=f"{prefix}.invoice_id",
            )
        seen.add(allocation.invoice_id)
        amount = allocation.amount_minor
        if not isinstance(amount, int) or isinstance(amount, bool) or amount <= 0:
            raise InvalidAllocation(
                f"{prefix}.amount_minor: must be a positive integer, got {amount!r}",
                field=f"{prefix}.amount_minor",
            )
        if amount > item.open_amount_minor:
            raise AllocationExceedsOpenAmount(
                f"{prefix}.amount_minor: {amount} exceeds the open amount"
                f" {item.open_amount_minor} of {item.invoice_id}",
                field=f"{prefix}.amount_minor",
            )
        total += amount
        if total > receipt.amount_minor:
            raise AllocationExceedsReceipt(
                f"{prefix}.amount_minor: the allocations add up to more than the receipt"
                f" ({receipt.amount_minor})",
                field=f"{prefix}.amount_minor",
            )
    return AllocationResult(tuple(requested), receipt.amount_minor - total)


def normalised_reference(reference: str) -> str:
    """References compare without case and whitespace: "inv-2026 000123" and
    "INV-2026000123" are the same customer intent."""
    return "".join(reference.split()).casefold()


def _check(receipt: Receipt, items: Sequence[OpenItem]) -> None:
    """The receipt is sound and every item is the party's, in the receipt's currency."""
    if not isinstance(receipt.party, str) or not receipt.party:
        raise InvalidReceipt("receipt.party: required", field="receipt.party")
    if receipt.currency not in ISO_CURRENCY_SCALES:
        raise InvalidReceipt(
            f"receipt.currency: {receipt.currency!r} is not an ISO 4217 currency",
            field="receipt.currency",
        )
    amount = receipt.amount_minor
    if not isinstance(amount, int) or isinstance(amount, bool) or amount <= 0:
        raise InvalidReceipt(
            f"receipt.amount_minor: must be a positive integer, got {amount!r}",
            field="receipt.amount_minor",
        )
    if not isinstance(receipt.reference, str) or len(receipt.reference) > 128:
        raise InvalidReceipt(
            "receipt.reference: a string of at most 128 characters", field="receipt.reference"
        )
    check_open_items(items)
    for index, item in enumerate(items):
        if item.party != receipt.party:
            raise OpenItemOfAnotherParty(
                f"open_items[{index}].party: {item.invoice_id} belongs to {item.party},"
                f" the receipt to {receipt.party}",
                field=f"open_items[{index}].party",
            )
        if item.currency != receipt.currency:
            raise CrossCurrencyAllocation(
                f"open_items[{index}].currency: the receipt is in {receipt.currency},"
                f" invoice {item.invoice_id} in {item.currency}; exchange rates are not"
                " supported yet",
                field=f"open_items[{index}].currency",
            )
