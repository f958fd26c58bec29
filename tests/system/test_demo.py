"""The demo year (``backoffice demo``): the ledger, its business, the warehouse,
a quarter of billing, the payroll year, and a second run that writes nothing.
The year runs on both backends; the CLI once, on SQLite."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from typing import Any
from uuid import uuid4

import pytest
from typer.testing import CliRunner

from adapters.subject_keys import SubjectKeyStore
from backoffice.container import System, build_system
from backoffice.demo import billing as demo_billing
from backoffice.demo import data
from backoffice.demo import warehouse as wh
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
    assert trial.balanced and {total.asset for total in trial.totals} == {"USD", "EUR", "IDR"}
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


def test_the_warehouse_values_both_methods_and_corrects_the_back_dated_receipts(
    year: Any,
) -> None:
    system, report, _business = year
    warehouse = report.warehouse
    assert warehouse is not None
    assert warehouse.items_by_method == {"fifo": 6, "moving_average": 6}
    assert warehouse.on_hand_by_location == {"WH-MAIN": 12, "WH-SHOP": 4}
    kinds = warehouse.movements_by_kind
    assert (kinds["receipt"], kinds["transfer"], kinds["return"]) == (26, 4, 1)
    assert kinds["write_off"] + kinds.get("gain", 0) == 3  # the year-end count
    assert not warehouse.refused
    corrected = {correction.sku for correction in warehouse.corrections}
    assert corrected == set(wh.BACKDATED_SKUS)  # FIFO and moving average both
    assert all(correction.delta_minor for correction in warehouse.corrections)
    # The ledger follows each item's own method: the inventory accounts hold it.
    balances = {
        (line.account, line.asset): line for line in system.projections.trial_balance().lines
    }
    for method, account in wh.INVENTORY_ACCOUNT.items():
        line = balances[account, "USD"]
        assert line.debits_posted - line.credits_posted == warehouse.own_method_value[method]
    assert warehouse.value_if["fifo"] != warehouse.value_if["moving_average"]


def test_a_quarter_of_billing_in_usd_and_idr_ends_with_the_aging_and_ppn_filed(
    year: Any,
) -> None:
    _system, report, _business = year
    billing = report.billing
    assert billing is not None
    assert billing.invoices == {"USD": demo_billing.USD_INVOICES, "IDR": demo_billing.IDR_INVOICES}
    assert billing.first_last  # one gap-free series (verify checks it)
    assert billing.by_status["credited"] == billing.by_status["written_off"] == 1
    assert billing.by_status["partially_paid"] > 0 and billing.by_status["paid"] > 0
    assert len(billing.credit_notes) == 1
    assert billing.receipts_applied >= 20
    assert set(billing.open_receivables) == {"USD", "IDR"}
    # PPN 12% on 11/12 of the price is 11% of it (whole-rupiah lines).
    assert billing.output_tax["IDR"] > 0 and billing.output_tax.get("USD", 0) == 0
    assert billing.input_tax == {"IDR": 495_000_00}  # 12% x 11/12 x 4,500,000
    assert billing.bill_lines_matched == 26  # every goods receipt of the warehouse
    assert billing.bills == 4 and billing.bills_by_status == {"paid": 4}
    assert [filed.report for filed in billing.filed] == ["billing-ar-aging", "billing-tax"]
    assert all(filed.row_count and len(filed.digest) == 64 for filed in billing.filed)


def test_the_payroll_year_is_paid_with_four_eyes_retro_pay_a_bonus_and_the_true_up(
    year: Any,
) -> None:
    system, report, _business = year
    payroll = report.payroll
    assert payroll is not None
    assert payroll.employees == {"US": (20, 0), "ID": (10, 1)}
    assert payroll.runs == {"regular paid": 24, "off_cycle paid": 1}
    assert set(payroll.payments) == {"settled"}
    assert payroll.arrears == {"USD": 650_00}  # March's difference, paid in April
    assert payroll.bonus_gross_minor > 0
    assert payroll.december_pph21_minor != 0
    assert [filed.report for filed in payroll.filed] == ["payroll-941", "payroll-pph21-monthly"]
    company = DemoCompany(system.app, SEED, keys=SubjectKeyStore(system.database))
    assert company.payroll is not None
    for run in company.payroll.payroll.runs():
        approvers = [item["approver"] for item in run.current_approvals()]
        assert approvers == [company.payroll.controller.actor]
        assert company.payroll.clerk.actor not in approvers


def test_a_second_run_writes_nothing_and_reports_the_same(year: Any) -> None:
    system, first, business = year
    before = head(system)
    again = run_year(system)
    assert head(system) == before
    assert (again.entries_posted, again.reversals, again.periods_closed) == (0, 0, [])
    assert again.business is not None
    assert again.business.erasure_kept_balances is None  # erased by the first run
    assert replace(again.business, erasure_kept_balances=True) == business
    assert (again.warehouse, again.billing, again.payroll) == (
        first.warehouse,
        first.billing,
        first.payroll,
    )


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
        "warehouse: 12 items (fifo 6, moving average 6)",
        "back-dated receipts corrected",
        "billing: 30 invoices issued (IDR 12, USD 18",
        "filed billing-tax (period=2025-12)",
        "payroll: ID 10 hired, 1 left, US 20 hired, 0 left",
        "filed payroll-941 (quarter=2025-Q3)",
        "filed payroll-pph21-monthly (period=2025-12)",
    ):
        assert area in result.output
    assert result.output.rstrip().endswith("verify: OK (digests match, invariants hold)")
