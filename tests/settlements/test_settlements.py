"""Settlements: obligations netted per counterparty, asset and value date, confirmed,
settled with one balanced journal entry, failed, rescheduled or cancelled.

Every test runs on SQLite and PostgreSQL. The property test draws random
obligations (seeded: derandomized) and checks that netting is exact in minor
units: the instruction's net is receivables minus payables, the settlement
clears the receivable and payable accounts by exactly the settled
obligations and moves exactly the net cash, and what stays open plus what
was settled is what was recorded. The ledger's trial balance nets to zero
after every settlement.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from uuid import UUID

import pytest
import typer
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from adapters.settings import Settings
from api.app import create_app
from api.error_status import status_for
from backoffice.container import System, build_system
from domain.access.tokens import ROLES
from domain.kernel.context import Context
from domain.kernel.errors import DomainError
from domain.kernel.money import format_amount
from domain.settlements.obligation import Obligation
from domain.settlements.service import Settlements
from domain.settlements.settlement import SettlementInstruction, net
from tests.api.support import ApiHarness, issue_token, new_key
from tests.ledger.support import entry, head, line, logged_events, transfer

CLERK = Context(actor="settlements-clerk@example.test", correlation_id="corr-settle")
TREASURER = Context(actor="treasurer@example.test", correlation_id="corr-treasury")

CP = "ACME Trading"
DAY = "2026-03-16"
_counter = itertools.count()


# --- setup ------------------------------------------------------------------


def open_books(app: Any) -> None:
    """Bank (guarded) in USD and EUR, a receivable and a payable account per asset."""
    for code, kind, assets, flags in (
        ("Assets:Bank", "asset", ["USD"], ["no_overdraft"]),
        ("Assets:Bank:EUR", "asset", ["EUR"], ["no_overdraft"]),
        ("Assets:Receivables:ACME", "asset", ["USD", "EUR"], []),
        ("Liabilities:Payables:ACME", "liability", ["USD", "EUR"], []),
        ("Equity:Capital", "equity", ["USD", "EUR"], []),
        ("Income:Sales", "income", ["USD", "EUR"], []),
        ("Expenses:Purchases", "expense", ["USD", "EUR"], []),
    ):
        app.open_account(CLERK, code, code, kind, assets, flags)
    app.post_journal_entry(
        entry("capital-usd", transfer("Assets:Bank", "Equity:Capital", "1000000.00"), "2026-01-02")
    )
    app.post_journal_entry(
        entry(
            "capital-eur",
            transfer("Assets:Bank:EUR", "Equity:Capital", "1000.00", "EUR"),
            "2026-01-02",
        )
    )


@pytest.fixture
def desk(system: System) -> Settlements:
    open_books(system.app)
    return Settlements(system.app)


def book(
    desk: Settlements,
    direction: str,
    amount: str,
    *,
    asset: str = "USD",
    due_date: str = "2026-03-10",
    counterparty: str = CP,
    receivables: str = "Assets:Receivables:ACME",
    payables: str = "Liabilities:Payables:ACME",
    reference: str | None = None,
) -> UUID:
    """Book an invoice (receivable) or a bill (payable) and record its obligation."""
    reference = reference or f"doc-{next(_counter)}"
    if direction == "receivable":
        postings = transfer(receivables, "Income:Sales", amount, asset)
        account = receivables
    else:
        postings = transfer("Expenses:Purchases", payables, amount, asset)
        account = payables
    desk.app.post_journal_entry(entry(f"book-{reference}", postings, "2026-03-01"))
    obligation_id, _position = desk.record_obligation(
        CLERK,
        counterparty=counterparty,
        direction=direction,
        amount=amount,
        asset=asset,
        due_date=due_date,
        reference=reference,
        account=account,
    )
    return obligation_id


def instruct(desk: Settlements, value_date: str = DAY, **fields: Any) -> UUID:
    fields.setdefault("counterparty", CP)
    fields.setdefault("asset", "USD")
    fields.setdefault("cash_account", "Assets:Bank")
    instruction_id, _position = desk.create_instruction(CLERK, value_date=value_date, **fields)
    return instruction_id


def confirm_as_instructed(desk: Settlements, instruction_id: UUID) -> list[str]:
    instruction = desk.get_instruction(instruction_id)
    differences, _position = desk.match_confirmation(
        CLERK,
        instruction_id,
        amount=format_amount(instruction.net_amount_minor, 2),
        direction=instruction.net_direction,
        value_date=instruction.value_date,
    )
    return differences


def balance_minor(system: System, account: str, asset: str = "USD") -> int:
    """The posted balance on the account's normal side, in minor units."""
    lines = [found for found in system.projections.balance(account).lines if found.asset == asset]
    return lines[0].net_minor if lines else 0


