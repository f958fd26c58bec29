"""Filing a report once in the demo: the billing and payroll quarters' year-end filings."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING
from uuid import UUID

from domain.kernel.context import Context
from domain.kernel.unit_of_work import find
from domain.reporting.filing import ReportFiling

if TYPE_CHECKING:
    from projections.reports.service import ReportService


@dataclass(frozen=True, slots=True)
class Filed:
    report: str
    parameters: dict[str, str]
    digest: str
    row_count: int
    as_of_position: int

    def line(self) -> str:
        shown = ", ".join(f"{k}={v}" for k, v in sorted(self.parameters.items()))
        return (
            f"  filed {self.report} ({shown}) at position {self.as_of_position}:"
            f" {self.row_count} rows, digest {self.digest[:12]}"
        )


def file_once(
    reports: ReportService | None,
    context: Context,
    filing_id: UUID,
    name: str,
    parameters: Mapping[str, str],
) -> Filed | None:
    """File ``name`` once under ``filing_id`` (computed at the log's head when
    first filed); the filing as it stands."""
    if reports is None or reports.app is None:
        return None
    filing = find(reports.app, filing_id, ReportFiling)
    if filing is None:
        prepared = reports.prepare(name, dict(parameters))
        reports.record_filing(context, prepared, reports.summary(prepared), filing_id)
        filing = find(reports.app, filing_id, ReportFiling)
        assert filing is not None
    return Filed(
        filing.report, dict(filing.parameters), filing.digest, filing.row_count,
        filing.as_of_position,
    )  # fmt: skip
