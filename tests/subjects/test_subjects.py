"""Data subjects: personal data sealed per person, erased by destroying the key.

Every test runs on SQLite and PostgreSQL. The log is never touched: after an
erasure the hash chain still verifies, balances are what they were, and
every reader (the aggregate, the projection live and rebuilt) shows
``[erased]`` where the personal data was.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from datetime import date
from typing import Any
from uuid import UUID, uuid4

import orjson
import pytest
from typer.testing import CliRunner

from adapters.chain_store import verify_chain
from adapters.subject_keys import SubjectKeyStore
from api.error_status import status_for
from backoffice.container import System
from domain.kernel.context import Context
from domain.kernel.errors import InvalidInput
from domain.subjects.errors import (
    LegalHoldNotActive,
    SubjectAlreadyErased,
    SubjectAlreadyRegistered,
    SubjectUnderLegalHold,
    UnknownSubject,
)
from domain.subjects.sealing import SealBroken, open_envelope
from domain.subjects.service import SubjectRegistry
from domain.subjects.subject import ERASED, DataSubject
from projections.audit.trail import AuditTrail
from projections.subjects.projection import SubjectsProjection
from tests.api.support import ApiHarness, new_key, running_api
from tests.ledger.support import entry, fund_bank, open_chart, spend_from_bank, transfer

HR = Context(actor="hr@example.test", correlation_id="corr-hr")
AML = Context(actor="aml-officer@example.test", correlation_id="corr-aml")
DPO = Context(actor="dpo@example.test", correlation_id="corr-dpo")

ADA = {
    "name": "Ada Quillfeather",
    "tax_id": "TX-99117733",
    "bank_account": "GB82WEST12345698765432",
    "address": "12 Lanternmaker Row, Ashbury",
    "email": "ada.quillfeather@example.org",
    "phone": "+44 20 7946 0958",
}
BORIS = {"name": "Boris Wendelstein", "tax_id": "TX-55003311"}


@pytest.fixture
def registry(system: System) -> SubjectRegistry:
    return SubjectRegistry(system.app, SubjectKeyStore(system.database))


@pytest.fixture
def projection(system: System) -> Iterator[SubjectsProjection]:
    built = SubjectsProjection(system.database)
    yield built
    built.close()


def register_ada(registry: SubjectRegistry, reference: str = "EMP-0001") -> UUID:
    subject_id, _position = registry.register_subject(HR, "employee", ADA, reference=reference)
    return subject_id


# --- reading the stored bytes -------------------------------------------------


def event_table_bytes(system: System) -> bytes:
    """Every column of every row of the log's events table, as bytes."""
    database = system.database
    if database.backend == "sqlite":
        with sqlite3.connect(database.sqlite_path) as connection:
            rows = connection.execute("SELECT * FROM stored_events").fetchall()
    else:
        import psycopg

        from adapters.database import postgres_connect_kwargs

        with psycopg.connect(**postgres_connect_kwargs(database)) as connection:  # type: ignore[arg-type]
            rows = connection.execute(
                f'SELECT * FROM "{database.schema}".backoffice_events'
            ).fetchall()
    assert rows
    return b"\n".join(_as_bytes(value) for row in rows for value in row)


def _as_bytes(value: Any) -> bytes:
    if isinstance(value, bytes | bytearray | memoryview):
        return bytes(value)
    return str(value).encode()


def audit_rows_bytes(system: System) -> bytes:
    trail = AuditTrail(system.database)
    try:
        events = trail.query(limit=1000).events
    finally:
        trail.close()
    assert events
    return orjson.dumps(events)


def assert_no_plaintext(stored: bytes, *values: dict[str, str]) -> None:
    for fields in values:
        for name, value in fields.items():
            assert value.encode() not in stored, f"{name} in the clear"


# --- sealing at rest ---------------------------------------------------------------


