"""Audit extract: every event recorded in a period, with the fields PCI DSS
requirement 10.2 / 10.3 asks of an audit trail entry.

- 10.3.1 user identification: ``user`` (the actor; ``(unidentified)`` for a
  request without a valid token);
- 10.3.2 type of event: ``event_type`` (and ``aggregate_type``);
- 10.3.3 date and time: ``recorded_at`` (UTC, microseconds);
- 10.3.4 success or failure indication: ``outcome``, ``failure`` for denied
  requests (401/403 access records), else ``success``;
- 10.3.5 origination of event: ``origination``, the client address for access
  records, the actor and correlation id otherwise (also ``client_address``
  and ``correlation_id`` on their own);
- 10.3.6 identity of the affected data, component or resource: ``resource``,
  the aggregate type and id, or the method and route of an access record.

A refused command writes nothing but its access record, so failures are the
denied attempts (10.2.4 invalid access attempts); reads of the audit trail
and of reports are access records with outcome ``success`` (10.2.3).

The period is by recorded time (UTC): ``period`` (YYYY-MM) or ``date_from``
and ``date_to``. Rows come in log order from a generator over keyset pages
of the log: the extract streams in constant memory.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from adapters.log_reader import LogEvent
from domain.access.records import AccessRecord
from projections.audit.trail import recorded_at_text
from projections.reports.framework import (
    LogSource,
    ReportRow,
    ReportRun,
    ReportScope,
)
from projections.reports.parameters import (
    DATE_FROM,
    DATE_TO,
    PERIOD,
    check_period_or_range,
    date_range,
)

EVERY_EVENT = ReportScope(None, "every event recorded in the period")
ACCESS_TOPIC_SUFFIX = f"{AccessRecord.__qualname__}.{AccessRecord.AccessRecorded.__name__}"
UNIDENTIFIED = "(unidentified)"
DETAIL_LENGTH_MAX = 300


def aggregate_type_of(event: LogEvent) -> tuple[str, str]:
    """(aggregate type, event type) from the event's topic, as the audit trail names them."""
    qualname = event.topic.partition(":")[2] or event.topic
    names = qualname.split(".")
    if len(names) >= 2:
        return names[-2], names[-1]
    origin = str(event.state.get("originator_topic", "")).rpartition(":")[2]
    return origin or names[-1], names[-1]


def extract_row(event: LogEvent) -> dict[str, Any]:
    """The extract's columns for one event (without ``key``)."""
    fields = event.state
    aggregate_type, event_type = aggregate_type_of(event)
    actor = fields.get("actor") if isinstance(fields.get("actor"), str) else ""
    correlation_id = fields.get("correlation_id")
    correlation_id = correlation_id if isinstance(correlation_id, str) else ""
    user = actor or UNIDENTIFIED
    if event.topic.endswith(ACCESS_TOPIC_SUFFIX):
        client = str(fields.get("client", ""))
        query = str(fields.get("query", ""))
        route = f"{fields.get('method', '')} {fields.get('route', '')}" + (
            f"?{query}" if query else ""
        )
        outcome = "failure" if fields.get("outcome") == "denied" else "success"
        detail = f"{fields.get('outcome')} {fields.get('status')}: {fields.get('detail', '')}"
        origination = f"client {client}" if client else f"correlation {correlation_id}"
        resource = route
    else:
        client = ""
        outcome = "success"
        detail = ""
        origination = f"actor {user}, correlation {correlation_id or '-'}"
        resource = f"{aggregate_type}/{event.originator_id}"
    return {
        "position": event.position,
        "recorded_at": recorded_at_text(fields["timestamp"]),
        "user": user,
        "event_type": event_type,
        "aggregate_type": aggregate_type,
        "outcome": outcome,
        "origination": origination,
        "client_address": client,
        "correlation_id": correlation_id,
        "resource": resource,
        "effective_date": fields.get("effective_date")
        if isinstance(fields.get("effective_date"), str)
        else None,
        "detail": detail[:DETAIL_LENGTH_MAX],
    }


class AuditExtractReport:
    name = "audit-extract"
    title = "Audit extract (PCI DSS 10.2/10.3): who did what, when, from where, to what, with what outcome"
    parameters = (PERIOD, DATE_FROM, DATE_TO)
    scope = EVERY_EVENT
    columns = (
        "key",
        "position",
        "recorded_at",
        "user",
        "event_type",
        "aggregate_type",
        "outcome",
        "origination",
        "client_address",
        "correlation_id",
        "resource",
        "effective_date",
        "detail",
    )

    def validate(self, parameters: dict[str, str]) -> None:
        check_period_or_range(parameters, required=True)

    def compute(
        self, source: LogSource, as_of_position: int, parameters: Mapping[str, str]
    ) -> ReportRun:
        dates = date_range(parameters)
        assert dates.date_from is not None and dates.date_to is not None
        recorded_from = f"{dates.date_from}T00:00:00.000000+00:00"
        recorded_to = f"{dates.date_to}T23:59:59.999999+00:00"
        context = {**dates.as_dict(), "recorded_from": recorded_from, "recorded_to": recorded_to}
        return ReportRun(context, self._rows(source, as_of_position, recorded_from, recorded_to))

    def _rows(
        self, source: LogSource, as_of_position: int, recorded_from: str, recorded_to: str
    ) -> Iterator[ReportRow]:
        for event in source.events(as_of_position, self.scope):
            recorded_at = recorded_at_text(event.state["timestamp"])
            if recorded_from <= recorded_at <= recorded_to:
                yield ReportRow(str(event.position), extract_row(event), (event.position,))


REPORTS = (AuditExtractReport(),)
