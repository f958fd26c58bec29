"""Every registered projection: rebuilt by replay to the same bytes, verified
against a rebuild, and named when one of its live rows is edited."""

from __future__ import annotations

from collections.abc import Iterator
from uuid import uuid4

import pytest
from typer.testing import CliRunner

from adapters.subject_keys import SubjectKeyStore
from backoffice.container import System, build_system
from domain.kernel.context import Context
from domain.sanctions.service import SanctionsScreening
from domain.subjects.service import SubjectRegistry
from projections.registry import REGISTRY, UnknownProjection, names, registration
from replay.rebuild import rebuild, rebuild_all
from replay.verify import verify, verify_all
from tests.ledger.support import CLERK, entry, transfer

REGISTERED = [entry.name for entry in REGISTRY]
AML = Context(actor="aml-officer@example.test", correlation_id="corr-aml")
SDN = b'101,"KESTREL, Anatol","individual","SDGT",-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- \r\n'


@pytest.fixture
def system(database_url: str) -> Iterator[System]:
    built = build_system(database_url)
    app = built.app
    app.open_account(CLERK, "Assets:Bank", "Bank", "asset", ["USD"])
    app.open_account(CLERK, "Equity:Capital", "Capital", "equity", ["USD"])
    for number in range(5):
        app.post_journal_entry(
            entry(f"fund{number}", transfer("Assets:Bank", "Equity:Capital", "10.00"))
        )
    screening = SanctionsScreening(app)
    screening.load_list(AML, SDN, source="test list 1")
    case = screening.screen(AML, "payment", "pay-1", "Anatol Kestrel")
    screening.clear(AML, case.case_id, "not the same person")
    registry = SubjectRegistry(app, SubjectKeyStore(built.database))
    subject_id, _position = registry.register_subject(AML, "employee", {"name": "Ada Lovelace"})
    registry.place_hold(AML, subject_id, "litigation")
    yield built
    built.close()


def live_digests(system: System, name: str) -> dict[str, str]:
    projection = system.tracked[name]
    projection.catch_up()
    with projection.store.read_snapshot():
        return registration(name).digest(projection.store)


def edit_one_row(system: System, name: str) -> None:
    """Change one row of the projection's first table directly in the database."""
    projection = system.tracked[name]
    projection.catch_up()
    store = projection.store
    if name == "balances":
        with store.write_transaction():
            store._execute(
                f"UPDATE {store.table('accounts')} SET name = name || ' (edited)' WHERE code = ?",
                ("Assets:Bank",),
            )
        return
    table = store.schema[0]
    key = table.key[0]
    column = next(
        column for column in table.columns
        if column not in table.integer and column not in (key, "payload")
    )  # fmt: skip
    with store.transaction():
        store.execute(
            f"UPDATE {store.table(table.name)} SET {column} = 'edited' WHERE {key} = "
            f"(SELECT MIN({key}) FROM {store.table(table.name)})"
        )


def test_the_registry_lists_every_projection_the_container_builds(system: System) -> None:
    assert list(system.tracked) == names() == REGISTERED
    assert {"balances", "audit", "subjects", "screening", "account_ledger"} <= set(REGISTERED)
    assert system.tracked["balances"] is system.projections


@pytest.mark.parametrize("name", REGISTERED)
def test_a_rebuild_of_each_projection_equals_its_live_tables_to_the_digest(
    system: System, name: str
) -> None:
    before = live_digests(system, name)
    stats = rebuild(system.database, name)
    assert stats.projection == name and stats.position == system.tracked[name].position()
    assert live_digests(system, name) == before
    assert verify(system.database, name).ok


@pytest.mark.parametrize("name", REGISTERED)
def test_verify_names_the_projection_whose_live_row_was_changed(
    system: System, name: str
) -> None:
    assert verify_all(system.database).ok
    edit_one_row(system, name)
    report = verify_all(system.database)
    assert report.differing == [name]
    assert not report.ok
    assert all(finding.invariant.startswith("digest:") for finding in report.report(name).findings)
    assert all(other.ok for other in report.reports if other.projection != name)


def test_a_rebuild_of_one_named_projection_leaves_the_others_untouched(system: System) -> None:
    before = {name: live_digests(system, name) for name in REGISTERED}
    edit_one_row(system, "audit")
    edited = live_digests(system, "audit")
    stats = rebuild_all(system.database, ["subjects"])
    assert [each.projection for each in stats] == ["subjects"]
    assert live_digests(system, "audit") == edited != before["audit"]
    for name in ("balances", "subjects", "screening"):
        assert live_digests(system, name) == before[name]


def test_an_unknown_projection_is_refused_with_the_known_ones(system: System) -> None:
    unknown = f"ledger-{uuid4().hex[:4]}"
    with pytest.raises(UnknownProjection) as refused:
        rebuild_all(system.database, ["subjects", unknown])
    assert all(name in str(refused.value) for name in REGISTERED)
    with pytest.raises(UnknownProjection):
        verify_all(system.database, [unknown])


def test_the_cli_rebuilds_every_projection_and_verify_names_each(sqlite_url: str) -> None:
    from backoffice.cli.main import app as cli

    built = build_system(sqlite_url)
    built.app.open_account(CLERK, "Assets:Bank", "Bank", "asset", ["USD"])
    built.close()
    runner = CliRunner()
    result = runner.invoke(cli, ["rebuild", "--database", sqlite_url], env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    for name in REGISTERED:
        assert f"rebuilt {name}: " in result.output and "events/s" in result.output
    result = runner.invoke(cli, ["verify", "--database", sqlite_url], env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    for name in REGISTERED:
        assert f"{name} at log position" in result.output
    assert result.output.rstrip().endswith("verify: OK (digests match, invariants hold)")
    refused = runner.invoke(cli, ["rebuild", "nothing", "--database", sqlite_url])
    assert refused.exit_code == 2 and "balances" in refused.output
