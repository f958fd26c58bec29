"""Sanctions screening: lists in OFAC's CSV format, name matching, cases and decisions.

The lists here are made up for the tests (no copy of a real list). Parsing,
normalising and matching are pure; everything that writes runs on SQLite and
PostgreSQL.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from uuid import UUID, uuid4

import orjson
import pytest
import typer
from eventsourcing.persistence import StoredEvent
from eventsourcing.utils import get_topic
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from api.error_status import status_for
from backoffice.container import System, build_system
from domain.kernel.context import Context
from domain.kernel.errors import ConcurrencyConflict, InvalidInput
from domain.sanctions.errors import (
    InvalidSanctionsList,
    NoSanctionsList,
    ScreeningAlreadyDecided,
    ScreeningNotPending,
)
from domain.sanctions.list_files import FILE_BYTES_MAX, parse_list
from domain.sanctions.matching import SanctionsIndex, normalise
from domain.sanctions.outcomes import PendingItem
from domain.sanctions.service import SanctionsScreening
from projections.sanctions.screening_log import ScreeningLog
from tests.api.support import ApiHarness, new_key, running_api

LOADER = Context(actor="list-loader@example.test", correlation_id="corr-load")
PAYMENTS = Context(actor="payments-service", correlation_id="corr-pay")
AML = Context(actor="aml-officer@example.test", correlation_id="corr-aml")

EMPTY = "-0- "


def sdn_line(ent_num: Any, name: str, sdn_type: str = EMPTY, program: str = '"SDGT"') -> str:
    fields = [
        str(ent_num),
        f'"{name}"',
        sdn_type,
        program,
        *([EMPTY] * 7),
        '"remarks, with a comma"',
    ]
    return ",".join(fields)


def alt_line(ent_num: int, alt_num: int, name: str, alt_type: str = '"aka"') -> str:
    return ",".join([str(ent_num), str(alt_num), alt_type, f'"{name}"', EMPTY])


def csv_bytes(*lines: str) -> bytes:
    return ("\r\n".join(lines) + "\r\n").encode("utf-8")


SDN = csv_bytes(
    sdn_line(101, "MUÑOZ, José-Luis", '"individual"'),
    sdn_line(102, "ORIOLE SHIPPING & TRADING CO., LTD.", EMPTY, '"IRAN] [SDGT"'),
    sdn_line(103, "KESTREL, Anatol", '"individual"'),
)
ALT = csv_bytes(
    alt_line(102, 9001, "BLUE HERON EXPORTS"),
    alt_line(103, 9002, "KESTREL, Tolya", '"fka"'),
)
SDN_NEXT = SDN + csv_bytes(sdn_line(104, "WIDGEON, Marta", '"individual"'))


@pytest.fixture
def screening(system: System) -> SanctionsScreening:
    return SanctionsScreening(system.app)


@pytest.fixture
def loaded(screening: SanctionsScreening) -> SanctionsScreening:
    screening.load_list(LOADER, SDN, ALT, source="test list 1")
    return screening


def head(system: System) -> int:
    return int(system.app.recorder.max_notification_id() or 0)


# --- parsing (pure) -------------------------------------------------------------


def test_the_null_marker_reads_as_empty_and_quoted_commas_stay_in_their_field() -> None:
    parsed = parse_list(SDN, ALT)
    entries = {entry.ent_num: entry for entry in parsed.entries}
    assert entries[102].name == "ORIOLE SHIPPING & TRADING CO., LTD."
    assert entries[102].sdn_type == ""  # "-0- " is empty
    assert entries[102].program == "IRAN] [SDGT"
    assert entries[101].sdn_type == "individual"
    assert parsed.entry_count == 3 and parsed.alias_count == 2


def test_aliases_attach_to_their_entry_and_the_version_is_a_digest_of_both_files() -> None:
    parsed = parse_list(SDN, ALT)
    entries = {entry.ent_num: entry for entry in parsed.entries}
    assert entries[102].aliases == ("BLUE HERON EXPORTS",)
    assert entries[103].aliases == ("KESTREL, Tolya",)
    assert entries[101].aliases == ()
    assert parse_list(SDN, ALT).version == parsed.version
    assert parse_list(SDN).version != parsed.version
    assert parse_list(SDN_NEXT, ALT).version != parsed.version


def test_a_byte_order_mark_and_a_dos_end_of_file_mark_are_tolerated() -> None:
    parsed = parse_list(b"\xef\xbb\xbf" + SDN + b"\x1a")
    assert parsed.entry_count == 3


@pytest.mark.parametrize(
    ("sdn", "alt", "where"),
    [
        (
            csv_bytes(sdn_line(1, "A B"), '2,"C D",-0- '),
            None,
            "sdn.csv line 2: expected 12 columns",
        ),
        (csv_bytes(sdn_line("12x", "A B")), None, "sdn.csv line 1: ent_num '12x'"),
        (csv_bytes(sdn_line(0, "A B")), None, "sdn.csv line 1: ent_num '0'"),
        (
            csv_bytes(sdn_line(1, "A B"), sdn_line(1, "C D")),
            None,
            "sdn.csv line 2: ent_num 1 is listed twice",
        ),
        (
            csv_bytes(sdn_line(1, "A B")) + sdn_line(2, "MU\xd1OZ").encode("latin-1"),
            None,
            "sdn.csv line 2: not UTF-8",
        ),
        (csv_bytes(sdn_line(1, "A\x00B")), None, "sdn.csv line 1: control character"),
        (csv_bytes(sdn_line(1, "")), None, "sdn.csv line 1: SDN_Name is empty"),
        (b'1,"unterminated,-0-\r\n', None, "sdn.csv line"),
        (b"", None, "sdn.csv: no entries"),
        (b" " * (FILE_BYTES_MAX + 1), None, "sdn.csv: larger than"),
        (
            SDN,
            csv_bytes(alt_line(999, 1, "X Y")),
            "alt.csv line 1: ent_num 999 is not in the SDN file",
        ),
        (
            SDN,
            csv_bytes(alt_line(101, 1, "X Y"), '101,2,"aka"'),
            "alt.csv line 2: expected 5 columns",
        ),
    ],
    ids=[
        "wrong-column-count",
        "bad-ent-num",
        "zero-ent-num",
        "duplicate-ent-num",
        "latin-1-bytes",
        "control-character",
        "empty-name",
        "bad-quoting",
        "empty-file",
        "too-large",
        "alias-of-unknown-entry",
        "alias-wrong-columns",
    ],
)
def test_a_malformed_list_is_refused_naming_file_and_line(
    sdn: bytes, alt: bytes | None, where: str
) -> None:
    with pytest.raises(InvalidSanctionsList) as refused:
        parse_list(sdn, alt)
    assert where in refused.value.message
    assert refused.value.code == "invalid_sanctions_list" and status_for(refused.value) == 422


# --- normalisation (pure) -------------------------------------------------------


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("MUÑOZ, José-Luis", "jose luis munoz"),
        ("jose luis munoz", "jose luis munoz"),
        ("  Luis   JOSÉ  muñoz ", "jose luis munoz"),
        ("O'Brien, Seán", "obrien sean"),
        ("Straße Ødegård", "odegard strasse"),
        ("ACME Trading Co., Ltd.", "acme co ltd trading"),
        ("\uff21\uff43\uff4d\uff45", "acme"),  # full-width letters fold (NFKD)
    ],
)
def test_names_compare_without_case_punctuation_diacritics_or_word_order(
    given: str, expected: str
) -> None:
    assert normalise(given) == expected


NAMES = st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=40)


@settings(derandomize=True, max_examples=300, deadline=None)
@given(NAMES)
def test_normalising_twice_changes_nothing(name: str) -> None:
    once = normalise(name)
    assert normalise(once) == once


@settings(derandomize=True, max_examples=200, deadline=None)
@given(
    st.lists(
        st.text(
            alphabet=st.characters(codec="utf-8", categories=("L", "N")), min_size=1, max_size=12
        ),
        min_size=1,
        max_size=5,
    ),
    st.randoms(use_true_random=False),
)
def test_the_order_of_the_words_does_not_matter(words: list[str], random: Any) -> None:
    shuffled = list(words)
    random.shuffle(shuffled)
    assert normalise(" ".join(words)) == normalise(", ".join(shuffled))


# --- matching (pure) --------------------------------------------------------------


@pytest.fixture
def index() -> SanctionsIndex:
    parsed = parse_list(SDN, ALT)
    return SanctionsIndex(parsed.version, parsed.entries)


def test_the_primary_name_in_any_spelling_is_an_exact_hit(index: SanctionsIndex) -> None:
    assessment = index.assess("jose luis munoz")
    assert assessment.result == "hit"
    assert [(match.ent_num, match.kind, match.score) for match in assessment.matches] == [
        (101, "exact", 100.0)
    ]


def test_an_alias_is_a_hit(index: SanctionsIndex) -> None:
    assessment = index.assess("Blue-Heron Exports")
    assert assessment.result == "hit"
    assert assessment.matches[0].ent_num == 102 and assessment.matches[0].kind == "alias"
    assert assessment.matches[0].name == "BLUE HERON EXPORTS"


def test_a_near_name_is_a_review_at_the_threshold_and_clear_above_it(
    index: SanctionsIndex,
) -> None:
    near = "Anatol Kestrell"  # one letter more than "KESTREL, Anatol"
    assessment = index.assess(near, threshold=90)
    assert assessment.result == "review"
    assert assessment.matches[0].ent_num == 103 and assessment.matches[0].kind == "fuzzy"
    score = assessment.matches[0].score
    assert 90 <= score < 100
    assert index.assess(near, threshold=int(score)).result == "review"
    assert index.assess(near, threshold=int(score) + 1).result == "clear"


def test_an_unrelated_or_merely_contained_name_is_clear(index: SanctionsIndex) -> None:
    assert index.assess("Quentin Applebaum").result == "clear"
    # token_sort_ratio, not WRatio: a short name inside a long listed one is no match.
    assert index.assess("Oriole").result == "clear"


def test_the_threshold_and_the_name_are_checked(index: SanctionsIndex) -> None:
    with pytest.raises(InvalidInput):
        index.assess("Anatol Kestrel", threshold=101)
    with pytest.raises(InvalidInput):
        index.assess("-- ,, --")


# --- the list as events -----------------------------------------------------------


def test_loading_a_list_is_an_event_and_loading_it_twice_writes_nothing(
    system: System, screening: SanctionsScreening
) -> None:
    first = screening.load_list(LOADER, SDN, ALT, source="test list 1")
    assert first.newly_loaded and first.list_version == parse_list(SDN, ALT).version
    after_first = head(system)
    again = screening.load_list(LOADER, SDN, ALT, source="test list 1")
    assert not again.newly_loaded and again.list_version == first.list_version
    assert head(system) == after_first
    current = screening.current_list()
    assert current is not None
    assert current["list_version"] == first.list_version
    assert (current["entry_count"], current["alias_count"]) == (3, 2)
    assert current["loaded_by"] == LOADER.actor
    # The entries are in the log: a fresh process screens from the log alone.
    fresh = SanctionsScreening(system.app)
    record = fresh._list(first.list_version)
    assert [row[0] for row in record.entries] == [101, 102, 103]


def test_a_malformed_list_writes_nothing(system: System, screening: SanctionsScreening) -> None:
    before = head(system)
    with pytest.raises(InvalidSanctionsList):
        screening.load_list(LOADER, SDN, csv_bytes(alt_line(999, 1, "X Y")))
    assert head(system) == before
    assert screening.current_list() is None


def test_screening_without_a_list_is_refused(screening: SanctionsScreening) -> None:
    with pytest.raises(NoSanctionsList):
        screening.screen(PAYMENTS, "payment", "pay-1", "Anyone")


def test_another_process_loading_a_newer_list_is_seen(
    database_url: str, system: System, loaded: SanctionsScreening
) -> None:
    assert loaded.screen(PAYMENTS, "payment", "pay-1", "Marta Widgeon").result == "clear"
    other = build_system(database_url)
    try:
        SanctionsScreening(other.app).load_list(LOADER, SDN_NEXT, ALT, source="test list 2")
    finally:
        other.close()
    outcome = loaded.screen(PAYMENTS, "payment", "pay-2", "Marta Widgeon")
    assert outcome.result == "hit"
    assert outcome.list_version == parse_list(SDN_NEXT, ALT).version


# --- screening cases --------------------------------------------------------------


def test_a_screening_is_recorded_once_per_item_name_and_list(
    system: System, loaded: SanctionsScreening
) -> None:
    outcome = loaded.screen(PAYMENTS, "payment", "pay-1", "MUNOZ Jose Luis")
    assert (outcome.result, outcome.status, outcome.replayed) == ("hit", "pending", False)
    before = head(system)
    again = loaded.screen(PAYMENTS, "payment", "pay-1", "Muñoz, José Luis")
    assert again.replayed and again.case_id == outcome.case_id and head(system) == before
    case = loaded.case(outcome.case_id)
    assert case.party_name == "MUNOZ Jose Luis" and case.screened_by == PAYMENTS.actor
    assert case.matches == [
        {"ent_num": 101, "kind": "exact", "name": "MUÑOZ, José-Luis", "score": 100.0}
    ]
    latest = loaded.latest_case("payment", "pay-1")
    assert latest is not None and latest.id == outcome.case_id


def test_compliance_decides_a_hit_once_with_a_reason(loaded: SanctionsScreening) -> None:
    outcome = loaded.screen(PAYMENTS, "payment", "pay-1", "Jose Luis Munoz")
    with pytest.raises(InvalidInput):
        loaded.clear(AML, outcome.case_id, "  ")
    loaded.clear(AML, outcome.case_id, "different person: date of birth 1990 vs 1961")
    case = loaded.case(outcome.case_id)
    assert (case.status, case.decided_by) == ("cleared", AML.actor)
    with pytest.raises(ScreeningAlreadyDecided):
        loaded.reject(AML, outcome.case_id, "second thoughts")
    with pytest.raises(ScreeningAlreadyDecided):
        loaded.clear(AML, outcome.case_id, "again")
    review = loaded.screen(PAYMENTS, "receipt", "rcpt-1", "Anatol Kestrell")
    assert review.result == "review"
    loaded.reject(AML, review.case_id, "the same person: passport matches")
    assert loaded.case(review.case_id).status == "rejected"


def test_a_clear_case_has_nothing_to_decide(loaded: SanctionsScreening) -> None:
    outcome = loaded.screen(PAYMENTS, "payment", "pay-1", "Quentin Applebaum")
    assert (outcome.result, outcome.status) == ("clear", "clear")
    with pytest.raises(ScreeningNotPending):
        loaded.clear(AML, outcome.case_id, "nothing to clear")


def test_pending_items_are_rescreened_when_a_new_version_is_loaded(
    system: System,
) -> None:
    pending = [
        PendingItem("payment", "pay-clear", "Marta Widgeon"),
        PendingItem("payment", "pay-review", "Anatol Kestrell"),
        PendingItem("payment", "pay-decided", "Jose Luis Munoz"),
    ]
    screening = SanctionsScreening(system.app, pending_items=lambda: pending)
    screening.load_list(LOADER, SDN, ALT, source="v1")
    first = {
        item.item_id: screening.screen(PAYMENTS, item.item_kind, item.item_id, item.party_name)
        for item in pending
    }
    screening.clear(AML, first["pay-decided"].case_id, "not the listed person")
    assert first["pay-clear"].result == "clear"

    screening.load_list(LOADER, SDN_NEXT, ALT, source="v2")

    new_version = parse_list(SDN_NEXT, ALT).version
    now_listed = screening.latest_case("payment", "pay-clear")
    assert now_listed is not None and now_listed.list_version == new_version
    assert (now_listed.result, now_listed.status) == ("hit", "pending")
    assert now_listed.supersedes == str(first["pay-clear"].case_id)
    assert screening.case(first["pay-clear"].case_id).status == "superseded"
    assert screening.case(first["pay-review"].case_id).status == "superseded"
    decided = screening.latest_case("payment", "pay-decided")
    assert decided is not None and decided.id == first["pay-decided"].case_id  # not re-screened
    with pytest.raises(ScreeningNotPending):
        screening.clear(AML, first["pay-review"].case_id, "superseded: decide the new case")
    # Running it again (an interrupted load, retried) does nothing new.
    before = head(system)
    report = screening.rescreen_pending(LOADER, list_version=new_version)
    assert report.screened == [] and head(system) == before
    assert {item.item_id for item in report.already_screened} == {"pay-clear", "pay-review"}
    assert [item.item_id for item in report.skipped_decided] == ["pay-decided"]
    with pytest.raises(ConcurrencyConflict):
        screening.rescreen_pending(LOADER, list_version=parse_list(SDN, ALT).version)


# --- the screening log ------------------------------------------------------------


def test_the_screening_log_answers_by_result_item_version_and_time(
    system: System, loaded: SanctionsScreening
) -> None:
    hit = loaded.screen(PAYMENTS, "payment", "pay-1", "Jose Luis Munoz")
    loaded.screen(PAYMENTS, "payment", "pay-2", "Quentin Applebaum")
    review = loaded.screen(PAYMENTS, "receipt", "rcpt-1", "Anatol Kestrell")
    loaded.clear(AML, hit.case_id, "false positive: other date of birth")
    version_1 = parse_list(SDN, ALT).version
    log = ScreeningLog(system.database)
    try:
        assert [list_["list_version"] for list_ in log.lists()] == [version_1]
        cases = log.cases()
        assert [case["item_id"] for case in cases] == ["pay-1", "pay-2", "rcpt-1"]
        assert [case["status"] for case in cases] == ["cleared", "clear", "pending"]
        assert [case["item_id"] for case in log.cases(status="pending")] == ["rcpt-1"]
        assert [case["item_id"] for case in log.cases(result="hit")] == ["pay-1"]
        assert [case["item_id"] for case in log.cases(item_kind="receipt")] == ["rcpt-1"]
        assert len(log.cases(list_version=version_1)) == 3
        assert log.cases(list_version="0" * 64) == []
        assert log.cases(screened_from="2000-01-01", screened_to="2000-12-31") == []
        assert len(log.cases(screened_from="2000-01-01")) == 3
        cleared = log.cases(result="hit")[0]
        assert cleared["decided_by"] == AML.actor
        assert cleared["decision_reason"] == "false positive: other date of birth"
        screenings = log.screenings(item_id="rcpt-1")
        assert screenings[0]["matches"][0]["ent_num"] == 103
        assert screenings[0]["case_id"] == str(review.case_id)
        history = log.case(str(hit.case_id))
        assert [row["disposition"] for row in history["dispositions"]] == ["cleared"]
        with pytest.raises(InvalidInput):
            log.cases(status="maybe")
        live = (log.cases(), log.screenings(), log.dispositions())
        log.rebuild()
        assert (log.cases(), log.screenings(), log.dispositions()) == live
    finally:
        log.close()


def store_version_1_case(system: System, list_version: str) -> UUID:
    """A screening case as the first release stored it: the name in the clear, no
    subject fields, no class_version."""
    from domain.sanctions.screening import ScreeningCase, screening_case_id

    case_id = screening_case_id("payment", "legacy-pay", list_version)
    state = {
        "originator_topic": get_topic(ScreeningCase),
        "timestamp": "2026-01-05T09:00:00+00:00",
        "item_kind": "payment",
        "item_id": "legacy-pay",
        "party_name": "Legacy Payee Ltd",
        "normalised_name": normalise("Legacy Payee Ltd"),
        "list_version": list_version,
        "threshold": 90,
        "scorer": "rapidfuzz.token_sort_ratio",
        "normalisation": "nfkd-casefold-punct-tokensort/1",
        "result": "clear",
        "matches": [],
        "supersedes": "",
        "actor": "legacy@example.test",
        "correlation_id": "legacy-import",
    }
    system.app.recorder.insert_events(
        [
            StoredEvent(
                originator_id=case_id,
                originator_version=1,
                topic=get_topic(ScreeningCase.ScreeningPerformed),
                state=orjson.dumps(state),
            )
        ]
    )
    return case_id


def test_a_version_1_case_with_the_name_in_the_clear_still_reads_everywhere(
    system: System, loaded: SanctionsScreening
) -> None:
    from projections.reports.service import ReportService

    version_1 = parse_list(SDN, ALT).version
    case_id = store_version_1_case(system, version_1)
    case = loaded.case(case_id)
    assert (case.subject_id, case.sealed_name, case.name_digest) == ("", None, "")
    assert loaded.case_view(case)["party_name"] == "Legacy Payee Ltd"
    assert loaded.case_view(case)["subject_id"] is None
    log = ScreeningLog(system.database)
    try:
        (row,) = log.cases()
        assert (row["party_name"], row["subject_id"]) == ("Legacy Payee Ltd", None)
    finally:
        log.close()
    service = ReportService(system.database)
    output = service.start(service.prepare("screening", {}))
    (report_row,) = orjson.loads(b"".join(output.json_chunks()))["rows"]
    assert (report_row["party_name"], report_row["subject_id"]) == ("Legacy Payee Ltd", "")
    # Screened again under another name: the same case, now in the current shape.
    repeated = loaded.screen(PAYMENTS, "payment", "legacy-pay", "Legacy Payee Limited")
    assert repeated.case_id == case_id and loaded.case(case_id).screening_number == 2


def test_screening_log_tables_of_the_layout_before_subjects_are_folded_again(
    system: System, loaded: SanctionsScreening
) -> None:
    loaded.screen(PAYMENTS, "payment", "pay-1", "Jose Luis Munoz")
    log = ScreeningLog(system.database)
    try:
        live = log.cases()
        for table in ("cases", "screenings"):
            log.store.execute(f"ALTER TABLE {log.store.table(table)} DROP COLUMN subject_id")
    finally:
        log.close()
    reopened = ScreeningLog(system.database)
    try:
        assert reopened.cases() == live
    finally:
        reopened.close()


# --- CLI --------------------------------------------------------------------------


def test_the_cli_loads_screens_lists_and_decides(database_url: str, tmp_path: Any) -> None:
    import backoffice.cli.main  # noqa: F401  (first: it imports cli_sanctions at its end)
    from backoffice.cli import sanctions as cli_sanctions

    cli = typer.Typer()
    cli.add_typer(cli_sanctions.commands)
    runner = CliRunner()
    (tmp_path / "sdn.csv").write_bytes(SDN)
    (tmp_path / "alt.csv").write_bytes(ALT)
    common = ["--database", database_url, "--actor", "aml-officer"]

    loaded = runner.invoke(
        cli,
        [
            "sanctions",
            "load",
            str(tmp_path / "sdn.csv"),
            str(tmp_path / "alt.csv"),
            "--source",
            "cli test",
            *common,
        ],
    )
    assert loaded.exit_code == 0, loaded.output
    assert "loaded" in loaded.output and "3 entries, 2 aliases" in loaded.output
    again = runner.invoke(
        cli, ["sanctions", "load", str(tmp_path / "sdn.csv"), str(tmp_path / "alt.csv"), *common]
    )
    assert "already loaded" in again.output

    dry = runner.invoke(cli, ["sanctions", "screen", "Blue Heron Exports", *common])
    assert dry.exit_code == 0 and "result: hit" in dry.output and "case:" not in dry.output
    recorded = runner.invoke(
        cli,
        ["sanctions", "screen", "Blue Heron Exports", "--record", "--item-id", "pay-9", *common],
    )
    assert "case:" in recorded.output
    case_id = recorded.output.split("case:")[1].split()[0]

    cases = runner.invoke(
        cli, ["sanctions", "cases", "--pending", "--database", database_url], env={"COLUMNS": "250"}
    )
    assert case_id in cases.output
    cleared = runner.invoke(
        cli, ["sanctions", "clear", case_id, "--reason", "vendor verified", *common]
    )
    assert cleared.exit_code == 0, cleared.output
    refused = runner.invoke(cli, ["sanctions", "reject", case_id, "--reason", "late", *common])
    assert refused.exit_code == 2 and "screening_already_decided" in refused.output
    malformed = tmp_path / "bad.csv"
    malformed.write_bytes(b"1,2,3\r\n")
    bad = runner.invoke(cli, ["sanctions", "load", str(malformed), *common])
    assert bad.exit_code == 2 and "invalid_sanctions_list" in bad.output


def test_loading_a_list_from_the_cli_holds_a_pending_payment_the_new_list_names(
    database_url: str, system: System, tmp_path: Any
) -> None:
    import backoffice.cli.main  # noqa: F401  (first: it imports cli_sanctions at its end)
    from backoffice.cli import sanctions as cli_sanctions
    from tests.sanctions.support import NEWLY_LISTED, real_desks

    desks = real_desks(system)
    payment_id = desks.payment(NEWLY_LISTED)
    assert desks.payments.get(payment_id).status == "awaiting_approval"
    cli = typer.Typer()
    cli.add_typer(cli_sanctions.commands)
    (tmp_path / "sdn.csv").write_bytes(SDN_NEXT)
    (tmp_path / "alt.csv").write_bytes(ALT)
    common = ["--database", database_url, "--actor", "aml-officer"]
    paths = [str(tmp_path / "sdn.csv"), str(tmp_path / "alt.csv")]
    loaded = CliRunner().invoke(cli, ["sanctions", "load", *paths, *common])
    assert loaded.exit_code == 0, loaded.output
    assert "re-screened 1 pending item(s) (1 held)" in loaded.output
    assert desks.payments.get(payment_id).status == "held"
    cases = CliRunner().invoke(
        cli, ["sanctions", "cases", "--pending", "--database", database_url], env={"COLUMNS": "250"}
    )
    assert NEWLY_LISTED in cases.output


# --- API --------------------------------------------------------------------------


@pytest.fixture
def api(database_url: str) -> Iterator[ApiHarness]:
    with running_api(database_url) as harness:
        app: Any = harness.client.app
        yield harness
        log = getattr(app.state, "screening_log", None)
        if log is not None:
            log.close()


LIST_BODY = {"source": "api test", "sdn_csv": SDN.decode(), "alt_csv": ALT.decode()}


def test_the_api_lets_compliance_load_screen_and_decide(api: ApiHarness) -> None:
    key = new_key("list")
    loaded = api.post("/v1/sanctions/lists", "compliance", LIST_BODY, key=key)
    assert loaded.status_code == 201, loaded.text
    assert loaded.json()["status"] == "loaded" and loaded.json()["entry_count"] == 3
    replayed = api.post("/v1/sanctions/lists", "compliance", LIST_BODY, key=key)
    assert replayed.headers.get("Idempotency-Replayed") == "true"
    assert replayed.json()["list_version"] == loaded.json()["list_version"]
    assert api.post("/v1/sanctions/lists", "admin", LIST_BODY).json()["status"] == "already_loaded"
    bad = api.post(
        "/v1/sanctions/lists", "compliance", {**LIST_BODY, "alt_csv": '999,1,"aka","X",-0-\r\n'}
    )
    assert bad.status_code == 422 and bad.json()["code"] == "invalid_sanctions_list"
    assert "alt.csv line 1" in bad.json()["detail"]

    current = api.get("/v1/sanctions/lists/current", "auditor")
    assert current.status_code == 200 and current.json()["source"] == "api test"

    screened = api.post("/v1/sanctions/screenings", "compliance", {"party_name": "Anatol Kestrell"})
    assert screened.status_code == 201, screened.text
    case_id = screened.json()["case_id"]
    assert screened.json()["result"] == "review"
    assert screened.json()["matches"][0]["kind"] == "fuzzy"

    pending = api.get("/v1/sanctions/cases", "auditor", params={"status": "pending"})
    assert [case["case_id"] for case in pending.json()["cases"]] == [case_id]
    assert api.get(f"/v1/sanctions/cases/{case_id}", "compliance").json()["status"] == "pending"

    decided = api.post(
        f"/v1/sanctions/cases/{case_id}/reject", "compliance", {"reason": "confirmed"}
    )
    assert decided.status_code == 200 and decided.json()["status"] == "rejected"
    again = api.post(f"/v1/sanctions/cases/{case_id}/clear", "compliance", {"reason": "oops"})
    assert again.status_code == 409 and again.json()["code"] == "screening_already_decided"
    missing = api.get(f"/v1/sanctions/cases/{uuid4()}", "auditor")
    assert missing.status_code == 404


def test_the_api_refuses_roles_outside_the_sanctions_permissions(api: ApiHarness) -> None:
    assert api.post("/v1/sanctions/lists", "compliance", LIST_BODY).status_code == 201
    case_id = api.post(
        "/v1/sanctions/screenings", "compliance", {"party_name": "Jose Luis Munoz"}
    ).json()["case_id"]
    before, access_before = api.event_count(), api.access_count()
    for role in ("poster", "approver"):
        assert api.post("/v1/sanctions/lists", role, LIST_BODY).status_code == 403
        assert api.get("/v1/sanctions/lists/current", role).status_code == 403
        assert api.get("/v1/sanctions/cases", role).status_code == 403
        assert api.post("/v1/sanctions/screenings", role, {"party_name": "X Y"}).status_code == 403
    for role in ("poster", "auditor", "admin"):
        response = api.post(f"/v1/sanctions/cases/{case_id}/clear", role, {"reason": "fine"})
        assert response.status_code == 403
        assert response.json()["code"] == "forbidden"
    # One denied-access record each, in the access log; the business log is untouched.
    assert (api.event_count(), api.access_count()) == (before, access_before + 11)
    assert api.client.get("/v1/sanctions/cases").status_code == 401


def test_loading_a_list_through_the_api_holds_a_pending_payment_and_cases_show_the_name(
    api: ApiHarness,
) -> None:
    from tests.sanctions.support import NEWLY_LISTED, real_desks

    desks = real_desks(api.system)
    payment_id = desks.payment(NEWLY_LISTED)
    assert desks.payments.get(payment_id).status == "awaiting_approval"
    body = {"source": "api test 2", "sdn_csv": SDN_NEXT.decode(), "alt_csv": ALT.decode()}
    assert api.post("/v1/sanctions/lists", "compliance", body).status_code == 201
    payment = desks.payments.get(payment_id)
    assert (payment.status, payment.screening_result) == ("held", "hit")
    case = api.get(f"/v1/sanctions/cases/{payment.screening_case_id}", "compliance").json()
    assert (case["party_name"], case["subject_id"]) == (NEWLY_LISTED, payment.payee_subject_id)
    assert case["status"] == "pending"
    pending = api.get("/v1/sanctions/cases", "auditor", params={"status": "pending"}).json()
    assert [row["party_name"] for row in pending["cases"]] == [NEWLY_LISTED]
    adhoc = api.post("/v1/sanctions/screenings", "compliance", {"party_name": "Quentin Applebaum"})
    adhoc_case = api.get(f"/v1/sanctions/cases/{adhoc.json()['case_id']}", "auditor").json()
    assert (adhoc_case["party_name"], adhoc_case["subject_id"]) == ("Quentin Applebaum", None)


def test_a_screening_repeated_under_another_name_keeps_its_item_and_list_in_the_log(
    system: System, loaded: SanctionsScreening
) -> None:
    """A repeated screening names neither item nor list version: the log takes the case's."""
    first = loaded.screen(PAYMENTS, "payment", "pay-9", "Quentin Applebaum")
    again = loaded.screen(PAYMENTS, "payment", "pay-9", "Jose Luis Munoz")
    assert again.case_id == first.case_id and again.result == "hit"
    log = ScreeningLog(system.database)
    try:
        rows = [row for row in log.screenings() if row["case_id"] == str(first.case_id)]
        assert [row["item_id"] for row in rows] == ["pay-9", "pay-9"]
        assert {row["item_kind"] for row in rows} == {"payment"}
        assert rows[0]["list_version"] == rows[1]["list_version"] is not None
    finally:
        log.close()
