"""Reports: reproducible as of a log position, scoped, filed, explained (SQLite and PostgreSQL).

"Output" for the scope promise is the report's content: rows, generated_from
and digest. The envelope also records the requested ``as_of_position``,
which is the only thing that differs between two runs at different
positions with no in-scope event between them.
"""

from __future__ import annotations

import csv
import inspect
import io
from collections.abc import Iterator, Sequence
from decimal import Decimal
from typing import Any
from uuid import UUID, uuid4

import orjson
import pytest
import typer
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from adapters.log_reader import LogEvent, LogReader
from backoffice.container import System, build_system
from domain.kernel.context import Context
from domain.kernel.errors import InvalidInput
from domain.kernel.money import format_amount
from domain.reporting.errors import UnknownReport, UnknownReportRow
from domain.reporting.filing import ReportFiling
from projections.reports import output as report_output
from projections.reports.framework import DatabaseLogSource, RangeSet, ReportScope, ranges_of
from projections.reports.ledger_projection import projected_fold
from projections.reports.parameters import DateRange
from projections.reports.service import ReportService
from tests.conftest import drop_schema, postgres_base_url
from tests.ledger.support import (
    CLERK,
    entry,
    fund_bank,
    head,
    open_chart,
    spend_from_bank,
    transfer,
)
from tests.ledger.support import line as posting_line

COMPLIANCE = Context("compliance-officer@example.test", "corr-report")
MARCH = "2026-03"
LOAN = "Liabilities:Loan"


@pytest.fixture
def company(system: System) -> System:
    """The ledger chart plus a loan; a March of capital, a loan, sales and rent."""
    app = system.app
    open_chart(app)
    app.open_account(CLERK, LOAN, "Bank loan", "liability", ["USD"], [])
    fund_bank(app, "100.00")
    app.post_journal_entry(entry("loan", transfer("Assets:Bank", LOAN, "40.00")))
    app.post_journal_entry(entry("sale-1", transfer("Assets:Receivables", "Income:Sales", "50.00")))
    spend_from_bank(app, "rent-1", "10.00")
    app.post_journal_entry(
        entry("sale-apr", transfer("Assets:Receivables", "Income:Sales", "7.00"), "2026-04-02")
    )
    return system


def service_of(system: System) -> ReportService:
    return ReportService(system.database, system.app)


def render(system: System, name: str, parameters: dict[str, str], at: int | None = None,
           format: str = "json") -> bytes:  # fmt: skip
    service = service_of(system)
    output = service.start(service.prepare(name, parameters, at))
    return b"".join(output.json_chunks() if format == "json" else output.csv_chunks())


def envelope(system: System, name: str, parameters: dict[str, str], at: int | None = None) -> Any:
    return orjson.loads(render(system, name, parameters, at))


def rows_by_key(document: Any) -> dict[str, dict[str, Any]]:
    return {row["key"]: row for row in document["rows"]}


def content(document: Any) -> dict[str, Any]:
    return {name: value for name, value in document.items() if name != "as_of_position"}


def issue_token(system: System) -> None:
    system.app.issue_token(Context("admin", "corr-token"), "someone", "auditor", lambda s: "0" * 64)


ALL_REPORTS = [
    ("trial-balance", {"period": MARCH}),
    ("balance-sheet", {"as_of_date": "2026-03-31"}),
    ("income-statement", {"period": MARCH}),
    ("audit-extract", {"date_from": "2000-01-01", "date_to": "2199-12-31"}),
    ("screening", {}),
]


# --- reproducibility and scope ------------------------------------------------


@pytest.mark.parametrize(("name", "parameters"), ALL_REPORTS)
def test_the_same_report_at_the_same_position_is_byte_identical(
    company: System, name: str, parameters: dict[str, str]
) -> None:
    at = head(company.app)
    first_json, first_csv = (
        render(company, name, parameters, at),
        render(company, name, parameters, at, "csv"),
    )
    spend_from_bank(company.app, "rent-later", "1.00")
    issue_token(company)
    assert render(company, name, parameters, at) == first_json
    assert render(company, name, parameters, at, "csv") == first_csv
    document = orjson.loads(first_json)
    assert document["as_of_position"] == at
    assert (
        document["digest"]
        == service_of(company).summary(service_of(company).prepare(name, parameters, at))["digest"]
    )


def test_an_event_outside_the_reports_scope_changes_nothing_but_the_recorded_position(
    company: System,
) -> None:
    before = envelope(company, "trial-balance", {"period": MARCH})
    issue_token(company)  # a token: not a ledger event
    company.app.record_access(
        outcome="read", status=200, actor="x", role="auditor", method="GET", route="/v1/x",
        query="", client="127.0.0.1", detail="", correlation_id="c",
    )  # fmt: skip
    after = envelope(company, "trial-balance", {"period": MARCH})
    assert after["as_of_position"] == before["as_of_position"] + 2
    assert content(after) == content(before)


