"""The screening log's fold, pure: a case's state after each of its events,
and the rows of lists, screenings and dispositions each event adds.

``fold_case`` is a plain function of (case state, event); the rows of
lists, screenings and dispositions depend on their event alone (and, for a
repeated screening, on the case before it). ``apply_page`` folds one page's
events into what ``ScreeningLog`` stores.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

import orjson
from eventsourcing.utils import get_topic

from adapters.log_reader import LogEvent
from domain.sanctions.sanctions_list import SanctionsList
from domain.sanctions.screening import ScreeningCase
from projections.audit.trail import recorded_at_text
from projections.sanctions.store import CASE_COLUMNS

CASE_TOPIC = get_topic(ScreeningCase) + "."
LIST_TOPIC = get_topic(SanctionsList) + "."


@dataclass(frozen=True, slots=True)
class CaseState:
    """One case as projected (the ``scr_cases`` columns)."""

    case_id: str
    item_kind: str
    item_id: str
    subject_id: str
    party_name: str
    sealed_name: str
    list_version: str
    result: str
    match_count: int
    screened_by: str
    screened_at: str
    screened_position: int
    updated_position: int
    decision: str | None = None
    decided_by: str | None = None
    decided_at: str | None = None
    decision_reason: str | None = None
    decided_position: int | None = None
    superseded_by: str | None = None

    @property
    def status(self) -> str:
        if self.decision is not None:
            return self.decision
        if self.superseded_by is not None:
            return "superseded"
        return "clear" if self.result == "clear" else "pending"


def _name(event: LogEvent) -> str:
    return event.topic.rpartition(".")[2]


def name_columns(fields: dict[str, Any]) -> tuple[str, str, str]:
    """(subject_id, party_name, sealed_name as JSON text) of a screening event of
    either version: a subject's name sealed, an ad hoc one in the clear."""
    sealed = fields.get("sealed_name")
    sealed_text = "" if sealed is None else orjson.dumps(sealed).decode()
    return fields.get("subject_id") or "", fields["party_name"], sealed_text


def fold_case(state: CaseState | None, event: LogEvent) -> CaseState | None:
    """The case after ``event`` (a ScreeningCase event)."""
    name, fields, position = _name(event), event.state, event.position
    at = recorded_at_text(fields["timestamp"])
    if name == "ScreeningPerformed":
        subject_id, party_name, sealed_name = name_columns(fields)
        return CaseState(
            case_id=event.originator_id,
            item_kind=fields["item_kind"],
            item_id=fields["item_id"],
            subject_id=subject_id,
            party_name=party_name,
            sealed_name=sealed_name,
            list_version=fields["list_version"],
            result=fields["result"],
            match_count=len(fields["matches"]),
            screened_by=fields["actor"],
            screened_at=at,
            screened_position=position,
            updated_position=position,
        )
    assert state is not None, f"{name} at {position} before its case was opened"
    if name == "ScreeningRepeated":
        subject_id, party_name, sealed_name = name_columns(fields)
        return replace(
            state,
            subject_id=subject_id,
            party_name=party_name,
            sealed_name=sealed_name,
            result=fields["result"],
            match_count=len(fields["matches"]),
            screened_by=fields["actor"],
            screened_at=at,
            screened_position=position,
            updated_position=position,
            decision=None,
            decided_by=None,
            decided_at=None,
            decision_reason=None,
            decided_position=None,
        )
    if name in ("ScreeningCleared", "ScreeningRejected"):
        return replace(
            state,
            decision="cleared" if name == "ScreeningCleared" else "rejected",
            decided_by=fields["actor"],
            decided_at=at,
            decision_reason=fields["reason"],
            decided_position=position,
            updated_position=position,
        )
    if name == "ScreeningSuperseded":
        return replace(state, superseded_by=fields["by_case_id"], updated_position=position)
    return state  # an event type this projection does not know yet


def case_row(state: CaseState) -> tuple[Any, ...]:
    return (
        state.case_id,
        state.item_kind,
        state.item_id,
        state.subject_id,
        state.party_name,
        state.sealed_name,
        state.list_version,
        state.result,
        state.status,
        state.match_count,
        state.screened_by,
        state.screened_at,
        state.screened_position,
        state.decided_by,
        state.decided_at,
        state.decision_reason,
        state.decided_position,
        state.superseded_by,
        state.updated_position,
    )


