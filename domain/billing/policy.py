"""Billing policy: the control accounts, the number series and four eyes on bills.

Amounts are decimal strings per currency, turned into minor units against the
currency's scale when used. A currency without a configured threshold always
needs two approvers on a bill: a missing setting must not weaken the control
(as ``domain.payments.policy``).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from domain.billing.numbering import SERIES_PATTERN
from domain.kernel.money import ISO_CURRENCY_SCALES, parse_amount
from domain.ledger.accounts import check_account_code

BILL_DUAL_APPROVAL_ABOVE_DEFAULT: dict[str, str] = {
    "USD": "5000.00",
    "EUR": "5000.00",
    "GBP": "5000.00",
    "IDR": "75000000.00",
}


@dataclass(frozen=True)
class BillingPolicy:
    """Accounts the billing entries use, the series invoices and credit notes
    are numbered in, and the bill amount (per currency) above which a second
    approver is needed."""

    receivables_account: str = "Assets:Receivables"
    payables_account: str = "Liabilities:Payables"
    bad_debt_account: str = "Expenses:BadDebts"
    grni_account: str = "Liabilities:GoodsReceivedNotInvoiced"
    invoice_series: str = "INV"
    credit_note_series: str = "CN"
    bill_dual_approval_above: dict[str, str] = field(
        default_factory=lambda: dict(BILL_DUAL_APPROVAL_ABOVE_DEFAULT)
    )

    def checked(self) -> BillingPolicy:
        """Refuse malformed codes, series and amounts at start, not at first use."""
        for name in ("receivables_account", "payables_account", "bad_debt_account", "grni_account"):
            check_account_code(getattr(self, name), name)
        for name in ("invoice_series", "credit_note_series"):
            assert SERIES_PATTERN.match(getattr(self, name)), f"{name}: 2-8 capital letters"
        assert self.invoice_series != self.credit_note_series, "series must differ"
        for currency in self.bill_dual_approval_above:
            self.threshold_minor(currency)
        return self

    def threshold_minor(self, currency: str) -> int | None:
        text = self.bill_dual_approval_above.get(currency)
        if text is None:
            return None
        field_name = f"bill_dual_approval_above.{currency}"
        return parse_amount(text, ISO_CURRENCY_SCALES[currency], field=field_name, allow_zero=True)

    def bill_approvals_required(self, gross_minor: int, currency: str) -> int:
        threshold = self.threshold_minor(currency)
        return 2 if threshold is None or gross_minor > threshold else 1
