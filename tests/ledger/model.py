"""An in-memory model of the ledger rules, written from DESIGN.md, not from domain/.

It knows nothing of events, aggregates or storage: accounts are dicts,
entries are tuples, money is ints. For every command it says what the back
office must answer (accepted, replayed, or the refusal's code) and how many
events an accepted command writes. The state machine test runs the real
application and this model side by side.

Also here: ``LogFold``, an independent fold of the stored log (plain JSON
events) into posted and pending counters per account and asset, so that the
balances the log implies can be compared with the model's.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

ISO_SCALES = {"USD": 2, "EUR": 2, "JPY": 0}
DEBIT_NORMAL = {"asset", "expense"}

ACCEPTED = "accepted"
REPLAYED = "replayed"

Posting = tuple[str, str, int, str]  # account, "debit" | "credit", amount_minor > 0, asset


@dataclass(frozen=True)
class AccountSpec:
    code: str
    account_type: str
    assets: tuple[str, ...]
    no_overdraft: bool


@dataclass(frozen=True)
class EntryBody:
    """What the idempotency promise is about."""

    effective_date: str
    postings: tuple[Posting, ...]
    pending: bool


@dataclass
class ModelEntry:
    handle: str
    body: EntryBody
    status: str  # posted | pending | voided
    reversed: bool = False

    @property
    def postings(self) -> tuple[Posting, ...]:
        return self.body.postings


@dataclass(frozen=True)
class Expected:
    """The answer the model expects: ``outcome`` is ACCEPTED, REPLAYED or a
    refusal code; ``events`` is how many events the command writes; ``handle``
    names the entry an accepted or replayed posting command refers to."""

    outcome: str
    events: int = 0
    handle: str | None = None


def refused(code: str) -> Expected:
    return Expected(code)


@dataclass
class Counters:
    debits_posted: int = 0
    credits_posted: int = 0
    debits_pending: int = 0
    credits_pending: int = 0

    def as_tuple(self) -> tuple[int, int, int, int]:
        return (self.debits_posted, self.credits_posted, self.debits_pending, self.credits_pending)


def available(counters: Counters, debit_normal: bool) -> int:
    """What a no-overdraft account may still pay out: posted inflows less
    posted and reserved outflows (pending inflows do not count)."""
    if debit_normal:
        return counters.debits_posted - counters.credits_posted - counters.credits_pending
    return counters.credits_posted - counters.debits_posted - counters.debits_pending


@dataclass
class LedgerModel:
    scales: dict[str, int] = field(default_factory=lambda: dict(ISO_SCALES))
    registered: set[str] = field(default_factory=set)
    accounts: dict[str, AccountSpec] = field(default_factory=dict)
    closed_accounts: set[str] = field(default_factory=set)
    entries: dict[str, ModelEntry] = field(default_factory=dict)
    closed_periods: set[str] = field(default_factory=set)
    known_periods: set[str] = field(default_factory=set)
    counters: dict[tuple[str, str], Counters] = field(default_factory=lambda: defaultdict(Counters))

    # --- assets and accounts -------------------------------------------------

    def register_asset(self, code: str, scale: int) -> Expected:
        if code in ISO_SCALES or code in self.registered:
            return refused("asset_already_registered")
        self.registered.add(code)
        self.scales[code] = scale
        return Expected(ACCEPTED, events=1)

    def open_account(self, spec: AccountSpec) -> Expected:
        if any(asset not in self.scales for asset in spec.assets):
            return refused("unknown_asset")
        if spec.code in self.accounts:
            return refused("account_already_exists")
        self.accounts[spec.code] = spec
        return Expected(ACCEPTED, events=1)

    def is_empty(self, code: str) -> bool:
        return all(
            counters.debits_posted == counters.credits_posted
            and counters.debits_pending == 0
            and counters.credits_pending == 0
            for (account, _asset), counters in self.counters.items()
            if account == code
        )

    def close_account(self, code: str) -> Expected:
        if code not in self.accounts:
            return refused("unknown_account")
        if code in self.closed_accounts:
            return refused("account_closed")
        if not self.is_empty(code):
            return refused("account_not_empty")
        self.closed_accounts.add(code)
        return Expected(ACCEPTED, events=1)

    # --- periods -------------------------------------------------------------

    def close_period(self, period: str) -> Expected:
        if period in self.closed_periods:
            return refused("period_already_closed")
        months_with_entries = {entry.body.effective_date[:7] for entry in self.entries.values()}
        if any(month < period and month not in self.closed_periods for month in months_with_entries):
            return refused("periods_out_of_order")
        first_close = period not in self.known_periods
        self.known_periods.add(period)
        self.closed_periods.add(period)
        return Expected(ACCEPTED, events=2 if first_close else 1)

    def reopen_period(self, period: str) -> Expected:
        if period not in self.closed_periods:
            return refused("period_not_closed")
        if any(other > period for other in self.closed_periods):
            return refused("periods_out_of_order")
        self.closed_periods.discard(period)
        return Expected(ACCEPTED, events=1)

    # --- entries -------------------------------------------------------------

    def post(self, key: str, body: EntryBody) -> Expected:
        """Post (or reserve, if ``body.pending``) an entry under idempotency key ``key``."""
        earlier = self.entries.get(key)
        if earlier is not None:
            if earlier.body == body:
                return Expected(REPLAYED, handle=key)
            return refused("idempotency_key_reused")
        refusal = (
            self._shape_refusal(body.postings)
            or self._period_refusal(body.effective_date)
            or self._account_refusal(body.postings, check_assets=True)
        )
        if refusal:
            return refused(refusal)
        moves = self._moves(body.postings, "reserve" if body.pending else "post")
        if self._overdraws(moves):
            return refused("insufficient_funds")
        self._apply(moves)
        self.entries[key] = ModelEntry(key, body, "pending" if body.pending else "posted")
        return Expected(ACCEPTED, events=1 + self._guarded_pairs(body.postings), handle=key)

    def post_pending(self, handle: str) -> Expected:
        entry = self.entries[handle]
        if entry.status != "pending":
            return refused("entry_not_pending")
        if entry.body.effective_date[:7] in self.closed_periods:
            return refused("period_closed")
        self._apply(self._moves(entry.postings, "capture"))
        entry.status = "posted"
        return Expected(ACCEPTED, events=1 + self._guarded_pairs(entry.postings), handle=handle)

    def void_pending(self, handle: str) -> Expected:
        entry = self.entries[handle]
        if entry.status != "pending":
            return refused("entry_not_pending")
        self._apply(self._moves(entry.postings, "release"))
        entry.status = "voided"
        return Expected(ACCEPTED, events=1 + self._guarded_pairs(entry.postings), handle=handle)

    def reverse(self, handle: str) -> Expected:
        original = self.entries[handle]
        if original.reversed:
            return refused("entry_already_reversed")
        if original.status != "posted":
            return refused("entry_not_reversible")
        if original.body.effective_date[:7] in self.closed_periods:
            return refused("period_closed")
        postings = tuple(
            (account, "credit" if direction == "debit" else "debit", amount, asset)
            for account, direction, amount, asset in original.postings
        )
        refusal = self._account_refusal(postings, check_assets=False)
        if refusal:
            return refused(refusal)
        moves = self._moves(postings, "post")
        if self._overdraws(moves):
            return refused("insufficient_funds")
        self._apply(moves)
        original.reversed = True
        reversal = f"reversal-of:{handle}"
        self.entries[reversal] = ModelEntry(
            reversal, EntryBody(original.body.effective_date, postings, False), "posted"
        )
        return Expected(ACCEPTED, events=2 + self._guarded_pairs(postings), handle=reversal)

    # --- the rules -----------------------------------------------------------

    def _shape_refusal(self, postings: tuple[Posting, ...]) -> str | None:
        if len(postings) < 2:
            return "unbalanced_entry"
        for _account, _direction, _amount, asset in postings:
            if asset not in self.scales:
                return "unknown_asset"
        net: dict[str, int] = defaultdict(int)
        for _account, direction, amount, asset in postings:
            net[asset] += amount if direction == "debit" else -amount
        if any(net.values()):
            return "unbalanced_entry"
        per_account: dict[tuple[str, str], int] = defaultdict(int)
        for account, direction, amount, asset in postings:
            per_account[(account, asset)] += amount if direction == "debit" else -amount
        if not any(per_account.values()):
            return "entry_moves_nothing"
        return None

    def _period_refusal(self, effective_date: str) -> str | None:
        return "period_closed" if effective_date[:7] in self.closed_periods else None

    def _account_refusal(self, postings: tuple[Posting, ...], *, check_assets: bool) -> str | None:
        for account, _direction, _amount, asset in postings:
            if account not in self.accounts:
                return "unknown_account"
            if account in self.closed_accounts:
                return "account_closed"
            if check_assets and asset not in self.accounts[account].assets:
                return "asset_not_allowed"
        return None

    def _moves(self, postings: tuple[Posting, ...], how: str) -> list[tuple[str, str, Counters]]:
        """Counter changes per posting: post, reserve, capture (pending to posted), release."""
        moves = []
        for account, direction, amount, asset in postings:
            debit = direction == "debit"
            posted = Counters(amount if debit else 0, 0 if debit else amount)
            pending = Counters(0, 0, amount if debit else 0, 0 if debit else amount)
            if how == "post":
                change = posted
            elif how == "reserve":
                change = pending
            elif how == "capture":
                change = Counters(posted.debits_posted, posted.credits_posted,
                                  -pending.debits_pending, -pending.credits_pending)
            else:
                change = Counters(0, 0, -pending.debits_pending, -pending.credits_pending)
            moves.append((account, asset, change))
        return moves

    def _overdraws(self, moves: list[tuple[str, str, Counters]]) -> bool:
        after: dict[tuple[str, str], Counters] = {}
        for account, asset, change in moves:
            if not self.accounts[account].no_overdraft:
                continue
            current = after.get((account, asset)) or Counters(*self.counters[(account, asset)].as_tuple())
            after[(account, asset)] = Counters(
                *(a + b for a, b in zip(current.as_tuple(), change.as_tuple(), strict=True))
            )
        return any(
            available(counters, self.accounts[account].account_type in DEBIT_NORMAL) < 0
            for (account, _asset), counters in after.items()
        )

    def _apply(self, moves: list[tuple[str, str, Counters]]) -> None:
        for account, asset, change in moves:
            current = self.counters[(account, asset)]
            current.debits_posted += change.debits_posted
            current.credits_posted += change.credits_posted
            current.debits_pending += change.debits_pending
            current.credits_pending += change.credits_pending

    def _guarded_pairs(self, postings: tuple[Posting, ...]) -> int:
        """Each no-overdraft account records one change per asset an entry touches."""
        return len({(account, asset) for account, _d, _a, asset in postings
                    if self.accounts[account].no_overdraft})

    # --- views ---------------------------------------------------------------

    def nonzero_counters(self) -> dict[tuple[str, str], tuple[int, int, int, int]]:
        return {key: c.as_tuple() for key, c in self.counters.items() if any(c.as_tuple())}

    def guarded_accounts(self) -> list[AccountSpec]:
        return [spec for spec in self.accounts.values() if spec.no_overdraft]


@dataclass
class LogFold:
    """Counters per (account, asset) folded from stored events, as plain JSON."""

    postings: dict[str, list[list[Any]]] = field(default_factory=dict)
    counters: dict[tuple[str, str], Counters] = field(default_factory=lambda: defaultdict(Counters))

    def apply(self, name: str, originator_id: str, state: dict[str, Any]) -> None:
        if name == "JournalEntryPosted":
            self.postings[originator_id] = state["postings"]
            self._move(state["postings"], posted=1, pending=0)
        elif name == "PendingEntryRecorded":
            self.postings[originator_id] = state["postings"]
            self._move(state["postings"], posted=0, pending=1)
        elif name == "PendingEntryPosted":
            self._move(self.postings[originator_id], posted=1, pending=-1)
        elif name == "PendingEntryVoided":
            self._move(self.postings[originator_id], posted=0, pending=-1)

    def _move(self, rows: list[list[Any]], *, posted: int, pending: int) -> None:
        for account, direction, amount, asset in rows:
            counters = self.counters[(account, asset)]
            if direction == "debit":
                counters.debits_posted += posted * amount
                counters.debits_pending += pending * amount
            else:
                counters.credits_posted += posted * amount
                counters.credits_pending += pending * amount

    def nonzero_counters(self) -> dict[tuple[str, str], tuple[int, int, int, int]]:
        return {key: c.as_tuple() for key, c in self.counters.items() if any(c.as_tuple())}

    def unbalanced_assets(self) -> dict[str, tuple[int, int]]:
        """Assets whose posted (or pending) debits and credits differ, with the differences."""
        totals: dict[str, list[int]] = defaultdict(lambda: [0, 0])
        for (_account, asset), c in self.counters.items():
            totals[asset][0] += c.debits_posted - c.credits_posted
            totals[asset][1] += c.debits_pending - c.credits_pending
        return {asset: (t[0], t[1]) for asset, t in totals.items() if t != [0, 0]}
