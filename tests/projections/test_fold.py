"""The balances fold as a pure function of (state, event): no database.

Events are built by hand in the shape the application stores them (the raw
JSON state a log reader hands over), so these tests also pin that shape.
"""

from __future__ import annotations

from itertools import count
from typing import Any

from eventsourcing.utils import get_topic
from hypothesis import given, settings
from hypothesis import strategies as st

from adapters.log_reader import LogEvent
from domain.ledger.accounts import Account
from domain.ledger.assets import AssetDefinition
from domain.ledger.journal import JournalEntry
from domain.ledger.periods import Period
from projections.ledger.balances import BalanceState, Changes, apply, apply_all
from projections.ledger.checks import invariant_findings

ENTRY_POSTED = get_topic(JournalEntry.JournalEntryPosted)


class Log:
    """Builds a log of raw events with consecutive positions."""

    def __init__(self) -> None:
        self.events: list[LogEvent] = []
        self._positions = count(1)

    def add(
        self, topic: str, originator_id: str, state: dict[str, Any], version: int = 1
    ) -> LogEvent:
        event = LogEvent(next(self._positions), originator_id, version, topic, state)
        self.events.append(event)
        return event

    def open(self, code: str, account_type: str, flags: tuple[str, ...] = ()) -> None:
        self.add(
            get_topic(Account.AccountOpened),
            f"account-{code}",
            {"code": code, "name": code, "account_type": account_type, "assets": ["USD"],
             "flags": list(flags), "actor": "a", "correlation_id": "c"},
        )  # fmt: skip

    def post(
        self,
        entry_id: str,
        postings: list[list[Any]],
        effective_date: str = "2026-03-10",
        *,
        reverses: str | None = None,
        version: int = 2,
    ) -> LogEvent:
        state: dict[str, Any] = {
            "effective_date": effective_date, "postings": postings, "reverses": reverses,
            "description": "", "idempotency_key": entry_id, "fingerprint": "0" * 64,
            "actor": "a", "correlation_id": "c",
        }  # fmt: skip
        if version == 2:
            state.update(class_version=2, reference="", metadata={})
        return self.add(ENTRY_POSTED, entry_id, state)

    def reserve(
        self, entry_id: str, postings: list[list[Any]], effective_date: str = "2026-03-10"
    ) -> None:
        self.add(
            get_topic(JournalEntry.PendingEntryRecorded),
            entry_id,
            {"effective_date": effective_date, "postings": postings, "reverses": None,
             "description": "", "reference": "", "metadata": {}, "actor": "a"},
        )  # fmt: skip

    def resolve(self, entry_id: str, event_class: type, version: int = 2) -> None:
        self.add(get_topic(event_class), entry_id, {"actor": "a", "reason": ""}, version)

    def period(self, name: str, event_class: type, version: int) -> None:
        self.add(get_topic(event_class), f"period-{name}", {"period": name}, version)


def transfer(debit: str, credit: str, amount_minor: int) -> list[list[Any]]:
    return [[debit, "debit", amount_minor, "USD"], [credit, "credit", amount_minor, "USD"]]


def chart() -> Log:
    log = Log()
    log.open("Assets:Bank", "asset", ("no_overdraft",))
    log.open("Equity:Capital", "equity")
    log.open("Expenses:Rent", "expense")
    return log


def folded(log: Log) -> BalanceState:
    state = BalanceState()
    apply_all(state, log.events)
    return state


def test_a_posted_entry_moves_the_posted_counters_of_both_accounts() -> None:
    log = chart()
    log.post("e1", transfer("Assets:Bank", "Equity:Capital", 10_000))
    state = folded(log)
    assert state.counters[("Assets:Bank", "USD")] == [10_000, 0, 0, 0]
    assert state.counters[("Equity:Capital", "USD")] == [0, 10_000, 0, 0]
    assert invariant_findings(state) == []