def assert_books_balance(system: System) -> None:
    trial = system.projections.trial_balance()
    assert trial.balanced, [(total.asset, total.net_minor) for total in trial.totals]
    assert all(total.net_minor == 0 for total in trial.totals)


def refused(code: str, status: int = 409) -> Any:
    """pytest.raises for a DomainError with this stable code and HTTP status."""

    class _Check:
        def __enter__(self) -> None:
            self._raises = pytest.raises(DomainError)
            self._info = self._raises.__enter__()

        def __exit__(self, *exc: Any) -> bool:
            handled = self._raises.__exit__(*exc)
            error = self._info.value
            assert (error.code, status_for(error)) == (code, status), error.message
            return bool(handled)

    return _Check()


# --- netting is exact (property) --------------------------------------------

obligation_draws = st.lists(
    st.tuples(
        st.sampled_from(["receivable", "payable"]),
        st.integers(min_value=1, max_value=10**6),  # minor units
        st.integers(min_value=1, max_value=28),  # due day in March
        st.booleans(),  # picked when the instruction lists obligations
    ),
    min_size=1,
    max_size=8,
)


@settings(
    max_examples=30,
    derandomize=True,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    draws=obligation_draws,
    value_day=st.integers(min_value=1, max_value=28),
    listed=st.booleans(),
)
def test_netting_is_exact_and_settlement_clears_exactly_the_settled_obligations(
    system: System,
    draws: list[tuple[str, int, int, bool]],
    value_day: int,
    listed: bool,
) -> None:
    app = system.app
    if not _has_account(app, "Assets:Bank"):  # the first example opens the books
        open_books(app)
    desk = Settlements(app)
    # Each example is its own counterparty with its own accounts.
    n = next(_counter)
    counterparty, receivables, payables = (
        f"CP-{n}",
        f"Assets:Receivables:CP{n}",
        f"Liabilities:Payables:CP{n}",
    )
    app.open_account(CLERK, receivables, receivables, "asset", ["USD"])
    app.open_account(CLERK, payables, payables, "liability", ["USD"])
    ids = [
        book(
            desk,
            direction,
            format_amount(amount_minor, 2),
            due_date=f"2026-03-{due_day:02d}",
            counterparty=counterparty,
            receivables=receivables,
            payables=payables,
        )
        for direction, amount_minor, due_day, _picked in draws
    ]
    value_date = f"2026-03-{value_day:02d}"
    if listed:
        chosen = [index for index, draw in enumerate(draws) if draw[3]] or [0]
    else:
        chosen = [index for index, draw in enumerate(draws) if draw[2] <= value_day]
    total = {"receivable": 0, "payable": 0}
    for direction, amount_minor, _due, _picked in draws:
        total[direction] += amount_minor
    bank_before = balance_minor(system, "Assets:Bank")
    before = head(app)
    if not chosen:
        with refused("no_open_obligations"):
            instruct(desk, value_date, counterparty=counterparty)
        assert head(app) == before
        return

    instruction_id = instruct(
        desk,
        value_date,
        counterparty=counterparty,
        obligation_ids=[ids[index] for index in chosen] if listed else None,
    )
    instruction = desk.get_instruction(instruction_id)
    settled_receivable = sum(draws[i][1] for i in chosen if draws[i][0] == "receivable")
    settled_payable = sum(draws[i][1] for i in chosen if draws[i][0] == "payable")
    signed_net = {"we_receive": 1, "we_pay": -1, "zero": 0}[instruction.net_direction]
    assert sorted(instruction.obligation_ids) == sorted(str(ids[i]) for i in chosen)
    assert instruction.gross_receivable_minor == settled_receivable
    assert instruction.gross_payable_minor == settled_payable
    assert signed_net * instruction.net_amount_minor == settled_receivable - settled_payable

    assert confirm_as_instructed(desk, instruction_id) == []
    entry_id, _position = desk.settle(TREASURER, instruction_id)

    # The cash moved is the net; each account is cleared by exactly its settled obligations.
    assert (
        balance_minor(system, "Assets:Bank") - bank_before == settled_receivable - settled_payable
    )
    assert balance_minor(system, receivables) == total["receivable"] - settled_receivable
    assert balance_minor(system, payables) == total["payable"] - settled_payable
    # What stays open plus what was settled is what was recorded, per direction.
    for direction in ("receivable", "payable"):
        by_status: dict[str, int] = {"open": 0, "settled": 0}
        for obligation_id in ids:
            obligation = desk.get_obligation(obligation_id)
            if obligation.direction == direction:
                assert obligation.status in by_status
                by_status[obligation.status] += obligation.amount_minor
        assert by_status["open"] + by_status["settled"] == total[direction]
        assert by_status["settled"] == (
            settled_receivable if direction == "receivable" else settled_payable
        )
    posted = app.get_entry(entry_id)
    assert posted.effective_date == value_date
    assert len(posted.postings) == len(chosen) + (1 if settled_receivable != settled_payable else 0)
    assert_books_balance(system)


