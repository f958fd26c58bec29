"""The hash chain and signed checkpoints catch every kind of tampering, on both backends.

On PostgreSQL the append-only triggers are bypassed the way a superuser
would (``session_replication_role = replica``); on SQLite the triggers are
dropped first. Then the database is changed behind the application's back
and ``verify --chain`` must name the first bad position.
"""

from __future__ import annotations

import base64
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import pytest

from adapters.auditkit.audit_verify import check_inclusion
from adapters.auditkit.chain import GENESIS_LINK, next_link
from adapters.auditkit.checkpoint_note import Checkpoint, parse
from adapters.chain_store import ChainReader, table_names, verify_chain
from adapters.database import postgres_connect_kwargs
from adapters.signing import Signer, generate
from backoffice.container import System, build_system
from domain.kernel.context import Context
from domain.ledger.commands import PostJournalEntry
from replay.checkpointing import LogWitness

CONTEXT = Context("tester", "tamper-test")


@dataclass
class Log:
    system: System
    signer: Signer
    checkpoints: list[Checkpoint]

    def verify(self, keys: list[bytes] | None = None, extra: list[Checkpoint] = ()) -> Any:  # type: ignore[assignment]
        return verify_chain(
            self.system.database, [self.signer.public_raw] if keys is None else keys, list(extra)
        )

    @contextmanager
    def raw(self) -> Iterator[Any]:
        """A connection that can change the tables behind the application's back."""
        database = self.system.database
        if database.backend == "sqlite":
            connection = sqlite3.connect(database.sqlite_path, isolation_level=None)
            triggers = connection.execute(
                "SELECT name, sql FROM sqlite_master WHERE type = 'trigger'"
            ).fetchall()
            for name, _sql in triggers:
                connection.execute(f"DROP TRIGGER {name}")
            try:
                yield connection
            finally:
                for _name, sql in triggers:
                    connection.execute(sql)
                connection.close()
        else:
            import psycopg

            with psycopg.connect(
                **postgres_connect_kwargs(database), autocommit=True
            ) as connection:  # type: ignore[arg-type]
                connection.execute("SET session_replication_role = replica")
                yield connection

    def sql(self, statement: str, params: tuple[Any, ...] = ()) -> list[Any]:
        sqlite = self.system.database.backend == "sqlite"
        statement = statement.format(
            *table_names(self.system.database), id="rowid" if sqlite else "notification_id"
        )
        if not sqlite:
            statement = statement.replace("?", "%s")
        with self.raw() as connection:
            cursor = connection.execute(statement, params)
            try:
                return list(cursor.fetchall())
            except Exception:  # statements without rows
                return []


def _post(system: System, prefix: str, count: int) -> None:
    commands = [
        PostJournalEntry(
            CONTEXT,
            f"{prefix}-{index}",
            "2026-01-15",
            [
                {
                    "account": "Assets:Bank",
                    "direction": "debit",
                    "amount": f"{index + 1}.00",
                    "asset": "USD",
                },
                {
                    "account": "Equity:Capital",
                    "direction": "credit",
                    "amount": f"{index + 1}.00",
                    "asset": "USD",
                },
            ],
            metadata={"n": str(index)},
        )
        for index in range(count)
    ]
    for outcome in system.app.post_entries(commands):
        assert not isinstance(outcome, Exception), outcome


@pytest.fixture
def log(database_url: str) -> Iterator[Log]:
    system = build_system(database_url)
    system.app.open_account(CONTEXT, "Assets:Bank", "Bank", "asset", ["USD"])
    system.app.open_account(CONTEXT, "Equity:Capital", "Capital", "equity", ["USD"])
    _post(system, "a", 10)
    signer = generate()
    witness = LogWitness(system.database)
    first = witness.write_checkpoint(system.app, signer, CONTEXT)
    _post(system, "b", 6)
    second = witness.write_checkpoint(system.app, signer, CONTEXT)
    _post(system, "c", 3)
    yield Log(system, signer, [first, second])
    system.close()


def test_an_untouched_log_verifies(log: Log) -> None:
    report = log.verify()
    assert report.ok, report.problems
    assert report.chain_length == report.events_checked == 2 + 10 + 1 + 6 + 1 + 3
    assert report.checkpoints_checked == 2


def _refused_statements(log: Log) -> list[str]:
    """Every table (events, chain, checkpoints) x every operation (UPDATE, DELETE, and
    TRUNCATE where the backend has it), each aimed at rows that exist."""
    events, chain, checkpoints = table_names(log.system.database)
    statements = [
        f"UPDATE {events} SET topic = topic",
        f"DELETE FROM {events}",
        f"UPDATE {chain} SET link = link",
        f"DELETE FROM {chain}",
        f"UPDATE {checkpoints} SET note = note",
        f"DELETE FROM {checkpoints}",
    ]
    if log.system.database.backend != "sqlite":  # SQLite has no TRUNCATE
        statements += [f"TRUNCATE {events}", f"TRUNCATE {chain}", f"TRUNCATE {checkpoints}"]
    return statements


