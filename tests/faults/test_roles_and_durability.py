"""The deployment's two roles on a throwaway cluster, and the refusal of unsafe durability.

The compose roles (docker/initdb): the owner runs the maintenance commands
(migrate, verify, rebuild, audit-export), including the owner's lack of
TEMPORARY on the database, which once made ``verify`` fail with "permission
denied to create temporary tables"; the application role serves and keeps
INSERT and SELECT only on the log. ``backoffice serve`` in production
refuses a cluster with fsync off, naming the setting.
"""

from __future__ import annotations

import os
import subprocess
import time

import pytest

from adapters.signing import generate
from tests.faults.deployment import BACKOFFICE, DBNAME, ROOT, deployment, psql
from tests.faults.load import Load
from tests.faults.test_fault_suite import _setup
from tests.pg_cluster import available, throwaway_cluster

pytestmark = [pytest.mark.faults, pytest.mark.slow]


def _need_cluster() -> None:
    reason = available()
    if reason is not None:
        pytest.fail(f"cannot make a throwaway cluster: {reason}")


def test_maintenance_commands_work_as_the_owner_and_the_app_role_only_inserts_and_selects() -> None:
    _need_cluster()
    with deployment() as where:
        token = _setup(where)
        may_temp = psql(
            where.cluster,
            "SELECT has_database_privilege('backoffice_owner', current_database(), 'TEMPORARY')",
            dbname=DBNAME,
        )
        assert may_temp == "f", "the compose owner has no TEMPORARY: the case to cover"
        # Enough entries that the merges are larger than the row-by-row bound.
        where.start_server()
        where.wait_ready()
        load = Load(where.base, token, seed=7, writers=2, readers=0).start()
        time.sleep(3)
        load.drain()
        where.stop_server()
        assert sum(intent.acknowledged for intent in load.intents) > 100
        for command in (["verify"], ["verify", "--chain"], ["rebuild"], ["migrate"]):
            done = where.cli(*command)
            assert done.returncode == 0, f"{command}: {done.stdout}{done.stderr}"
            assert "Traceback" not in done.stderr
        where.signing_key = generate().private_pem()
        export = where.cli("audit-export", "--to", str(where.root / "audit-package"))
        assert export.returncode == 0, export.stdout + export.stderr
        privileges = psql(
            where.cluster,
            "SELECT string_agg(privilege_type, ',' ORDER BY privilege_type) "
            "FROM information_schema.role_table_grants WHERE grantee = 'backoffice_app' "
            "AND table_name = 'backoffice_events'",
            dbname=DBNAME,
        )
        assert privileges == "INSERT,SELECT"


def test_serve_in_production_refuses_a_cluster_with_fsync_off() -> None:
    _need_cluster()
    with throwaway_cluster() as cluster:  # started with fsync=off
        environment = {
            **{k: v for k, v in os.environ.items() if not k.startswith("BACKOFFICE_")},
            "BACKOFFICE_ENV": "production",
            "BACKOFFICE_DATABASE_URL": f"{cluster.url}?schema=durability",
            "BACKOFFICE_SECRET": "a-production-secret-" + "y" * 24,
            "BACKOFFICE_SIGNING_KEY": generate().private_pem(),
        }
        done = subprocess.run(
            [BACKOFFICE, "serve", "--port", "1"],
            env=environment,
            capture_output=True,
            text=True,
            timeout=60,
            cwd=ROOT,
        )
    assert done.returncode == 3, done.stdout + done.stderr
    assert "fsync=off" in done.stderr and "Traceback" not in done.stderr
