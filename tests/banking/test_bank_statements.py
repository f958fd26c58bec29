"""Bank statements: camt.053 and CSV parsing (pure), and importing them (both backends)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from api.error_status import status_for
from domain.banking.errors import InvalidStatement, StatementAlreadyImported
from domain.banking.records import BankStatement, bank_statement_id
from domain.banking.service import BankReconciler
from domain.banking.statement_csv import write_csv
from domain.banking.statements import parse_statements
from domain.kernel.context import Context
from domain.ledger.errors import AssetNotAllowed, UnknownAccount
from tests.banking.camt_support import IBAN, Ntry, Stmt, Tx, camt053

SAMPLES = Path(__file__).resolve().parents[3] / "shared" / "samples" / "camt"
CLERK = Context("clerk@example.test", "corr-bank-tests")


def parse_one(raw: bytes, source_format: str = "camt053") -> Any:
    statements = parse_statements(raw, source_format)
    assert len(statements) == 1
    return statements[0]


# --- camt.053 -------------------------------------------------------------------


@pytest.mark.parametrize("version", ["02", "04", "06", "08", "10"])
def test_every_schema_version_parses_alike(version: str) -> None:
    raw = camt053(
        [
            Stmt(
                entries=[
                    Ntry(
                        "250.00",
                        "CRDT",
                        entry_ref="N1",
                        transactions=[
                            Tx(end_to_end_id="E2E-1", debtor="ACME GmbH", remittance="invoice 7")
                        ],
                    ),
                    Ntry("80.10", "DBIT", booking_date="2026-01-07", servicer_ref="BANK-REF-2"),
                ]
            )
        ],
        version=version,
    )
    statement = parse_one(raw)
    assert (statement.bank_account, statement.statement_id, statement.sequence) == (
        IBAN,
        "STMT-1",
        "1",
    )
    assert statement.currency == "EUR"
    first, second = statement.lines
    assert (first.direction, first.amount_minor, first.signed_minor) == ("credit", 25000, 25000)
    assert (second.direction, second.amount_minor, second.signed_minor) == ("debit", 8010, -8010)
    assert first.details[0].counterparty == "ACME GmbH"
    assert first.references()[:1] == ["E2E-1"]
    assert "N1" in first.references() and "invoice 7" in first.references()
    assert second.account_servicer_reference == "BANK-REF-2"
    assert statement.balance_check.status == "ok"
    assert statement.balance_check.expected_closing_minor == 100000 + 25000 - 8010


def test_a_file_with_several_statements_gives_each_its_lines_and_check() -> None:
    raw = camt053(
        [
            Stmt("S-1", [Ntry("10.00")], sequence="1"),
            Stmt("S-2", [Ntry("5.00", "DBIT"), Ntry("7.00")], opening="1010.00", sequence="2"),
            Stmt("S-3", [], opening=None, closing=None, sequence="3"),
        ]
    )
    statements = parse_statements(raw)
    assert [s.statement_id for s in statements] == ["S-1", "S-2", "S-3"]
    assert [len(s.lines) for s in statements] == [1, 2, 0]
    assert [s.balance_check.status for s in statements] == ["ok", "ok", "unavailable"]


def test_a_reversal_entry_counts_in_its_booked_direction() -> None:
    raw = camt053([Stmt(entries=[Ntry("40.00", "DBIT"), Ntry("40.00", "CRDT", reversal=True)])])
    statement = parse_one(raw)
    assert [line.reversal for line in statement.lines] == [False, True]
    assert statement.balance_check.lines_net_minor == 0
    assert statement.balance_check.status == "ok"


def test_a_batch_entry_keeps_every_transaction_and_its_references() -> None:
    batch = Ntry(
        "300.00",
        "DBIT",
        transactions=[
            Tx(end_to_end_id="PAY-1", amount="100.00", creditor="Alice"),
            Tx(end_to_end_id="PAY-2", amount="200.00", creditor="Bob", instruction_id="INSTR-2"),
        ],
    )
    line = parse_one(camt053([Stmt(entries=[batch])])).lines[0]
    assert [d.end_to_end_id for d in line.details] == ["PAY-1", "PAY-2"]
    assert [d.amount_minor for d in line.details] == [10000, 20000]
    assert [d.counterparty for d in line.details] == ["Alice", "Bob"]
    assert {"PAY-1", "PAY-2", "INSTR-2"} <= set(line.references())


def test_date_times_keep_their_written_date() -> None:
    line = parse_one(
        camt053([Stmt(entries=[Ntry("1.00", booking_date="2026-01-09", date_time=True)])])
    ).lines[0]
    assert (line.booking_date, line.value_date) == ("2026-01-09", "2026-01-09")


def test_a_balance_mismatch_is_reported_not_refused() -> None:
    raw = camt053([Stmt(entries=[Ntry("10.00")], opening="100.00", closing="111.00")])
    check = parse_one(raw).balance_check
    assert check.status == "mismatch"
    assert (check.expected_closing_minor, check.stated_closing_minor, check.difference_minor) == (
        11000,
        11100,
        100,
    )
    assert check.as_view(2)["difference"] == "1.00"


def test_a_previous_closing_balance_serves_as_opening_and_pending_lines_do_not_count() -> None:
    raw = camt053(
        [
            Stmt(
                entries=[Ntry("10.00"), Ntry("99.00", status="PDNG")],
                opening_code="PRCD",
                closing="1010.00",
            )
        ]
    )
    statement = parse_one(raw)
    assert statement.opening is not None and statement.opening.code == "PRCD"
    assert statement.balance_check.status == "ok"


def test_missing_balances_make_the_check_unavailable() -> None:
    statement = parse_one(camt053([Stmt(entries=[Ntry("10.00")], omit_closing=True)]))
    assert statement.balance_check.status == "unavailable"
    assert "closing" in statement.balance_check.note


def test_a_negative_balance_reads_from_its_debit_indicator() -> None:
    statement = parse_one(camt053([Stmt(entries=[Ntry("20.00", "DBIT")], opening="-5.00")]))
    assert statement.opening is not None and statement.opening.amount_minor == -500
    assert statement.closing is not None and statement.closing.amount_minor == -2500
    assert statement.balance_check.status == "ok"


@pytest.mark.parametrize(
    ("raw", "needle"),
    [
        (b"this is not xml", "not well-formed XML"),
        (b"<Document><BkToCstmrStmt>", "not well-formed XML"),
        (b"<Foo/>", "root element is 'Foo'"),
        (b'<Document xmlns="urn:iso:std:iso:20022:tech:xsd:pain.001.001.03"/>', "not camt.053"),
        (b"<Document/>", "holds no BkToCstmrStmt"),
        (b"<Document><BkToCstmrStmt><GrpHdr/></BkToCstmrStmt></Document>", "no Stmt"),
        (b"", "empty"),
    ],
)
def test_a_file_that_is_not_a_statement_is_refused(raw: bytes, needle: str) -> None:
    with pytest.raises(InvalidStatement, match=needle) as refused:
        parse_statements(raw)
    assert refused.value.code == "invalid_statement" and status_for(refused.value) == 422


def _mutated(old: str, new: str, statements: list[Stmt] | None = None) -> bytes:
    raw = camt053(statements or [Stmt(entries=[Ntry("10.00"), Ntry("20.00")])]).decode()
    assert old in raw
    return raw.replace(old, new, 1).encode()


@pytest.mark.parametrize(
    ("old", "new", "where"),
    [
        (f"<IBAN>{IBAN}</IBAN>", "", r"statement\[0\]\.Acct\.Id"),
        ("<Id>STMT-1</Id>", "", r"statement\[0\]\.Id"),
        ("<Ccy>EUR</Ccy>", "<Ccy>XXQ</Ccy>", r"statement\[0\]\.Acct\.Ccy"),
        (
            '<Amt Ccy="EUR">20.00</Amt>',
            '<Amt Ccy="EUR">20.001</Amt>',
            r"statement\[0\]\.entry\[1\]\.Amt.*3 decimals",
        ),
        (
            '<Amt Ccy="EUR">20.00</Amt>',
            '<Amt Ccy="EUR">2e3</Amt>',
            r"statement\[0\]\.entry\[1\]\.Amt",
        ),
        (
            '<Amt Ccy="EUR">20.00</Amt>',
            '<Amt Ccy="EUR">-20.00</Amt>',
            r"statement\[0\]\.entry\[1\]\.Amt",
        ),
        ('<Amt Ccy="EUR">20.00</Amt>', '<Amt Ccy="USD">20.00</Amt>', r"entry\[1\]\.Amt: in USD"),
        ('<Amt Ccy="EUR">20.00</Amt>', "<Amt>20.00</Amt>", r"entry\[1\]\.Amt: the Ccy attribute"),
        (
            "<CdtDbtInd>CRDT</CdtDbtInd><Sts>",
            "<CdtDbtInd>UP</CdtDbtInd><Sts>",
            r"entry\[0\]\.CdtDbtInd",
        ),
        ("<BookgDt><Dt>2026-01-05</Dt>", "<BookgDt><Dt>2026-13-05</Dt>", r"entry\[0\]\.BookgDt"),
        ("<BookgDt><Dt>2026-01-05</Dt>", "<BookgDt><Dt>5 Jan 2026</Dt>", r"entry\[0\]\.BookgDt"),
    ],
)
def test_a_malformed_statement_is_refused_naming_statement_and_entry(
    old: str, new: str, where: str
) -> None:
    with pytest.raises(InvalidStatement, match=where):
        parse_statements(_mutated(old, new))


def test_an_entry_without_any_date_is_refused() -> None:
    raw = _mutated("<BookgDt><Dt>2026-01-05</Dt></BookgDt><ValDt><Dt>2026-01-05</Dt></ValDt>", "")
    with pytest.raises(InvalidStatement, match=r"entry\[0\]\.BookgDt: a booking or value date"):
        parse_statements(raw)


BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol9 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
]>
<Document><BkToCstmrStmt><Stmt><Id>&lol9;</Id></Stmt></BkToCstmrStmt></Document>"""