def test_an_entry_dated_outside_the_period_leaves_its_income_statement_unchanged(
    company: System,
) -> None:
    before = envelope(company, "income-statement", {"period": MARCH})
    spend_from_bank(company.app, "rent-may", "3.00", effective_date="2026-05-05")
    assert content(envelope(company, "income-statement", {"period": MARCH})) == content(before)


def test_an_entry_in_the_reports_scope_changes_its_digest(company: System) -> None:
    before = envelope(company, "trial-balance", {"period": MARCH})
    spend_from_bank(company.app, "rent-2", "2.00")
    after = envelope(company, "trial-balance", {"period": MARCH})
    assert after["digest"] != before["digest"]
    assert rows_by_key(after)["Expenses:Rent/USD"]["balance"] == "12.00"
    assert (
        after["generated_from"][-1][1] == head(company.app) - 1
    )  # the entry, not its PostingRecorded


# --- financial statements ------------------------------------------------------------


def test_the_trial_balance_nets_to_zero_with_amounts_as_decimal_strings(company: System) -> None:
    rows = rows_by_key(envelope(company, "trial-balance", {"period": MARCH}))
    assert rows["Assets:Bank/USD"]["balance"] == "130.00"
    assert rows["Assets:Receivables/USD"]["balance"] == "50.00"  # April's sale is after the period
    total = rows["(total)/USD"]
    assert total["debits"] == total["credits"] == "200.00"
    assert total["balance"] == "0.00"
    assert rows["Income:Sales/USD"]["balance_at_close"] is None  # the period is not closed


def test_the_balance_sheet_balances_assets_against_liabilities_equity_and_earnings(
    company: System,
) -> None:
    rows = rows_by_key(envelope(company, "balance-sheet", {"period": MARCH}))
    assets = rows["(total assets)/USD"]["balance"]
    liabilities = rows["(total liabilities)/USD"]["balance"]
    equity = rows["(total equity)/USD"]["balance"]
    assert (assets, liabilities, equity) == ("180.00", "40.00", "140.00")
    assert rows["(current earnings)/USD"]["balance"] == "40.00"  # income 50 - expense 10
    assert rows["Equity:Capital/USD"]["balance"] == "100.00"
    assert rows["(total liabilities and equity)/USD"]["balance"] == assets
    later = rows_by_key(envelope(company, "balance-sheet", {}))
    assert later["(total assets)/USD"]["balance"] == "187.00"
    assert later["(total liabilities and equity)/USD"]["balance"] == "187.00"


def test_the_income_statement_for_a_period_and_for_a_date_range(company: System) -> None:
    march = rows_by_key(envelope(company, "income-statement", {"period": MARCH}))
    assert march["Income:Sales/USD"]["amount"] == "50.00"
    assert march["Expenses:Rent/USD"]["amount"] == "10.00"
    assert march["(net income)/USD"]["amount"] == "40.00"
    spring = rows_by_key(
        envelope(company, "income-statement", {"date_from": "2026-03-01", "date_to": "2026-04-30"})
    )
    assert spring["Income:Sales/USD"]["amount"] == "57.00"
    assert spring["(net income)/USD"]["amount"] == "47.00"


def test_a_pending_entry_counts_once_posted_and_never_when_voided(company: System) -> None:
    app = company.app
    rent = transfer("Expenses:Rent", "Assets:Bank", "3.00")
    kept = app.post_journal_entry(entry("pending-kept", rent, pending=True))
    dropped = app.post_journal_entry(entry("pending-dropped", rent, pending=True))
    before = envelope(company, "income-statement", {"period": MARCH})
    assert rows_by_key(before)["Expenses:Rent/USD"]["amount"] == "10.00"
    app.void_pending(CLERK, dropped.entry_id, "not needed")
    assert content(envelope(company, "income-statement", {"period": MARCH})) == content(before)
    posted_at = app.post_pending(CLERK, kept.entry_id)
    service = service_of(company)
    prepared = service.prepare("income-statement", {"period": MARCH})
    explained = service.explain_row(prepared, row_key="Expenses:Rent/USD")
    assert explained["row"]["amount"] == "13.00"
    positions = [event["position"] for event in explained["events"]]
    assert kept.position in positions and posted_at in positions
    assert dropped.position not in positions


def test_report_parameters_are_checked(company: System) -> None:
    service = service_of(company)
    with pytest.raises(InvalidInput, match="period: required"):
        service.prepare("income-statement", {})
    with pytest.raises(InvalidInput, match="not both"):
        service.prepare("income-statement", {"period": MARCH, "date_from": "2026-03-01"})
    with pytest.raises(InvalidInput, match="unknown"):
        service.prepare("trial-balance", {"colour": "red"})
    with pytest.raises(InvalidInput, match="as_of_position"):
        service.prepare("trial-balance", {}, head(company.app) + 1)
    with pytest.raises(UnknownReport, match="known: trial-balance"):
        service.prepare("payroll-tax", {})