def test_each_entry_gives_one_history_row_per_account_with_deltas_and_running_totals() -> None:
    log = chart()
    log.post("e1", transfer("Assets:Bank", "Equity:Capital", 10_000), "2026-03-01")
    log.post("e2", transfer("Expenses:Rent", "Assets:Bank", 2_500), "2026-03-02")
    changes = folded(log).take_changes()
    bank_rows = [row for row in changes.history if row[0] == 1]
    assert bank_rows == [
        (1, 4, "2026-03-01", 10_000, 0, 0, 0, 10_000, 0, 0, 0),
        (1, 5, "2026-03-02", 0, 2_500, 0, 0, 10_000, 2_500, 0, 0),
    ]
    assert changes.daily[(1, "2026-03-02")] == [0, 2_500, 0, 0]
    assert [row[:4] for row in changes.entries] == [
        ("e1", 4, "posted", "2026-03-01"),
        ("e2", 5, "posted", "2026-03-02"),
    ]


def test_a_pending_entry_reserves_and_posting_it_moves_the_reservation_to_posted() -> None:
    log = chart()
    log.post("fund", transfer("Assets:Bank", "Equity:Capital", 10_000))
    log.reserve("card", transfer("Expenses:Rent", "Assets:Bank", 4_000), "2026-03-05")
    reserved = folded(log)
    assert reserved.counters[("Assets:Bank", "USD")] == [10_000, 0, 0, 4_000]
    log.resolve("card", JournalEntry.PendingEntryPosted)
    state = folded(log)
    assert state.counters[("Assets:Bank", "USD")] == [10_000, 4_000, 0, 0]
    assert state.counters[("Expenses:Rent", "USD")] == [4_000, 0, 0, 0]
    changes = state.take_changes()
    assert changes.entry_resolutions == [("card", "posted", 6)]
    # The resolution's history rows carry the pending entry's effective date.
    assert {row[2] for row in changes.history if row[1] == 6} == {"2026-03-05"}
    assert invariant_findings(state) == []


def test_voiding_a_pending_entry_releases_the_reservation() -> None:
    log = chart()
    log.post("fund", transfer("Assets:Bank", "Equity:Capital", 10_000))
    log.reserve("card", transfer("Expenses:Rent", "Assets:Bank", 4_000))
    log.resolve("card", JournalEntry.PendingEntryVoided)
    state = folded(log)
    assert state.counters[("Assets:Bank", "USD")] == [10_000, 0, 0, 0]
    assert state.counters[("Expenses:Rent", "USD")] == [0, 0, 0, 0]
    assert state.pending == {}
    assert invariant_findings(state) == []


def test_a_second_resolution_of_a_pending_entry_is_a_finding_and_moves_nothing() -> None:
    log = chart()
    log.post("fund", transfer("Assets:Bank", "Equity:Capital", 10_000))
    log.reserve("card", transfer("Expenses:Rent", "Assets:Bank", 4_000))
    log.resolve("card", JournalEntry.PendingEntryPosted, version=2)
    log.resolve("card", JournalEntry.PendingEntryVoided, version=3)
    state = folded(log)
    assert state.counters[("Assets:Bank", "USD")] == [10_000, 4_000, 0, 0]
    assert [finding.invariant for finding in invariant_findings(state)] == ["pending_resolved_once"]


def test_a_reversal_is_an_entry_of_its_own_and_the_original_is_marked_once() -> None:
    log = chart()
    log.post("e1", transfer("Expenses:Rent", "Equity:Capital", 700))
    log.post("r1", transfer("Equity:Capital", "Expenses:Rent", 700), reverses="e1")
    log.add(get_topic(JournalEntry.JournalEntryReversed), "e1", {"reversal_entry_id": "r1"}, 2)
    log.add(get_topic(JournalEntry.JournalEntryReversed), "e1", {"reversal_entry_id": "r2"}, 3)
    state = folded(log)
    assert state.counters[("Expenses:Rent", "USD")] == [700, 700, 0, 0]
    changes = state.take_changes()
    assert changes.entries[1][4] == "e1"
    assert changes.entry_reversals == [("e1", "r1", 6)]
    assert [finding.invariant for finding in invariant_findings(state)] == ["reversed_once"]


