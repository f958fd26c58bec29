"""Payment policy: when two approvers are needed, and the default ledger accounts.

Amounts are decimal strings per asset (as configured; see
``backoffice.payment_settings``), turned into minor units against the
asset's scale when used. An asset without a configured threshold always
needs two approvers: a missing setting must not weaken the control.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from domain.kernel.money import AssetCatalog, check_asset_code, parse_amount
from domain.ledger.accounts import check_account_code

DUAL_APPROVAL_ABOVE_DEFAULT: dict[str, str] = {
    "USD": "10000.00",
    "EUR": "10000.00",
    "GBP": "10000.00",
    "CHF": "10000.00",
    "JPY": "1500000",
}


@dataclass(frozen=True)
class PaymentPolicy:
    """``dual_approval_above``: asset -> amount (decimal string) above which a
    payment needs two distinct approvers; default accounts for the postings."""

    dual_approval_above: dict[str, str] = field(
        default_factory=lambda: dict(DUAL_APPROVAL_ABOVE_DEFAULT)
    )
    clearing_account: str = "Assets:Payments:InFlight"
    receivables_account: str = "Assets:Receivables"
    bank_account: str = "Assets:Bank"
    cash_account: str = "Assets:Cash"

    def checked(self, catalog: AssetCatalog) -> PaymentPolicy:
        """Refuse a policy with malformed codes or amounts (at start, not at first use)."""
        for asset, amount in self.dual_approval_above.items():
            check_asset_code(asset, field=f"dual_approval_above.{asset}")
            parse_amount(
                amount,
                catalog.scale_of(asset, field=f"dual_approval_above.{asset}"),
                field=f"dual_approval_above.{asset}",
                allow_zero=True,
            )
        for name in ("clearing_account", "receivables_account", "bank_account", "cash_account"):
            check_account_code(getattr(self, name), name)
        return self

    def approvals_required(self, amount_minor: int, asset: str, catalog: AssetCatalog) -> int:
        threshold = self.dual_approval_above.get(asset)
        if threshold is None:
            return 2
        limit_minor = parse_amount(
            threshold,
            catalog.scale_of(asset),
            field=f"dual_approval_above.{asset}",
            allow_zero=True,
        )
        return 2 if amount_minor > limit_minor else 1
