"""Screening report: every sanctions screening, against which list version,
what it found, and what was decided about it, by whom and when.

One row per screening (``ScreeningPerformed`` or ``ScreeningRepeated``),
in log order, filtered by the time it was recorded (``period`` or
``date_from``/``date_to``, UTC; optional) and ``result``. The disposition
is as of the report's position: ``cleared`` or ``rejected`` (compliance's
decision), ``superseded`` (screened again against a newer list before a
decision), ``rescreened`` (the same case screened again under another
name), else ``clear`` (nothing found) or ``pending``. A row's positions
are the screening, the load of its list version and its disposition.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from eventsourcing.utils import get_topic

from domain.sanctions import RESULTS
from domain.screening import SanctionsList, ScreeningCase
from projections.audit import recorded_at_text
from projections.reports.framework import (
    LogSource,
    ParameterSpec,
    ReportRow,
    ReportRun,
    ReportScope,
    canonical,
)
from projections.reports.parameters import (
    DATE_FROM,
    DATE_TO,
    PERIOD,
    check_period_or_range,
    date_range,
)
from replay.log_reader import LogEvent

LIST_LOADED = get_topic(SanctionsList.SanctionsListLoaded)
PERFORMED = get_topic(ScreeningCase.ScreeningPerformed)
REPEATED = get_topic(ScreeningCase.ScreeningRepeated)
CLEARED = get_topic(ScreeningCase.ScreeningCleared)
REJECTED = get_topic(ScreeningCase.ScreeningRejected)
SUPERSEDED = get_topic(ScreeningCase.ScreeningSuperseded)
SCREENING_SCOPE = ReportScope(
    frozenset({LIST_LOADED, PERFORMED, REPEATED, CLEARED, REJECTED, SUPERSEDED}),
    "sanctions list loads, screenings and their dispositions",
)
RESULT = ParameterSpec("result", "text", "only screenings with this result", choices=RESULTS)
_DISPOSITIONS = {CLEARED: "cleared", REJECTED: "rejected", SUPERSEDED: "superseded"}


class ScreeningFold:
    """Screenings in range with their dispositions, folded in log order."""

    def __init__(self, recorded_from: str | None, recorded_to: str | None, result: str | None):
        self.recorded_from = recorded_from
        self.recorded_to = recorded_to
        self.result = result
        self.lists: dict[str, tuple[str, int]] = {}  # version -> (source, position)
        self.rows: list[dict[str, Any]] = []
        self.positions: list[list[int]] = []
        self.current: dict[str, int | None] = {}  # case id -> its latest screening's row
        self.cases: dict[str, tuple[str, str, str]] = {}  # case id -> (item kind, id, list)

    def apply(self, event: LogEvent) -> None:
        topic, fields = event.topic, event.state
        if topic == LIST_LOADED:
            self.lists[fields["list_version"]] = (fields["source"], event.position)
        elif topic in (PERFORMED, REPEATED):
            self._dispose(event, "rescreened", "screened again under another name")
            self._screened(event)
        elif topic in _DISPOSITIONS:
            reason = fields["reason"] if topic != SUPERSEDED else f"by case {fields['by_case_id']}"
            self._dispose(event, _DISPOSITIONS[topic], reason)

    def _screened(self, event: LogEvent) -> None:
        fields = event.state
        if event.topic == PERFORMED:
            # A repeat carries no item or list: they are the case's.
            self.cases[event.originator_id] = (
                fields["item_kind"],
                fields["item_id"],
                fields["list_version"],
            )
        item_kind, item_id, list_version = self.cases.get(event.originator_id, ("", "", ""))
        at = recorded_at_text(fields["timestamp"])
        in_range = (self.recorded_from is None or at >= self.recorded_from) and (
            self.recorded_to is None or at <= self.recorded_to
        )
        if not in_range or (self.result is not None and fields["result"] != self.result):
            self.current[event.originator_id] = None
            return
        source, loaded_position = self.lists.get(list_version, ("", None))
        positions = [event.position]
        if loaded_position is not None:
            positions.insert(0, loaded_position)
        self.current[event.originator_id] = len(self.rows)
        self.positions.append(positions)
        self.rows.append(
            {
                "position": event.position,
                "screened_at": at,
                "case_id": event.originator_id,
                "item_kind": item_kind,
                "item_id": item_id,
                "party_name": fields["party_name"],
                "list_version": list_version,
                "list_source": source,
                "threshold": int(fields["threshold"]),
                "result": fields["result"],
                "match_count": len(fields["matches"]),
                "matches": canonical(fields["matches"]).decode(),
                "screened_by": fields["actor"],
                "disposition": "clear" if fields["result"] == "clear" else "pending",
                "disposed_by": None,
                "disposed_at": None,
                "disposition_reason": None,
                "disposition_position": None,
            }
        )

    def _dispose(self, event: LogEvent, disposition: str, reason: str) -> None:
        index = self.current.get(event.originator_id)
        if index is None:
            return
        row = self.rows[index]
        row["disposition"] = disposition
        row["disposed_by"] = event.state["actor"]
        row["disposed_at"] = recorded_at_text(event.state["timestamp"])
        row["disposition_reason"] = reason
        row["disposition_position"] = event.position
        self.positions[index].append(event.position)
        self.current[event.originator_id] = None


class ScreeningReport:
    name = "screening"
    title = "Screening log: what was screened against which list version, hits, dispositions"
    parameters = (PERIOD, DATE_FROM, DATE_TO, RESULT)
    scope = SCREENING_SCOPE
    columns = (
        "key",
        "position",
        "screened_at",
        "case_id",
        "item_kind",
        "item_id",
        "party_name",
        "list_version",
        "list_source",
        "threshold",
        "result",
        "match_count",
        "matches",
        "screened_by",
        "disposition",
        "disposed_by",
        "disposed_at",
        "disposition_reason",
        "disposition_position",
    )

    def validate(self, parameters: dict[str, str]) -> None:
        check_period_or_range(parameters, required=False)

    def compute(
        self, source: LogSource, as_of_position: int, parameters: Mapping[str, str]
    ) -> ReportRun:
        dates = date_range(parameters)
        recorded_from = (
            None if dates.date_from is None else f"{dates.date_from}T00:00:00.000000+00:00"
        )
        recorded_to = None if dates.date_to is None else f"{dates.date_to}T23:59:59.999999+00:00"
        fold = ScreeningFold(recorded_from, recorded_to, parameters.get("result"))
        for event in source.events(as_of_position, self.scope):
            fold.apply(event)
        context = {**dates.as_dict(), "result": parameters.get("result")}
        return ReportRun(context, self._rows(fold))

    @staticmethod
    def _rows(fold: ScreeningFold) -> Iterator[ReportRow]:
        for row, positions in zip(fold.rows, fold.positions, strict=True):
            yield ReportRow(str(row["position"]), row, sorted(positions))


REPORTS = (ScreeningReport(),)
