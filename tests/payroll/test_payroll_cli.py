"""``backoffice payroll ...`` on both backends: employees, runs, one run with its
payslips, and the calculator on a JSON file, as tables and as JSON."""

from __future__ import annotations

from pathlib import Path
from uuid import uuid4

import orjson
from typer.testing import CliRunner

from backoffice.cli.main import app
from backoffice.container import build_system
from tests.payroll.support import us_body
from tests.payroll.workplace import hire_us, open_company, pay_month


def run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(app, list(args))
    return result.exit_code, result.output


def test_payroll_commands(database_url: str) -> None:
    system = build_system(database_url)
    try:
        desk = open_company(system)
        employee_id = hire_us(desk, "US-0001", "5000.00", name="Alice Example")
        paid = pay_month(desk, "us-monthly", "US", 2025, 1)
    finally:
        system.close()
    db = ("--database", database_url)

    code, out = run("payroll", "employees", "list", "--json", *db)
    assert code == 0, out
    (employee,) = orjson.loads(out)
    assert employee["id"] == str(employee_id) and employee["reference"] == "US-0001"
    code, out = run("payroll", "employees", "list", *db)
    assert code == 0 and "US-0001" in out and "Alice" not in out
    code, out = run("payroll", "employees", "list", "--pay-group", "nobody", "--json", *db)
    assert code == 0 and orjson.loads(out) == []

    code, out = run("payroll", "runs", "list", "--json", *db)
    assert code == 0, out
    (listed,) = orjson.loads(out)
    assert listed["id"] == str(paid.id) and listed["status"] == "paid"
    assert listed["totals"]["gross"] == 500000
    code, out = run("payroll", "runs", "list", "--status", "opened", "--json", *db)
    assert code == 0 and orjson.loads(out) == []
    code, out = run("payroll", "runs", "list", *db)
    assert code == 0 and str(paid.id) in out and "5000.00" in out

    code, out = run("payroll", "runs", "show", str(paid.id), "--json", *db)
    assert code == 0, out
    shown = orjson.loads(out)
    assert shown["payslips"] == paid.payslips and shown["entry_id"] == paid.entry_id
    code, out = run("payroll", "runs", "show", str(paid.id), *db)
    assert code == 0 and "total gross: 5000.00 USD" in out and str(employee_id) in out
    assert "Alice" not in out
    code, out = run("payroll", "runs", "show", str(uuid4()), *db)
    assert code == 2 and "refused (unknown_payroll_run)" in out
    code, out = run("payroll", "runs", "show", "not-a-uuid", *db)
    assert code == 2


def test_payroll_calculate_prints_the_payslip_of_a_json_file(tmp_path: Path) -> None:
    request = tmp_path / "request.json"
    request.write_bytes(orjson.dumps(us_body()))
    code, out = run("payroll", "calculate", str(request), "--json")
    assert code == 0, out
    payslip = orjson.loads(out)
    assert payslip["gross"] == "2518.61"
    lines = {line["code"]: line for line in payslip["lines"]}
    assert lines["social_security"]["amount"] == "156.15"  # 2,518.61 x 6.2% = 156.15382
    assert lines["medicare"]["amount"] == "36.52"  # x 1.45% = 36.519845
    code, out = run("payroll", "calculate", str(request))
    assert code == 0 and "federal_income_tax" in out and "gross 2518.61" in out

    request.write_bytes(orjson.dumps(us_body(tax_year=2019)))
    code, out = run("payroll", "calculate", str(request))
    assert code == 2 and "refused" in out
    request.write_bytes(b"{not json")
    code, out = run("payroll", "calculate", str(request))
    assert code == 2 and "not JSON" in out
    code, out = run("payroll", "calculate", str(tmp_path / "missing.json"))
    assert code == 2