def test_a_closed_period_shows_as_reported_at_close_beside_as_known_now(company: System) -> None:
    app = company.app
    app.close_period(CLERK, MARCH, "month end")
    closed = envelope(company, "income-statement", {"period": MARCH})
    assert closed["context"]["period_status"] == "closed"
    assert rows_by_key(closed)["(net income)/USD"]["difference"] == "0.00"
    app.reopen_period(CLERK, MARCH, "late invoice")
    late = spend_from_bank(app, "rent-late", "4.00")
    app.close_period(CLERK, MARCH, "month end again")
    now = envelope(company, "income-statement", {"period": MARCH})
    context = now["context"]
    assert context["period_status"] == "closed"
    assert len(context["close_positions"]) == 2 and len(context["reopen_positions"]) == 1
    rent, net = rows_by_key(now)["Expenses:Rent/USD"], rows_by_key(now)["(net income)/USD"]
    assert (rent["amount_at_close"], rent["amount"], rent["difference"]) == (
        "10.00",
        "14.00",
        "4.00",
    )
    assert (net["amount_at_close"], net["amount"], net["difference"]) == ("40.00", "36.00", "-4.00")
    assert rent["late_positions"] == str(late.position)
    assert rows_by_key(now)["Income:Sales/USD"]["late_positions"] == ""
    tb = rows_by_key(envelope(company, "trial-balance", {"period": MARCH}))
    assert (tb["Assets:Bank/USD"]["balance_at_close"], tb["Assets:Bank/USD"]["balance"]) == (
        "130.00",
        "126.00",
    )
    bs = rows_by_key(envelope(company, "balance-sheet", {"period": MARCH}))
    assert bs["(current earnings)/USD"]["difference"] == "-4.00"
    explained = service_of(company).explain_row(
        service_of(company).prepare("income-statement", {"period": MARCH}),
        row_key="Expenses:Rent/USD",
    )
    after_close = [event["position"] for event in explained["events"] if event["after_close"]]
    assert after_close == [late.position]


# --- audit extract ---------------------------------------------------------------------


def _denied(system: System) -> int:
    return system.app.record_access(
        outcome="denied", status=403, actor="poster-bot", role="poster", method="GET",
        route="/v1/audit/events", query="limit=5", client="203.0.113.9",
        detail="role poster may not audit:read", correlation_id="corr-denied",
    )  # fmt: skip


def test_the_audit_extract_has_the_pci_dss_fields_for_success_and_failure(company: System) -> None:
    denied_at = _denied(company)
    document = envelope(
        company, "audit-extract", {"date_from": "2000-01-01", "date_to": "2199-12-31"}
    )
    rows = rows_by_key(document)
    assert len(rows) == head(company.app) and document["generated_from"] == [[1, head(company.app)]]
    failure = rows[str(denied_at)]
    assert failure["user"] == "poster-bot"
    assert failure["event_type"] == "AccessRecorded"
    assert failure["outcome"] == "failure"
    assert failure["client_address"] == "203.0.113.9"
    assert failure["origination"] == "client 203.0.113.9"
    assert failure["resource"] == "GET /v1/audit/events?limit=5"
    assert failure["recorded_at"].endswith("+00:00")
    opened = rows["1"]
    assert (opened["user"], opened["event_type"], opened["outcome"]) == (
        CLERK.actor,
        "AccountOpened",
        "success",
    )
    assert opened["resource"].startswith("Account/")
    assert opened["correlation_id"] == CLERK.correlation_id
    assert opened["origination"] == f"actor {CLERK.actor}, correlation {CLERK.correlation_id}"
    nothing = envelope(company, "audit-extract", {"period": "1999-01"})
    assert nothing["rows"] == [] and nothing["generated_from"] == []


class CountingSource(DatabaseLogSource):
    """Counts the events the report has read so far."""

    read = 0

    def events(self, up_to: int, scope: ReportScope, after: int = 0) -> Iterator[LogEvent]:
        for event in super().events(up_to, scope, after):
            self.read += 1
            yield event

    def events_at(self, positions: Sequence[int]) -> list[LogEvent]:
        return super().events_at(positions)