def test_personal_fields_are_sealed_in_the_log_and_never_stored_in_the_clear(
    system: System, registry: SubjectRegistry
) -> None:
    subject_id = register_ada(registry)
    registry.change_details(HR, subject_id, {"address": "7 Quay Street, Dunmore"})
    hold_id, _ = registry.place_hold(AML, subject_id, "AML retention, case 17")
    registry.lift_hold(AML, subject_id, hold_id, "case closed")

    stored = event_table_bytes(system)
    assert_no_plaintext(stored, ADA, {"address": "7 Quay Street, Dunmore"})
    assert_no_plaintext(audit_rows_bytes(system), ADA, {"address": "7 Quay Street, Dunmore"})

    registered = system.app.repository.get(subject_id)
    assert isinstance(registered, DataSubject)
    envelope = registered.sealed["name"]
    assert set(envelope) == {"alg", "key_version", "nonce", "ciphertext"}
    assert (envelope["alg"], envelope["key_version"]) == ("AES-256-GCM", 1)


def test_a_registered_subject_reads_back_in_the_clear(registry: SubjectRegistry) -> None:
    subject_id = register_ada(registry)
    registry.change_details(HR, subject_id, {"email": "ada@quillfeather.example"})

    read = registry.read_subject(subject_id)

    assert read["status"] == "active"
    assert read["kind"] == "employee"
    assert read["fields"] == {**ADA, "email": "ada@quillfeather.example"}


def test_the_same_reference_twice_is_refused_and_another_kind_is_another_subject(
    registry: SubjectRegistry,
) -> None:
    subject_id = register_ada(registry)
    with pytest.raises(SubjectAlreadyRegistered) as refused:
        register_ada(registry)
    assert refused.value.code == "subject_already_registered"
    other, _ = registry.register_subject(HR, "customer", BORIS, reference="EMP-0001")
    assert other != subject_id


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"email": "not an address"}, "fields.email"),
        ({"name": "x" * 201}, "fields.name"),
        ({"nickname": "Ada"}, "fields.nickname"),
        ({"tax_id": "??"}, "fields.tax_id"),
        ({"phone": "call me"}, "fields.phone"),
        ({"name": "   "}, "fields.name"),
        ({"name": ERASED}, "fields.name"),
        ({}, "fields"),
    ],
)
def test_bad_personal_fields_are_refused_naming_the_field(
    registry: SubjectRegistry, fields: dict[str, str], field: str
) -> None:
    with pytest.raises(InvalidInput) as refused:
        registry.register_subject(HR, "payee", fields, reference="V-1")
    assert refused.value.field == field
    assert all(value not in refused.value.message for value in fields.values() if value.strip())


# --- erasure -------------------------------------------------------------------------


def test_an_erased_subject_reads_erased_everywhere(
    system: System, registry: SubjectRegistry, projection: SubjectsProjection
) -> None:
    subject_id = register_ada(registry)
    boris, _ = registry.register_subject(HR, "payee", BORIS, reference="V-77")
    assert projection.get(subject_id)["fields"]["name"] == ADA["name"]  # projected in the clear

    registry.erase(DPO, subject_id, "erasure request 2026-114")

    read = registry.read_subject(subject_id)
    assert read["status"] == "erased"
    assert read["fields"] == dict.fromkeys(ADA, ERASED)
    projected = projection.get(subject_id)  # caught up: SubjectErased overwrote the clear fields
    assert projected["status"] == "erased"
    assert projected["fields"] == dict.fromkeys(ADA, ERASED)
    assert projection.get(boris)["fields"] == BORIS  # others untouched
    assert [row["subject_id"] for row in projection.list(status="erased")] == [str(subject_id)]


def test_a_rebuild_after_erasure_shows_erased_fields(
    registry: SubjectRegistry, projection: SubjectsProjection
) -> None:
    subject_id = register_ada(registry)
    registry.change_details(HR, subject_id, {"phone": "+44 20 0000 0000"})
    boris, _ = registry.register_subject(HR, "payee", BORIS, reference="V-77")
    registry.erase(DPO, subject_id, "erasure request")

    position = projection.rebuild()

    assert position > 0
    rebuilt = projection.get(subject_id)
    assert rebuilt["fields"] == dict.fromkeys(ADA, ERASED)
    assert rebuilt["erased_position"] is not None
    assert projection.get(boris)["fields"] == BORIS
    assert len(projection.list(limit=10)) == 2
    assert projection.list(kind="payee")[0]["subject_id"] == str(boris)


