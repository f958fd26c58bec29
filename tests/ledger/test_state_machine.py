"""Random sequences of ledger commands against the real back office and an
independent in-memory model (tests/ledger_model.py).

Hypothesis opens accounts (some flagged no_overdraft), registers assets,
posts entries (alone and in batches), reserves and then posts or voids,
reverses, closes and reopens periods and accounts, retries commands and
reuses keys for other bodies; many of these are refused on purpose
(unknown accounts or assets, unbalanced entries, entries whose debits equal
their credits in total but not per asset, closed periods, overdrafts). One
rule closes the period of an existing entry and then posts, voids or
reverses that entry. After every step:

* the answer (accepted, replayed, or the refusal's code) is the model's;
* the step wrote exactly the events the model expects, and a refusal none;
* every no-overdraft account's counters equal the model's and it is not
  overdrawn;
* a plain fold of the stored log gives the model's counters for every
  account, and posted (and pending) debits equal credits per asset;
* the balances projection gives the same counters (``check_projection``).

Runs derandomized (the seed is derived from the test name), so a failure
reproduces on every run and in CI. Each run also asserts that it reached the
situations the rules exist for (``MUST_REACH``): a run that never tried them
proves nothing about them. Shrinking a failure takes Hypothesis up
to five minutes here (every attempt builds a store), so it is off unless
``LEDGER_MACHINE_SHRINK=1``: a failure then reports the full, unshrunk
sequence of steps at once; set the variable locally for a minimal one.
"""

from __future__ import annotations

import os
import tempfile
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any
from uuid import UUID

import pytest
from hypothesis import HealthCheck, Phase, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)

from backoffice.container import System, build_system
from domain.kernel.context import Context
from domain.kernel.errors import DomainError
from domain.kernel.money import format_amount
from domain.ledger.commands import PostingOutcome, PostJournalEntry
from tests.conftest import drop_schema, postgres_base_url
from tests.ledger.model import (
    ACCEPTED,
    REPLAYED,
    AccountSpec,
    EntryBody,
    Expected,
    LedgerModel,
    LogFold,
    Posting,
)
from tests.ledger.support import logged_events

ACTOR = Context(actor="machine@example.test", correlation_id="corr-state-machine")

BASE_CHART = [
    AccountSpec("Assets:Bank", "asset", ("USD",), no_overdraft=True),
    AccountSpec("Assets:Cash", "asset", ("EUR", "USD"), no_overdraft=False),
    AccountSpec("Equity:Capital", "equity", ("EUR", "USD"), no_overdraft=False),
    AccountSpec("Equity:Trading:FX", "equity", ("EUR", "USD"), no_overdraft=False),
    AccountSpec("Income:Sales", "income", ("EUR", "USD"), no_overdraft=False),
    AccountSpec("Expenses:Rent", "expense", ("USD",), no_overdraft=False),
    AccountSpec("Assets:Vault", "asset", ("EUR", "USD"), no_overdraft=True),
    AccountSpec("Liabilities:Deposits", "liability", ("USD",), no_overdraft=True),
]
LATER_ACCOUNTS = [
    AccountSpec("Expenses:Travel", "expense", ("EUR", "USD"), no_overdraft=False),
    AccountSpec("Assets:Metals", "asset", ("GOLD",), no_overdraft=True),
    AccountSpec("Equity:Metals", "equity", ("GOLD",), no_overdraft=False),
]
ACCOUNT_CODES = [spec.code for spec in BASE_CHART + LATER_ACCOUNTS]
UNKNOWN_ACCOUNT = "Assets:Nowhere"
ASSET_SCALES = {"USD": 2, "EUR": 2, "GOLD": 3, "HOURS": 2}
EFFECTIVE_DATES = ["2026-01-15", "2026-02-15", "2026-03-15"]
PERIODS = [date[:7] for date in EFFECTIVE_DATES]

ALL_SPECS = BASE_CHART + LATER_ACCOUNTS
ASSETS = ["USD", "USD", "USD", "EUR", "GOLD"]
KNOWN_ASSETS = ["USD", "EUR"]  # ISO currencies: known without registering

MUST_REACH = frozenset({
    "an entry balanced in total but not per asset: unbalanced_entry",
    "a pending entry posted after its period closed: period_closed",
    "a posted entry reversed after its period closed: period_closed",
})
"""What every run of the machine must have tried (see ``LedgerMachine.reached``)."""


