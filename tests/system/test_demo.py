"""The demo year (``backoffice demo``): the ledger, its business, and a second run
that writes nothing. The year runs on both backends; the CLI once, on SQLite."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from typing import Any
from uuid import uuid4

import pytest
from typer.testing import CliRunner

from adapters.subject_keys import SubjectKeyStore
from backoffice.container import System, build_system
from backoffice.demo import data
from backoffice.demo.ledger_year import DemoCompany, DemoReport
from backoffice.demo.summary import BusinessSummary
from replay.verify import verify
from tests.conftest import PG_ENV, _schema_url, drop_schema, postgres_base_url

SEED = 2025


def run_year(system: System) -> DemoReport:
    return DemoCompany(system.app, seed=SEED, keys=SubjectKeyStore(system.database)).run_year()


def head(system: System) -> int:
    return int(system.app.recorder.max_notification_id() or 0)


@pytest.fixture(
    scope="module", params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]
)
def year(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[System, DemoReport, BusinessSummary]]:
    """One demo year per backend, shared by the module's tests (they only read)."""
    base = postgres_base_url()
    if request.param == "sqlite":
        url, schema = f"sqlite:///{tmp_path_factory.mktemp('demo') / 'demo.db'}", None
    elif base is None:
        pytest.skip(f"PostgreSQL test: set {PG_ENV}")
    else:
        schema = f"bo_test_demo_{uuid4().hex[:12]}"
        url = _schema_url(base, schema)
    system = build_system(url)
    try:
        report = run_year(system)
        assert report.business is not None
        yield system, report, report.business
    finally:
        system.close()
        if base is not None and schema is not None:
            drop_schema(base, schema)


def test_the_year_keeps_its_ledger_parts_and_ends_balanced_and_verified(year: Any) -> None:
    system, report, _business = year
    assert report.entries_posted > 450
    assert report.reversals == 12 and report.pending_posted == report.pending_voided == 12
    assert report.periods_closed == [f"{SEED}-{month:02d}" for month in range(1, 8)]
    # The business is dated in open months only: nothing of it was refused.
    assert report.refusals == {"period_closed": 1, "unbalanced_entry": 12}
    trial = system.projections.trial_balance()
    assert trial.balanced and {total.asset for total in trial.totals} == {"USD", "EUR"}
    assert not any(line.debits_pending or line.credits_pending for line in trial.lines)
    assert list(verify(system.database).findings) == []


def test_payments_run_their_whole_life_with_four_eyes_and_compliance(year: Any) -> None:
    system, _report, business = year
    assert business.payments_by_status == {
        "settled": 16,  # twelve hosting invoices, three more, and the one compliance cleared
        "failed": 1,
        "returned": 1,
        "cancelled": 1,
        "rejected": 1,
    }
    assert business.dual_approved == 1
    company = DemoCompany(system.app, SEED, keys=SubjectKeyStore(system.database))
    assert company.business is not None
    large = company.business.payments.get(company.business.payment_id("fit-out"))
    approvers = large.current_approvers()
    assert len(approvers) == 2 == len(set(approvers))
    assert large.requested_by not in approvers
    for payment in company.business.payments.list_payments():
        assert payment.requested_by not in payment.current_approvers()
    held = {item.result: item for item in business.held}
    assert set(held) == {"hit", "review"}
    assert (held["hit"].decision, held["hit"].status) == ("rejected", "rejected")
    assert (held["review"].decision, held["review"].status) == ("cleared", "settled")
    assert all(item.decided_by == "demo:compliance" and item.reason for item in held.values())


def test_receipts_come_by_wire_card_and_cash_and_cash_is_flagged(year: Any) -> None:
    _system, _report, business = year
    counts = {method: count for method, (count, _total) in business.receipts_by_method.items()}
    assert counts == {"wire": 12, "card": 11, "cash": 4}
    assert business.cash_receipts == 4
    assert business.cash_total_minor == business.receipts_by_method["cash"][1]
    assert business.cash_total_minor > data.LARGE_CASH_MINOR


def test_the_settlement_nets_four_obligations_into_one_payment_to_us(year: Any) -> None:
    _system, _report, business = year
    assert business.settlement_status == "settled"
    assert business.settlement_receivable_minor == 6_050_00
    assert business.settlement_payable_minor == 4_000_00
    assert (business.settlement_net_minor, business.settlement_direction) == (
        2_050_00,
        "we_receive",
    )


def test_the_statement_reconciles_but_for_a_bank_fee_and_a_payment_in_transit(
    year: Any,
) -> None:
    _system, _report, business = year
    report = business.reconciliation
    assert report.period == f"{SEED}-{data.RECONCILED_MONTH:02d}"
    assert len(report.matched) >= 15
    [fee] = report.unmatched_lines
    assert (fee.line.direction, fee.line.amount_minor) == ("debit", data.BANK_FEE_MINOR)
    [in_transit] = report.unmatched_movements
    assert (in_transit.direction, in_transit.amount_minor) == ("debit", 615_00)
    assert report.difference_minor == 615_00 - data.BANK_FEE_MINOR


def test_an_erased_customer_reads_as_erased_and_the_balances_did_not_move(year: Any) -> None:
    system, _report, business = year
    assert business.subjects_registered == len(data.PARTIES)
    assert (business.subjects_erased, business.erasure_kept_balances) == (1, True)
    company = DemoCompany(system.app, SEED, keys=SubjectKeyStore(system.database))
    assert company.business is not None
    erased = company.business.subject_id(data.ERASED_PARTY)
    assert company.business.registry.read_subject(erased)["fields"]["name"] == "[erased]"


def test_a_second_run_writes_nothing_and_reports_the_same(year: Any) -> None:
    system, _first, business = year
    before = head(system)
    again = run_year(system)
    assert head(system) == before
    assert (again.entries_posted, again.reversals, again.periods_closed) == (0, 0, [])
    assert again.business is not None
    assert again.business.erasure_kept_balances is None  # erased by the first run
    assert replace(again.business, erasure_kept_balances=True) == business


def test_the_cli_prints_a_line_per_area_and_ends_verified(sqlite_url: str) -> None:
    from backoffice.cli.main import app as cli

    result = CliRunner().invoke(cli, ["demo", "--database", sqlite_url], env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    for area in (
        "payments by status: cancelled 1, failed 1, rejected 1, returned 1, settled 16",
        "held payments: 2",
        "receipts by method: card 11",
        "settlement with Harbourline Freight Cooperative",
        "reconciliation Assets:Bank:Checking 2025-11: matched",
        "difference 580.00 USD",
    ):
        assert area in result.output
    assert result.output.rstrip().endswith("verify: OK (digests match, invariants hold)")