def test_the_log_refuses_every_change_at_the_database_on_every_table(log: Log) -> None:
    before = log.verify().as_dict()
    for statement in _refused_statements(log):
        if log.system.database.backend == "sqlite":
            connection = sqlite3.connect(log.system.database.sqlite_path)
            try:
                with pytest.raises(sqlite3.DatabaseError, match="append-only"):
                    connection.execute(statement)
            finally:
                connection.close()
        else:
            import psycopg

            kwargs = postgres_connect_kwargs(log.system.database)
            with (
                psycopg.connect(**kwargs, autocommit=True) as connection,  # type: ignore[arg-type]
                pytest.raises(psycopg.Error, match="append-only"),
            ):
                connection.execute(statement)
    after = log.verify()
    assert after.ok and after.as_dict() == before


@pytest.mark.parametrize("column", ["topic", "originator_id", "originator_version", "state"])
def test_a_changed_byte_in_any_column_of_an_event_is_caught(log: Log, column: str) -> None:
    target = 7  # a journal entry in the middle
    (notification_id,) = log.sql("SELECT notification_id FROM {1} WHERE position = ?", (target,))[0]
    row = log.sql(f"SELECT {column} FROM {{0}} WHERE {{id}} = ?", (notification_id,))[0]
    value = row[0]
    if column == "state":
        changed: Any = bytes(value).replace(b'"n":"', b'"n":"9', 1)
        assert changed != bytes(value)
    elif column == "originator_version":
        changed = int(value) + 100
    elif column == "originator_id":
        text = str(value)
        changed = (
            type(value)(text[:-1] + ("0" if text[-1] != "0" else "1"))
            if not isinstance(value, str)
            else text[:-1] + ("0" if text[-1] != "0" else "1")
        )
    else:
        changed = str(value).replace("JournalEntry", "JournalEntrz")
    log.sql(f"UPDATE {{0}} SET {column} = ? WHERE {{id}} = ?", (changed, notification_id))
    report = log.verify()
    assert not report.ok
    assert report.first_bad_position == target, report.problems


@contextmanager
def owner_without_triggers(log: Log, table: str) -> Iterator[Any]:
    """A connection as the table owner with ``table``'s append-only triggers dropped,
    recreated (from their own definitions) when done. SQLite: ``Log.raw`` does it."""
    database = log.system.database
    if database.backend == "sqlite":
        with log.raw() as connection:
            yield connection
        return
    import psycopg

    with psycopg.connect(**postgres_connect_kwargs(database), autocommit=True) as connection:  # type: ignore[arg-type]
        triggers = connection.execute(
            "SELECT tgname, pg_get_triggerdef(oid) FROM pg_trigger "
            "WHERE tgrelid = %s::regclass AND NOT tgisinternal",
            (table,),
        ).fetchall()
        assert triggers, f"{table} has no append-only trigger to drop"
        for name, _definition in triggers:
            connection.execute(f'DROP TRIGGER "{name}" ON {table}')
        try:
            yield connection
        finally:
            for _name, definition in triggers:
                connection.execute(definition)


def _change_chain_row(log: Log, position: int, column: str) -> None:
    """Flip one bit of ``column`` (leaf_hash or link) of one stored chain row, nothing else."""
    chain = table_names(log.system.database)[1]
    mark = "?" if log.system.database.backend == "sqlite" else "%s"
    with owner_without_triggers(log, chain) as connection:
        (stored,) = connection.execute(
            f"SELECT {column} FROM {chain} WHERE position = {mark}", (position,)
        ).fetchone()
        changed = bytearray(bytes(stored))
        changed[0] ^= 0x01
        connection.execute(
            f"UPDATE {chain} SET {column} = {mark} WHERE position = {mark}",
            (bytes(changed), position),
        )
    with ChainReader(log.system.database) as reader:
        rows = {row[0]: row for row in reader.walk()}
    assert bytes(rows[position][2 if column == "leaf_hash" else 3]) == bytes(changed)


@pytest.mark.parametrize("position", [1, 7, 2 + 10 + 1 + 6 + 1 + 3])
def test_a_chain_row_whose_stored_leaf_hash_alone_was_changed_is_caught(
    log: Log, position: int
) -> None:
    # The event and the link are untouched: only the leaf the checkpoints and proofs
    # are built from differs from the one the event hashes to.
    _change_chain_row(log, position, "leaf_hash")
    report = log.verify()
    assert not report.ok
    assert report.first_bad_position == position, report.problems
    assert f"chain position {position}: the event" in report.problems[0]