EXTERNAL_ENTITY = b"""<?xml version="1.0"?>
<!DOCTYPE Document [<!ENTITY secret SYSTEM "file:///etc/passwd">]>
<Document><BkToCstmrStmt><Stmt><Id>&secret;</Id></Stmt></BkToCstmrStmt></Document>"""


@pytest.mark.parametrize(
    "raw", [BILLION_LAUGHS, EXTERNAL_ENTITY], ids=["billion-laughs", "external-entity"]
)
def test_entity_expansion_and_external_entities_are_refused(raw: bytes) -> None:
    with pytest.raises(InvalidStatement, match=r"DTD|entit") as refused:
        parse_statements(raw)
    assert "passwd" not in refused.value.message and "lollol" not in refused.value.message


def test_an_unknown_format_is_refused() -> None:
    with pytest.raises(InvalidStatement, match="format"):
        parse_statements(b"x", "mt940")


# --- CSV --------------------------------------------------------------------------

CSV_HEADER = "account,statement_id,booking_date,value_date,amount,currency,reference,counterparty,description,kind\n"


def test_the_csv_format_reads_statements_lines_and_balances() -> None:
    raw = (
        CSV_HEADER
        + "ACC-1,2026-01,2025-12-31,,1000.00,EUR,,,,opening\n"
        + 'ACC-1,2026-01,2026-01-05,2026-01-06,250.00,EUR,INV-7,"ACME, GmbH",invoice 7,\n'
        + "ACC-1,2026-01,2026-01-09,,-80.5,EUR,RENT-1,Landlord,rent,entry\n"
        + "ACC-2,B-7,2026-01-09,,12,JPY,,,,\n"
        + "ACC-1,2026-01,2026-01-31,,1169.50,EUR,,,,closing\n"
    ).encode()
    first, second = parse_statements(raw, "csv")
    assert (first.bank_account, first.statement_id, first.currency) == ("ACC-1", "2026-01", "EUR")
    assert [(x.direction, x.amount_minor, x.value_date) for x in first.lines] == [
        ("credit", 25000, "2026-01-06"),
        ("debit", 8050, "2026-01-09"),
    ]
    assert first.lines[0].details[0].counterparty == "ACME, GmbH"
    assert first.lines[0].entry_reference == "INV-7"
    assert first.balance_check.status == "ok"
    assert (second.currency, second.lines[0].amount_minor) == ("JPY", 12)
    assert second.balance_check.status == "unavailable"