def _has_account(app: Any, code: str) -> bool:
    try:
        app.get_account(code)
    except DomainError:
        return False
    return True


def test_netting_function_is_receivables_minus_payables() -> None:
    netting = net([("receivable", 500), ("payable", 800), ("receivable", 1)])
    assert (netting.gross_receivable_minor, netting.gross_payable_minor) == (501, 800)
    assert (netting.net_minor, netting.net_amount_minor, netting.net_direction) == (
        -299,
        299,
        "we_pay",
    )
    assert net([("receivable", 7), ("payable", 7)]).net_direction == "zero"


# --- confirmations ----------------------------------------------------------


def test_a_matching_confirmation_lets_the_instruction_settle(
    desk: Settlements, system: System
) -> None:
    receivable = book(desk, "receivable", "150.00")
    payable = book(desk, "payable", "40.25")
    instruction_id = instruct(desk)
    instruction = desk.get_instruction(instruction_id)
    assert (instruction.net_amount_minor, instruction.net_direction) == (10975, "we_receive")
    differences, _ = desk.match_confirmation(
        CLERK, instruction_id, amount="109.75", direction="we_receive", value_date=DAY
    )
    assert differences == []
    assert desk.get_instruction(instruction_id).status == "confirmed"

    entry_id, position = desk.settle(TREASURER, instruction_id)
    posted = system.app.get_entry(entry_id)
    assert sorted(map(tuple, posted.postings)) == sorted(
        [
            ("Assets:Receivables:ACME", "credit", 15000, "USD"),
            ("Liabilities:Payables:ACME", "debit", 4025, "USD"),
            ("Assets:Bank", "debit", 10975, "USD"),
        ]
    )
    assert posted.metadata["settlement_instruction"] == str(instruction_id)
    assert position == head(system.app)
    # Entry, bank record, instruction and both obligations: one commit.
    settled = [event for event in logged_events(system.app) if event.position > position - 5]
    assert {event.name for event in settled} == {
        "JournalEntryPosted",
        "PostingRecorded",
        "InstructionSettled",
        "ObligationSettled",
    }
    assert desk.get_instruction(instruction_id).entry_id == str(entry_id)
    for obligation_id in (receivable, payable):
        obligation = desk.get_obligation(obligation_id)
        assert (obligation.status, obligation.entry_id) == ("settled", str(entry_id))
    assert balance_minor(system, "Assets:Receivables:ACME") == 0
    assert balance_minor(system, "Liabilities:Payables:ACME") == 0
    assert_books_balance(system)


@pytest.mark.parametrize(
    ("amount", "direction", "value_date", "differences"),
    [
        ("30.01", "we_pay", DAY, ["amount"]),
        ("30.00", "we_pay", "2026-03-17", ["value_date"]),
        ("30.00", "we_receive", DAY, ["direction"]),
        ("0", "zero", "2026-03-20", ["amount", "direction", "value_date"]),
    ],
)
def test_a_mismatched_confirmation_is_recorded_and_blocks_settlement(
    desk: Settlements,
    system: System,
    amount: str,
    direction: str,
    value_date: str,
    differences: list[str],
) -> None:
    book(desk, "receivable", "50.00")
    book(desk, "payable", "80.00")
    instruction_id = instruct(desk)
    found, _position = desk.match_confirmation(
        CLERK, instruction_id, amount=amount, direction=direction, value_date=value_date
    )
    assert found == differences
    instruction = desk.get_instruction(instruction_id)
    assert instruction.status == "mismatched"
    assert instruction.confirmation is not None
    assert instruction.confirmation["differences"] == differences
    assert logged_events(system.app, head(system.app) - 1)[0].name == "ConfirmationMismatched"

    before = head(system.app)
    with refused("confirmation_required"):
        desk.settle(TREASURER, instruction_id)
    assert head(system.app) == before

    assert (
        desk.match_confirmation(
            CLERK, instruction_id, amount="30.00", direction="we_pay", value_date=DAY
        )[0]
        == []
    )
    desk.settle(TREASURER, instruction_id)
    assert balance_minor(system, "Assets:Bank") == 100_000_000 - 3000
    assert_books_balance(system)