def test_on_sqlite_no_copy_of_erased_plaintext_stays_in_the_file_or_its_wal(
    sqlite_url: str,
) -> None:
    from pathlib import Path

    from backoffice.container import build_system

    system = build_system(sqlite_url)
    projection = SubjectsProjection(system.database)
    try:
        registry = SubjectRegistry(system.app, SubjectKeyStore(system.database))
        subject_id = register_ada(registry)
        assert projection.get(subject_id)["fields"]["name"] == ADA["name"]
        files = sorted(Path(system.database.sqlite_path).parent.glob("backoffice.db*"))

        registry.erase(DPO, subject_id, "erasure request")
        assert projection.get(subject_id)["fields"]["name"] == ERASED

        for path in files:
            assert ADA["name"].encode() not in path.read_bytes(), path.name
    finally:
        projection.close()
        system.close()


def test_the_key_row_is_overwritten_and_never_recreated(
    system: System, registry: SubjectRegistry
) -> None:
    keys = SubjectKeyStore(system.database)
    subject_id = register_ada(registry)
    assert keys.key_of(subject_id) is not None

    registry.erase(DPO, subject_id, "erasure request")

    assert keys.key_of(subject_id) is None
    assert keys.is_destroyed(subject_id)
    assert keys.create_key(subject_id) is None
    with pytest.raises(SubjectAlreadyRegistered):
        register_ada(registry)
    with pytest.raises(SubjectAlreadyErased) as refused:
        registry.erase(DPO, subject_id, "again")
    assert refused.value.code == "subject_erased"
    with pytest.raises(SubjectAlreadyErased):
        registry.change_details(HR, subject_id, {"name": "New Name"})


def test_the_chain_verifies_and_the_balances_are_unchanged_after_erasure(
    system: System, registry: SubjectRegistry
) -> None:
    from replay.rebuild import rebuild
    from replay.verify import verify

    open_chart(system.app)
    fund_bank(system.app, "500.00")
    subject_id = register_ada(registry)
    spend_from_bank(system.app, "rent-1", "120.00", description="rent, paid to a payee")
    system.app.post_journal_entry(
        entry("sale-1", transfer("Assets:Receivables", "Income:Sales", "80.00"))
    )
    before = system.projections.trial_balance()
    bank_before = system.projections.balance("Assets:Bank")

    registry.erase(DPO, subject_id, "erasure request")
    rebuild(system.database)

    after = system.projections.trial_balance()
    assert (after.lines, after.totals) == (before.lines, before.totals)
    assert after.balanced
    assert system.projections.balance("Assets:Bank").lines == bank_before.lines
    assert verify(system.database).ok
    report = verify_chain(system.database, public_keys=[])
    assert report.ok, report.problems
    assert report.events_checked == system.app.recorder.max_notification_id()


def test_erasure_is_refused_under_a_legal_hold_and_allowed_once_lifted(
    registry: SubjectRegistry,
) -> None:
    subject_id = register_ada(registry)
    hold_id, _ = registry.place_hold(AML, subject_id, "AML retention: five years after exit")

    with pytest.raises(SubjectUnderLegalHold) as refused:
        registry.erase(DPO, subject_id, "erasure request")
    assert (refused.value.code, status_for(refused.value)) == ("subject_under_legal_hold", 409)
    assert registry.read_subject(subject_id)["fields"] == ADA  # nothing happened

    registry.lift_hold(AML, subject_id, hold_id, "retention period over")
    with pytest.raises(LegalHoldNotActive):
        registry.lift_hold(AML, subject_id, hold_id, "again")
    registry.erase(DPO, subject_id, "erasure request")
    assert registry.read_subject(subject_id)["status"] == "erased"


def test_a_hold_past_its_until_date_no_longer_blocks_erasure(system: System) -> None:
    today = [date(2026, 3, 1)]
    registry = SubjectRegistry(system.app, SubjectKeyStore(system.database), today=lambda: today[0])
    subject_id = register_ada(registry)
    registry.place_hold(AML, subject_id, "retention", until="2026-03-31")
    with pytest.raises(InvalidInput) as refused:
        registry.place_hold(AML, subject_id, "retention", until="2026-02-28")
    assert refused.value.field == "until"

    with pytest.raises(SubjectUnderLegalHold):
        registry.erase(DPO, subject_id, "request")
    today[0] = date(2026, 4, 1)
    registry.erase(DPO, subject_id, "request")


