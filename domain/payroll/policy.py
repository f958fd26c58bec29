"""Payroll policy: the accounts a run posts to, and when a run needs two approvers.

Why a value with defaults: every company names its chart differently, but a
run must always post the same shape of entry (``domain.payroll.entry``). The
accounts are checked against the chart when a run is paid (``usable_account``:
open, holding the run's asset), not at start, so a chart opened later still
works. The approval rule is the payments area's (``PaymentPolicy``): an
asset without a configured threshold always needs two approvers, so a missing
setting never weakens the control.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from domain.kernel.money import AssetCatalog
from domain.ledger.accounts import check_account_code
from domain.payments.policy import PaymentPolicy

RUN_DUAL_APPROVAL_ABOVE_DEFAULT: dict[str, str] = {
    "USD": "250000.00",
    "IDR": "2500000000.00",
}
LIABILITY_PREFIX_DEFAULT = "Liabilities:Payroll"


@dataclass(frozen=True)
class PayrollPolicy:
    """Accounts of a run's entry and the run approval thresholds.

    ``dual_approval_above``: asset -> total net pay (decimal string) above which
    a run needs two distinct approvers. ``liability_accounts`` overrides the
    account of a line code; any other code posts to
    ``<liability_prefix>:<code>`` (``Liabilities:Payroll:social_security``).
    """

    dual_approval_above: dict[str, str] = field(
        default_factory=lambda: dict(RUN_DUAL_APPROVAL_ABOVE_DEFAULT)
    )
    salary_expense_account: str = "Expenses:Payroll:Salaries"
    employer_tax_expense_account: str = "Expenses:Payroll:EmployerTaxes"
    net_pay_payable_account: str = "Liabilities:Payroll:NetPay"
    paying_account: str = "Assets:Bank"
    liability_prefix: str = LIABILITY_PREFIX_DEFAULT
    liability_accounts: dict[str, str] = field(default_factory=dict)

    def checked(self, catalog: AssetCatalog) -> PayrollPolicy:
        """Refuse malformed codes or amounts (at start, not at first use)."""
        self._approvals().checked(catalog)
        for name in ("salary_expense_account", "employer_tax_expense_account",
                     "net_pay_payable_account", "paying_account", "liability_prefix"):
            check_account_code(getattr(self, name), name)
        for code, account in self.liability_accounts.items():
            check_account_code(account, f"liability_accounts.{code}")
        return self

    def liability_account(self, line_code: str) -> str:
        """The liability account of a tax, contribution or deduction line code."""
        return self.liability_accounts.get(line_code, f"{self.liability_prefix}:{line_code}")

    def approvals_required(self, net_total_minor: int, asset: str, catalog: AssetCatalog) -> int:
        """1, or 2 above the asset's threshold (or without one): the payments rule."""
        return self._approvals().approvals_required(net_total_minor, asset, catalog)

    def _approvals(self) -> PaymentPolicy:
        return PaymentPolicy(dual_approval_above=dict(self.dual_approval_above))