def test_settling_without_a_confirmation_is_refused_and_writes_nothing(
    desk: Settlements, system: System
) -> None:
    book(desk, "receivable", "10.00")
    instruction_id = instruct(desk)
    before = head(system.app)
    with refused("confirmation_required"):
        desk.settle(TREASURER, instruction_id)
    assert head(system.app) == before
    assert desk.get_instruction(instruction_id).status == "awaiting_confirmation"


# --- failure, rescheduling, cancellation --------------------------------------


def test_a_failed_settlement_is_rescheduled_confirmed_again_and_settled(
    desk: Settlements, system: System
) -> None:
    book(desk, "payable", "25.00")
    instruction_id = instruct(desk)
    assert confirm_as_instructed(desk, instruction_id) == []
    desk.fail(TREASURER, instruction_id, "beneficiary bank rejected the payment")
    failed = desk.get_instruction(instruction_id)
    assert (failed.status, failed.failures) == ("failed", 1)
    with refused("confirmation_required"):
        desk.settle(TREASURER, instruction_id)
    with refused("instruction_failed"):
        desk.fail(TREASURER, instruction_id, "again")

    desk.reschedule(TREASURER, instruction_id, "2026-03-18")
    moved = desk.get_instruction(instruction_id)
    assert (moved.status, moved.value_date, moved.confirmation) == (
        "awaiting_confirmation",
        "2026-03-18",
        None,
    )
    # The old value date no longer matches.
    stale, _ = desk.match_confirmation(
        CLERK, instruction_id, amount="25.00", direction="we_pay", value_date=DAY
    )
    assert stale == ["value_date"]
    fresh, _ = desk.match_confirmation(
        CLERK, instruction_id, amount="25.00", direction="we_pay", value_date="2026-03-18"
    )
    assert fresh == []
    entry_id, _position = desk.settle(TREASURER, instruction_id)
    assert system.app.get_entry(entry_id).effective_date == "2026-03-18"
    assert balance_minor(system, "Liabilities:Payables:ACME") == 0
    assert_books_balance(system)


def test_cancelling_an_instruction_returns_its_obligations_to_open(
    desk: Settlements, system: System
) -> None:
    first = book(desk, "receivable", "12.00")
    second = book(desk, "payable", "2.00")
    instruction_id = instruct(desk)
    assert {desk.get_obligation(i).status for i in (first, second)} == {"instructed"}
    position = desk.cancel_instruction(TREASURER, instruction_id, "counterparty disputes invoice")
    assert position == head(system.app)
    cancelled = desk.get_instruction(instruction_id)
    assert (cancelled.status, cancelled.cancel_reason) == (
        "cancelled",
        "counterparty disputes invoice",
    )
    for obligation_id in (first, second):
        obligation = desk.get_obligation(obligation_id)
        assert (obligation.status, obligation.instruction_id) == ("open", None)
    # Open again: a new instruction nets them, and settles them.
    again = instruct(desk)
    assert confirm_as_instructed(desk, again) == []
    desk.settle(TREASURER, again)
    assert {desk.get_obligation(i).status for i in (first, second)} == {"settled"}
    assert_books_balance(system)


def test_a_failed_instruction_can_be_cancelled(desk: Settlements) -> None:
    obligation_id = book(desk, "receivable", "5.00")
    instruction_id = instruct(desk)
    desk.fail(TREASURER, instruction_id, "no funds received")
    desk.cancel_instruction(TREASURER, instruction_id, "written off with the customer")
    assert desk.get_instruction(instruction_id).status == "cancelled"
    assert desk.get_obligation(obligation_id).status == "open"


def test_an_open_obligation_is_cancelled_with_its_reason(desk: Settlements) -> None:
    obligation_id = book(desk, "receivable", "5.00")
    desk.cancel_obligation(CLERK, obligation_id, "credit note issued")
    obligation = desk.get_obligation(obligation_id)
    assert (obligation.status, obligation.cancel_reason) == ("cancelled", "credit note issued")
    # Cancelled obligations are not netted.
    with refused("no_open_obligations"):
        instruct(desk)


# --- invalid transitions ----------------------------------------------------


