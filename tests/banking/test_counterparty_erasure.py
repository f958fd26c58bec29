"""Statement counterparties are personal data: sealed under their own subject's
key on import, so erasing that subject leaves none of it in any stored byte of
the log (the events table's state column). Both backends."""

from __future__ import annotations

from typing import Any
from uuid import UUID

import pytest

from adapters.subject_keys import SubjectKeyStore
from domain.banking.records import bank_statement_id
from domain.banking.service import BankReconciler
from domain.kernel.context import Context
from domain.subjects.service import SubjectRegistry
from domain.subjects.subject import ERASED
from tests.banking.camt_support import IBAN, Ntry, Stmt, Tx, camt053

CLERK = Context("clerk@example.test", "corr-bank")
ADMIN = Context("admin@example.test", "corr-erase")
PERSON = "Jane Quennell-Roe"
PERSON_IBAN = "GB33BUKB20201555555555"
CSV_HEADER = (
    "account,statement_id,booking_date,value_date,amount,currency,reference,"
    "counterparty,description,kind\n"
)


def raw_log(system: Any) -> bytes:
    """Every stored event's state, as the events table holds it."""
    rows = system.app.recorder.select_notifications(start=1, limit=100_000)
    return b"".join(bytes(row.state) for row in rows)


def forms(value: str) -> list[bytes]:
    return [form.encode() for form in {value, value.lower(), value.upper()}]


@pytest.fixture
def desk(system: Any) -> tuple[BankReconciler, SubjectRegistry]:
    system.app.open_account(CLERK, "Assets:Bank:EUR", "Euro bank", "asset", ["EUR"])
    registry = SubjectRegistry(system.app, SubjectKeyStore(system.database))
    return BankReconciler(system.app, system.projections, registry), registry


def test_an_erased_counterparty_leaves_no_byte_of_their_name_or_iban_in_the_log(
    system: Any, desk: tuple[BankReconciler, SubjectRegistry]
) -> None:
    bank, registry = desk
    camt = camt053([Stmt("S-1", [Ntry("10.00", transactions=[Tx(debtor=PERSON)])])])
    csv = (
        CSV_HEADER
        + "ACC-9,2026-01,2025-12-31,,100.00,EUR,,,,opening\n"
        + f'ACC-9,2026-01,2026-01-05,,25.00,EUR,INV-7,"{PERSON} {PERSON_IBAN}",invoice 7,\n'
        + "ACC-9,2026-01,2026-01-31,,125.00,EUR,,,,closing\n"
    ).encode()
    bank.import_statements(CLERK, camt, "Assets:Bank:EUR", "camt053")
    bank.import_statements(CLERK, csv, "Assets:Bank:EUR", "csv")
    views = [
        bank.statement_view(bank_statement_id(IBAN, "S-1", "1")),
        bank.statement_view(bank_statement_id("ACC-9", "2026-01", "")),
    ]
    details = [line["details"][0] for view in views for line in view["lines"]]
    assert [detail["counterparty"] for detail in details] == [PERSON, f"{PERSON} {PERSON_IBAN}"]
    stored = raw_log(system)
    for value in (PERSON, PERSON_IBAN):
        assert not any(form in stored for form in forms(value))  # sealed from the start
    for detail in details:
        registry.erase(ADMIN, UUID(detail["counterparty_subject_id"]), "customer asked")
    stored = raw_log(system)
    for value in (PERSON, PERSON_IBAN):
        assert not any(form in stored for form in forms(value))
    erased = bank.statement_view(bank_statement_id(IBAN, "S-1", "1"))
    assert erased["lines"][0]["details"][0]["counterparty"] == ERASED


def test_without_a_subject_registry_a_counterparty_is_not_stored(system: Any) -> None:
    system.app.open_account(CLERK, "Assets:Bank:EUR", "Euro bank", "asset", ["EUR"])
    bank = BankReconciler(system.app, system.projections)
    camt = camt053([Stmt("S-2", [Ntry("10.00", transactions=[Tx(debtor=PERSON)])])])
    bank.import_statements(CLERK, camt, "Assets:Bank:EUR", "camt053")
    assert not any(form in raw_log(system) for form in forms(PERSON))
    view = bank.statement_view(bank_statement_id(IBAN, "S-2", "1"))
    assert view["lines"][0]["details"][0]["counterparty"] == ""
