"""Accounts: their definition, and for guarded accounts, their funds.

Most accounts carry only their definition (opened, closed). Accounts flagged
``no_overdraft`` also record every posting that touches them, so that the
aggregate's version serialises concurrent writers through optimistic
concurrency: two processes cannot both spend the last 3 units, on any
backend, because only one of them can append the next version.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate

from domain.kernel import limits
from domain.kernel.errors import InvalidInput
from domain.kernel.topics import pin_topics
from domain.ledger.errors import InsufficientFunds

ACCOUNT_TYPES = ("asset", "liability", "equity", "income", "expense")
DEBIT_NORMAL_TYPES = frozenset({"asset", "expense"})
ACCOUNT_FLAGS = frozenset({"no_overdraft"})
_ACCOUNT_CODE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9:_.\-]*\Z")
_ID_NAMESPACE = uuid5(NAMESPACE_URL, "urn:backoffice:account")


def account_id(code: str) -> UUID:
    """Accounts are keyed by code: opening the same code twice collides in the store."""
    return uuid5(_ID_NAMESPACE, code)


def check_account_code(code: object, field: str = "account") -> str:
    text = limits.bounded_text(code, field, limits.ACCOUNT_CODE_LENGTH_MAX)
    if not _ACCOUNT_CODE.match(text):
        raise InvalidInput(
            f"{field}: account codes use letters, digits, ':', '_', '.', '-' "
            f"(e.g. 'Assets:Bank:Checking' or '1000'); got {text!r}",
            field=field,
        )
    return text


@dataclass(frozen=True, slots=True)
class Funds:
    """Counters of one account in one asset, in minor units (TigerBeetle's shape)."""

    debits_posted: int = 0
    credits_posted: int = 0
    debits_pending: int = 0
    credits_pending: int = 0

    def plus(self, delta: Funds) -> Funds:
        return Funds(
            self.debits_posted + delta.debits_posted,
            self.credits_posted + delta.credits_posted,
            self.debits_pending + delta.debits_pending,
            self.credits_pending + delta.credits_pending,
        )

    def overdrawn(self, debit_normal: bool) -> bool:
        """True when outflows (posted plus reserved) exceed posted inflows."""
        if debit_normal:
            return self.credits_posted + self.credits_pending > self.debits_posted
        return self.debits_posted + self.debits_pending > self.credits_posted

    def available(self, debit_normal: bool) -> int:
        if debit_normal:
            return self.debits_posted - self.credits_posted - self.credits_pending
        return self.credits_posted - self.debits_posted - self.debits_pending


class Account(Aggregate):
    """A ledger account: code, name, type, allowed assets, flags; guarded funds."""

    class AccountOpened(Aggregate.Created):
        """``code``, ``name``, ``account_type``, ``assets`` it may hold, ``flags``."""

        code: str
        name: str
        account_type: str
        assets: list[str]
        flags: list[str]
        actor: str
        correlation_id: str

    class AccountClosed(Aggregate.Event):
        reason: str
        actor: str
        correlation_id: str

        def apply(self, aggregate: Any) -> None:
            aggregate.closed = True

    class PostingRecorded(Aggregate.Event):
        """A posting of entry ``entry_id`` moved this guarded account's counters."""

        entry_id: str
        asset: str
        debits_posted: int
        credits_posted: int
        debits_pending: int
        credits_pending: int
        actor: str
        correlation_id: str

        def apply(self, aggregate: Any) -> None:
            current = aggregate.funds.get(self.asset, Funds())
            aggregate.funds[self.asset] = current.plus(
                Funds(
                    self.debits_posted,
                    self.credits_posted,
                    self.debits_pending,
                    self.credits_pending,
                )
            )

    def __init__(  # the AccountOpened event's fields; only assigns
        self,
        code: str,
        name: str,
        account_type: str,
        assets: list[str],
        flags: list[str],
        actor: str,
        correlation_id: str,
    ) -> None:
        self.code = code
        self.name = name
        self.account_type = account_type
        self.assets = list(assets)
        self.flags = list(flags)
        self.closed = False
        self.funds: dict[str, Funds] = {}

    @classmethod
    def opened(
        cls,
        *,
        id: UUID,
        code: str,
        name: str,
        account_type: str,
        assets: list[str],
        flags: list[str],
        actor: str,
        correlation_id: str,
    ) -> Account:
        """A newly opened account."""
        return cls._create(
            cls.AccountOpened,
            id=id,
            code=code,
            name=name,
            account_type=account_type,
            assets=assets,
            flags=flags,
            actor=actor,
            correlation_id=correlation_id,
        )

    @property
    def debit_normal(self) -> bool:
        return self.account_type in DEBIT_NORMAL_TYPES

    @property
    def guarded(self) -> bool:
        return "no_overdraft" in self.flags

    def check_posting(self, asset: str, delta: Funds) -> None:
        """Refuse a change to a guarded account that would overdraw it."""
        assert self.guarded
        before = self.funds.get(asset, Funds())
        releases_only = (
            delta.debits_posted == delta.credits_posted == 0
            and delta.debits_pending <= 0
            and delta.credits_pending <= 0
        )
        if before.plus(delta).overdrawn(self.debit_normal) and not releases_only:
            raise InsufficientFunds(
                f"account {self.code} is flagged no_overdraft: {asset} available is "
                f"{before.available(self.debit_normal)} minor units, this entry needs more",
                field="postings",
            )

    def record_posting(
        self, entry_id: str, asset: str, delta: Funds, actor: str, correlation_id: str
    ) -> None:
        """Record a checked change to a guarded account's counters."""
        assert self.guarded
        self.trigger_event(
            self.PostingRecorded,
            entry_id=entry_id,
            asset=asset,
            debits_posted=delta.debits_posted,
            credits_posted=delta.credits_posted,
            debits_pending=delta.debits_pending,
            credits_pending=delta.credits_pending,
            actor=actor,
            correlation_id=correlation_id,
        )

# The log knows these events under their first module name (see domain.kernel.topics).
pin_topics("domain.accounts", Account)