def test_csv_without_the_kind_column_has_entries_only() -> None:
    raw = (CSV_HEADER.replace(",kind", "") + "A,S,2026-01-05,,1.00,USD,,,\n").encode()
    assert parse_one(raw, "csv").lines[0].amount_minor == 100


@pytest.mark.parametrize(
    ("body", "where"),
    [
        ("A,S,2026-01-05,,1.001,EUR,,,,\n", r"row 2\.amount.*3 decimals"),
        ("A,S,2026-01-05,,+1.00,EUR,,,,\n", r"row 2\.amount"),
        ("A,S,2026-01-05,,0,EUR,,,,\n", r"row 2\.amount"),
        ("A,S,2026-01-05,,1e3,EUR,,,,\n", r"row 2\.amount"),
        ("A,S,05/01/2026,,1.00,EUR,,,,\n", r"row 2\.booking_date"),
        ("A,S,2026-01-05,,1.00,EUR,,,,\nA,S,2026-01-06,,1.00,USD,,,,\n", r"row 3\.currency"),
        ("A,S,2026-01-05,,1.00,EUR,,,,sideways\n", r"row 2\.kind"),
        ("A,S,2026-01-05,,1.00,EUR,,,\n", r"row 2: 9 columns"),
        (",S,2026-01-05,,1.00,EUR,,,,\n", r"row 2\.account"),
        (
            "A,S,2026-01-05,,1.00,EUR,REF,,,opening\n",
            r"row 2: a opening balance row leaves reference",
        ),
    ],
)
def test_malformed_csv_rows_are_refused_naming_the_row(body: str, where: str) -> None:
    with pytest.raises(InvalidStatement, match=where):
        parse_statements((CSV_HEADER + body).encode(), "csv")


