"""Commands on report filings: record one, read one.

The report itself is computed outside the domain (projections/reports); the
command records what was computed. It works on the one ``BackOffice``
application, so an API request's idempotency record rides in the same
commit.
"""

from __future__ import annotations

from dataclasses import dataclass
from uuid import UUID, uuid4

from domain.application import BackOffice
from domain.kernel.context import Context
from domain.kernel.unit_of_work import find
from domain.reporting.errors import UnknownReportFiling
from domain.reporting.filing import ReportFiling, check_filing


@dataclass(frozen=True, slots=True)
class FileReport:
    """File ``report`` with ``parameters`` as computed at ``as_of_position``."""

    context: Context
    report: str
    parameters: dict[str, str]
    as_of_position: int
    digest: str
    digest_version: str
    row_count: int
    filing_id: UUID | None = None


class ReportFilings:
    """Filings over ``app``."""

    def __init__(self, app: BackOffice) -> None:
        self.app = app

    def file(self, command: FileReport) -> tuple[UUID, int]:
        """Record the filing; returns its id and log position."""
        command.context.checked()
        check_filing(
            command.report,
            command.parameters,
            command.as_of_position,
            command.digest,
            command.row_count,
        )
        filing = ReportFiling.filed(
            id=command.filing_id or uuid4(),
            report=command.report,
            parameters=dict(sorted(command.parameters.items())),
            as_of_position=command.as_of_position,
            digest=command.digest,
            digest_version=command.digest_version,
            row_count=command.row_count,
            actor=command.context.actor,
            correlation_id=command.context.correlation_id,
        )
        recordings = self.app.save(filing)
        # An API request's record may ride in the same commit, after the filing.
        position = next(
            recording.notification.id
            for recording in recordings
            if recording.domain_event.originator_id == filing.id
        )
        return filing.id, position

    def get(self, filing_id: UUID) -> ReportFiling:
        found = find(self.app, filing_id, ReportFiling)
        if found is None:
            raise UnknownReportFiling(
                f"report filing {filing_id} does not exist", field="filing_id"
            )
        return found