@st.composite
def account_for(draw: st.DrawFn, asset: str) -> str:
    """Mostly an account that may hold ``asset``; one time in ten any code, or
    one that is never opened."""
    holders = [spec.code for spec in ALL_SPECS if asset in spec.assets]
    if draw(st.integers(0, 9)) == 0:
        return draw(st.sampled_from([*ACCOUNT_CODES, UNKNOWN_ACCOUNT]))
    return draw(st.sampled_from(holders))


@st.composite
def entry_bodies(draw: st.DrawFn) -> EntryBody:
    """Balanced pairs of postings, now and then unbalanced or a single line."""
    postings: list[Posting] = []
    for _pair in range(draw(st.integers(1, 3))):
        asset = draw(st.sampled_from(ASSETS))
        amount = draw(st.integers(1, 5_000))
        postings += [(draw(account_for(asset)), "debit", amount, asset),
                     (draw(account_for(asset)), "credit", amount, asset)]
    flaw = draw(st.integers(0, 19))
    if flaw == 0:
        account, direction, amount, asset = postings[0]
        postings[0] = (account, direction, amount + 1, asset)
    elif flaw == 1:
        postings = postings[:1]
    elif flaw == 2:
        # The credit in another asset, same amount: balanced in total, not per asset.
        account, direction, amount, asset = postings[1]
        other = draw(st.sampled_from([code for code in KNOWN_ASSETS if code != asset]))
        postings[1] = (draw(account_for(other)), direction, amount, other)
    return EntryBody(draw(st.sampled_from(EFFECTIVE_DATES)), tuple(postings), draw(st.booleans()))


@st.composite
def balanced_in_total_but_not_per_asset(draw: st.DrawFn) -> EntryBody:
    """Debits equal credits summed over assets, but not in each asset: a debit of x in
    one asset against a credit of x in another, or two crossed pairs of unequal amounts."""
    first, second = draw(st.permutations(KNOWN_ASSETS))[:2]
    amount = draw(st.integers(1, 5_000))
    postings: list[Posting] = [
        (draw(account_for(first)), "debit", amount, first),
        (draw(account_for(second)), "credit", amount, second),
    ]
    if draw(st.booleans()):
        other_amount = amount + draw(st.integers(1, 500))
        postings = [
            (draw(account_for(first)), "debit", amount, first),
            (draw(account_for(first)), "credit", other_amount, first),
            (draw(account_for(second)), "debit", other_amount, second),
            (draw(account_for(second)), "credit", amount, second),
        ]
    postings = draw(st.permutations(postings))
    return EntryBody(draw(st.sampled_from(EFFECTIVE_DATES)), tuple(postings), draw(st.booleans()))


@st.composite
def guarded_movements(draw: st.DrawFn) -> EntryBody:
    """Money into or out of one no-overdraft account: where overdrafts are decided."""
    guarded = draw(st.sampled_from([spec for spec in ALL_SPECS if spec.no_overdraft]))
    asset = draw(st.sampled_from(guarded.assets))
    other = draw(st.sampled_from(
        [spec.code for spec in ALL_SPECS if asset in spec.assets and spec.code != guarded.code]))
    amount = draw(st.integers(1, 3_000))
    inflow = draw(st.booleans())
    into = "debit" if (guarded.account_type == "asset") == inflow else "credit"
    out = "credit" if into == "debit" else "debit"
    postings = ((guarded.code, into, amount, asset), (other, out, amount, asset))
    return EntryBody(draw(st.sampled_from(EFFECTIVE_DATES)), postings, draw(st.booleans()))


def command_for(key: str, body: EntryBody) -> PostJournalEntry:
    return PostJournalEntry(
        context=ACTOR,
        idempotency_key=key,
        effective_date=body.effective_date,
        postings=[
            {"account": account, "direction": direction, "asset": asset,
             "amount": format_amount(amount, ASSET_SCALES[asset])}
            for account, direction, amount, asset in body.postings
        ],
        pending=body.pending,
    )


picks = st.integers(0, 10_000)


