"""The faults of the suite: each takes a running deployment under load and a
seeded random source, does its damage, undoes it, and returns the moments
(monotonic) at which the fault was undone to ``recovered``, which waits
until the service is healthy again and gives the seconds that took; a
fault returns those seconds, one per round."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import time
from collections.abc import Callable
from contextlib import suppress
from pathlib import Path

from tests.faults.deployment import DBNAME, Deployment, psql

Recovered = Callable[[float], float]
"""Called with the moment a fault's round ended; waits until healthy, returns the seconds."""
Fault = Callable[[Deployment, random.Random, Recovered], list[float]]
STOP_S = 5.0
"""How long a stopped lock holder stays stopped: longer than the lock timeout (2 s)."""


def kill_server(deployment: Deployment, rng: random.Random, recovered: Recovered) -> list[float]:
    """kill -9 of the server's whole process group mid-burst, then a restart."""
    moments = []
    for _ in range(2):
        time.sleep(rng.uniform(0.5, 2.0))
        deployment.kill_server()
        deployment.start_server()
        moments.append(recovered(time.monotonic()))
    return moments


def stop_database(deployment: Deployment, rng: random.Random, recovered: Recovered) -> list[float]:
    """``pg_ctl stop -m immediate`` mid-burst (a crash: recovery replays the WAL), then start."""
    moments = []
    for _ in range(2):
        time.sleep(rng.uniform(0.5, 2.0))
        deployment.cluster.stop("immediate")
        time.sleep(rng.uniform(0.5, 1.5))
        deployment.cluster.start()
        moments.append(recovered(time.monotonic()))
    return moments


def terminate_backends(
    deployment: Deployment, rng: random.Random, recovered: Recovered
) -> list[float]:
    """``pg_terminate_backend`` of every connection of the application role, three times."""
    moments = []
    for _ in range(3):
        time.sleep(rng.uniform(0.3, 1.5))
        psql(
            deployment.cluster,
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
            "WHERE usename = 'backoffice_app'",
        )
        moments.append(recovered(time.monotonic()))
    return moments


def kill_projection_worker(
    deployment: Deployment, rng: random.Random, recovered: Recovered
) -> list[float]:
    """The projection worker (worker mode) killed with SIGKILL at random points, restarted."""
    moments = []
    for _ in range(3):
        time.sleep(rng.uniform(0.2, 1.5))
        deployment.kill_worker()
        deployment.start_worker()
        moments.append(recovered(time.monotonic()))
    return moments


def _append_lock_holder(deployment: Deployment) -> int | None:
    """The pid of the API worker whose connection holds the append lock, if one does now."""
    port = psql(
        deployment.cluster,
        "SELECT a.client_port FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid "
        "WHERE l.locktype = 'advisory' AND l.granted AND a.usename = 'backoffice_app' LIMIT 1",
        dbname=DBNAME,
    )
    if not port:
        return None
    inode = _socket_inode(int(port))
    for pid in deployment.worker_pids():
        with suppress(OSError):
            for fd in Path(f"/proc/{pid}/fd").iterdir():
                if os.readlink(fd) == f"socket:[{inode}]":
                    return pid
    return None


def _socket_inode(local_port: int) -> str | None:
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        with suppress(OSError):
            for line in Path(table).read_text().splitlines()[1:]:
                fields = line.split()
                if int(fields[1].rsplit(":", 1)[1], 16) == local_port:
                    return fields[9]
    return None


def stop_lock_holder(
    deployment: Deployment, rng: random.Random, recovered: Recovered
) -> list[float]:
    """SIGSTOP of the API worker holding the append lock, for longer than the
    lock timeout, then SIGCONT (a worker found mid-commit; if none is caught
    within a few seconds, a worker at random: it holds pooled connections)."""
    time.sleep(rng.uniform(0.5, 1.5))
    deadline = time.monotonic() + 5
    holder = None
    while holder is None and time.monotonic() < deadline:
        holder = _append_lock_holder(deployment)
    pid = holder or rng.choice(deployment.worker_pids())
    print(f"stopping pid {pid} ({'append lock holder' if holder else 'a worker'})")
    os.kill(pid, signal.SIGSTOP)
    time.sleep(STOP_S)
    with suppress(ProcessLookupError):
        os.kill(pid, signal.SIGCONT)
    return [recovered(time.monotonic())]


class SmallDisk:
    """A tmpfs tablespace that the log's event table lives on, filled on demand."""

    SIZE = "24m"

    def __init__(self, root: Path) -> None:
        self.mount = root / "small"
        self.filler = self.mount / "filler"

    def __enter__(self) -> SmallDisk:
        self.mount.mkdir()
        subprocess.run(
            ["mount", "-t", "tmpfs", "-o", f"size={self.SIZE},mode=0700", "tmpfs", str(self.mount)],
            check=True,
            capture_output=True,
        )
        subprocess.run(["chown", "postgres:postgres", str(self.mount)], check=True)
        return self

    def fill(self) -> None:
        # dd stops at ENOSPC; its exit status says so, which is the point.
        subprocess.run(
            ["dd", "if=/dev/zero", f"of={self.filler}", "bs=64k"], capture_output=True, check=False
        )

    def free(self) -> None:
        self.filler.unlink(missing_ok=True)

    def __exit__(self, *exc: object) -> None:
        subprocess.run(["umount", "-l", str(self.mount)], capture_output=True, check=False)


def move_log_to(deployment: Deployment, disk: SmallDisk) -> None:
    psql(deployment.cluster, f"CREATE TABLESPACE small LOCATION '{disk.mount}'")
    for table in ("backoffice_events", "backoffice_chain"):
        psql(
            deployment.cluster,
            f"ALTER TABLE backoffice.{table} SET TABLESPACE small",
            dbname=DBNAME,
        )


def fill_disk(disk: SmallDisk, refused: Callable[[], bool]) -> Fault:
    def fault(deployment: Deployment, rng: random.Random, recovered: Recovered) -> list[float]:
        """The disk under the log's tables full until writes are refused (the
        tables have pre-extended free pages to use up first) and 2 s more,
        then the space freed."""
        time.sleep(rng.uniform(0.5, 1.5))
        disk.fill()
        deadline = time.monotonic() + 20
        while not refused() and time.monotonic() < deadline:
            time.sleep(0.1)
        time.sleep(2.0)
        disk.free()
        return [recovered(time.monotonic())]

    return fault
