"""Payment policy settings: ``BACKOFFICE_PAYMENT_POLICY`` names a JSON file.

``adapters.settings`` reads the variable; ``load_payment_policy`` takes the path.

The file (every key optional; defaults in ``domain.payments.policy``)::

    {
      "dual_approval_above": {"USD": "10000.00", "EUR": "10000.00", "JPY": "1500000"},
      "clearing_account": "Assets:Payments:InFlight",
      "receivables_account": "Assets:Receivables",
      "bank_account": "Assets:Bank",
      "cash_account": "Assets:Cash"
    }

Amounts are decimal strings in the asset's own units. An asset without a
threshold always needs two approvers. A malformed file refuses to start.
"""

from __future__ import annotations

from pathlib import Path

import orjson

from adapters.database import SettingsError
from domain.kernel.errors import DomainError
from domain.kernel.money import AssetCatalog
from domain.payments.policy import PaymentPolicy

POLICY_ENV = "BACKOFFICE_PAYMENT_POLICY"
_KEYS = {
    "dual_approval_above",
    "clearing_account",
    "receivables_account",
    "bank_account",
    "cash_account",
}


def load_payment_policy(
    path: Path | str | None, catalog: AssetCatalog | None = None
) -> PaymentPolicy:
    """The policy in the file at ``path`` (``Settings.payment_policy``); None: the defaults."""
    if not path:
        return PaymentPolicy()
    try:
        raw = orjson.loads(Path(path).read_bytes())
    except (OSError, orjson.JSONDecodeError) as error:
        raise SettingsError(f"{POLICY_ENV}: cannot read {path}: {error}") from None
    if not isinstance(raw, dict) or set(raw) - _KEYS:
        raise SettingsError(f"{POLICY_ENV}: {path}: an object with keys among {sorted(_KEYS)}")
    thresholds = raw.pop("dual_approval_above", None)
    if thresholds is not None and not (
        isinstance(thresholds, dict) and all(isinstance(v, str) for v in thresholds.values())
    ):
        raise SettingsError(f"{POLICY_ENV}: dual_approval_above: asset -> decimal string")
    defaults = PaymentPolicy()
    policy = PaymentPolicy(
        dual_approval_above=defaults.dual_approval_above if thresholds is None else thresholds,
        **{key: str(value) for key, value in raw.items()},
    )
    try:
        return policy.checked(catalog or AssetCatalog())
    except DomainError as error:
        raise SettingsError(f"{POLICY_ENV}: {path}: {error.message}") from None
