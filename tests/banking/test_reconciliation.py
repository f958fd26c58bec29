"""Reconciliation: statement lines matched to ledger movements, by hand and automatically,
and the report per bank account and period (both backends; a property without storage)."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any
from uuid import UUID

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from domain.banking.errors import (
    EntryAlreadyMatched,
    LineAlreadyMatched,
    LineNotMatched,
    MatchNotAllowed,
    UnknownStatementLine,
)
from domain.banking.matching import LineToMatch, Movement, auto_match, movement_of
from domain.banking.records import bank_statement_id, line_id
from domain.banking.service import BankReconciler
from domain.kernel.context import Context
from domain.ledger.commands import PostJournalEntry
from tests.banking.camt_support import IBAN, Ntry, Stmt, Tx, camt053

CLERK = Context("clerk@example.test", "corr-rec")
APPROVER = Context("approver@example.test", "corr-approver")
BANK = "Assets:Bank:EUR"


@pytest.fixture
def bank(system: Any) -> BankReconciler:
    app = system.app
    for code, kind in (
        (BANK, "asset"),
        ("Equity:Capital", "equity"),
        ("Income:Sales", "income"),
        ("Expenses:Rent", "expense"),
    ):
        app.open_account(CLERK, code, code, kind, ["EUR"])
    return BankReconciler(app, system.projections)


def post(
    bank: BankReconciler,
    key: str,
    amount: str,
    day: str,
    *,
    money_in: bool = True,
    reference: str = "",
    **extra: Any,
) -> str:
    other = "Income:Sales" if money_in else "Expenses:Rent"
    debit, credit = (BANK, other) if money_in else (other, BANK)
    outcome = bank.app.post_journal_entry(
        PostJournalEntry(
            context=CLERK,
            idempotency_key=key,
            effective_date=day,
            postings=[
                {"account": debit, "direction": "debit", "amount": amount, "asset": "EUR"},
                {"account": credit, "direction": "credit", "amount": amount, "asset": "EUR"},
            ],
            reference=reference,
            **extra,
        )
    )
    return str(outcome.entry_id)


def head(bank: BankReconciler) -> int:
    return int(bank.app.recorder.max_notification_id() or 0)


def line_of(statement_id: str, index: int, sequence: str = "1") -> str:
    return line_id(bank_statement_id(IBAN, statement_id, sequence), index)


def fund(bank: BankReconciler) -> str:
    """Opening capital of 1000.00, dated before the statement period."""
    outcome = bank.app.post_journal_entry(
        PostJournalEntry(
            context=CLERK,
            idempotency_key="capital",
            effective_date="2025-12-31",
            postings=[
                {"account": BANK, "direction": "debit", "amount": "1000.00", "asset": "EUR"},
                {
                    "account": "Equity:Capital",
                    "direction": "credit",
                    "amount": "1000.00",
                    "asset": "EUR",
                },
            ],
        )
    )
    return str(outcome.entry_id)


def test_lines_match_by_reference_first_then_by_amount_and_date(bank: BankReconciler) -> None:
    fund(bank)
    by_ref = post(bank, "inv-7", "250.00", "2026-01-02", reference="INV-7")
    decoy = post(bank, "decoy", "250.00", "2026-01-05")  # same amount and date, no reference
    rent = post(bank, "rent", "80.00", "2026-01-08", money_in=False)
    far = post(bank, "far", "42.00", "2026-01-20")  # the line is 6 days away
    statement = Stmt(
        entries=[
            Ntry("250.00", booking_date="2026-01-05", transactions=[Tx(end_to_end_id="INV-7")]),
            Ntry("80.00", "DBIT", booking_date="2026-01-10"),
            Ntry("42.00", booking_date="2026-01-26"),
        ]
    )
    bank.import_statements(CLERK, camt053([statement]), BANK)
    matches, position = bank.run(CLERK, BANK, "2026-01")
    assert position == head(bank)
    assert {(m.line_id, m.entry_id, m.how) for m in matches} == {
        (line_of("STMT-1", 0), by_ref, "reference"),
        (line_of("STMT-1", 1), rent, "amount_date"),
    }
    report = bank.report(BANK, "2026-01").as_dict()
    assert [item["line_id"] for item in report["unmatched_lines"]] == [line_of("STMT-1", 2)]
    assert {item["entry_id"] for item in report["unmatched_movements"]} == {decoy, far}
    # A second run finds nothing new and writes nothing.
    before = head(bank)
    assert bank.run(CLERK, BANK, "2026-01") == ([], None)
    assert head(bank) == before


def test_a_wider_window_finds_the_far_movement(bank: BankReconciler) -> None:
    far = post(bank, "far", "42.00", "2026-01-20")
    bank.import_statements(
        CLERK,
        camt053([Stmt(entries=[Ntry("42.00", booking_date="2026-01-26")], opening=None)]),
        BANK,
    )
    assert bank.run(CLERK, BANK, "2026-01", window_days=3)[0] == []
    (match,) = bank.run(CLERK, BANK, "2026-01", window_days=7)[0]
    assert (match.entry_id, match.how) == (far, "amount_date")


def test_metadata_values_match_as_references(bank: BankReconciler) -> None:
    entry = post(bank, "meta", "12.34", "2026-01-03", metadata={"bank_ref": "BANK-REF-99"})
    raw = camt053(
        [
            Stmt(
                entries=[Ntry("12.34", booking_date="2026-01-25", servicer_ref="BANK-REF-99")],
                opening=None,
            )
        ]
    )
    bank.import_statements(CLERK, raw, BANK)
    (match,) = bank.run(CLERK, BANK, "2026-01")[0]
    assert (match.entry_id, match.how) == (entry, "reference")


def test_manual_match_and_unmatch_are_audited_events(bank: BankReconciler) -> None:
    entry = post(bank, "odd", "99.00", "2026-01-03")
    bank.import_statements(
        CLERK,
        camt053([Stmt(entries=[Ntry("99.50", booking_date="2026-01-28")], opening=None)]),
        BANK,
    )
    line = line_of("STMT-1", 0)
    assert bank.run(CLERK, BANK, "2026-01")[0] == []  # amounts differ
    position = bank.match(APPROVER, line, UUID(entry))
    report = bank.report(BANK, "2026-01").as_dict()
    (pair,) = report["matched"]
    assert (pair["how"], pair["amount"], pair["entry_amount"], pair["difference"]) == (
        "manual",
        "99.50",
        "99.00",
        "0.50",
    )
    assert report["unmatched_lines"] == [] and report["unmatched_movements"] == []
    with pytest.raises(LineAlreadyMatched):
        bank.match(APPROVER, line, UUID(entry))
    bank.unmatch(APPROVER, line, "matched the wrong payment")
    with pytest.raises(LineNotMatched):
        bank.unmatch(APPROVER, line, "again")
    events = _events_after(bank, position - 1)
    matched, unmatched = events
    assert matched["topic"].endswith("LineMatched") and unmatched["topic"].endswith("LineUnmatched")
    assert matched["state"]["actor"] == APPROVER.actor and matched["state"]["how"] == "manual"
    assert unmatched["state"]["reason"] == "matched the wrong payment"
    assert unmatched["state"]["correlation_id"] == APPROVER.correlation_id
    assert len(bank.report(BANK, "2026-01").as_dict()["unmatched_lines"]) == 1


def _events_after(bank: BankReconciler, position: int) -> list[dict[str, Any]]:
    import orjson

    page = bank.app.recorder.select_notifications(start=position + 1, limit=100)
    return [{"topic": n.topic, "state": orjson.loads(n.state)} for n in page]


def test_a_manual_match_is_refused_when_the_entry_cannot_explain_the_line(
    bank: BankReconciler,
) -> None:
    money_out = post(bank, "out", "5.00", "2026-01-03", money_in=False)
    money_in = post(bank, "in", "5.00", "2026-01-03")
    other = bank.app.post_journal_entry(
        PostJournalEntry(
            context=CLERK,
            idempotency_key="elsewhere",
            effective_date="2026-01-03",
            postings=[
                {
                    "account": "Expenses:Rent",
                    "direction": "debit",
                    "amount": "5.00",
                    "asset": "EUR",
                },
                {
                    "account": "Equity:Capital",
                    "direction": "credit",
                    "amount": "5.00",
                    "asset": "EUR",
                },
            ],
        )
    )
    raw = camt053(
        [
            Stmt(
                entries=[
                    Ntry("5.00", booking_date="2026-01-03"),
                    Ntry("6.00", booking_date="2026-01-04"),
                ],
                opening=None,
            )
        ]
    )
    bank.import_statements(CLERK, raw, BANK)
    before = head(bank)
    with pytest.raises(MatchNotAllowed, match="moves no EUR into"):
        bank.match(APPROVER, line_of("STMT-1", 0), UUID(money_out))
    with pytest.raises(MatchNotAllowed):
        bank.match(APPROVER, line_of("STMT-1", 0), other.entry_id)
    with pytest.raises(UnknownStatementLine):
        bank.match(APPROVER, line_of("STMT-1", 7), UUID(money_in))
    with pytest.raises(UnknownStatementLine):
        bank.match(APPROVER, "not-a-line", UUID(money_in))
    assert head(bank) == before
    bank.match(APPROVER, line_of("STMT-1", 0), UUID(money_in))
    with pytest.raises(EntryAlreadyMatched):
        bank.match(APPROVER, line_of("STMT-1", 1), UUID(money_in))


def test_the_report_compares_the_closing_balance_with_the_ledger(bank: BankReconciler) -> None:
    fund(bank)
    post(bank, "sale", "250.00", "2026-01-05", reference="S-1")
    post(bank, "rent", "80.00", "2026-01-09", money_in=False)
    post(bank, "next-month", "1.00", "2026-02-01")  # after the period end: not in the ledger figure
    statement = Stmt(
        entries=[
            Ntry("250.00", booking_date="2026-01-05", entry_ref="S-1"),
            Ntry("80.00", "DBIT", booking_date="2026-01-09"),
            Ntry(
                "2.50", "DBIT", booking_date="2026-01-31"
            ),  # a bank fee not yet booked in the ledger
        ]
    )
    bank.import_statements(CLERK, camt053([statement]), BANK)
    bank.run(CLERK, BANK, "2026-01")
    report = bank.report(BANK, "2026-01").as_dict()
    assert report["statement_closing_balance"] == "1167.50"
    assert report["statement_closing_date"] == "2026-01-31"
    assert report["ledger_balance"] == "1170.00"
    assert report["difference"] == "-2.50"
    assert report["totals"] == {
        "lines": 3,
        "matched": 2,
        "unmatched_lines": 1,
        "unmatched_movements": 0,
        "unmatched_lines_net": "-2.50",
        "unmatched_movements_net": "0.00",
    }
    # The fee explains the whole difference: unmatched lines net = difference.
    assert report["totals"]["unmatched_lines_net"] == report["difference"]
    assert (report["from_date"], report["to_date"], report["currency"]) == (
        "2026-01-01",
        "2026-01-31",
        "EUR",
    )
    february = bank.report(BANK, "2026-02").as_dict()
    assert february["statement_closing_balance"] is None and february["difference"] is None
    assert [item["amount"] for item in february["unmatched_movements"]] == ["1.00"]


def test_statement_view_shows_each_lines_match(bank: BankReconciler) -> None:
    entry = post(bank, "sale", "10.00", "2026-01-05", reference="REF-10")
    plan, _position = bank.import_statements(
        CLERK,
        camt053([Stmt(entries=[Ntry("10.00", entry_ref="REF-10"), Ntry("3.00")], opening=None)]),
        BANK,
    )
    bank.run(CLERK, BANK, "2026-01")
    view = bank.statement_view(plan.statements[0].statement_uuid)
    assert [line["match"] for line in view["lines"]] == [
        {"entry_id": entry, "how": "reference"},
        None,
    ]
    assert view["lines"][0]["amount"] == "10.00"


# --- the property: matching is a partial one-to-one pairing ---------------------------

DAYS = [(date(2026, 1, 1) + timedelta(days=n)).isoformat() for n in range(40)]
small_amounts = st.sampled_from([100, 250, 999, 1000])
lines_strategy = st.lists(
    st.tuples(
        st.sampled_from(DAYS),
        st.sampled_from(["credit", "debit"]),
        small_amounts,
        st.sampled_from(["", "R1", "R2", "R3"]),
    ),
    max_size=25,
)
movements_strategy = st.lists(
    st.tuples(
        st.sampled_from(DAYS),
        st.sampled_from(["credit", "debit"]),
        small_amounts,
        st.sampled_from(["", "R1", "R2", "R4"]),
    ),
    max_size=25,
)


@settings(
    derandomize=True, max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
@given(lines_strategy, movements_strategy, st.integers(0, 5))
def test_each_line_and_each_movement_is_matched_at_most_once(
    raw_lines: list[tuple[str, str, int, str]],
    raw_movements: list[tuple[str, str, int, str]],
    window: int,
) -> None:
    lines = [
        LineToMatch(f"L{i}", day, day, direction, amount, "EUR", (ref,) if ref else ())
        for i, (day, direction, amount, ref) in enumerate(raw_lines)
    ]
    movements = [
        Movement(f"E{i}", i + 1, day, direction, amount, "EUR", ref, (ref,) if ref else ())
        for i, (day, direction, amount, ref) in enumerate(raw_movements)
    ]
    matches = auto_match(lines, movements, window_days=window)
    matched_lines = [m.line_id for m in matches]
    matched_entries = [m.entry_id for m in matches]
    assert len(set(matched_lines)) == len(matched_lines)
    assert len(set(matched_entries)) == len(matched_entries)
    unmatched = [line.line_id for line in lines if line.line_id not in set(matched_lines)]
    assert sorted(matched_lines + unmatched) == sorted(line.line_id for line in lines)
    by_line = {line.line_id: line for line in lines}
    by_entry = {movement.entry_id: movement for movement in movements}
    for match in matches:
        line, movement = by_line[match.line_id], by_entry[match.entry_id]
        assert (line.direction, line.amount_minor, line.currency) == (
            movement.direction,
            movement.amount_minor,
            movement.currency,
        )
        if match.how == "amount_date":
            assert (
                abs(
                    date.fromisoformat(line.booking_date).toordinal()
                    - date.fromisoformat(movement.effective_date).toordinal()
                )
                <= window
            )
        else:
            assert match.how == "reference" and movement.reference in line.references
    # Matching again with what was matched taken finds nothing more.
    assert (
        auto_match(
            lines,
            movements,
            matched_lines=matched_lines,
            matched_entries=matched_entries,
            window_days=window,
        )
        == []
    )


def test_a_movement_nets_an_entrys_postings_to_the_account() -> None:
    postings = [
        ["Bank", "debit", 500, "EUR"],
        ["Bank", "credit", 200, "EUR"],
        ["Sales", "credit", 300, "EUR"],
    ]
    (movement,) = movement_of(
        "e1", 7, "2026-01-01", postings, "Bank", reference="REF-1", metadata={"x": "ab"}
    )
    assert (movement.direction, movement.amount_minor, movement.references) == (
        "credit",
        300,
        ("REF-1",),
    )
    assert (
        movement_of(
            "e2",
            8,
            "2026-01-01",
            [["Bank", "debit", 5, "EUR"], ["Bank", "credit", 5, "EUR"]],
            "Bank",
        )
        == []
    )


# --- the CLI and the HTTP API (thin edges over the same commands) -------------------


def test_the_cli_imports_reconciles_and_refuses_with_exit_2(
    database_url: str, tmp_path: Any
) -> None:
    import typer
    from typer.testing import CliRunner

    import backoffice.cli.main  # noqa: F401  (first: it imports cli_bank at its end)
    from backoffice.cli import banking as cli_bank
    from backoffice.container import build_system

    system = build_system(database_url)
    try:
        system.app.open_account(CLERK, BANK, BANK, "asset", ["EUR"])
        system.app.open_account(CLERK, "Income:Sales", "Sales", "income", ["EUR"])
        bank = BankReconciler(system.app, system.projections)
        entry = post(bank, "sale", "10.00", "2026-01-05", reference="REF-10")
    finally:
        system.close()
    cli = typer.Typer()
    cli.add_typer(cli_bank.commands)
    runner = CliRunner()
    statement = tmp_path / "january.xml"
    statement.write_bytes(
        camt053([Stmt(entries=[Ntry("10.00", entry_ref="REF-10"), Ntry("1.00", "DBIT")])])
    )
    db = ["--database", database_url]
    imported = runner.invoke(cli, ["statements", "import", str(statement), "--account", BANK, *db])
    assert imported.exit_code == 0, imported.output
    assert "2 lines, balance check ok" in " ".join(imported.output.split())
    again = runner.invoke(cli, ["statements", "import", str(statement), "--account", BANK, *db])
    assert again.exit_code == 0 and "already imported" in again.output
    report = runner.invoke(cli, ["reconcile", BANK, "--period", "2026-01", "--json", *db])
    assert report.exit_code == 0, report.output
    import orjson

    body = orjson.loads(report.stdout)
    assert body["new_matches"] == 1 and body["matched"][0]["entry_id"] == entry
    assert body["unmatched_lines"][0]["amount"] == "1.00"
    bad = tmp_path / "bad.xml"
    bad.write_bytes(b"<Document/>")
    refused = runner.invoke(cli, ["statements", "import", str(bad), "--account", BANK, *db])
    assert refused.exit_code == 2 and "invalid_statement" in refused.output
    line = body["matched"][0]["line_id"]
    unmatched = runner.invoke(cli, ["statements", "unmatch", line, "--reason", "wrong", *db])
    assert unmatched.exit_code == 0, unmatched.output
    rematched = runner.invoke(cli, ["statements", "match", line, entry, *db])
    assert rematched.exit_code == 0, rematched.output
    twice = runner.invoke(cli, ["statements", "match", line, entry, *db])
    assert twice.exit_code == 2 and "line_already_matched" in twice.output


def test_the_api_imports_runs_matches_and_reports(database_url: str) -> None:
    from tests.api.support import running_api

    with running_api(database_url) as api:
        app = api.system.app
        app.open_account(CLERK, BANK, BANK, "asset", ["EUR"])
        app.open_account(CLERK, "Income:Sales", "Sales", "income", ["EUR"])
        entry = post(BankReconciler(app), "sale", "10.00", "2026-01-05", reference="REF-10")
        raw = camt053([Stmt(entries=[Ntry("10.00", entry_ref="REF-10"), Ntry("1.00", "DBIT")])])
        xml = {"Content-Type": "application/xml"}
        path = f"/v1/bank-statements?account={BANK}"
        denied = api.client.post(
            path, content=raw, headers={**api.headers("auditor", "imp-0"), **xml}
        )
        assert denied.status_code == 403
        before = api.event_count()
        bad = api.client.post(
            path, content=b"<Document/>", headers={**api.headers("poster", "imp-bad"), **xml}
        )
        assert bad.status_code == 422 and bad.json()["code"] == "invalid_statement"
        assert api.event_count() == before
        created = api.client.post(
            path, content=raw, headers={**api.headers("poster", "imp-1"), **xml}
        )
        assert created.status_code == 201, created.text
        (statement,) = created.json()["statements"]
        assert statement["lines"] == 2 and statement["balance_check"]["status"] == "ok"
        replay = api.client.post(
            path, content=raw, headers={**api.headers("poster", "imp-1"), **xml}
        )
        assert replay.headers.get("idempotency-replayed") == "true"
        assert replay.json()["statements"] == created.json()["statements"]
        shown = api.get(f"/v1/bank-statements/{statement['id']}")
        assert shown.status_code == 200 and len(shown.json()["lines"]) == 2
        ran = api.post(f"/v1/reconciliations/{BANK}/2026-01/run", "approver", key="run-1")
        assert ran.status_code == 200, ran.text
        assert [m["entry_id"] for m in ran.json()["matches"]] == [entry]
        report = api.get(f"/v1/reconciliations/{BANK}/2026-01").json()
        assert report["totals"]["matched"] == 1 and report["unmatched_lines"][0]["amount"] == "1.00"
        line = report["matched"][0]["line_id"]
        assert (
            api.post(
                f"/v1/reconciliations/lines/{line}/unmatch", "poster", {"reason": "x"}
            ).status_code
            == 403
        )
        unmatched = api.post(
            f"/v1/reconciliations/lines/{line}/unmatch", "approver", {"reason": "wrong"}
        )
        assert unmatched.status_code == 200, unmatched.text
        matched = api.post(
            f"/v1/reconciliations/lines/{line}/match", "approver", {"entry_id": entry}
        )
        assert matched.status_code == 200 and matched.json()["how"] == "manual"
        again = api.post(f"/v1/reconciliations/lines/{line}/match", "approver", {"entry_id": entry})
        assert again.status_code == 409 and again.json()["code"] == "line_already_matched"


def test_two_phase_entries_move_the_bank_once_posted_and_never_when_voided(
    bank: BankReconciler,
) -> None:
    def pending(key: str) -> UUID:
        return bank.app.post_journal_entry(
            PostJournalEntry(
                context=CLERK,
                idempotency_key=key,
                effective_date="2026-01-04",
                postings=[
                    {"account": BANK, "direction": "debit", "amount": "7.00", "asset": "EUR"},
                    {
                        "account": "Income:Sales",
                        "direction": "credit",
                        "amount": "7.00",
                        "asset": "EUR",
                    },
                ],
                pending=True,
            )
        ).entry_id

    posted, voided, waiting = pending("p-1"), pending("p-2"), pending("p-3")
    bank.app.post_pending(CLERK, posted)
    bank.app.void_pending(CLERK, voided, "cancelled")
    assert [m.entry_id for m in bank.movements(BANK)] == [str(posted)]
    assert str(waiting) not in {m.entry_id for m in bank.movements(BANK)}
