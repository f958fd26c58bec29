"""Reports of one database: prepare, compute, file, reproduce, explain.

The API and the CLI call this; a report is a fold of the log up to its
position, independent of any projection's lag (the ledger reports take
their lines from the balances projection only once it has reached that
position: ``ledger_projection``), and filings are recorded through
``domain.reporting.service``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from uuid import UUID

from adapters.database import Database
from adapters.log_reader import LogEvent
from domain.application import BackOffice
from domain.kernel.context import Context
from domain.kernel.errors import InvalidInput
from domain.reporting.errors import UnknownReportRow
from domain.reporting.service import FileReport, ReportFilings
from projections.audit.trail import recorded_at_text
from projections.reports import get_report, report_catalog
from projections.reports.audit_extract import aggregate_type_of
from projections.reports.framework import (
    DIGEST_VERSION,
    DatabaseLogSource,
    LogSource,
    ReportRow,
    canonical,
)
from projections.reports.output import PreparedReport, ReportOutput
from projections.reports.parameters import check_parameters

EXPLAIN_LIMIT_DEFAULT = 100
EXPLAIN_LIMIT_MAX = 1000
PAYLOAD_FIELD_BYTES_MAX = 400
REPLICA_WAIT_S = 5.0
"""How long a report at a position waits for a standby to replay it (then 503)."""
BOOKKEEPING_FIELDS = frozenset({"originator_id", "originator_version", "timestamp"})


class ReportService:
    """Reports over ``database``'s log; filings through ``app`` (needed to file or read them)."""

    def __init__(
        self, database: Database, app: BackOffice | None = None, source: LogSource | None = None
    ) -> None:
        self.database = database
        self.app = app
        self.source: LogSource = source or DatabaseLogSource(database)

    # --- computing ------------------------------------------------------------

    @staticmethod
    def catalog() -> list[dict[str, Any]]:
        return [
            {
                "name": report.name,
                "title": report.title,
                "parameters": [spec.as_dict() for spec in report.parameters],
                "columns": list(report.columns),
                "scope": report.scope.as_dict(),
            }
            for report in report_catalog().values()
        ]

    def prepare(
        self, name: str, parameters: Mapping[str, Any], as_of_position: int | None = None
    ) -> PreparedReport:
        """Check the name, parameters and position (default: the log's head)."""
        report = get_report(name)
        checked = check_parameters(report, parameters)
        head = self.source.head_position()
        if isinstance(as_of_position, int) and not isinstance(as_of_position, bool):
            head = self._replayed(as_of_position, head)
        if as_of_position is None:
            as_of_position = head
        elif isinstance(as_of_position, bool) or not isinstance(as_of_position, int):
            raise InvalidInput("as_of_position: a log position", field="as_of_position")
        elif not 0 <= as_of_position <= head:
            raise InvalidInput(
                f"as_of_position: from 0 to the log's head ({head}), got {as_of_position}",
                field="as_of_position",
            )
        return PreparedReport(report, checked, as_of_position)

    def _replayed(self, position: int, head: int) -> int:
        """The source's head once it holds ``position``, when the source is a standby
        (``BACKOFFICE_READ_DATABASE_URL``) behind a primary that already holds it:
        read-your-writes across the two, a bounded wait, then ``DatabaseUnavailable`` (503)."""
        if position <= head or self.app is None:
            return head
        if getattr(self.source, "database", self.database) is self.database:
            return head
        if position > int(self.app.recorder.max_notification_id() or 0):
            return head  # beyond the primary's head too: refused below
        import time

        from adapters.database import DatabaseUnavailable

        deadline = time.monotonic() + REPLICA_WAIT_S
        while (head := self.source.head_position()) < position:
            if time.monotonic() >= deadline:
                raise DatabaseUnavailable(
                    f"the standby is at log position {head}, not yet at {position}; retry shortly"
                )
            time.sleep(0.02)
        return head

    def start(self, prepared: PreparedReport) -> ReportOutput:
        return ReportOutput(prepared, self.source)

    def summary(self, prepared: PreparedReport) -> dict[str, Any]:
        """The report's envelope without rows: position, context, provenance, digest."""
        return self.start(prepared).summary()

    # --- filing -----------------------------------------------------------------

    def _filings(self) -> ReportFilings:
        assert self.app is not None, "filings need the application"
        return ReportFilings(self.app)

    def record_filing(
        self,
        context: Context,
        prepared: PreparedReport,
        summary: Mapping[str, Any],
        filing_id: UUID | None = None,
    ) -> tuple[UUID, int]:
        """Record a filing of ``prepared`` with the digest its ``summary`` found."""
        return self._filings().file(
            FileReport(
                context=context,
                report=prepared.report.name,
                parameters=prepared.parameters,
                as_of_position=prepared.as_of_position,
                digest=str(summary["digest"]),
                digest_version=DIGEST_VERSION,
                row_count=int(summary["row_count"]),
                filing_id=filing_id,
            )
        )

    def file(
        self, context: Context, name: str, parameters: Mapping[str, Any], as_of_position: int | None
    ) -> dict[str, Any]:
        """Compute and file a report; the filing with the digest and positions."""
        prepared = self.prepare(name, parameters, as_of_position)
        summary = self.summary(prepared)
        filing_id, position = self.record_filing(context, prepared, summary)
        return {**self.filing(filing_id)["filing"], "position": position}

    def filing(self, filing_id: UUID) -> dict[str, Any]:
        """The filing, its re-computation at the filed position and the report as known now."""
        filing = self._filings().get(filing_id)
        filed = self.prepare(filing.report, filing.parameters, filing.as_of_position)
        reproduced = self.summary(filed)
        now = self.summary(self.prepare(filing.report, filing.parameters))
        return {
            "filing": filing.as_dict(),
            "reproduction": {
                "as_of_position": reproduced["as_of_position"],
                "digest": reproduced["digest"],
                "row_count": reproduced["row_count"],
                "generated_from": reproduced["generated_from"],
                "matches": reproduced["digest"] == filing.digest,
            },
            "now": {
                "as_of_position": now["as_of_position"],
                "digest": now["digest"],
                "row_count": now["row_count"],
                "changed": now["digest"] != filing.digest,
            },
        }

    # --- explaining ---------------------------------------------------------------

    def explain(
        self,
        filing_id: UUID,
        *,
        row: int | None = None,
        row_key: str | None = None,
        after_position: int = 0,
        limit: int = EXPLAIN_LIMIT_DEFAULT,
    ) -> dict[str, Any]:
        """The events behind one row of a filed report (``row``: 0-based index, or ``row_key``)."""
        filing = self._filings().get(filing_id)
        prepared = self.prepare(filing.report, filing.parameters, filing.as_of_position)
        explained = self.explain_row(
            prepared, row=row, row_key=row_key, after_position=after_position, limit=limit
        )
        return {"filing_id": str(filing_id), **explained}

    def explain_row(
        self,
        prepared: PreparedReport,
        *,
        row: int | None = None,
        row_key: str | None = None,
        after_position: int = 0,
        limit: int = EXPLAIN_LIMIT_DEFAULT,
    ) -> dict[str, Any]:
        if (row is None) == (row_key is None):
            raise InvalidInput("row: give a row index or a row_key", field="row")
        if isinstance(limit, bool) or not 1 <= limit <= EXPLAIN_LIMIT_MAX:
            raise InvalidInput(f"limit: from 1 to {EXPLAIN_LIMIT_MAX}", field="limit")
        output = self.start(prepared)
        index, found = _find_row(output, row, row_key)
        wanted = [position for position in found.positions if position > after_position]
        page = wanted[:limit]
        closed_at = output.run.context.get("closed_at_position")
        events = [explain_event(event, closed_at) for event in self.source.events_at(page)]
        return {
            "report": prepared.report.name,
            "parameters": prepared.parameters,
            "as_of_position": prepared.as_of_position,
            "row_index": index,
            "row_key": found.key,
            "row": {"key": found.key, **found.values},
            "event_count": len(found.positions),
            "events": events,
            "next_after_position": page[-1] if len(wanted) > limit else None,
        }