def test_a_csv_with_the_wrong_header_is_refused() -> None:
    with pytest.raises(InvalidStatement, match="header"):
        parse_statements(b"date,amount\n2026-01-01,1.00\n", "csv")


def test_a_statement_written_as_csv_parses_back_to_the_same_lines() -> None:
    xml_statement = parse_one(
        camt053(
            [
                Stmt(
                    entries=[
                        Ntry("250.00", entry_ref="R1"),
                        Ntry("3.10", "DBIT", booking_date="2026-01-08"),
                    ]
                )
            ]
        )
    )
    back = parse_one(write_csv([xml_statement]), "csv")
    assert [(x.signed_minor, x.booking_date) for x in back.lines] == [
        (x.signed_minor, x.booking_date) for x in xml_statement.lines
    ]
    assert back.balance_check == xml_statement.balance_check


# --- the shared real-world samples --------------------------------------------------

needs_samples = pytest.mark.skipif(
    not SAMPLES.is_dir(),
    reason=f"the shared camt samples are not here ({SAMPLES}); they live in ../shared",
)
VALID_SAMPLES = [
    "053_valid_example.xml",
    "053_valid_example_v4.xml",
    "053_valid_example_v8.xml",
    "053_valid_example_with_batch.xml",
    "053_valid_example_with_datetime.xml",
    "053_valid_example_with_debit.xml",
    "053_valid_example_with_instdamt.xml",
    "053_valid_example_with_other_id.xml",
    "054_valid_example.xml",
]


@needs_samples
@pytest.mark.parametrize("name", VALID_SAMPLES)
def test_the_shared_sample_statements_parse(name: str) -> None:
    raw = (SAMPLES / name).read_bytes()
    statements = parse_statements(raw)
    text = raw.decode()
    assert sum(len(s.lines) for s in statements) == text.count("<Ntry>")
    for statement in statements:
        check = statement.balance_check
        assert statement.bank_account and statement.currency
        if statement.opening is not None and statement.closing is not None:
            booked = sum(line.signed_minor for line in statement.lines if line.booked)
            assert check.expected_closing_minor == statement.opening.amount_minor + booked
            assert (
                check.difference_minor
                == statement.closing.amount_minor - check.expected_closing_minor
            )
            assert check.status == ("ok" if check.difference_minor == 0 else "mismatch")
        else:
            assert check.status == "unavailable"


@needs_samples
def test_the_shared_samples_details_are_read() -> None:
    (v8,) = parse_statements((SAMPLES / "053_valid_example_v8.xml").read_bytes())
    assert v8.currency == "CHF" and v8.bank_account == "CH1111111111111111111"
    # The third entry is stated in EUR on a CHF account; its CHF amount is in AmtDtls.
    assert [line.amount_minor for line in v8.lines] == [47440, 8885, 1969]
    (v4,) = parse_statements((SAMPLES / "053_valid_example_v4.xml").read_bytes())
    assert v4.balance_check.status == "ok"
    (other,) = parse_statements((SAMPLES / "053_valid_example_with_other_id.xml").read_bytes())
    assert other.bank_account == "ABCDE1234"
    (notification,) = parse_statements((SAMPLES / "054_valid_example.xml").read_bytes())
    assert any(line.reversal for line in notification.lines)


@needs_samples
@pytest.mark.parametrize("name", ["general_invalid_namespace.xml", "053_valid_namespace.xml"])
def test_the_shared_documents_without_a_statement_are_refused(name: str) -> None:
    # Both hold an empty Document: the namespace is fine, there is nothing to import.
    with pytest.raises(InvalidStatement, match="holds no BkToCstmrStmt"):
        parse_statements((SAMPLES / name).read_bytes())


# --- importing (both backends) ---------------------------------------------------


@pytest.fixture
def bank(system: Any) -> BankReconciler:
    system.app.open_account(CLERK, "Assets:Bank:EUR", "Euro bank", "asset", ["EUR"])
    system.app.open_account(CLERK, "Assets:Bank:USD", "Dollar bank", "asset", ["USD"])
    return BankReconciler(system.app, system.projections)