def test_the_audit_extract_streams_rows_as_it_reads_pages(
    company: System, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(report_output, "CHUNK_ROWS", 3)
    source = CountingSource(company.database, page_size=4)
    service = ReportService(company.database, company.app, source)
    output = service.start(
        service.prepare("audit-extract", {"date_from": "2000-01-01", "date_to": "2199-12-31"})
    )
    assert inspect.isgenerator(output.run.rows)
    chunks = output.csv_chunks()
    first = next(chunks)  # the header and the first rows, before the log is read through
    assert first.startswith(b"key,position,recorded_at,user,event_type")
    assert source.read < head(company.app)
    rest = list(chunks)
    assert len(rest) >= 3
    assert source.read == head(company.app)


# --- CSV ----------------------------------------------------------------------------------


def test_csv_is_the_same_rows_in_the_same_order_with_a_header(company: System) -> None:
    document = envelope(company, "trial-balance", {"period": MARCH})
    table = list(
        csv.reader(
            io.StringIO(render(company, "trial-balance", {"period": MARCH}, None, "csv").decode())
        )
    )
    columns = table[0]
    assert columns[0] == "key" and "balance" in columns
    assert [row[0] for row in table[1:]] == [row["key"] for row in document["rows"]]
    for line, row in zip(table[1:], document["rows"], strict=True):
        assert line == ["" if row[name] is None else str(row[name]) for name in columns]


# --- screening ----------------------------------------------------------------------------


def test_the_screening_report_lists_screenings_with_list_version_hits_and_dispositions(
    system: System,
) -> None:
    from domain.sanctions.service import SanctionsScreening
    from tests.sanctions.test_sanctions import ALT, SDN

    screening = SanctionsScreening(system.app)
    loaded = screening.load_list(Context("loader", "c-load"), SDN, ALT, source="test list")
    hit = screening.screen(Context("payments", "c-pay"), "payment", "pay-1", "Jose Luis Munoz")
    screening.screen(Context("payments", "c-pay"), "payment", "pay-2", "Ada Lovelace")
    decided_at = screening.reject(Context("aml-officer", "c-aml"), hit.case_id, "true match")
    document = envelope(system, "screening", {})
    rows = document["rows"]
    assert [row["item_id"] for row in rows] == ["pay-1", "pay-2"]
    first, second = rows
    assert first["list_version"] == loaded.list_version and first["list_source"] == "test list"
    assert first["result"] == "hit" and first["match_count"] >= 1
    assert (first["disposition"], first["disposed_by"], first["disposition_reason"]) == (
        "rejected",
        "aml-officer",
        "true match",
    )
    assert first["disposition_position"] == decided_at
    assert (second["result"], second["disposition"], second["disposed_by"]) == (
        "clear",
        "clear",
        None,
    )
    assert rows_by_key(envelope(system, "screening", {"result": "hit"})).keys() == {first["key"]}


# --- filings and explanations ---------------------------------------------------------------------


def test_a_filing_is_an_event_and_reproduces_to_the_same_digest(company: System) -> None:
    service = service_of(company)
    filed = service.file(COMPLIANCE, "income-statement", {"period": MARCH}, None)
    with LogReader(company.database) as reader:
        (event,) = reader.read_page(filed["position"] - 1, 1)
    assert event.topic.endswith("ReportFiling.ReportFiled")
    assert event.state["digest"] == filed["digest"]
    assert event.state["actor"] == COMPLIANCE.actor
    assert event.state["parameters"] == {"period": MARCH}
    filing_id = UUID(filed["filing_id"])
    assert isinstance(company.app.repository.get(filing_id), ReportFiling)
    view = service.filing(filing_id)
    assert view["reproduction"]["matches"] and view["reproduction"]["digest"] == filed["digest"]
    assert view["now"]["changed"] is False  # the filing itself is not in the report's scope
    spend_from_bank(company.app, "rent-after-filing", "1.00")
    view = service.filing(filing_id)
    assert view["reproduction"]["matches"] is True
    assert view["now"]["changed"] is True and view["now"]["digest"] != filed["digest"]


def test_explain_returns_the_events_behind_a_row(company: System) -> None:
    service = service_of(company)
    filed = service.file(COMPLIANCE, "trial-balance", {"period": MARCH}, None)
    filing_id = UUID(filed["filing_id"])
    explained = service.explain(filing_id, row_key="Expenses:Rent/USD")
    types = [event["event_type"] for event in explained["events"]]
    assert types == ["AccountOpened", "JournalEntryPosted"]
    entry_event = explained["events"][1]
    assert entry_event["payload"]["idempotency_key"] == "rent-1"
    assert entry_event["effective_date"] == "2026-03-10" and entry_event["actor"] == CLERK.actor
    by_index = service.explain(filing_id, row=explained["row_index"])
    assert by_index["events"] == explained["events"]
    total = service.explain(filing_id, row_key="(total)/USD", limit=2)
    assert (
        len(total["events"]) == 2 and total["next_after_position"] == total["events"][1]["position"]
    )
    rest = service.explain(
        filing_id, row_key="(total)/USD", after_position=total["next_after_position"], limit=1000
    )
    assert len(total["events"]) + len(rest["events"]) == total["event_count"]
    with pytest.raises(UnknownReportRow):
        service.explain(filing_id, row=999)


def test_position_ranges_merge_in_any_order() -> None:
    assert ranges_of([5, 1, 2, 9, 3, 7, 8, 3]) == [[1, 3], [5, 5], [7, 9]]
    assert ranges_of([]) == []


# --- API ------------------------------------------------------------------------------------


@pytest.fixture
def reports_api(database_url: str) -> Iterator[Any]:
    from tests.api.support import running_api

    with running_api(database_url) as harness:
        open_chart(harness.system.app)
        fund_bank(harness.system.app, "100.00")
        spend_from_bank(harness.system.app, "rent-1", "10.00")
        yield harness


@pytest.mark.parametrize(("role", "status"), [("compliance", 200), ("auditor", 200), ("poster", 403),
                                              ("approver", 403), ("admin", 403)])  # fmt: skip
def test_reading_reports_is_for_compliance_and_auditors(
    reports_api: Any, role: str, status: int
) -> None:
    assert reports_api.get("/v1/reports", role).status_code == status
    response = reports_api.get("/v1/reports/trial-balance?period=2026-03", role)
    assert response.status_code == status, response.text


def test_the_api_serves_json_and_csv_with_provenance(reports_api: Any) -> None:
    names = [report["name"] for report in reports_api.get("/v1/reports").json()["reports"]]
    # The compliance and financial reports first, then each area's (payroll,
    # inventory, billing), every name once.
    assert names[:8] == [
        "trial-balance",
        "balance-sheet",
        "income-statement",
        "audit-extract",
        "screening",
        "large-cash",
        "structuring",
        "segregation-of-duties",
    ]
    assert len(names) == len(set(names))
    assert {"payroll-941", "inventory-valuation", "billing-ar-aging"} <= set(names)
    at = reports_api.event_count()
    first = reports_api.get(f"/v1/reports/trial-balance?period=2026-03&as_of_position={at}")
    again = reports_api.get(f"/v1/reports/trial-balance?period=2026-03&as_of_position={at}")
    assert first.status_code == 200 and first.content == again.content
    document = first.json()
    assert document["as_of_position"] == at
    as_csv = reports_api.get(
        f"/v1/reports/trial-balance?period=2026-03&as_of_position={at}&format=csv"
    )
    assert as_csv.headers["content-type"].startswith("text/csv")
    assert as_csv.headers["x-report-digest"] == document["digest"]
    assert as_csv.headers["x-report-as-of-position"] == str(at)
    assert orjson.loads(as_csv.headers["x-report-generated-from"]) == document["generated_from"]
    assert as_csv.text.splitlines()[0].startswith("key,account,")
    provenance = reports_api.get(
        f"/v1/reports/trial-balance?period=2026-03&as_of_position={at}&format=provenance"
    )
    assert provenance.json()["digest"] == document["digest"] and "rows" not in provenance.json()
    assert reports_api.get("/v1/reports/nope").status_code == 404
    assert reports_api.get("/v1/reports/income-statement").json()["code"] == "invalid_input"
    assert (
        reports_api.get(f"/v1/reports/trial-balance?as_of_position={at + 10**6}").status_code == 422
    )
    denied = reports_api.get("/v1/reports/audit-extract?period=2026-01", "poster")
    assert denied.status_code == 403


def test_the_api_files_reproduces_and_explains(reports_api: Any) -> None:
    body = {"parameters": {"period": "2026-03"}}
    refused = reports_api.post("/v1/reports/income-statement/filings", "auditor", body)
    assert refused.status_code == 403
    response = reports_api.post(
        "/v1/reports/income-statement/filings", "compliance", body, key="file-1"
    )
    assert response.status_code == 201, response.text
    filed = response.json()
    assert filed["filed_by"] == "compliance-actor" and len(filed["digest"]) == 64
    replayed = reports_api.post(
        "/v1/reports/income-statement/filings", "compliance", body, key="file-1"
    )
    assert (
        replayed.content == response.content and replayed.headers["idempotency-replayed"] == "true"
    )
    view = reports_api.get(f"/v1/reports/filings/{filed['filing_id']}").json()
    assert view["filing"]["digest"] == filed["digest"]
    assert view["reproduction"]["matches"] is True and view["now"]["changed"] is False
    explained = reports_api.get(
        f"/v1/reports/filings/{filed['filing_id']}/explain", params={"row_key": "Expenses:Rent/USD"}
    )
    assert explained.status_code == 200
    assert [event["event_type"] for event in explained.json()["events"]] == [
        "AccountOpened",
        "JournalEntryPosted",
    ]
    assert (
        reports_api.get(
            f"/v1/reports/filings/{filed['filing_id']}/explain?row=0", "poster"
        ).status_code
        == 403
    )
    missing = reports_api.get("/v1/reports/filings/00000000-0000-0000-0000-000000000000")
    assert missing.status_code == 404


# --- CLI ------------------------------------------------------------------------------------


@pytest.fixture
def cli() -> typer.Typer:
    from backoffice.cli import reporting as cli_reports

    app = typer.Typer()
    app.add_typer(cli_reports.commands)

    @app.command("noop")  # with one command typer would run it without its name
    def noop() -> None: ...

    return app


def test_the_cli_writes_a_report_and_its_provenance(
    company: System, cli: typer.Typer, tmp_path: Any
) -> None:
    url = company.database.url
    at = head(company.app)
    out = tmp_path / "tb.csv"
    result = CliRunner().invoke(
        cli,
        ["report", "trial-balance", "--database", url, "--as-of-position", str(at), "--format", "csv",
         "--out", str(out), "--param", "period=2026-03"],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert out.read_bytes() == render(company, "trial-balance", {"period": MARCH}, at, "csv")
    sidecar = orjson.loads((tmp_path / "tb.csv.provenance.json").read_bytes())
    assert sidecar["digest"] == envelope(company, "trial-balance", {"period": MARCH}, at)["digest"]
    as_json = CliRunner().invoke(
        cli, ["report", "audit-extract", "--database", url, "--as-of-position", str(at),
              "--param", "date_from=2000-01-01", "--param", "date_to=2199-12-31"],
    )  # fmt: skip
    assert as_json.exit_code == 0, as_json.output
    assert as_json.stdout_bytes == render(
        company, "audit-extract", {"date_from": "2000-01-01", "date_to": "2199-12-31"}, at
    )
    unknown = CliRunner().invoke(cli, ["report", "payroll-tax", "--database", url])
    assert unknown.exit_code == 2
    assert "trial-balance" in unknown.output and "screening" in unknown.output


# --- provenance and the projection path ------------------------------------------------------


def _service(system: System, via_projection: bool) -> ReportService:
    """The served path (caught-up balances projection) or the whole-log fold."""
    if via_projection:
        system.projections.catch_up()
        return ReportService(system.database, system.app)
    source = DatabaseLogSource(system.database, fast_paths=False)
    return ReportService(system.database, system.app, source)


def _render_with(service: ReportService, name: str, parameters: dict[str, str],
                 at: int | None = None) -> bytes:  # fmt: skip
    return b"".join(service.start(service.prepare(name, parameters, at)).json_chunks())


def _expected_positions(system: System, date_to: str) -> dict[str, list[int]]:
    """Per trial-balance row key, the events it must come from, read raw from the log:
    entries dated up to ``date_to`` posting to the account and asset (a two-phase
    entry by its recorded and posted events, once posted), and the account's opening."""
    entries: dict[tuple[str, str], set[int]] = {}
    opened: dict[str, int] = {}
    pending: dict[str, tuple[list[Any], int]] = {}

    def post(postings: list[Any], positions: tuple[int, ...]) -> None:
        for account, _direction, _amount, asset in postings:
            entries.setdefault((account, asset), set()).update(positions)

    with LogReader(system.database) as reader:
        for page in reader.pages():
            for event in page:
                kind = event.topic.rsplit(".", 1)[-1]
                if kind == "AccountOpened":
                    opened[event.state["code"]] = event.position
                elif kind == "JournalEntryPosted" and event.state["effective_date"] <= date_to:
                    post(event.state["postings"], (event.position,))
                elif kind == "PendingEntryRecorded" and event.state["effective_date"] <= date_to:
                    pending[event.originator_id] = (event.state["postings"], event.position)
                elif kind == "PendingEntryPosted" and event.originator_id in pending:
                    postings, recorded_at = pending.pop(event.originator_id)
                    post(postings, (recorded_at, event.position))
    expected = {
        f"{account}/{asset}": sorted(positions | {opened[account]})
        for (account, asset), positions in entries.items()
    }
    by_asset: dict[str, set[int]] = {}
    for (account, asset), positions in entries.items():
        by_asset.setdefault(asset, set()).update(positions | {opened[account]})
    expected |= {f"(total)/{asset}": sorted(found) for asset, found in by_asset.items()}
    return expected


def _two_phase_and_other_currency(app: Any) -> None:
    rent = transfer("Expenses:Rent", "Assets:Bank", "3.00")
    kept = app.post_journal_entry(entry("pending-kept", rent, pending=True))
    dropped = app.post_journal_entry(entry("pending-dropped", rent, pending=True))
    app.post_pending(CLERK, kept.entry_id)
    app.void_pending(CLERK, dropped.entry_id, "not needed")
    app.post_journal_entry(
        entry("euro-capital", transfer("Assets:Bank:EUR", "Equity:Capital", "25.00", "EUR"))
    )
    app.post_journal_entry(entry("pending-open", rent, pending=True))  # still pending: nowhere


@pytest.mark.parametrize("via_projection", [True, False], ids=["projection", "log_fold"])
def test_each_trial_balance_row_comes_from_exactly_its_entries_and_its_accounts_opening(
    company: System, via_projection: bool
) -> None:
    _two_phase_and_other_currency(company.app)
    service = _service(company, via_projection)
    parameters = {"as_of_date": "2026-03-31"}
    prepared = service.prepare("trial-balance", parameters)
    document = orjson.loads(b"".join(service.start(prepared).json_chunks()))
    expected = _expected_positions(company, "2026-03-31")
    assert sorted(row["key"] for row in document["rows"]) == sorted(expected)
    for row in document["rows"]:
        explained = service.explain_row(prepared, row_key=row["key"], limit=1000)
        assert [event["position"] for event in explained["events"]] == expected[row["key"]]
    everything = {position for positions in expected.values() for position in positions}
    assert document["generated_from"] == ranges_of(everything)


@pytest.mark.parametrize(
    ("name", "parameters"),
    [
        ("trial-balance", {}),
        ("trial-balance", {"period": MARCH}),
        ("balance-sheet", {"as_of_date": "2026-03-31"}),
        ("balance-sheet", {"period": MARCH}),
        ("income-statement", {"period": MARCH}),
        ("income-statement", {"date_from": "2026-03-11", "date_to": "2026-04-30"}),
    ],
)
def test_the_balances_projection_gives_the_same_bytes_as_folding_the_log(
    company: System, name: str, parameters: dict[str, str]
) -> None:
    app = company.app
    _two_phase_and_other_currency(app)
    app.close_period(CLERK, MARCH, "month end")
    closed_at = head(app)
    app.reopen_period(CLERK, MARCH, "late invoice")
    spend_from_bank(app, "rent-late", "4.00")
    app.close_period(CLERK, MARCH, "month end again")
    projection, log_fold = _service(company, True), _service(company, False)
    for at in (None, closed_at, closed_at - 3, 5):
        served = _render_with(projection, name, parameters, at)
        assert served == _render_with(log_fold, name, parameters, at), (name, at)
    assert projected_fold(company.database, head(app), DateRange(None, None), MARCH) is not None
    spend_from_bank(
        app, "rent-unprojected", "1.00", effective_date="2026-04-05"
    )  # not projected yet
    assert projected_fold(company.database, head(app), DateRange(None, None), None) is None
    assert _render_with(projection, name, parameters) == _render_with(log_fold, name, parameters)


def test_an_account_opened_in_another_currency_leaves_the_trial_balance_digest_unchanged(
    company: System,
) -> None:
    first = envelope(company, "trial-balance", {"period": MARCH})
    assert envelope(company, "trial-balance", {"period": MARCH})["digest"] == first["digest"]
    company.app.open_account(CLERK, "Assets:Bank:JPY", "Yen account", "asset", ["JPY"], [])
    issue_token(company)
    assert envelope(company, "trial-balance", {"period": MARCH})["digest"] == first["digest"]
    fund_bank(company.app, "5.00", key="more-capital")
    assert envelope(company, "trial-balance", {"period": MARCH})["digest"] != first["digest"]


@given(st.lists(st.lists(st.integers(0, 300), max_size=80), max_size=8))
@settings(max_examples=200, derandomize=True, deadline=None)
def test_position_ranges_are_the_same_added_one_by_one_or_in_batches(
    batches: list[list[int]],
) -> None:
    one_by_one, batched = RangeSet(), RangeSet()
    for batch in batches:
        for position in batch:
            one_by_one.add(position)
        batched.update(batch)
    reference: list[list[int]] = []
    for position in sorted({position for batch in batches for position in batch}):
        if reference and reference[-1][1] + 1 == position:
            reference[-1][1] = position
        else:
            reference.append([position, position])
    assert one_by_one.ranges() == batched.ranges() == reference


# --- property: the statements agree with each other for any ledger -------------------------

ACCOUNT_TYPES = ("asset", "liability", "equity", "income", "expense")
LEDGER_DAYS = ("2026-01-20", "2026-02-01", "2026-02-14", "2026-02-28", "2026-03-03", "2026-03-30")
PERIOD_FIRST_DAY, PERIOD_LAST_DAY = "2026-02-01", "2026-02-28"  # entries before, in and after


@st.composite
def random_ledgers(draw: st.DrawFn) -> tuple[list[tuple[str, str]], list[Any]]:
    """Accounts of every type (1-2 each, USD and EUR) and balanced entries among them."""
    accounts = [
        (f"{kind.title()}:A{index}", kind)
        for kind in ACCOUNT_TYPES
        for index in range(draw(st.integers(1, 2)))
    ]
    entries = []
    for number in range(draw(st.integers(1, 12))):
        asset = draw(st.sampled_from(("USD", "EUR")))
        chosen = draw(st.lists(st.sampled_from(accounts), min_size=2, max_size=4, unique=True))
        amounts = [draw(st.integers(1, 10**7)) for _ in chosen[1:]]
        debit_first = draw(st.booleans())
        postings = [
            posting_line(
                code, "debit" if debit_first else "credit", format_amount(amount, 2), asset
            )
            for (code, _kind), amount in zip(chosen[1:], amounts, strict=True)
        ]
        postings.append(
            posting_line(
                chosen[0][0],
                "credit" if debit_first else "debit",
                format_amount(sum(amounts), 2),
                asset,
            )
        )
        entries.append(entry(f"random-{number}", postings, draw(st.sampled_from(LEDGER_DAYS))))
    return accounts, entries


def _minor(text: str) -> int:
    return int(Decimal(text) * 100)  # Decimal only at the edge: amounts have two decimals here


def _balance_sheet(system: System, as_of_date: str) -> dict[str, int]:
    document = envelope(system, "balance-sheet", {"as_of_date": as_of_date})
    return {row["key"]: _minor(row["balance"]) for row in document["rows"]}


@pytest.mark.parametrize(
    "backend", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]
)
def test_for_any_ledger_the_balance_sheet_balances_and_net_income_is_the_change_in_earnings(
    backend: str, tmp_path: Any
) -> None:
    """For random ledgers, per asset:

    - balance sheet (as of any date): total assets = total liabilities and
      equity, where total equity = the equity accounts + current earnings, and
      current earnings = income - expenses dated up to that date;
    - income statement of a period: net income = current earnings at the
      period's last day - current earnings the day before its first day;
      equivalently, the change in total equity over the period less the
      change in the equity accounts (contributions, which are not earnings).

    SQLite: 60 examples; PostgreSQL: 15 (a fresh schema per example); every
    other example reads the ledger lines from the caught-up balances projection.
    Derandomized (a fixed seed), so a failure reproduces.
    """
    if backend == "postgres" and postgres_base_url() is None:
        pytest.skip("PostgreSQL test: set BACKOFFICE_TEST_DATABASE_URL")
    examples = iter(range(10**6))

    @given(random_ledgers())
    @settings(
        max_examples=60 if backend == "sqlite" else 15,
        derandomize=True,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow],
    )
    def check(ledger: tuple[list[tuple[str, str]], list[Any]]) -> None:
        accounts, entries = ledger
        number = next(examples)
        if backend == "sqlite":
            url = f"sqlite:///{tmp_path / f'ledger-{number}.db'}"
        else:
            schema = f"bo_test_prop_{uuid4().hex[:8]}"
            url = f"{postgres_base_url()}?schema={schema}"
        system = build_system(url)
        try:
            for code, kind in accounts:
                system.app.open_account(CLERK, code, code, kind, ["USD", "EUR"], [])
            for command in entries:
                system.app.post_journal_entry(command)
            if number % 2:
                system.projections.catch_up()
            _check_statements(system, accounts)
        finally:
            system.close()
            if backend == "postgres":
                drop_schema(str(postgres_base_url()), schema)

    check()