@pytest.mark.parametrize("position", [1, 7, 2 + 10 + 1 + 6 + 1 + 3])
def test_a_chain_row_whose_stored_link_alone_was_changed_is_caught(
    log: Log, position: int
) -> None:
    _change_chain_row(log, position, "link")
    report = log.verify()
    assert not report.ok
    assert report.first_bad_position == position, report.problems
    assert f"chain position {position}: the chain link" in report.problems[0]


def test_the_append_only_triggers_are_back_after_a_chain_row_was_changed(log: Log) -> None:
    _change_chain_row(log, 3, "link")
    chain = table_names(log.system.database)[1]
    if log.system.database.backend == "sqlite":
        connection = sqlite3.connect(log.system.database.sqlite_path)
        try:
            with pytest.raises(sqlite3.DatabaseError, match="append-only"):
                connection.execute(f"UPDATE {chain} SET link = link")
        finally:
            connection.close()
    else:
        import psycopg

        kwargs = postgres_connect_kwargs(log.system.database)
        with (
            psycopg.connect(**kwargs, autocommit=True) as connection,  # type: ignore[arg-type]
            pytest.raises(psycopg.Error, match="append-only"),
        ):
            connection.execute(f"UPDATE {chain} SET link = link")


def test_a_changed_log_id_is_caught(log: Log) -> None:
    (notification_id,) = log.sql("SELECT notification_id FROM {1} WHERE position = ?", (5,))[0]
    log.sql("UPDATE {0} SET {id} = ? WHERE {id} = ?", (notification_id + 100_000, notification_id))
    report = log.verify()
    assert not report.ok and report.first_bad_position == 5


def test_a_deleted_middle_row_is_caught(log: Log) -> None:
    (notification_id,) = log.sql("SELECT notification_id FROM {1} WHERE position = ?", (9,))[0]
    log.sql("DELETE FROM {0} WHERE {id} = ?", (notification_id,))
    report = log.verify()
    assert not report.ok and report.first_bad_position == 9


def test_a_deleted_middle_row_with_its_chain_row_is_caught(log: Log) -> None:
    (notification_id,) = log.sql("SELECT notification_id FROM {1} WHERE position = ?", (9,))[0]
    log.sql("DELETE FROM {0} WHERE {id} = ?", (notification_id,))
    log.sql("DELETE FROM {1} WHERE position = ?", (9,))
    report = log.verify()
    assert not report.ok and report.first_bad_position == 9


def test_deleted_tail_rows_are_caught_by_the_last_checkpoint(log: Log) -> None:
    size = log.checkpoints[-1].size  # the second checkpoint covers this many events
    cut = size - 2
    ids = [row[0] for row in log.sql("SELECT notification_id FROM {1} WHERE position >= ?", (cut,))]
    for notification_id in ids:
        log.sql("DELETE FROM {0} WHERE {id} = ?", (notification_id,))
    log.sql("DELETE FROM {1} WHERE position >= ?", (cut,))
    report = log.verify()
    assert not report.ok
    assert report.first_bad_position == cut
    assert any("events were removed" in problem for problem in report.problems)


def test_deleted_tail_rows_are_caught_by_a_checkpoint_kept_elsewhere(log: Log) -> None:
    kept = [parse(note.text()) for note in log.checkpoints]
    cut = log.checkpoints[-1].size - 1
    ids = [row[0] for row in log.sql("SELECT notification_id FROM {1} WHERE position >= ?", (cut,))]
    for notification_id in ids:
        log.sql("DELETE FROM {0} WHERE {id} = ?", (notification_id,))
    log.sql("DELETE FROM {1} WHERE position >= ?", (cut,))
    log.sql("DELETE FROM {2} WHERE size >= ?", (cut,))  # the mirror too
    report = log.verify(extra=kept)
    assert not report.ok and report.first_bad_position == cut


def test_a_rewritten_chain_with_a_forged_checkpoint_is_caught(log: Log) -> None:
    """The attacker changes an event, recomputes every leaf and link after it, and signs a
    new checkpoint with a key of their own: the auditor's public key refuses it."""
    from adapters.auditkit.chain import leaf_hash

    target = 4
    (notification_id,) = log.sql("SELECT notification_id FROM {1} WHERE position = ?", (target,))[0]
    (state,) = log.sql("SELECT state FROM {0} WHERE {id} = ?", (notification_id,))[0]
    log.sql(
        "UPDATE {0} SET state = ? WHERE {id} = ?",
        (bytes(state).replace(b"tester", b"forger"), notification_id),
    )
    with ChainReader(log.system.database) as reader:
        rows = list(reader.walk())
    link = GENESIS_LINK
    for position, chain_id, _leaf, _link, event in rows:
        assert event is not None
        leaf = leaf_hash(*event)
        link = next_link(link, leaf)
        log.sql("UPDATE {1} SET leaf_hash = ?, link = ? WHERE position = ?", (leaf, link, position))
        del chain_id
    log.sql("DELETE FROM {2}")
    forger = generate()
    forged = LogWitness(log.system.database).write_checkpoint(log.system.app, forger, CONTEXT)
    # The chain itself is consistent again; only the signature gives it away.
    report = log.verify()
    assert not report.ok
    assert any("unknown key" in problem for problem in report.problems)
    # An old checkpoint the auditor kept elsewhere pins the first bad position.
    report = log.verify(extra=[parse(note.text()) for note in log.checkpoints])
    assert not report.ok and report.first_bad_position == log.checkpoints[0].size
    del forged


