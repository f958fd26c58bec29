"""The compose deployment, on a throwaway cluster: fsync on, the init SQL's two
roles, ``backoffice migrate`` as the owner, ``backoffice serve`` as the
application role in a process group of its own (so kill -9 takes the
supervisor and its workers together), and maintenance commands as the owner.

Everything listens on loopback; the cluster lives in a temporary directory
and its server log is copied to ``build/faults/`` when a scenario fails.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from tests.pg_cluster import BIN, Cluster, _as_server_user, _free_port

ROOT = Path(__file__).resolve().parents[2]
BACKOFFICE = str(Path(sys.executable).with_name("backoffice"))
INITDB_SQL = ROOT / "docker" / "initdb"
DBNAME = "backoffice"
SECRET = "fault-suite-secret-" + "x" * 24
READY_TIMEOUT_S = 60.0


class DurableCluster(Cluster):
    """A throwaway cluster that keeps its promises: fsync and synchronous commit on."""

    extra_options: str = ""

    def start(self) -> None:
        options = (
            f"-p {self.port} -k {self.data} -c listen_addresses=127.0.0.1 -c fsync=on "
            f"-c synchronous_commit=on -c full_page_writes=on -c max_connections=60 "
            f"{self.extra_options}"
        )
        self.pg_ctl("-o", options, "-l", str(self.data / "server.log"), "start")


def psql(cluster: Cluster, sql_or_file: str, *, dbname: str = "postgres", **variables: str) -> str:
    """Run SQL (or a file, when it names one) as the cluster's superuser."""
    command = ["psql", "--no-psqlrc", "-v", "ON_ERROR_STOP=1", "-h", "127.0.0.1"]
    command += ["-p", str(cluster.port), "-U", "postgres", "-d", dbname, "-qAt"]
    for name, value in variables.items():
        command += ["-v", f"{name}={value}"]
    is_file = sql_or_file.endswith(".sql") and Path(sql_or_file).exists()
    command += ["-f", sql_or_file] if is_file else ["-c", sql_or_file]
    environment = {
        **os.environ,
        "BACKOFFICE_APP_PASSWORD": "app-password",
        "BACKOFFICE_OWNER_PASSWORD": "owner-password",
    }
    done = subprocess.run(
        command, env=environment, check=True, capture_output=True, text=True, timeout=60
    )
    return done.stdout.strip()


