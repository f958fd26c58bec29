"""A primary and a streaming standby on throwaway clusters (private loopback ports).

The standby is a ``pg_basebackup -R`` copy of the primary, started with its
own ``cluster_name`` (the ``application_name`` it streams under, which
``synchronous_standby_names`` lists). The shared server is never touched;
under root every server command runs as the ``postgres`` user.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import time
from contextlib import suppress
from dataclasses import dataclass
from pathlib import Path

import psycopg

from tests.pg_cluster import BIN, Cluster, _as_server_user, _free_port

STANDBY_NAME = "standby1"


@dataclass
class Node(Cluster):
    """A cluster with fsync and synchronous commit on, and replication allowed."""

    name: str = "primary"

    def start(self) -> None:
        options = (
            f"-p {self.port} -k {self.data} -c listen_addresses=127.0.0.1 -c fsync=on "
            "-c synchronous_commit=on -c full_page_writes=on -c max_connections=60 "
            f"-c wal_level=replica -c max_wal_senders=5 -c hot_standby=on "
            f"-c cluster_name={self.name} -c wal_receiver_status_interval=1s"
        )
        self.pg_ctl("-o", options, "-l", str(self.data / "server.log"), "start")

    def sql(self, statement: str, dbname: str = "postgres") -> list[tuple[object, ...]]:
        url = f"postgresql://postgres@127.0.0.1:{self.port}/{dbname}"
        with psycopg.connect(url, autocommit=True, connect_timeout=5) as conn:
            cursor = conn.execute(statement)  # type: ignore[arg-type, unused-ignore]
            return cursor.fetchall() if cursor.description else []

    def postmaster_pid(self) -> int:
        return int((self.data / "postmaster.pid").read_text().split()[0])

    def kill_9(self) -> None:
        """SIGKILL to the postmaster and every backend at once (a machine lost)."""
        pid = self.postmaster_pid()
        children = Path(f"/proc/{pid}/task/{pid}/children")
        backends = []
        with suppress(OSError):
            backends = [int(child) for child in children.read_text().split()]
        for victim in [pid, *backends]:
            with suppress(ProcessLookupError):
                os.kill(victim, signal.SIGKILL)

    def promote(self) -> None:
        self.pg_ctl("promote")

    def replayed(self, dbname: str = "postgres") -> bool:
        return bool(self.sql("SELECT pg_is_in_recovery()", dbname)[0][0])


def make_primary(root: Path) -> Node:
    data = root / "primary"
    data.mkdir()
    if os.geteuid() == 0:
        shutil.chown(root, "postgres")
        shutil.chown(data, "postgres")
    initdb = [str(BIN / "initdb"), "-D", str(data), "-U", "postgres", "--auth=trust", "-E", "UTF8"]
    subprocess.run(_as_server_user(initdb), check=True, capture_output=True, timeout=120)
    node = Node(data, _free_port(), name="primary")
    node.start()
    return node


def make_standby(primary: Node, root: Path, name: str = STANDBY_NAME) -> Node:
    """``pg_basebackup -R`` of ``primary``, started as a hot standby streaming as ``name``."""
    data = root / name
    command = [
        str(BIN / "pg_basebackup"),
        "-h",
        "127.0.0.1",
        "-p",
        str(primary.port),
        "-U",
        "postgres",
        "-D",
        str(data),
        "-R",
        "-X",
        "stream",
        "-c",
        "fast",
    ]
    subprocess.run(_as_server_user(command), check=True, capture_output=True, timeout=120)
    node = Node(data, _free_port(), name=name)
    node.start()
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        rows = primary.sql(
            f"SELECT state FROM pg_stat_replication WHERE application_name = '{name}'"
        )
        if rows and rows[0][0] == "streaming":
            return node
        time.sleep(0.1)
    raise AssertionError(f"standby {name} never streamed")


def make_synchronous(primary: Node, name: str = STANDBY_NAME, commit: str = "on") -> None:
    """List ``name`` in ``synchronous_standby_names`` (after the base backup, so the
    standby's own copy of postgresql.auto.conf does not wait for itself once promoted)."""
    primary.sql(f"ALTER SYSTEM SET synchronous_standby_names = '{name}'")
    primary.sql(f"ALTER SYSTEM SET synchronous_commit = '{commit}'")
    primary.sql("SELECT pg_reload_conf()")
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        rows = primary.sql(
            f"SELECT sync_state FROM pg_stat_replication WHERE application_name = '{name}'"
        )
        if rows and rows[0][0] == "sync":
            return
        time.sleep(0.1)
    raise AssertionError(f"standby {name} never became synchronous")


def wait_replayed(primary: Node, standby: Node, timeout_s: float = 30) -> None:
    """Until the standby has replayed everything the primary has flushed."""
    target = primary.sql("SELECT pg_current_wal_lsn()")[0][0]
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        rows = standby.sql(f"SELECT pg_last_wal_replay_lsn() >= '{target}'::pg_lsn")
        if rows and rows[0][0]:
            return
        time.sleep(0.05)
    raise AssertionError("the standby did not catch up")


def stop(node: Node) -> None:
    with suppress(subprocess.CalledProcessError, subprocess.TimeoutExpired):
        node.stop("immediate")