def test_a_flipped_signature_byte_is_caught(log: Log) -> None:
    note = log.checkpoints[0]
    raw = bytearray(base64.b64decode(note.signature))
    raw[10] ^= 0x01
    flipped = Checkpoint(
        note.log_id,
        note.size,
        note.head,
        note.root,
        note.time,
        note.key_id,
        base64.b64encode(bytes(raw)).decode(),
    )
    log.sql("DELETE FROM {2} WHERE size = ?", (note.size,))
    log.sql("INSERT INTO {2} (size, note) VALUES (?, ?)", (note.size, flipped.text()))
    report = log.verify()
    assert not report.ok
    assert any("signature does not verify" in problem for problem in report.problems)


def test_an_unchained_event_is_caught(log: Log) -> None:
    events = table_names(log.system.database)[0]
    if log.system.database.backend == "sqlite":
        log.sql(
            f"INSERT INTO {events} (originator_id, originator_version, topic, state) VALUES (?, 1, 'x:Y', x'7b7d')",
            ("ab" * 16,),
        )
    else:
        log.sql(
            f"INSERT INTO {events} (originator_id, originator_version, topic, state) "
            "VALUES (gen_random_uuid(), 1, 'x:Y', '\\x7b7d')"
        )
    report = log.verify()
    assert not report.ok
    assert any("not in the chain" in problem for problem in report.problems)


def test_inclusion_proofs_verify_and_tampered_ones_do_not(log: Log) -> None:
    witness = LogWitness(log.system.database)
    with ChainReader(log.system.database) as reader:
        found = reader.event_at(6)
    assert found is not None
    proof = witness.inclusion_proof(6).as_dict()
    keys = [log.signer.public_raw]
    assert check_inclusion(proof, keys, found[1]) == (True, "included")
    assert proof["tree_size"] == log.checkpoints[-1].size
    bad_path = {
        **proof,
        "path": [
            proof["path"][0][:-1] + ("0" if proof["path"][0][-1] != "0" else "1"),
            *proof["path"][1:],
        ],
    }
    assert check_inclusion(bad_path, keys)[0] is False
    other_event = (found[1][0], found[1][1], found[1][2], found[1][3] + b" ")
    assert check_inclusion(proof, keys, other_event)[0] is False
    assert check_inclusion({**proof, "position": 7}, keys)[0] is False
    assert check_inclusion(proof, [generate().public_raw])[0] is False
    for malformed in (
        {},
        {**proof, "path": "nope"},
        {**proof, "checkpoint": "garbage"},
        {**proof, "leaf_hash": "zz"},
    ):
        ok, why = check_inclusion(malformed, keys)
        assert ok is False and why


def test_consistency_between_checkpoints(log: Log) -> None:
    from adapters.auditkit.merkle import verify_consistency

    witness = LogWitness(log.system.database)
    first, second = log.checkpoints
    path = [bytes.fromhex(item) for item in witness.consistency_proof(first.size, second.size)]
    assert verify_consistency(
        first.size, second.size, bytes.fromhex(first.root), bytes.fromhex(second.root), path
    )
    assert not verify_consistency(
        first.size, second.size, bytes.fromhex(second.root), bytes.fromhex(second.root), path
    )


def test_the_merkle_tree_built_in_a_child_process_gives_the_same_verdict(
    log: Log, monkeypatch: pytest.MonkeyPatch
) -> None:
    import adapters.chain_store

    in_process = log.verify().as_dict()
    monkeypatch.setattr(adapters.chain_store, "PROCESS_TREE_MIN", 1)
    assert log.verify().as_dict() == in_process
    # A checkpoint whose root differs is still caught with the tree in the child.
    note = log.checkpoints[0]
    forged_root = Checkpoint(
        note.log_id, note.size, note.head, "0" * 64, note.time, note.key_id, note.signature
    )
    report = log.verify(extra=[forged_root])
    assert not report.ok and report.first_bad_position == note.size
