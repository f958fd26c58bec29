"""Verify projections: rebuild each into shadow tables and compare digests.

For every projection of ``projections.registry`` (or those named): the live
projection is caught up first; its digests and its position are read in one
snapshot, and the shadow fold stops at exactly that position, so both sides
describe the same prefix of the log even while writers go on appending. Then
the projection's invariant checks run over the shadow fold. The shadow tables
are dropped afterwards.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from adapters.database import Database
from projections.registry import Registration, selected
from projections.tracking.base import Finding, Progress


@dataclass(frozen=True, slots=True)
class VerifyReport:
    """What verify compared for one projection at log ``position`` and what
    it found (empty = OK)."""

    projection: str
    position: int
    findings: list[Finding]
    live_digests: dict[str, str] = field(default_factory=dict)
    shadow_digests: dict[str, str] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.findings

    @property
    def differing_tables(self) -> list[str]:
        return [
            table
            for table in sorted(self.live_digests)
            if self.live_digests[table] != self.shadow_digests.get(table)
        ]

    def summary_lines(self) -> list[str]:
        """One line per compared table, then the verdict (for the CLI and logs)."""
        lines = [f"{self.projection} at log position {self.position}:"]
        width = max(9, *(len(table) for table in self.live_digests)) if self.live_digests else 9
        for table in sorted(self.live_digests):
            live, shadow = self.live_digests[table], self.shadow_digests.get(table, "")
            verdict = "same" if live == shadow else "DIFFERS"
            lines.append(f"  {table:<{width}} live {live[:16]}  rebuilt {shadow[:16]}  {verdict}")
        lines.append(f"  {len(self.findings)} finding(s)")
        return lines


@dataclass(frozen=True, slots=True)
class VerifyAll:
    """One ``VerifyReport`` per projection verified, in registry order."""

    reports: list[VerifyReport]

    @property
    def ok(self) -> bool:
        return all(report.ok for report in self.reports)

    @property
    def findings(self) -> list[Finding]:
        return [finding for report in self.reports for finding in report.findings]

    def report(self, projection: str) -> VerifyReport:
        (found,) = [report for report in self.reports if report.projection == projection]
        return found

    @property
    def differing(self) -> list[str]:
        """The projections with a table that differs from its rebuild."""
        return [report.projection for report in self.reports if report.differing_tables]

    def summary_lines(self) -> list[str]:
        return [line for report in self.reports for line in report.summary_lines()]


def verify(
    database: Database, projection: str = "balances", progress: Progress | None = None
) -> VerifyReport:
    """Compare one live projection with a fresh fold of the log, and check its invariants."""
    (entry,) = selected([projection])
    return verify_projection(database, entry, progress)


def verify_all(
    database: Database,
    names: Sequence[str] | None = None,
    progress: Progress | None = None,
) -> VerifyAll:
    """``verify`` for every projection of the registry (or those named)."""
    entries = selected(list(names or ()))
    reports = [verify_projection(database, entry, progress) for entry in entries]
    if not names:
        reports.extend(ledger_checks(database))
    return VerifyAll(reports)


def ledger_checks(database: Database) -> list[VerifyReport]:
    """Checks of the ledger against the log that no single projection owns.

    The payroll liability accounts must hold what the paid payslips say is
    owed, less what was remitted (``payroll-liabilities`` report); billing's
    control accounts and inventory's valuation are checked by their own
    projections' invariants above.
    """
    from projections.reports.framework import DatabaseLogSource
    from projections.reports.payroll_register import liability_findings

    source = DatabaseLogSource(database)
    position = source.head_position()
    return [VerifyReport("payroll_liabilities", position, liability_findings(source, position))]


def verify_projection(
    database: Database, entry: Registration, progress: Progress | None = None
) -> VerifyReport:
    live = entry.open(database, catch_up_on_query=False)
    try:
        live.catch_up()
        with live.store.read_snapshot():
            position = live.store.tracked_position()
            live_digests = entry.digest(live.store)
        live_prefix = live.store.prefix
        shadow = live.sibling(live.shadow_prefix(), live.rebuild_page_size)
    finally:
        live.close()
    try:
        _stats, state = shadow.load_from_scratch(up_to=position, progress=progress)
        with shadow.store.read_snapshot():
            shadow_digests = entry.digest(shadow.store)
            checked = entry.checks(shadow.store, state)
    finally:
        shadow.store.drop_tables()
        shadow.close()
    findings = [
        Finding(
            f"digest:{table}",
            position,
            f"table {live_prefix}{table} of {entry.name} differs from a rebuild of the log "
            f"(live {live_digests[table][:16]}..., rebuilt {shadow_digests.get(table, '')[:16]}...)",
        )
        for table in sorted(live_digests)
        if live_digests[table] != shadow_digests.get(table)
    ]
    findings.extend(checked)
    return VerifyReport(entry.name, position, findings, live_digests, shadow_digests)