def test_invalid_transitions_are_refused_with_stable_codes_and_409(
    desk: Settlements, system: System
) -> None:
    obligation_id = book(desk, "receivable", "7.00", reference="INV-7")
    with refused("obligation_already_recorded"):
        desk.record_obligation(
            CLERK,
            counterparty=CP,
            direction="receivable",
            amount="7.00",
            asset="USD",
            due_date="2026-03-10",
            reference="INV-7",
            account="Assets:Receivables:ACME",
        )
    instruction_id = instruct(desk)
    with refused("obligation_not_open"):
        desk.cancel_obligation(CLERK, obligation_id, "too late")
    with refused("obligation_not_open"):
        instruct(desk, obligation_ids=[obligation_id])
    with refused("instruction_not_failed"):
        desk.reschedule(TREASURER, instruction_id, "2026-03-20")
    assert confirm_as_instructed(desk, instruction_id) == []
    with refused("instruction_already_confirmed"):
        confirm_as_instructed(desk, instruction_id)
    desk.settle(TREASURER, instruction_id)
    before = head(system.app)
    for command in (
        lambda: desk.settle(TREASURER, instruction_id),
        lambda: desk.fail(TREASURER, instruction_id, "late"),
        lambda: desk.reschedule(TREASURER, instruction_id, "2026-03-20"),
        lambda: desk.cancel_instruction(TREASURER, instruction_id, "late"),
        lambda: confirm_as_instructed(desk, instruction_id),
    ):
        with refused("instruction_closed"):
            command()
    with refused("obligation_not_open"):
        desk.cancel_obligation(CLERK, obligation_id, "after settlement")
    assert head(system.app) == before
    with refused("unknown_settlement_instruction", 404):
        desk.settle(TREASURER, UUID(int=7))
    with refused("unknown_obligation", 404):
        desk.cancel_obligation(CLERK, UUID(int=7), "no such")


def test_netting_refuses_mixed_assets_and_other_counterparties(
    desk: Settlements, system: System
) -> None:
    usd = book(desk, "receivable", "10.00")
    eur = book(desk, "payable", "4.00", asset="EUR")
    other = book(desk, "receivable", "3.00", counterparty="Globex")
    before = head(system.app)
    with refused("settlement_mixed_assets", 422):
        instruct(desk, obligation_ids=[usd, eur])
    with refused("obligation_counterparty_mismatch", 422):
        instruct(desk, obligation_ids=[usd, other])
    assert head(system.app) == before
    # Chosen by due date, an instruction nets only its own asset and counterparty.
    instruction_id = instruct(desk)
    assert desk.get_instruction(instruction_id).obligation_ids == [str(usd)]
    assert desk.get_obligation(eur).status == "open"
    assert desk.get_obligation(other).status == "open"
    eur_instruction = instruct(desk, asset="EUR", cash_account="Assets:Bank:EUR")
    assert (desk.get_instruction(eur_instruction).net_direction) == "we_pay"


def test_obligations_due_after_the_value_date_stay_open(desk: Settlements) -> None:
    due = book(desk, "receivable", "10.00", due_date="2026-03-16")
    later = book(desk, "receivable", "20.00", due_date="2026-03-17")
    instruction_id = instruct(desk, "2026-03-16")
    assert desk.get_instruction(instruction_id).obligation_ids == [str(due)]
    assert desk.get_obligation(later).status == "open"


def test_the_settlement_entry_obeys_the_ledger_rules(desk: Settlements, system: System) -> None:
    """No overdraft on the guarded bank account, no entry in a closed period."""
    book(desk, "payable", "1000.00", asset="EUR")  # the EUR bank holds 1000.00
    book(desk, "payable", "0.01", asset="EUR")
    instruction_id = instruct(desk, asset="EUR", cash_account="Assets:Bank:EUR")
    assert confirm_as_instructed(desk, instruction_id) == []
    before = head(system.app)
    with refused("insufficient_funds"):
        desk.settle(TREASURER, instruction_id)
    assert head(system.app) == before
    assert desk.get_instruction(instruction_id).status == "confirmed"

    # Months close in order: the earlier months with entries first.
    for month in ("2026-01", "2026-02", "2026-03"):
        system.app.close_period(TREASURER, month, "month closed")
    before = head(system.app)
    with refused("period_closed"):
        desk.settle(TREASURER, instruction_id)
    assert head(system.app) == before
    system.app.reopen_period(TREASURER, "2026-03", "late settlement")
    system.app.post_journal_entry(
        entry("top-up", [line("Assets:Bank:EUR", "debit", "1.00", "EUR"),
                         line("Equity:Capital", "credit", "1.00", "EUR")], DAY)
    )  # fmt: skip
    desk.settle(TREASURER, instruction_id)
    assert balance_minor(system, "Assets:Bank:EUR", "EUR") == 99
    assert_books_balance(system)