def test_a_hold_still_blocks_erasure_on_its_until_day_and_not_the_day_after(
    system: System,
) -> None:
    today = [date(2026, 3, 1)]
    registry = SubjectRegistry(system.app, SubjectKeyStore(system.database), today=lambda: today[0])
    subject_id = register_ada(registry)
    registry.place_hold(AML, subject_id, "retention", until="2026-03-31")

    today[0] = date(2026, 3, 31)  # the hold's last day: "until" is inclusive
    assert [hold["active"] for hold in registry.read_subject(subject_id)["holds"]] == [True]
    before = system.app.recorder.max_notification_id()
    with pytest.raises(SubjectUnderLegalHold):
        registry.erase(DPO, subject_id, "request")
    assert system.app.recorder.max_notification_id() == before
    assert registry.read_subject(subject_id)["fields"] == ADA

    today[0] = date(2026, 4, 1)
    assert [hold["active"] for hold in registry.read_subject(subject_id)["holds"]] == [False]
    registry.erase(DPO, subject_id, "request")
    assert registry.read_subject(subject_id)["status"] == "erased"


def test_a_hold_placed_until_today_blocks_erasure_today(system: System) -> None:
    today = [date(2026, 3, 31)]
    registry = SubjectRegistry(system.app, SubjectKeyStore(system.database), today=lambda: today[0])
    subject_id = register_ada(registry)
    registry.place_hold(AML, subject_id, "retention", until="2026-03-31")
    with pytest.raises(SubjectUnderLegalHold):
        registry.erase(DPO, subject_id, "request")


def test_holds_lifts_and_erasure_are_audited_events_with_their_actor(
    system: System, registry: SubjectRegistry
) -> None:
    subject_id = register_ada(registry)
    hold_id, _ = registry.place_hold(AML, subject_id, "AML retention")
    registry.lift_hold(AML, subject_id, hold_id, "case closed")
    registry.erase(DPO, subject_id, "erasure request")

    trail = AuditTrail(system.database)
    try:
        history = trail.history(str(subject_id))
    finally:
        trail.close()
    assert [(row["event_type"], row["actor"]) for row in history] == [
        ("SubjectRegistered", HR.actor),
        ("LegalHoldPlaced", AML.actor),
        ("LegalHoldLifted", AML.actor),
        ("SubjectErased", DPO.actor),
    ]
    assert history[1]["payload"]["hold_id"] == str(hold_id)
    assert history[3]["payload"]["reason"] == "erasure request"


def test_an_interrupted_erasure_is_finished_by_the_next_attempt(system: System) -> None:
    keys = SubjectKeyStore(system.database)

    class FailingOnce:
        failed = False

        def __getattr__(self, name: str) -> Any:
            return getattr(keys, name)

        def destroy(self, subject_id: UUID) -> bool:
            if not self.failed:
                self.failed = True
                raise ConnectionError("key store went away")
            return keys.destroy(subject_id)

    registry = SubjectRegistry(system.app, FailingOnce())
    subject_id = register_ada(registry)
    with pytest.raises(ConnectionError):
        registry.erase(DPO, subject_id, "request")
    assert registry.read_subject(subject_id)["fields"] == dict.fromkeys(ADA, ERASED)
    assert keys.key_of(subject_id) is not None  # not yet destroyed

    with pytest.raises(SubjectAlreadyErased):
        registry.erase(DPO, subject_id, "request")
    assert keys.key_of(subject_id) is None


def test_a_ciphertext_moved_to_another_field_or_subject_does_not_open(
    system: System, registry: SubjectRegistry
) -> None:
    keys = SubjectKeyStore(system.database)
    ada = register_ada(registry)
    boris, _ = registry.register_subject(HR, "payee", BORIS, reference="V-77")
    ada_subject = system.app.repository.get(ada)
    ada_key, boris_key = keys.key_of(ada), keys.key_of(boris)
    assert ada_key is not None and boris_key is not None
    envelope = ada_subject.sealed["tax_id"]

    assert open_envelope(ada_key, ada, "tax_id", envelope) == ADA["tax_id"]
    with pytest.raises(SealBroken):
        open_envelope(ada_key, ada, "bank_account", envelope)  # another field
    with pytest.raises(SealBroken):
        open_envelope(ada_key, boris, "tax_id", envelope)  # another subject, right key
    with pytest.raises(SealBroken):
        open_envelope(boris_key, boris, "tax_id", envelope)  # another subject's key
    with pytest.raises(UnknownSubject):
        registry.read_subject(uuid4())


