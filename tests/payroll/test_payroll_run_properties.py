"""Properties of runs over random employees (seeded, both backends): net =
gross - employee lines, each run's entry balances, year-to-date never decreases."""

from __future__ import annotations

import itertools
from uuid import UUID

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from backoffice.container import System
from domain.payroll.payslip import EARNING, WITHHELD_KINDS
from tests.payroll.workplace import Desk, hire_id, hire_us, open_company, pay_month

_groups = itertools.count()
US_SALARY = st.integers(min_value=1, max_value=4_000_000).map(lambda c: f"{c // 100}.{c % 100:02d}")
ID_SALARY = st.integers(min_value=1, max_value=80_000).map(lambda k: str(k * 1000))
EMPLOYEES = st.lists(
    st.tuples(st.sampled_from(["US", "ID"]), st.integers(0, 10**6), st.integers(1, 28)),
    min_size=1,
    max_size=4,
)


@pytest.fixture
def desk(system: System) -> Desk:
    return open_company(system)


@settings(
    max_examples=6,
    derandomize=True,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(employees=EMPLOYEES, us_salary=US_SALARY, id_salary=ID_SALARY)
def test_every_run_nets_balances_and_never_lowers_year_to_date(
    desk: Desk, employees: list[tuple[str, int, int]], us_salary: str, id_salary: str
) -> None:
    batch = next(_groups)
    groups = {"US": f"us-{batch}", "ID": f"id-{batch}"}
    hired: dict[str, list[UUID]] = {"US": [], "ID": []}
    for n, (jurisdiction, seed, day) in enumerate(employees):
        reference = f"P{batch:03d}-{n:04d}"
        hire_date = f"2026-01-{day:02d}"
        if jurisdiction == "US":
            hired["US"].append(
                hire_us(desk, reference, us_salary, hire_date=hire_date, group=groups["US"])
            )
        else:
            hired["ID"].append(
                hire_id(
                    desk,
                    reference,
                    id_salary,
                    hire_date=hire_date,
                    group=groups["ID"],
                    ptkp_status=["TK/0", "K/1", "K/3"][seed % 3],
                )
            )
    for jurisdiction, ids in hired.items():
        if not ids:
            continue
        previous: dict[str, dict[str, int]] = {}
        for month in (1, 2, 3):
            run = pay_month(desk, groups[jurisdiction], jurisdiction, 2026, month)
            entry = desk.app.get_entry(UUID(run.entry_id))
            debits = sum(p.amount_minor for p in entry.lines if p.direction == "debit")
            credits = sum(p.amount_minor for p in entry.lines if p.direction == "credit")
            assert debits == credits
            for slip in run.payslips:
                gross = sum(
                    line["amount_minor"] for line in slip["lines"] if line["kind"] == EARNING
                )
                withheld = sum(
                    line["amount_minor"] for line in slip["lines"] if line["kind"] in WITHHELD_KINDS
                )
                assert slip["gross_minor"] == gross
                assert slip["net_minor"] == gross - withheld
                earlier = previous.get(slip["employee_id"])
                if earlier is not None:
                    assert slip["ytd_before"] == earlier
                    for key in ("wages", "taxable_gross"):
                        if key in earlier:
                            assert slip["ytd_after"][key] >= earlier[key]
                previous[slip["employee_id"]] = slip["ytd_after"]