def _check_statements(system: System, accounts: list[tuple[str, str]]) -> None:
    equity_codes = [code for code, kind in accounts if kind == "equity"]
    before = _balance_sheet(system, "2026-01-31")
    after = _balance_sheet(system, PERIOD_LAST_DAY)
    later = _balance_sheet(system, "2026-12-31")
    for sheet in (before, after, later):
        for asset in ("USD", "EUR"):
            if f"(total assets)/{asset}" not in sheet:
                continue
            assert (
                sheet[f"(total assets)/{asset}"] == sheet[f"(total liabilities and equity)/{asset}"]
            )
            assert sheet[f"(total equity)/{asset}"] == sheet[f"(current earnings)/{asset}"] + sum(
                sheet.get(f"{code}/{asset}", 0) for code in equity_codes
            )
    statement = envelope(system, "income-statement", {"period": "2026-02"})
    net = {row["asset"]: _minor(row["amount"]) for row in statement["rows"]
           if row["account"] == "(net income)"}  # fmt: skip
    for asset in ("USD", "EUR"):
        earnings_change = after.get(f"(current earnings)/{asset}", 0) - before.get(
            f"(current earnings)/{asset}", 0
        )
        assert net.get(asset, 0) == earnings_change
        contributions = sum(
            after.get(f"{code}/{asset}", 0) - before.get(f"{code}/{asset}", 0)
            for code in equity_codes
        )
        equity_change = after.get(f"(total equity)/{asset}", 0) - before.get(
            f"(total equity)/{asset}", 0
        )
        assert net.get(asset, 0) == equity_change - contributions
