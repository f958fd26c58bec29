"""Open items: what a party still owes (or is owed) on one invoice.

Allocation and aging both read them; the receivables projection builds them
as of a date. ``open_amount_minor`` is positive: a settled item is not open.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from domain.billing.errors import InvalidOpenItem
from domain.kernel.money import ISO_CURRENCY_SCALES

OPEN_ITEMS_MAX = 10_000
"""Open items one allocation or aging run takes: a party with more is paged."""


@dataclass(frozen=True, slots=True)
class OpenItem:
    """``open_amount_minor`` of ``currency`` still open on ``invoice_id`` of ``party``."""

    invoice_id: str
    party: str
    currency: str
    due_date: date
    issue_date: date
    reference: str
    open_amount_minor: int


def check_open_items(items: Sequence[OpenItem], *, field: str = "open_items") -> None:
    """Refuse malformed items, duplicates and more than ``OPEN_ITEMS_MAX``."""
    if len(items) > OPEN_ITEMS_MAX:
        raise InvalidOpenItem(
            f"{field}: at most {OPEN_ITEMS_MAX} open items, got {len(items)}", field=field
        )
    seen: set[str] = set()
    for index, item in enumerate(items):
        prefix = f"{field}[{index}]"
        if not isinstance(item, OpenItem):
            raise InvalidOpenItem(f"{prefix}: expected an open item", field=prefix)
        if not isinstance(item.invoice_id, str) or not item.invoice_id:
            raise InvalidOpenItem(f"{prefix}.invoice_id: required", field=f"{prefix}.invoice_id")
        if item.invoice_id in seen:
            raise InvalidOpenItem(
                f"{prefix}.invoice_id: {item.invoice_id!r} is listed twice",
                field=f"{prefix}.invoice_id",
            )
        seen.add(item.invoice_id)
        if item.currency not in ISO_CURRENCY_SCALES:
            raise InvalidOpenItem(
                f"{prefix}.currency: {item.currency!r} is not an ISO 4217 currency",
                field=f"{prefix}.currency",
            )
        amount = item.open_amount_minor
        if not isinstance(amount, int) or isinstance(amount, bool) or amount <= 0:
            raise InvalidOpenItem(
                f"{prefix}.open_amount_minor: an open item has a positive open amount,"
                f" got {amount!r}",
                field=f"{prefix}.open_amount_minor",
            )
        if item.due_date < item.issue_date:
            raise InvalidOpenItem(
                f"{prefix}.due_date: {item.due_date.isoformat()} is before the issue date"
                f" {item.issue_date.isoformat()}",
                field=f"{prefix}.due_date",
            )