def test_a_zero_net_settlement_moves_no_cash(desk: Settlements, system: System) -> None:
    book(desk, "receivable", "60.00")
    book(desk, "payable", "60.00")
    instruction_id = instruct(desk)
    instruction = desk.get_instruction(instruction_id)
    assert (instruction.net_amount_minor, instruction.net_direction) == (0, "zero")
    differences, _ = desk.match_confirmation(
        CLERK, instruction_id, amount="0.00", direction="zero", value_date=DAY
    )
    assert differences == []
    entry_id, _ = desk.settle(TREASURER, instruction_id)
    accounts = {row[0] for row in system.app.get_entry(entry_id).postings}
    assert accounts == {"Assets:Receivables:ACME", "Liabilities:Payables:ACME"}
    assert balance_minor(system, "Assets:Bank") == 100_000_000
    assert_books_balance(system)


def test_replay_rebuilds_the_same_balances_after_settlements(
    desk: Settlements, system: System
) -> None:
    from replay.verify import verify

    book(desk, "receivable", "10.00")
    book(desk, "payable", "3.00")
    instruction_id = instruct(desk)
    confirm_as_instructed(desk, instruction_id)
    desk.settle(TREASURER, instruction_id)
    assert verify(system.database).ok
    assert [type(found) for found in desk.list_instructions()] == [SettlementInstruction]
    assert {type(found) for found in desk.list_obligations()} == {Obligation}


# --- API --------------------------------------------------------------------

# Which roles each settlements permission admits (this test's statement of api.auth.PERMISSIONS).
SETTLEMENT_PERMISSIONS = {
    "settlements:write": ("poster",),
    "settlements:approve": ("approver",),
    "settlements:read": ROLES,
}


@contextmanager
def settlement_api(database_url: str) -> Iterator[ApiHarness]:
    """The API (the settlements router and permissions are the app's own)."""
    from adapters.signing import generate

    settings_ = Settings(database_url=database_url, signing_key=generate().private_pem())
    built = build_system(database_url)
    tokens = {role: issue_token(built, settings_, role, f"{role}-actor") for role in ROLES}
    app = create_app(settings_, system=built)
    try:
        with TestClient(app, raise_server_exceptions=True) as client:
            yield ApiHarness(built, client, settings_, tokens)
    finally:
        built.close()


@pytest.fixture
def api(database_url: str) -> Iterator[ApiHarness]:
    with settlement_api(database_url) as harness:
        open_books(harness.system.app)
        yield harness


def obligation_body(direction: str, amount: str, reference: str, **extra: Any) -> dict[str, Any]:
    account = (
        "Assets:Receivables:ACME" if direction == "receivable" else "Liabilities:Payables:ACME"
    )
    return {
        "counterparty": CP,
        "direction": direction,
        "amount": amount,
        "asset": "USD",
        "due_date": "2026-03-10",
        "reference": reference,
        "account": account,
        **extra,
    }