def case_state(row: tuple[Any, ...]) -> CaseState:
    values = dict(zip(CASE_COLUMNS, row, strict=True))
    status = values["status"]
    return CaseState(
        case_id=values["case_id"],
        item_kind=values["item_kind"],
        item_id=values["item_id"],
        subject_id=values["subject_id"],
        party_name=values["party_name"],
        sealed_name=values["sealed_name"],
        list_version=values["list_version"],
        result=values["result"],
        match_count=int(values["match_count"]),
        screened_by=values["screened_by"],
        screened_at=values["screened_at"],
        screened_position=int(values["screened_position"]),
        updated_position=int(values["updated_position"]),
        decision=status if status in ("cleared", "rejected") else None,
        decided_by=values["decided_by"],
        decided_at=values["decided_at"],
        decision_reason=values["decision_reason"],
        decided_position=None
        if values["decided_position"] is None
        else int(values["decided_position"]),
        superseded_by=values["superseded_by"],
    )


def event_rows(
    event: LogEvent, case: CaseState | None = None
) -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]], list[tuple[Any, ...]]]:
    """The (lists, screenings, dispositions) rows of one event. ``case``: the case
    before the event (a repeated screening names neither item nor list version;
    they are the case's)."""
    name, fields, position = _name(event), event.state, event.position
    at = recorded_at_text(fields["timestamp"])
    if name == "SanctionsListLoaded":
        row = (
            fields["list_version"],
            fields["source"],
            fields["entry_count"],
            fields["alias_count"],
            fields["loaded_at"],
            fields["actor"],
            position,
        )
        return [row], [], []
    if name in ("ScreeningPerformed", "ScreeningRepeated"):
        subject_id, party_name, sealed_name = name_columns(fields)
        screening = (
            position,
            event.originator_id,
            event.originator_version,
            at,
            fields.get("item_kind") or (case.item_kind if case else None),
            fields.get("item_id") or (case.item_id if case else None),
            subject_id,
            party_name,
            sealed_name,
            fields.get("list_version") or (case.list_version if case else None),
            fields["threshold"],
            fields["result"],
            len(fields["matches"]),
            orjson.dumps(fields["matches"], option=orjson.OPT_SORT_KEYS).decode(),
            fields["actor"],
            fields["correlation_id"],
        )
        return [], [screening], []
    dispositions = {
        "ScreeningCleared": ("cleared", "reason"),
        "ScreeningRejected": ("rejected", "reason"),
        "ScreeningSuperseded": ("superseded", "by_case_id"),
    }
    if name in dispositions:
        disposition, reason_field = dispositions[name]
        row = (
            position,
            event.originator_id,
            disposition,
            fields[reason_field],
            fields["actor"],
            at,
            fields["correlation_id"],
        )
        return [], [], [row]
    return [], [], []


@dataclass(slots=True)
class ScreeningPage:
    """What one page's fold works on: the cases its events touch (as stored
    before the page) and the rows it appends."""

    cases: dict[str, CaseState | None]
    lists: list[tuple[Any, ...]] = field(default_factory=list)
    screenings: list[tuple[Any, ...]] = field(default_factory=list)
    dispositions: list[tuple[Any, ...]] = field(default_factory=list)


def is_screening_event(event: LogEvent) -> bool:
    return event.topic.startswith(CASE_TOPIC) or event.topic.startswith(LIST_TOPIC)


def apply_page(page: ScreeningPage, event: LogEvent) -> ScreeningPage:
    """``page`` after ``event`` (a SanctionsList or ScreeningCase event)."""
    lists, screenings, dispositions = event_rows(event, page.cases.get(event.originator_id))
    page.lists += lists
    page.screenings += screenings
    page.dispositions += dispositions
    if event.topic.startswith(CASE_TOPIC):
        page.cases[event.originator_id] = fold_case(page.cases.get(event.originator_id), event)
    return page
