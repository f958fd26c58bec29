"""Refusals of the ledger: assets, accounts, funds, periods, entries."""

from __future__ import annotations

from domain.kernel.errors import DomainError, InvalidInput


class AssetAlreadyRegistered(DomainError):
    code = "asset_already_registered"


class UnbalancedEntry(InvalidInput):
    code = "unbalanced_entry"


class EntryMovesNothing(InvalidInput):
    """Every account and asset of the entry nets to zero: it would record a movement
    that moves nothing (a debit and a credit of the same account and asset)."""

    code = "entry_moves_nothing"


class UnknownAccount(DomainError):
    code = "unknown_account"


class AccountAlreadyExists(DomainError):
    code = "account_already_exists"


class AccountClosed(DomainError):
    code = "account_closed"


class AssetNotAllowed(DomainError):
    code = "asset_not_allowed"


class InsufficientFunds(DomainError):
    code = "insufficient_funds"


class AccountNotEmpty(DomainError):
    code = "account_not_empty"


class PeriodClosed(DomainError):
    code = "period_closed"


class PeriodAlreadyClosed(DomainError):
    code = "period_already_closed"


class PeriodNotClosed(DomainError):
    code = "period_not_closed"


class UnknownEntry(DomainError):
    code = "unknown_entry"


class EntryNotPending(DomainError):
    code = "entry_not_pending"


class EntryNotReversible(DomainError):
    code = "entry_not_reversible"


class EntryAlreadyReversed(DomainError):
    code = "entry_already_reversed"


class EntryManagedElsewhere(DomainError):
    """The entry belongs to a business process (a payment, a receipt, a settlement)
    that posts, voids and reverses it; the generic journal commands refuse it."""

    code = "entry_managed_elsewhere"


class PeriodsOutOfOrder(DomainError):
    """Months close in order and reopen in reverse order (``domain.ledger.closing``)."""

    code = "periods_out_of_order"


class YearAlreadyClosed(DomainError):
    code = "year_already_closed"


class NothingToClose(DomainError):
    code = "nothing_to_close"