def _find_row(output: ReportOutput, row: int | None, row_key: str | None) -> tuple[int, ReportRow]:
    for index, (candidate, _line) in enumerate(output.rows()):
        if index == row or (row_key is not None and candidate.key == row_key):
            return index, candidate
    what = f"row {row}" if row is not None else f"row_key {str(row_key)[:64]!r}"
    count = output.provenance.row_count if output.provenance is not None else 0
    raise UnknownReportRow(f"{what}: not in the report ({count} rows)", field="row")


def explain_event(event: LogEvent, closed_at: int | None) -> dict[str, Any]:
    """One event behind a row: where it is, what it is, who, and its payload (long fields elided)."""
    fields = event.state
    aggregate_type, event_type = aggregate_type_of(event)
    payload: dict[str, Any] = {}
    for name in sorted(fields):
        if name in BOOKKEEPING_FIELDS:
            continue
        size = len(canonical(fields[name]))
        payload[name] = (
            fields[name] if size <= PAYLOAD_FIELD_BYTES_MAX else f"[{size} bytes elided]"
        )
    explained = {
        "position": event.position,
        "event_type": event_type,
        "aggregate_type": aggregate_type,
        "aggregate_id": event.originator_id,
        "aggregate_version": event.originator_version,
        "recorded_at": recorded_at_text(fields["timestamp"]),
        "actor": fields.get("actor"),
        "correlation_id": fields.get("correlation_id"),
        "effective_date": fields.get("effective_date"),
        "payload": payload,
    }
    if closed_at is not None:
        explained["after_close"] = event.position > closed_at
    return explained