def test_a_version_1_entry_without_reference_or_metadata_folds_like_version_2() -> None:
    old, new = chart(), chart()
    old.post("e1", transfer("Assets:Bank", "Equity:Capital", 500), version=1)
    new.post("e1", transfer("Assets:Bank", "Equity:Capital", 500), version=2)
    assert "class_version" not in old.events[-1].state
    old_state, new_state = folded(old), folded(new)
    assert old_state.counters == new_state.counters
    assert old_state.take_changes() == new_state.take_changes()
    assert old.events[-1].state["reference"] == "" and old.events[-1].state["metadata"] == {}


def test_an_entry_dated_in_a_period_closed_at_its_position_is_a_finding() -> None:
    log = chart()
    log.period("2026-02", Period.PeriodDefined, 1)
    log.period("2026-02", Period.PeriodClosed, 2)
    log.post("late", transfer("Assets:Bank", "Equity:Capital", 100), "2026-02-27")
    log.period("2026-02", Period.PeriodReopened, 3)
    log.post("allowed", transfer("Assets:Bank", "Equity:Capital", 100), "2026-02-28")
    findings = invariant_findings(folded(log))
    assert [(f.invariant, f.position) for f in findings] == [("closed_period", 6)]


def test_a_guarded_account_driven_below_zero_is_a_finding() -> None:
    log = chart()
    log.post("fund", transfer("Assets:Bank", "Equity:Capital", 1_000))
    log.reserve("hold", transfer("Expenses:Rent", "Assets:Bank", 800))
    log.post("spend", transfer("Expenses:Rent", "Assets:Bank", 300))
    invariants = {finding.invariant for finding in invariant_findings(folded(log))}
    assert invariants == {"no_overdraft"}


def test_an_unbalanced_entry_is_a_finding_and_the_trial_balance_shows_it() -> None:
    log = chart()
    log.post("bad", [["Assets:Bank", "debit", 100, "USD"], ["Equity:Capital", "credit", 90, "USD"]])
    invariants = [finding.invariant for finding in invariant_findings(folded(log))]
    assert invariants == ["balanced_entry", "trial_balance"]


def test_postings_to_unopened_or_closed_accounts_are_findings() -> None:
    log = chart()
    log.add(get_topic(Account.AccountClosed), "account-Equity:Capital", {"reason": ""}, 2)
    log.post("e1", transfer("Assets:Bank", "Equity:Capital", 100))
    log.post("e2", transfer("Assets:Bank", "Nowhere", 100))
    invariants = [finding.invariant for finding in invariant_findings(folded(log))]
    assert invariants == ["open_account", "known_account"]


def test_events_the_projection_does_not_read_only_move_the_position() -> None:
    log = chart()
    log.add("domain.payments:Payment.PaymentApproved", "p1", {"approver": "x"})
    log.add(
        get_topic(AssetDefinition.AssetRegistered), "asset-VBMPX", {"code": "VBMPX", "scale": 3}
    )
    state = folded(log)
    assert state.position == 5
    assert state.counters == {}
    assert state.asset_scales == {"VBMPX": 3}


def test_folding_an_event_twice_is_a_programmer_error() -> None:
    log = chart()
    state = folded(log)
    try:
        apply(state, log.events[-1])
    except AssertionError:
        return
    raise AssertionError("an event at or before the state's position must be refused")