def test_api_settles_a_confirmed_instruction_and_replays_every_post(api: ApiHarness) -> None:
    key = new_key("obl")
    first = api.post(
        "/v1/obligations", "poster", obligation_body("receivable", "90.00", "INV-1"), key
    )
    assert first.status_code == 201, first.text
    replay = api.post(
        "/v1/obligations", "poster", obligation_body("receivable", "90.00", "INV-1"), key
    )
    assert (replay.status_code, replay.content) == (201, first.content)
    assert replay.headers["Idempotency-Replayed"] == "true"
    other_body = api.post(
        "/v1/obligations", "poster", obligation_body("receivable", "91.00", "INV-1"), key
    )
    assert (other_body.status_code, other_body.json()["code"]) == (422, "idempotency_key_reused")
    duplicate = api.post(
        "/v1/obligations", "poster", obligation_body("receivable", "90.00", "INV-1")
    )
    assert (duplicate.status_code, duplicate.json()["code"]) == (409, "obligation_already_recorded")
    payable = api.post("/v1/obligations", "poster", obligation_body("payable", "30.50", "BILL-1"))
    assert payable.status_code == 201, payable.text
    number = api.post(
        "/v1/obligations", "poster", {**obligation_body("payable", "1", "B-2"), "amount": 1}
    )
    assert (number.status_code, number.json()["errors"][0]["field"]) == (422, "amount")

    obligation = api.get(f"/v1/obligations/{first.json()['id']}").json()
    assert (obligation["amount"], obligation["status"]) == ("90.00", "open")

    created = api.post(
        "/v1/settlements",
        "poster",
        {"counterparty": CP, "asset": "USD", "value_date": DAY, "cash_account": "Assets:Bank"},
    )
    assert created.status_code == 201, created.text
    instruction_id = created.json()["id"]
    shown = api.get(f"/v1/settlements/{instruction_id}").json()
    assert (shown["net_amount"], shown["net_direction"], shown["status"]) == (
        "59.50",
        "we_receive",
        "awaiting_confirmation",
    )

    confirmation = f"/v1/settlements/{instruction_id}/confirmation"
    mismatch_key = new_key("conf")
    wrong = {"amount": "59.50", "direction": "we_receive", "value_date": "2026-03-17"}
    mismatched = api.post(confirmation, "poster", wrong, mismatch_key)
    assert mismatched.status_code == 200, mismatched.text
    assert (mismatched.json()["outcome"], mismatched.json()["differences"]) == (
        "mismatched",
        ["value_date"],
    )
    refused_settle = api.post(f"/v1/settlements/{instruction_id}/settle", "approver")
    assert (refused_settle.status_code, refused_settle.json()["code"]) == (
        409,
        "confirmation_required",
    )

    right = {"amount": "59.50", "direction": "we_receive", "value_date": DAY}
    matched = api.post(confirmation, "poster", right)
    assert matched.json()["outcome"] == "matched"
    # A retry of the earlier mismatch answers what it answered then.
    again = api.post(confirmation, "poster", wrong, mismatch_key)
    assert (again.status_code, again.content) == (200, mismatched.content)

    settle_key = new_key("settle")
    settled = api.post(f"/v1/settlements/{instruction_id}/settle", "approver", None, settle_key)
    assert settled.status_code == 200, settled.text
    count = api.event_count()
    settled_again = api.post(
        f"/v1/settlements/{instruction_id}/settle", "approver", None, settle_key
    )
    assert (settled_again.status_code, settled_again.content) == (200, settled.content)
    assert api.event_count() == count
    closed = api.post(f"/v1/settlements/{instruction_id}/settle", "approver")
    assert (closed.status_code, closed.json()["code"]) == (409, "instruction_closed")

    shown = api.get(f"/v1/settlements/{instruction_id}").json()
    assert (shown["status"], shown["entry_id"]) == ("settled", settled.json()["entry_id"])
    entry_view = api.get(f"/v1/journal-entries/{shown['entry_id']}")
    assert entry_view.status_code == 200, entry_view.text
    assert_books_balance(api.system)


def test_api_fail_reschedule_and_cancel(api: ApiHarness) -> None:
    for reference, direction, amount in (
        ("I-1", "receivable", "10.00"),
        ("B-1", "payable", "4.00"),
    ):
        assert (
            api.post(
                "/v1/obligations", "poster", obligation_body(direction, amount, reference)
            ).status_code
            == 201
        )
    created = api.post(
        "/v1/settlements",
        "poster",
        {"counterparty": CP, "asset": "USD", "value_date": DAY, "cash_account": "Assets:Bank"},
    )
    base = f"/v1/settlements/{created.json()['id']}"
    early = api.post(f"{base}/reschedule", "approver", {"value_date": "2026-03-20"})
    assert (early.status_code, early.json()["code"]) == (409, "instruction_not_failed")
    assert (
        api.post(f"{base}/fail", "approver", {"reason": "SWIFT reject"}).json()["status"]
        == "failed"
    )
    moved = api.post(f"{base}/reschedule", "approver", {"value_date": "2026-03-20"})
    assert moved.status_code == 200, moved.text
    assert api.get(base).json()["value_date"] == "2026-03-20"
    cancelled = api.post(f"{base}/cancel", "approver", {"reason": "disputed"})
    assert cancelled.json()["status"] == "cancelled"
    statuses = {
        api.get(f"/v1/obligations/{obligation_id}").json()["status"]
        for obligation_id in api.get(base).json()["obligation_ids"]
    }
    assert statuses == {"open"}
    obligation_id = api.get(base).json()["obligation_ids"][0]
    cancel = api.post(
        f"/v1/obligations/{obligation_id}/cancel", "poster", {"reason": "credit note"}
    )
    assert cancel.json()["status"] == "cancelled"
    unknown = api.get(f"/v1/settlements/{UUID(int=1)}")
    assert (unknown.status_code, unknown.json()["code"]) == (404, "unknown_settlement_instruction")


SETTLEMENT_ENDPOINTS: list[tuple[str, str, str]] = [
    ("POST", "/v1/obligations", "settlements:write"),
    ("GET", "/v1/obligations/{id}", "settlements:read"),
    ("POST", "/v1/obligations/{id}/cancel", "settlements:write"),
    ("POST", "/v1/settlements", "settlements:write"),
    ("GET", "/v1/settlements/{id}", "settlements:read"),
    ("POST", "/v1/settlements/{id}/confirmation", "settlements:write"),
    ("POST", "/v1/settlements/{id}/settle", "settlements:approve"),
    ("POST", "/v1/settlements/{id}/fail", "settlements:approve"),
    ("POST", "/v1/settlements/{id}/reschedule", "settlements:approve"),
    ("POST", "/v1/settlements/{id}/cancel", "settlements:approve"),
]


