"""The state of the balances fold and the rows it hands to storage.

Plain data: ``projections.ledger.balances`` folds events into a ``BalanceState``,
storage adapters write a batch's ``Changes`` and can rebuild the state from
their tables (``BalanceStore.load_state``).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

from domain.ledger.accounts import DEBIT_NORMAL_TYPES
from projections.tracking.base import Finding  # re-exported: the ledger's findings are these

FINDINGS_MAX = 1_000
"""Findings kept in memory; past this only the count grows (a broken log can be huge)."""


@dataclass(slots=True)
class AccountInfo:
    """An opened account: what the fold needs to net and check its balances."""

    code: str
    account_id: str
    name: str
    account_type: str
    assets: list[str]
    flags: list[str]
    opened_position: int
    closed_position: int | None = None

    @property
    def debit_normal(self) -> bool:
        return self.account_type in DEBIT_NORMAL_TYPES

    @property
    def guarded(self) -> bool:
        return "no_overdraft" in self.flags


@dataclass(slots=True)
class PendingEntry:
    """A two-phase entry waiting to be posted or voided."""

    postings: list[list[Any]]
    effective_date: str
    position: int


@dataclass(slots=True)
class Changes:
    """Rows produced by the events after ``from_position`` up to ``to_position``.

    ``history`` rows: (balance_id, position, effective_date, 4 deltas, 4 totals).
    ``daily``: (balance_id, effective_date) -> 4 summed deltas.
    ``balances``: (account, asset) -> position of its last change in the batch;
    ``balance_rows``: (balance_id, account, asset, 4 counters, that position), made on take.
    ``entries``: rows of the entries table as recorded (see projections.ledger.schema).
    ``entry_resolutions``: (entry_id, status, position).
    ``entry_reversals``: (entry_id, reversed_by, position).
    ``accounts``: new AccountInfo; ``account_closes``: (code, position).
    ``periods``: period -> (period_id, closed, position); ``assets``: (code, scale, position).
    """

    from_position: int = 0
    to_position: int = 0
    history: list[tuple[Any, ...]] = field(default_factory=list)
    daily: dict[tuple[int, str], list[int]] = field(default_factory=dict)
    balances: dict[tuple[str, str], int] = field(default_factory=dict)
    balance_rows: list[tuple[Any, ...]] = field(default_factory=list)
    entries: list[tuple[Any, ...]] = field(default_factory=list)
    entry_resolutions: list[tuple[str, str, int]] = field(default_factory=list)
    entry_reversals: list[tuple[str, str, int]] = field(default_factory=list)
    accounts: list[AccountInfo] = field(default_factory=list)
    account_closes: list[tuple[str, int]] = field(default_factory=list)
    periods: dict[str, tuple[str, bool, int]] = field(default_factory=dict)
    assets: list[tuple[str, int, int]] = field(default_factory=list)


@dataclass(slots=True)
class BalanceState:
    """Everything the fold remembers between events; reloadable from the tables.

    ``counters``: (account, asset) -> [debits_posted, credits_posted,
    debits_pending, credits_pending]. ``balance_ids``: (account, asset) -> a
    dense number given in order of first posting (the same in every replay),
    which keys the history and daily rows. ``resolved``: pending entries already
    posted or voided (entry id -> status), to catch a second resolution.
    ``watched_accounts``: guarded or closed accounts, checked on every posting.
    ``account_codes`` and ``period_names`` map aggregate ids to codes, because
    closing events carry only the aggregate's id. ``track_daily`` False
    leaves ``changes.daily`` empty, for a bulk load that sums the history
    rows per day in SQL at the end instead.
    """

    position: int = 0
    accounts: dict[str, AccountInfo] = field(default_factory=dict)
    account_codes: dict[str, str] = field(default_factory=dict)
    period_names: dict[str, str] = field(default_factory=dict)
    counters: dict[tuple[str, str], list[int]] = field(default_factory=dict)
    balance_ids: dict[tuple[str, str], int] = field(default_factory=dict)
    pending: dict[str, PendingEntry] = field(default_factory=dict)
    resolved: dict[str, str] = field(default_factory=dict)
    reversed_entries: set[str] = field(default_factory=set)
    closed_periods: set[str] = field(default_factory=set)
    watched_accounts: set[str] = field(default_factory=set)
    asset_scales: dict[str, int] = field(default_factory=dict)
    track_daily: bool = True
    findings: list[Finding] = field(default_factory=list)
    findings_count: int = 0
    changes: Changes = field(default_factory=Changes)

    def __post_init__(self) -> None:
        self.changes.from_position = self.position

    def take_changes(self) -> Changes:
        """The rows since the last take, frozen: the storage may write them in
        another thread while the fold goes on."""
        taken, self.changes = self.changes, Changes(from_position=self.position)
        taken.to_position = self.position
        counters, ids = self.counters, self.balance_ids
        taken.balance_rows = [
            (ids[key], *key, *counters[key], position)
            for key, position in sorted(taken.balances.items())
        ]
        taken.accounts = [replace(info) for info in taken.accounts]
        return taken

    def add_account(self, info: AccountInfo) -> None:
        self.accounts[info.code] = info
        self.account_codes[info.account_id] = info.code
        if info.guarded or info.closed_position is not None:
            self.watched_accounts.add(info.code)

    def find(self, invariant: str, position: int | None, detail: str) -> None:
        self.findings_count += 1
        if len(self.findings) < FINDINGS_MAX:
            self.findings.append(Finding(invariant, position, detail))