class LedgerMachine(RuleBasedStateMachine):
    """The back office and the model, side by side. ``new_store`` gives each
    example a fresh database URL and a function that disposes of it."""

    new_store: Callable[[], tuple[str, Callable[[], None]]]
    reached: set[str]  # situations tried, over all examples of one run (``MUST_REACH``)

    def __init__(self) -> None:
        super().__init__()
        self.url, self.dispose = type(self).new_store()
        self.system: System = build_system(self.url)
        self.app = self.system.app
        self.model = LedgerModel()
        self.fold = LogFold()
        self.folded_to = 0
        self.entry_ids: dict[str, UUID] = {}  # model handle -> the application's entry id
        self.sent: dict[str, EntryBody] = {}  # idempotency key -> last body sent with it
        self.keys_issued = 0

    def teardown(self) -> None:
        self.system.close()
        self.dispose()

    # --- running a command on both sides ------------------------------------

    def check(self, expected: Expected, action: Callable[[], Any]) -> Any:
        try:
            result = action()
        except DomainError as refusal:
            outcome, result = refusal.code, None
        else:
            replayed = isinstance(result, PostingOutcome) and result.replayed
            outcome = REPLAYED if replayed else ACCEPTED
        assert outcome == expected.outcome, f"application: {outcome}, model: {expected.outcome}"
        self.check_writes(expected.events)
        if isinstance(result, PostingOutcome):
            self.check_entry_id(expected, result)
        return result

    def check_writes(self, events_expected: int) -> None:
        written = logged_events(self.app, after=self.folded_to)
        assert len(written) == events_expected, [event.name for event in written]
        for event in written:
            self.fold.apply(event.name, str(event.originator_id), event.state)
            self.folded_to = event.position

    def check_entry_id(self, expected: Expected, outcome: PostingOutcome) -> None:
        assert expected.handle is not None
        if expected.handle in self.entry_ids:
            assert outcome.entry_id == self.entry_ids[expected.handle]
        else:
            self.entry_ids[expected.handle] = outcome.entry_id

    def fresh_key(self) -> str:
        self.keys_issued += 1
        return f"entry-{self.keys_issued}"

    def handle(self, pick: int, status: str | None = None) -> str | None:
        handles = sorted(
            handle for handle, entry in self.model.entries.items()
            if status is None or entry.status == status
        )
        return handles[pick % len(handles)] if handles else None

    # --- rules ---------------------------------------------------------------

    @initialize()
    def open_base_chart(self) -> None:
        for spec in BASE_CHART:
            self.open_account(spec)

    @rule(spec=st.sampled_from(BASE_CHART[:1] + LATER_ACCOUNTS))
    def open_account(self, spec: AccountSpec) -> None:
        flags = ["no_overdraft"] if spec.no_overdraft else []
        self.check(
            self.model.open_account(spec),
            lambda: self.app.open_account(ACTOR, spec.code, spec.code, spec.account_type,
                                          list(spec.assets), flags),
        )

    @rule(code=st.sampled_from(["GOLD", "HOURS", "EUR"]))
    def register_asset(self, code: str) -> None:
        scale = ASSET_SCALES[code]
        self.check(self.model.register_asset(code, scale),
                   lambda: self.app.register_asset(ACTOR, code, scale))

    @rule(body=entry_bodies())
    def post_entry(self, body: EntryBody) -> None:
        key = self.fresh_key()
        self.sent[key] = body
        self.check(self.model.post(key, body), lambda: self.app.post_journal_entry(command_for(key, body)))

    @rule(body=guarded_movements())
    def move_money_through_a_no_overdraft_account(self, body: EntryBody) -> None:
        self.post_entry(body)

    @rule(body=balanced_in_total_but_not_per_asset())
    def post_an_entry_balanced_in_total_but_not_per_asset(self, body: EntryBody) -> None:
        key = self.fresh_key()
        self.sent[key] = body
        expected = self.model.post(key, body)
        self.check(expected, lambda: self.app.post_journal_entry(command_for(key, body)))
        self.reach(f"an entry balanced in total but not per asset: {expected.outcome}")

    @precondition(lambda self: any(
        entry.status == "pending" or (entry.status == "posted" and not entry.reversed)
        for entry in self.model.entries.values()))
    @rule(pick=picks, action=st.sampled_from(["post", "void", "reverse"]), reopen=st.booleans())
    def close_the_period_of_an_entry_then_post_void_or_reverse_it(
        self, pick: int, action: str, reopen: bool
    ) -> None:
        wanted = "posted" if action == "reverse" else "pending"
        handles = sorted(
            handle for handle, entry in self.model.entries.items()
            if entry.status == wanted and not entry.reversed
        )
        if not handles:
            return
        handle = handles[pick % len(handles)]
        period = self.model.entries[handle].body.effective_date[:7]
        # Months close in order: the earlier months with entries close first.
        months = {entry.body.effective_date[:7] for entry in self.model.entries.values()}
        for month in sorted(m for m in months | {period} if m <= period):
            if month not in self.model.closed_periods:
                self.check(self.model.close_period(month),
                           lambda month=month: self.app.close_period(ACTOR, month, "month end"))
        entry_id = self.entry_ids[handle]
        if action == "post":
            expected = self.model.post_pending(handle)
            self.check(expected, lambda: self.app.post_pending(ACTOR, entry_id))
            self.reach(f"a pending entry posted after its period closed: {expected.outcome}")
        elif action == "void":
            expected = self.model.void_pending(handle)
            self.check(expected, lambda: self.app.void_pending(ACTOR, entry_id, "expired"))
            self.reach(f"a pending entry voided after its period closed: {expected.outcome}")
        else:
            expected = self.model.reverse(handle)
            self.check(expected, lambda: self.app.reverse_entry(ACTOR, entry_id, "correction"))
            self.reach(f"a posted entry reversed after its period closed: {expected.outcome}")
        if reopen:  # latest first: a month reopens only while no later month is closed
            for month in sorted((m for m in self.model.closed_periods if m >= period), reverse=True):
                self.check(self.model.reopen_period(month),
                           lambda month=month: self.app.reopen_period(ACTOR, month, "adjustment"))

    def reach(self, situation: str) -> None:
        type(self).reached.add(situation)

    @precondition(lambda self: self.sent)
    @rule(pick=picks)
    def retry_a_command(self, pick: int) -> None:
        key = sorted(self.sent)[pick % len(self.sent)]
        body = self.sent[key]
        self.check(self.model.post(key, body), lambda: self.app.post_journal_entry(command_for(key, body)))

    @precondition(lambda self: self.sent)
    @rule(pick=picks, body=entry_bodies())
    def reuse_a_key_for_another_body(self, pick: int, body: EntryBody) -> None:
        key = sorted(self.sent)[pick % len(self.sent)]
        if key not in self.model.entries:
            self.sent[key] = body  # the key was never accepted: this is a first try
        self.check(self.model.post(key, body), lambda: self.app.post_journal_entry(command_for(key, body)))

    @rule(
        bodies=st.lists(
            st.tuples(st.one_of(entry_bodies(), guarded_movements()), st.integers(0, 5), picks),
            min_size=2, max_size=5,
        )
    )
    def post_a_batch(self, bodies: list[tuple[EntryBody, int, int]]) -> None:
        """Several commands in one commit; some repeat the previous key (same or
        other body), some retry a command sent in an earlier step."""
        keyed: list[tuple[str, EntryBody]] = []
        for body, repeat, pick in bodies:
            if keyed and repeat == 0:
                keyed.append(keyed[-1])  # the same command twice
            elif keyed and repeat == 1:
                keyed.append((keyed[-1][0], body))  # the previous key, another body
            elif self.sent and repeat == 2:
                key = sorted(self.sent)[pick % len(self.sent)]
                keyed.append((key, self.sent[key]))  # a retry of an earlier command
            else:
                keyed.append((self.fresh_key(), body))
        for key, body in keyed:
            self.sent.setdefault(key, body)
        expected = [self.model.post(key, body) for key, body in keyed]
        outcomes = self.app.post_entries([command_for(key, body) for key, body in keyed])
        for want, got in zip(expected, outcomes, strict=True):
            if isinstance(got, DomainError):
                assert got.code == want.outcome, f"application: {got.code}, model: {want.outcome}"
            else:
                assert (REPLAYED if got.replayed else ACCEPTED) == want.outcome
                self.check_entry_id(want, got)
        self.check_writes(sum(want.events for want in expected))

    @precondition(lambda self: self.model.entries)
    @rule(pick=picks, any_status=st.booleans())
    def post_a_pending_entry(self, pick: int, any_status: bool) -> None:
        handle = self.handle(pick, None if any_status else "pending") or self.handle(pick)
        assert handle is not None
        self.check(self.model.post_pending(handle),
                   lambda: self.app.post_pending(ACTOR, self.entry_ids[handle]))

    @precondition(lambda self: self.model.entries)
    @rule(pick=picks, any_status=st.booleans())
    def void_a_pending_entry(self, pick: int, any_status: bool) -> None:
        handle = self.handle(pick, None if any_status else "pending") or self.handle(pick)
        assert handle is not None
        self.check(self.model.void_pending(handle),
                   lambda: self.app.void_pending(ACTOR, self.entry_ids[handle], "declined"))

    @precondition(lambda self: self.model.entries)
    @rule(pick=picks, status=st.sampled_from(["posted", "posted", "posted", "pending", "voided"]))
    def reverse_an_entry(self, pick: int, status: str) -> None:
        handle = self.handle(pick, status) or self.handle(pick)
        assert handle is not None
        self.check(self.model.reverse(handle),
                   lambda: self.app.reverse_entry(ACTOR, self.entry_ids[handle], "correction"))

    @rule(period=st.sampled_from(PERIODS), now=st.integers(0, 2))
    def close_a_period(self, period: str, now: int) -> None:
        if now:
            return  # closing is rarer than the other steps, or nothing could be posted
        self.check(self.model.close_period(period),
                   lambda: self.app.close_period(ACTOR, period, "month end"))

    @rule(period=st.sampled_from(PERIODS))
    def reopen_a_period(self, period: str) -> None:
        self.check(self.model.reopen_period(period),
                   lambda: self.app.reopen_period(ACTOR, period, "adjustment"))

    @rule(code=st.sampled_from([*ACCOUNT_CODES, UNKNOWN_ACCOUNT]), now=st.integers(0, 3))
    def close_an_account(self, code: str, now: int) -> None:
        if now:
            return  # closing is rarer than the other steps: a closed account stays closed
        self.check(self.model.close_account(code),
                   lambda: self.app.close_account(ACTOR, code, "no longer used"))

    # --- after every step ----------------------------------------------------

    @invariant()
    def no_overdraft_accounts_match_the_model_and_are_never_overdrawn(self) -> None:
        for spec in self.model.guarded_accounts():
            account = self.app.get_account(spec.code)
            for asset in spec.assets:
                funds = account.funds.get(asset)
                actual = (0, 0, 0, 0) if funds is None else (
                    funds.debits_posted, funds.credits_posted, funds.debits_pending,
                    funds.credits_pending)
                assert actual == self.model.counters[(spec.code, asset)].as_tuple(), (spec.code, asset)
                if funds is not None:
                    assert funds.available(account.debit_normal) >= 0, (spec.code, asset)

    @invariant()
    def the_log_folds_to_the_models_balances_and_debits_equal_credits(self) -> None:
        assert self.fold.nonzero_counters() == self.model.nonzero_counters()
        assert self.fold.unbalanced_assets() == {}

    @invariant()
    def check_projection(self) -> None:
        """Projection equals the in-memory fold: the balances projection, caught up
        to the head of the log, holds the model's counters and a zero trial balance."""
        projections = getattr(self.system, "projections", None)
        if projections is None or not hasattr(projections, "trial_balance"):
            return
        trial = projections.trial_balance()
        counters = {
            (line.account, line.asset): (line.debits_posted, line.credits_posted,
                                         line.debits_pending, line.credits_pending)
            for line in trial.lines
        }
        assert {key: value for key, value in counters.items() if any(value)} == (
            self.model.nonzero_counters())
        assert trial.balanced
        assert trial.position == (self.app.recorder.max_notification_id() or 0)