@dataclass
class Deployment:
    cluster: DurableCluster
    root: Path
    server: subprocess.Popen[bytes] | None = None
    worker: subprocess.Popen[bytes] | None = None
    port: int = field(default_factory=_free_port)
    projections: str = "inline"
    logs: list[Path] = field(default_factory=list)
    signing_key: str = ""

    @property
    def where(self) -> str:
        return f"127.0.0.1:{self.cluster.port}/{DBNAME}?schema=backoffice"

    @property
    def owner_url(self) -> str:
        return f"postgresql://backoffice_owner:owner-password@{self.where}"

    @property
    def app_url(self) -> str:
        return f"postgresql://backoffice_app:app-password@{self.where}"

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def environment(self, url: str) -> dict[str, str]:
        keep = {k: v for k, v in os.environ.items() if not k.startswith("BACKOFFICE_")}
        return {
            **keep,
            "BACKOFFICE_DATABASE_URL": url,
            "BACKOFFICE_SECRET": SECRET,
            "BACKOFFICE_CREATE_TABLES": "no",
            "BACKOFFICE_PROJECTIONS": self.projections,
            "BACKOFFICE_CHECKPOINT_INTERVAL_S": "0",
            "PYTHONUNBUFFERED": "1",
            **({"BACKOFFICE_SIGNING_KEY": self.signing_key} if self.signing_key else {}),
        }

    def cli(self, *arguments: str, timeout_s: float = 120) -> subprocess.CompletedProcess[str]:
        """A maintenance command as the owner role."""
        return subprocess.run(
            [BACKOFFICE, *arguments, "--database", self.owner_url],
            env=self.environment(self.owner_url),
            capture_output=True,
            text=True,
            timeout=timeout_s,
            cwd=ROOT,
        )

    def _log(self, name: str) -> Any:
        path = self.root / f"{name}-{len(self.logs)}.log"
        self.logs.append(path)
        return path.open("wb")

    def start_server(self, workers: int = 2) -> None:
        assert self.server is None or self.server.poll() is not None
        self.server = subprocess.Popen(
            [
                BACKOFFICE,
                "serve",
                "--host",
                "127.0.0.1",
                "--port",
                str(self.port),
                "--workers",
                str(workers),
                "--log-level",
                "warning",
            ],
            env=self.environment(self.app_url),
            stdout=subprocess.DEVNULL,
            stderr=self._log("serve"),
            start_new_session=True,  # its own process group: kill -9 reaches every worker
            cwd=ROOT,
        )

    def kill_server(self) -> None:
        """SIGKILL to the whole process group of ``backoffice serve``."""
        assert self.server is not None
        with suppress(ProcessLookupError):
            os.killpg(self.server.pid, signal.SIGKILL)
        self.server.wait(timeout=30)

    def stop_server(self) -> None:
        if self.server is not None and self.server.poll() is None:
            with suppress(ProcessLookupError):
                os.killpg(self.server.pid, signal.SIGTERM)
            try:
                self.server.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.kill_server()

    def start_worker(self) -> None:
        self.worker = subprocess.Popen(
            [BACKOFFICE, "project", "--poll-interval", "0.1"],
            env=self.environment(self.app_url),
            stdout=subprocess.DEVNULL,
            stderr=self._log("project"),
            start_new_session=True,
            cwd=ROOT,
        )

    def kill_worker(self) -> None:
        if self.worker is not None and self.worker.poll() is None:
            with suppress(ProcessLookupError):
                os.killpg(self.worker.pid, signal.SIGKILL)
            self.worker.wait(timeout=30)

    def worker_pids(self) -> list[int]:
        """The uvicorn worker processes (children of the supervisor)."""
        assert self.server is not None
        children = Path(f"/proc/{self.server.pid}/task/{self.server.pid}/children")
        with suppress(OSError):
            return [int(pid) for pid in children.read_text().split()]
        return []

    def wait_ready(self, timeout_s: float = READY_TIMEOUT_S) -> float:
        """Seconds until /health/ready answered 200."""
        started = time.monotonic()
        while True:
            if self.server is not None and self.server.poll() is not None:
                raise AssertionError(f"serve exited {self.server.returncode}: see {self.logs[-1]}")
            with suppress(httpx.HTTPError):
                if httpx.get(f"{self.base}/health/ready", timeout=2.0).status_code == 200:
                    return time.monotonic() - started
            if time.monotonic() - started > timeout_s:
                raise AssertionError(f"not ready after {timeout_s}s")
            time.sleep(0.05)

    def keep_logs(self, name: str) -> Path:
        """Copy the server's and the cluster's logs to build/faults/<name>/."""
        target = ROOT / "build" / "faults" / name
        target.mkdir(parents=True, exist_ok=True)
        for path in [*self.logs, self.cluster.data / "server.log"]:
            with suppress(OSError):
                shutil.copy(path, target / path.name)
        return target

    def close(self) -> None:
        self.stop_server()
        self.kill_worker()


@contextmanager
def deployment(projections: str = "inline") -> Iterator[Deployment]:
    """A migrated compose deployment on a fresh fsync-on cluster."""
    root = Path(tempfile.mkdtemp(prefix="bo-faults-"))
    data = root / "data"
    data.mkdir()
    if os.geteuid() == 0:
        shutil.chown(root, "postgres")
        shutil.chown(data, "postgres")
    initdb = [str(BIN / "initdb"), "-D", str(data), "-U", "postgres", "--auth=trust", "-E", "UTF8"]
    subprocess.run(_as_server_user(initdb), check=True, capture_output=True, timeout=120)
    cluster = DurableCluster(data, _free_port())
    cluster.start()
    setup = Deployment(cluster, root, projections=projections)
    try:
        psql(cluster, f"CREATE DATABASE {DBNAME}")
        for script in sorted(INITDB_SQL.glob("*.sql")):
            psql(cluster, str(script), dbname=DBNAME)
        migrated = setup.cli("migrate", "--app-role", "backoffice_app")
        assert migrated.returncode == 0, migrated.stdout + migrated.stderr
        yield setup
    finally:
        setup.close()
        with suppress(subprocess.CalledProcessError):
            cluster.stop("immediate")
        shutil.rmtree(root, ignore_errors=True)


def unique_name(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"
