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

A data subject's name (payees, payers) is sealed in the log; the report
opens it with the subject's key as it is when the report is computed, and
shows ``[erased]`` for a subject erased as of the report's position (the
``SubjectErased`` event is then among the row's positions) or whose key is
gone since. So a filed report naming a subject erased later no longer
reproduces to its digest: erasure is meant to change what can be read. Ad
hoc screenings (no subject) name the party in the clear, as their events
do; ``subject_id`` is empty for them.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any
from uuid import UUID

from eventsourcing.utils import get_topic

from adapters.log_reader import LogEvent
from adapters.subject_keys import SubjectKeyStore
from domain.sanctions.matching import RESULTS
from domain.sanctions.sanctions_list import SanctionsList
from domain.sanctions.screening import SEALED_NAME_FIELD, ScreeningCase
from domain.subjects.sealing import open_envelope
from domain.subjects.subject import ERASED, DataSubject
from projections.audit.trail import recorded_at_text
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

LIST_LOADED = get_topic(SanctionsList.SanctionsListLoaded)
PERFORMED = get_topic(ScreeningCase.ScreeningPerformed)
REPEATED = get_topic(ScreeningCase.ScreeningRepeated)
CLEARED = get_topic(ScreeningCase.ScreeningCleared)
REJECTED = get_topic(ScreeningCase.ScreeningRejected)
SUPERSEDED = get_topic(ScreeningCase.ScreeningSuperseded)
SUBJECT_ERASED = get_topic(DataSubject.SubjectErased)
SCREENING_SCOPE = ReportScope(
    frozenset({LIST_LOADED, PERFORMED, REPEATED, CLEARED, REJECTED, SUPERSEDED, SUBJECT_ERASED}),
    "sanctions list loads, screenings and their dispositions; erasures of the subjects screened",
)
SEALED = "[sealed]"
"""A subject's name read through a log source without a key store (it cannot open it)."""
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
        self.sealed: dict[int, tuple[str, dict[str, Any]]] = {}  # row -> (subject, envelope)
        self.erased: dict[str, int] = {}  # subject id -> its erasure's position

    def apply(self, event: LogEvent) -> None:
        topic, fields = event.topic, event.state
        if topic == LIST_LOADED:
            self.lists[fields["list_version"]] = (fields["source"], event.position)
        elif topic == SUBJECT_ERASED:
            self.erased[event.originator_id] = event.position
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
        subject_id = fields.get("subject_id") or ""  # version 1: ad hoc, in the clear
        if subject_id:
            self.sealed[len(self.rows)] = (subject_id, fields["sealed_name"])
        self.current[event.originator_id] = len(self.rows)
        self.positions.append(positions)
        self.rows.append(
            {
                "position": event.position,
                "screened_at": at,
                "case_id": event.originator_id,
                "item_kind": item_kind,
                "item_id": item_id,
                "subject_id": subject_id,
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

    def open_names(self, keys: dict[UUID, bytes] | None) -> None:
        """Put each subject's name in its rows: opened with ``keys`` (None: no key
        store), ``[erased]`` when erased as of the report or without a key."""
        for index, (subject_id, envelope) in self.sealed.items():
            erased_at = self.erased.get(subject_id)
            key = None if keys is None else keys.get(UUID(subject_id))
            if erased_at is not None:
                name = ERASED
                self.positions[index].append(erased_at)
            elif keys is None:
                name = SEALED
            elif key is None:
                name = ERASED
            else:
                name = open_envelope(key, UUID(subject_id), SEALED_NAME_FIELD, envelope)
            self.rows[index]["party_name"] = name

    def subject_ids(self) -> set[UUID]:
        return {
            UUID(subject_id)
            for subject_id, _envelope in self.sealed.values()
            if subject_id not in self.erased
        }


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
        "subject_id",
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
        fold.open_names(_keys_of(source, fold.subject_ids()))
        context = {**dates.as_dict(), "result": parameters.get("result")}
        return ReportRun(context, self._rows(fold))

    @staticmethod
    def _rows(fold: ScreeningFold) -> Iterator[ReportRow]:
        for row, positions in zip(fold.rows, fold.positions, strict=True):
            yield ReportRow(str(row["position"]), row, sorted(positions))


def _keys_of(source: LogSource, subject_ids: set[UUID]) -> dict[UUID, bytes] | None:
    """The live keys of ``subject_ids`` in the source's database; None when the
    source has no database (then no name can be opened)."""
    database = getattr(source, "database", None)
    if database is None:
        return None
    if not subject_ids:
        return {}
    return SubjectKeyStore(database).keys_of(subject_ids)


REPORTS = (ScreeningReport(),)