# --- CLI -------------------------------------------------------------------------------


def test_cli_erase_is_refused_under_hold_with_exit_2_and_works_after_lift(
    system: System, registry: SubjectRegistry, database_url: str
) -> None:
    from backoffice.cli.main import app as cli

    subject_id = register_ada(registry)
    runner = CliRunner()
    common = ["--database", database_url, "--actor", "dpo@example.test"]

    held = runner.invoke(cli, ["subjects", "hold", str(subject_id), "--reason", "AML", *common])
    assert held.exit_code == 0, held.output
    hold_id = held.output.split()[1]

    refused = runner.invoke(cli, ["erase", str(subject_id), "--reason", "request", *common])
    assert refused.exit_code == 2
    assert "subject_under_legal_hold" in refused.output

    lifted = runner.invoke(
        cli, ["subjects", "lift", str(subject_id), hold_id, "--reason", "over", *common]
    )
    assert lifted.exit_code == 0, lifted.output
    erased = runner.invoke(cli, ["erase", str(subject_id), "--reason", "request", *common])
    assert erased.exit_code == 0, erased.output
    assert registry.read_subject(subject_id)["status"] == "erased"


# --- HTTP API --------------------------------------------------------------------------


@pytest.fixture
def api(database_url: str) -> Iterator[ApiHarness]:
    with running_api(database_url) as harness:
        yield harness


def _register(api: ApiHarness, key: str | None = None, **overrides: Any) -> Any:
    body = {"reference": "EMP-0001", "kind": "employee", "fields": ADA, **overrides}
    return api.post("/v1/subjects", "poster", body, key=key)


def test_api_registers_reads_and_keeps_no_plaintext_in_the_log(api: ApiHarness) -> None:
    created = _register(api)
    assert created.status_code == 201, created.text
    subject_id = created.json()["subject_id"]
    assert created.json()["fields"] == sorted(ADA)

    read = api.get(f"/v1/subjects/{subject_id}", "compliance")
    assert read.status_code == 200, read.text
    assert read.json()["fields"] == ADA
    assert api.get(f"/v1/subjects/{subject_id}", "poster").status_code == 403

    assert_no_plaintext(event_table_bytes(api.system), ADA)
    assert_no_plaintext(audit_rows_bytes(api.system), ADA)
    assert api.get(f"/v1/subjects/{uuid4()}", "admin").json()["code"] == "unknown_subject"


def test_api_subject_posts_are_idempotent(api: ApiHarness) -> None:
    key = new_key("subject")
    first = _register(api, key=key)
    again = _register(api, key=key)
    assert first.status_code == again.status_code == 201
    assert again.headers["idempotency-replayed"] == "true"
    assert again.content == first.content
    other = _register(api, key=key, fields={**ADA, "name": "Someone Else"})
    assert other.status_code == 422
    assert other.json()["code"] == "idempotency_key_reused"
    subject_id = first.json()["subject_id"]

    hold_key = new_key("hold")
    hold_body = {"reason": "AML retention", "until": "2199-12-31"}
    held = api.post(f"/v1/subjects/{subject_id}/holds", "compliance", hold_body, key=hold_key)
    held_again = api.post(f"/v1/subjects/{subject_id}/holds", "compliance", hold_body, key=hold_key)
    assert held.status_code == held_again.status_code == 201, held.text
    assert held_again.content == held.content
    assert len(api.get(f"/v1/subjects/{subject_id}", "auditor").json()["holds"]) == 1

    hold_id = held.json()["hold_id"]
    lift_key = new_key("lift")
    lift_path = f"/v1/subjects/{subject_id}/holds/{hold_id}/lift"
    lifted = api.post(lift_path, "compliance", {"reason": "closed"}, key=lift_key)
    lifted_again = api.post(lift_path, "compliance", {"reason": "closed"}, key=lift_key)
    assert lifted.status_code == lifted_again.status_code == 200, lifted.text
    assert lifted_again.headers["idempotency-replayed"] == "true"

    erase_key = new_key("erase")
    erase_path = f"/v1/subjects/{subject_id}/erasure"
    erased = api.post(erase_path, "admin", {"reason": "request"}, key=erase_key)
    erased_again = api.post(erase_path, "admin", {"reason": "request"}, key=erase_key)
    assert erased.status_code == erased_again.status_code == 200, erased.text
    assert erased_again.content == erased.content
    refused = api.post(erase_path, "admin", {"reason": "request"})
    assert (refused.status_code, refused.json()["code"]) == (409, "subject_erased")