def concatenated(batches: list[Changes]) -> tuple[list[Any], dict[Any, list[int]], list[Any]]:
    history = [row for batch in batches for row in batch.history]
    daily: dict[Any, list[int]] = {}
    for batch in batches:
        for key, sums in batch.daily.items():
            daily[key] = [a + b for a, b in zip(daily.get(key, [0, 0, 0, 0]), sums, strict=True)]
    entries = [row for batch in batches for row in batch.entries]
    return history, daily, entries


accounts = st.sampled_from(["Assets:Bank", "Equity:Capital", "Expenses:Rent"])
entries_strategy = st.lists(
    st.tuples(accounts, accounts, st.integers(1, 10**12), st.integers(1, 28)).filter(
        lambda item: item[0] != item[1]
    ),
    max_size=40,
)


@settings(max_examples=60, deadline=None)
@given(entries_strategy, st.integers(1, 7))
def test_any_log_of_balanced_entries_nets_to_zero_and_batching_never_changes_the_rows(
    entries: list[tuple[str, str, int, int]], page_size: int
) -> None:
    log = Log()
    log.open("Assets:Bank", "asset")
    log.open("Equity:Capital", "equity")
    log.open("Expenses:Rent", "expense")
    for index, (debit, credit, amount, day) in enumerate(entries):
        log.post(f"e{index}", transfer(debit, credit, amount), f"2026-03-{day:02d}")
    whole = folded(log)
    assert invariant_findings(whole) == []
    paged = BalanceState()
    batches = []
    for start in range(0, len(log.events), page_size):
        apply_all(paged, log.events[start : start + page_size])
        batches.append(paged.take_changes())
    assert concatenated(batches) == concatenated([whole.take_changes()])
    assert paged.counters == whole.counters


two_postings = st.tuples(
    st.sampled_from(["Assets:Bank", "Equity:Capital", "Expenses:Rent", "Income:Unopened"]),
    st.sampled_from(["debit", "credit"]),
    st.integers(0, 500),
    st.sampled_from(["USD", "USD", "USD", "EUR"]),
)


@settings(max_examples=80, deadline=None)
@given(
    st.lists(st.tuples(two_postings, two_postings, st.integers(1, 3)), max_size=25),
    st.sampled_from([None, "2026-03", "2026-04"]),
    st.booleans(),
)
def test_two_posting_entries_fold_alike_on_the_short_path_and_the_general_one(
    entries: list[tuple[tuple[str, str, int, str], tuple[str, str, int, str], int]],
    closed: str | None,
    track_daily: bool,
) -> None:
    """Counters, rows and findings (unbalanced, closed period, overdraft, unknown
    or closed account) do not depend on which path an entry took."""
    import projections.ledger.balances as balances

    log = chart()
    log.add(get_topic(Account.AccountClosed), "account-Expenses:Rent", {})
    if closed is not None:
        log.period(closed, Period.PeriodDefined, 1)
        log.period(closed, Period.PeriodClosed, 1)
    for index, (first, second, month) in enumerate(entries):
        log.post(f"e{index}", [list(first), list(second)], f"2026-0{month}-15")

    def fold() -> tuple[Any, ...]:
        state = BalanceState(track_daily=track_daily)
        apply_all(state, log.events)
        changes = state.take_changes()
        return (state.counters, state.balance_ids, state.findings, changes.history,
                changes.daily, changes.balance_rows, changes.entries)  # fmt: skip

    def general_path(state: BalanceState, event: LogEvent) -> None:
        effective_date = event.state["effective_date"]
        balances._check_entry(state, event, effective_date)
        balances._move(state, event, effective_date, event.state["postings"], balances._POST)
        state.changes.entries.append(
            (event.originator_id, event.position, "posted", effective_date,
             event.state["reverses"], None, None, None, None)
        )  # fmt: skip

    short = fold()
    handler = balances._HANDLERS[ENTRY_POSTED]
    try:
        balances._HANDLERS[ENTRY_POSTED] = general_path
        general = fold()
    finally:
        balances._HANDLERS[ENTRY_POSTED] = handler
    assert short == general