def sqlite_stores() -> Callable[[], tuple[str, Callable[[], None]]]:
    def new_store() -> tuple[str, Callable[[], None]]:
        directory = tempfile.TemporaryDirectory(prefix="ledger-machine-")
        return f"sqlite:///{Path(directory.name) / 'books.db'}", directory.cleanup

    return new_store


def postgres_stores(base: str) -> Callable[[], tuple[str, Callable[[], None]]]:
    def new_store() -> tuple[str, Callable[[], None]]:
        schema = f"ledger_machine_{uuid.uuid4().hex[:12]}"
        separator = "&" if "?" in base else "?"
        return f"{base}{separator}schema={schema}", lambda: drop_schema(base, schema)

    return new_store


PHASES = [Phase.explicit, Phase.generate] + (
    [Phase.shrink] if os.environ.get("LEDGER_MACHINE_SHRINK") == "1" else []
)


def run_machine(new_store: Callable[[], tuple[str, Callable[[], None]]], examples: int, steps: int) -> None:
    reached: set[str] = set()
    machine = type(
        "LedgerMachineRun",
        (LedgerMachine,),
        {"new_store": staticmethod(new_store), "reached": reached},
    )
    run_state_machine_as_test(
        machine,
        settings=settings(
            max_examples=examples,
            stateful_step_count=steps,
            deadline=None,
            derandomize=True,
            database=None,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
            phases=PHASES,
        ),
    )
    assert not MUST_REACH - reached, f"never tried: {sorted(MUST_REACH - reached)}"


def test_the_ledger_follows_its_model_over_random_command_sequences_on_sqlite() -> None:
    run_machine(sqlite_stores(), examples=100, steps=40)


@pytest.mark.postgres
def test_the_ledger_follows_its_model_over_random_command_sequences_on_postgres(
    postgres_url: str,
) -> None:
    base = postgres_base_url()
    assert base is not None
    run_machine(postgres_stores(base), examples=25, steps=25)