def test_api_erasure_is_refused_under_hold_then_allowed_after_lift(api: ApiHarness) -> None:
    subject_id = _register(api).json()["subject_id"]
    held = api.post(f"/v1/subjects/{subject_id}/holds", "compliance", {"reason": "AML"})
    assert held.status_code == 201, held.text
    assert api.post(f"/v1/subjects/{subject_id}/holds", "admin", {"reason": "x"}).status_code == 403

    refused = api.post(f"/v1/subjects/{subject_id}/erasure", "admin", {"reason": "request"})
    assert refused.status_code == 409
    assert refused.headers["content-type"].startswith("application/problem+json")
    assert refused.json()["code"] == "subject_under_legal_hold"
    assert refused.json()["type"] == "urn:backoffice:problem:subject_under_legal_hold"

    hold_id = held.json()["hold_id"]
    lift = api.post(
        f"/v1/subjects/{subject_id}/holds/{hold_id}/lift", "compliance", {"reason": "closed"}
    )
    assert lift.status_code == 200, lift.text
    erased = api.post(f"/v1/subjects/{subject_id}/erasure", "admin", {"reason": "request"})
    assert erased.status_code == 200, erased.text
    read = api.get(f"/v1/subjects/{subject_id}", "admin").json()
    assert read["status"] == "erased"
    assert read["fields"] == dict.fromkeys(ADA, ERASED)


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"reference": "V-1", "kind": "payee", "fields": {"email": "nope"}}, "fields.email"),
        ({"reference": "V-1", "kind": "payee", "fields": {"name": "x" * 201}}, "fields.name"),
        ({"reference": "V-1", "kind": "payee", "fields": {"alias": "Ada"}}, "fields.alias"),
        ({"reference": "V-1", "kind": "pet", "fields": {"name": "Ada"}}, "kind"),
        ({"reference": "", "kind": "payee", "fields": {"name": "Ada"}}, "reference"),
        ({"reference": "V-1", "kind": "payee", "fields": {"name": 42}}, "fields.name"),
        ({"reference": "V-1", "kind": "payee", "fields": {}}, "fields"),
    ],
)
def test_api_bad_subject_input_is_a_422_naming_the_field(
    api: ApiHarness, body: dict[str, Any], field: str
) -> None:
    response = api.post("/v1/subjects", "admin", body)
    assert response.status_code == 422, response.text
    assert field in [error["field"] for error in response.json()["errors"]]


def test_api_bad_hold_input_is_a_422_naming_the_field(api: ApiHarness) -> None:
    subject_id = _register(api).json()["subject_id"]
    for body, field in (
        ({"reason": "AML", "until": "2020-01-01"}, "until"),
        ({"reason": "AML", "until": "2026-02-30"}, "until"),
        ({"reason": ""}, "reason"),
        ({"reason": "AML", "extra": 1}, "extra"),
    ):
        response = api.post(f"/v1/subjects/{subject_id}/holds", "compliance", body)
        assert response.status_code == 422, response.text
        assert field in [error["field"] for error in response.json()["errors"]]


def test_the_projection_worker_folds_every_read_model_once(sqlite_url: str) -> None:
    from typer.testing import CliRunner

    from backoffice.cli.main import app as cli

    result = CliRunner().invoke(cli, ["demo", "--database", sqlite_url])
    assert result.exit_code == 0, result.output
    result = CliRunner().invoke(cli, ["project", "--once", "--database", sqlite_url])
    assert result.exit_code == 0, result.output
    text = " ".join(result.output.split())
    for name in ("balances at position", "audit trail at", "subjects at", "screening log at"):
        assert name in text