def head(reconciler: BankReconciler) -> int:
    return int(reconciler.app.recorder.max_notification_id() or 0)


def test_importing_records_one_event_per_statement_with_its_lines(bank: BankReconciler) -> None:
    raw = camt053(
        [
            Stmt("S-1", [Ntry("10.00", entry_ref="R-1")]),
            Stmt("S-2", [Ntry("2.00", "DBIT")], opening="1010.00"),
        ]
    )
    before = head(bank)
    plan, position = bank.import_statements(CLERK, raw, "Assets:Bank:EUR")
    assert position is not None and position == head(bank)
    # Two statements and the account's reconciliation (started, two statements attached).
    assert head(bank) - before == 5
    statement = bank.statement(bank_statement_id(IBAN, "S-1", "1"))
    assert isinstance(statement, BankStatement)
    assert statement.ledger_account == "Assets:Bank:EUR" and statement.imported_by == CLERK.actor
    assert statement.lines[0].amount_minor == 1000 and statement.lines[0].entry_reference == "R-1"
    assert statement.balance_check["status"] == "ok"
    assert [item.as_view()["balance_check"]["status"] for item in plan.statements] == ["ok", "ok"]


def test_importing_the_same_statement_twice_writes_nothing_the_second_time(
    bank: BankReconciler,
) -> None:
    raw = camt053([Stmt(entries=[Ntry("10.00")])])
    bank.import_statements(CLERK, raw, "Assets:Bank:EUR")
    before = head(bank)
    plan, position = bank.import_statements(CLERK, raw, "Assets:Bank:EUR")
    assert position is None and head(bank) == before
    assert [item.already_imported for item in plan.statements] == [True]


def test_a_different_statement_under_an_imported_id_is_refused(bank: BankReconciler) -> None:
    bank.import_statements(CLERK, camt053([Stmt(entries=[Ntry("10.00")])]), "Assets:Bank:EUR")
    before = head(bank)
    changed = camt053([Stmt(entries=[Ntry("11.00")])])
    with pytest.raises(StatementAlreadyImported, match="different content"):
        bank.import_statements(CLERK, changed, "Assets:Bank:EUR")
    assert head(bank) == before


def test_the_balance_check_is_reported_on_import(bank: BankReconciler) -> None:
    raw = camt053([Stmt(entries=[Ntry("10.00")], opening="100.00", closing="120.00")])
    plan, _position = bank.import_statements(CLERK, raw, "Assets:Bank:EUR")
    view = plan.statements[0].as_view()["balance_check"]
    assert (view["status"], view["expected_closing"], view["stated_closing"], view["difference"]) == (
        "mismatch", "110.00", "120.00", "10.00",
    )  # fmt: skip


@pytest.mark.parametrize(
    ("raw", "account", "error"),
    [
        (BILLION_LAUGHS, "Assets:Bank:EUR", InvalidStatement),
        (b"<Document/>", "Assets:Bank:EUR", InvalidStatement),
        (
            _mutated('<Amt Ccy="EUR">20.00</Amt>', '<Amt Ccy="EUR">20.001</Amt>'),
            "Assets:Bank:EUR",
            InvalidStatement,
        ),
        (camt053([Stmt(entries=[Ntry("1.00")])]), "Assets:Bank:USD", AssetNotAllowed),
        (camt053([Stmt(entries=[Ntry("1.00")])]), "Assets:Nowhere", UnknownAccount),
        (camt053([Stmt("S"), Stmt("S")]), "Assets:Bank:EUR", InvalidStatement),
    ],
    ids=[
        "entity-expansion",
        "no-statement",
        "too-many-decimals",
        "wrong-currency",
        "unknown-account",
        "duplicate-in-file",
    ],
)
def test_a_refused_import_writes_nothing(
    bank: BankReconciler, raw: bytes, account: str, error: type[Exception]
) -> None:
    before = head(bank)
    with pytest.raises(error):
        bank.import_statements(CLERK, raw, account)
    assert head(bank) == before


def test_a_csv_statement_imports_like_xml(bank: BankReconciler) -> None:
    raw = (CSV_HEADER + "ACC-9,S-9,2026-01-05,,-3.00,USD,X-1,,,\n").encode()
    plan, position = bank.import_statements(CLERK, raw, "Assets:Bank:USD", "csv")
    assert position is not None
    statement = bank.statement(plan.statements[0].statement_uuid)
    assert statement.source_format == "csv" and statement.lines[0].signed_minor == -300
