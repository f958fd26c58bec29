"""Verify a projection: rebuild it into shadow tables and compare digests.

The live projection is caught up first; its digests and its position are
read in one snapshot, and the shadow fold stops at exactly that position,
so both sides describe the same prefix of the log even while writers go on
appending. Then the invariant checks run over the shadow fold's state. The
shadow tables are dropped afterwards.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from adapters.database import Database
from projections.ledger.balances import Finding
from projections.ledger.checks import invariant_findings
from projections.ledger.runner import ProjectionService, open_store
from projections.ledger.schema import PREFIX_SHADOW
from replay.rebuild import Progress, check_projection, fold_into


@dataclass(frozen=True, slots=True)
class VerifyReport:
    """What verify compared at log ``position`` and what it found (empty = OK)."""

    projection: str
    position: int
    findings: list[Finding]
    live_digests: dict[str, str] = field(default_factory=dict)
    shadow_digests: dict[str, str] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.findings

    def summary_lines(self) -> list[str]:
        """One line per compared table, then the verdict (for the CLI and logs)."""
        lines = [f"{self.projection} at log position {self.position}:"]
        for table in sorted(self.live_digests):
            live, shadow = self.live_digests[table], self.shadow_digests.get(table, "")
            verdict = "same" if live == shadow else "DIFFERS"
            lines.append(f"  {table:<9} live {live[:16]}  rebuilt {shadow[:16]}  {verdict}")
        lines.append(f"  {len(self.findings)} finding(s)")
        return lines


def verify(
    database: Database, projection: str = "balances", progress: Progress | None = None
) -> VerifyReport:
    """Compare the live projection with a fresh fold of the log, and check invariants."""
    check_projection(projection)
    live = ProjectionService(database)
    try:
        live.catch_up()
        with live.store.read_snapshot():
            position = live.store.tracked_position()
            live_digests = live.store.table_digests()
    finally:
        live.close()
    _stats, state = fold_into(database, PREFIX_SHADOW, up_to=position, progress=progress)
    shadow = open_store(database, PREFIX_SHADOW)
    try:
        with shadow.read_snapshot():
            shadow_digests = shadow.table_digests()
    finally:
        shadow.drop_tables()
        shadow.close()
    findings = [
        Finding(
            f"digest:{table}",
            position,
            f"table {live.store.prefix}{table} differs from a rebuild of the log "
            f"(live {live_digests[table][:16]}..., rebuilt {shadow_digests.get(table, '')[:16]}...)",
        )
        for table in sorted(live_digests)
        if live_digests[table] != shadow_digests.get(table)
    ]
    findings.extend(invariant_findings(state))
    return VerifyReport(projection, position, findings, live_digests, shadow_digests)