def test_api_roles_each_route_admits_only_its_roles(api: ApiHarness) -> None:
    """A role outside the permission is a 403 that writes only its access record;
    no token is a 401; an admitted role passes the check (here reaching a 404 or 422)."""
    paths = set(api.client.get("/openapi.json").json()["paths"])
    for method, path, permission in SETTLEMENT_ENDPOINTS:
        assert (
            path.replace(
                "{id}", "{obligation_id}" if "obligations/" in path else "{instruction_id}"
            )
            in paths
        )
        url = path.replace("{id}", str(UUID(int=3)))
        for role in ROLES:
            before, access_before = api.event_count(), api.access_count()
            response = api.get(url, role) if method == "GET" else api.post(url, role, {})
            if role in SETTLEMENT_PERMISSIONS[permission]:
                assert response.status_code in (404, 409, 422), (method, path, role, response.text)
                assert api.event_count() == before
            else:
                assert response.status_code == 403, (method, path, role, response.text)
                assert response.json()["code"] == "forbidden"
                # the access record only, in the access log: the business log is untouched
                assert (api.event_count(), api.access_count()) == (before, access_before + 1)
        anonymous = api.client.request(method, url, json={}, headers={"Idempotency-Key": new_key()})
        assert anonymous.status_code == 401


# --- CLI ----------------------------------------------------------------------


def test_cli_lists_and_shows_settlements(desk: Settlements, system: System) -> None:
    from backoffice.cli import settlements as cli_settlements

    obligation_id = book(desk, "receivable", "12.34")
    instruction_id = instruct(desk)
    cli = typer.Typer()

    @cli.callback()
    def main() -> None:
        """Test root."""

    cli.add_typer(cli_settlements.commands)
    runner = CliRunner()
    common = ["--database", system.database.url]
    listed = runner.invoke(cli, ["settlements", "list", "--json", *common])
    assert listed.exit_code == 0, listed.output
    assert str(instruction_id) in listed.output
    obligations = runner.invoke(cli, ["settlements", "list", "--obligations", *common])
    assert obligations.exit_code == 0, obligations.output
    assert "12.34" in obligations.output
    shown = runner.invoke(cli, ["settlements", "show", str(instruction_id), *common])
    assert shown.exit_code == 0, shown.output
    assert "awaiting_confirmation" in shown.output and str(obligation_id) in shown.output
    unknown = runner.invoke(cli, ["settlements", "show", str(UUID(int=9)), *common])
    assert unknown.exit_code == 2


# --- another process racing ---------------------------------------------------


def test_a_writer_in_another_process_wins_the_race_and_the_loser_decides_again(
    desk: Settlements, system: System, database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Another process instructs the same obligation between this one's decision and
    its save: the save collides on the obligation's version, the command reloads,
    and refuses; then the same for two settlements of one instruction."""
    other_system = build_system(database_url)
    try:
        other = Settlements(other_system.app)
        obligation_id = book(desk, "receivable", "10.00")
        original_save = system.app.save
        races: list[Any] = []

        def save_after(race: Any) -> None:
            def racing_save(*aggregates: Any, **kwargs: Any) -> Any:
                if not races:
                    races.append(race())
                return original_save(*aggregates, **kwargs)

            monkeypatch.setattr(system.app, "save", racing_save)

        save_after(lambda: instruct(other, obligation_ids=[obligation_id]))
        with refused("obligation_not_open"):
            instruct(desk, obligation_ids=[obligation_id])
        assert len(other.list_instructions()) == 1
        instruction_id = other.list_instructions()[0].id
        assert desk.get_obligation(obligation_id).instruction_id == str(instruction_id)

        assert confirm_as_instructed(other, instruction_id) == []
        races.clear()
        save_after(lambda: other.settle(TREASURER, instruction_id))
        with refused("instruction_closed"):
            desk.settle(TREASURER, instruction_id)
        entries = [
            event for event in logged_events(system.app) if event.name == "JournalEntryPosted"
        ]
        assert (
            sum(1 for event in entries if event.state["reference"].startswith("settlement:")) == 1
        )
        assert balance_minor(system, "Assets:Receivables:ACME") == 0
        assert_books_balance(system)
    finally:
        other_system.close()
