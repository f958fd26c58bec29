"""Segregation of duties: who asked, who approved, and who tried and was refused.

Rows, in log order of the event that completes them (``kind``):

- ``payment_approval``: every payment that received an approval: its
  requester, its authors (requester and amenders: none of them may
  approve), every approver in order (approvals voided by a later amendment
  included), the approvals required, and ``outcome`` (``approved`` once
  enough approvals of the current content are in, else
  ``awaiting_approval``). ``role`` lists the roles the approvers' tokens
  held at the time;
- ``settlement_approval``: every settled settlement instruction: who created
  it (the requester) and who settled it (the approver role's decision);
- ``denied_attempt``: every request refused at the door (401 or 403) on an
  approval route, such as a poster calling
  ``/v1/payments/{payment_id}/approve``, and every refused four-eyes
  attempt the access log holds (outcome ``refused``). They are read from
  the access log (``adapters.access_log``; key ``access/<its position>``),
  those recorded while the business log's head was below the report's
  position, so a report at a position never changes; denials recorded in
  the business log before the access log existed (``AccessRecorded``
  events; key ``denied/<log position>``) are read from there;
- ``role_conflict``: an actor holding, at one time, tokens for a role that
  requests (poster) and one that approves (approver): the one way a single
  person can reach both sides of a four-eyes control through the API.

``finding`` names what breaks the rule, independently of the domain's own
checks (pair the checks): an approver who is also an author of the payment,
an instruction settled by the actor who created it (the settlement domain
does not refuse that), or the reason of a denial.

What this report cannot show, and why: a command the domain refuses
(``self_approval_refused``, ``duplicate_approver``, a payment held for
compliance, 409s in general) writes nothing to the log, by design (a
refusal guarantees nothing was written), so there is no trace to report; the
API answers with the problem and only role denials (401/403) are recorded.
Those are visible here as denied attempts, the 409s are not; the
``role_conflict`` rows show who could have attempted a self-approval. A
denied attempt records the route template, not the path: which payment
was targeted is not in the log. Approvals of pending journal entries
(``entries:approve``) are not covered.

The period (``period`` or ``date_from``/``date_to``, UTC, optional) selects
rows by the recorded time of their completing event.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from eventsourcing.utils import get_topic

from adapters.access_log import AccessLog, StoredAccess
from adapters.log_reader import LogEvent
from domain.access.records import AccessRecord
from domain.access.tokens import ApiToken
from domain.payments.payment import Payment
from domain.settlements.settlement import SettlementInstruction
from projections.audit.trail import recorded_at_text
from projections.reports.framework import LogSource, ReportRow, ReportRun, ReportScope
from projections.reports.parameters import (
    DATE_FROM,
    DATE_TO,
    PERIOD,
    check_period_or_range,
    date_range,
)

PAYMENT_REQUESTED = get_topic(Payment.PaymentRequested)
PAYMENT_AMENDED = get_topic(Payment.PaymentAmended)
PAYMENT_APPROVED = get_topic(Payment.PaymentApproved)
INSTRUCTION_CREATED = get_topic(SettlementInstruction.InstructionCreated)
INSTRUCTION_SETTLED = get_topic(SettlementInstruction.InstructionSettled)
TOKEN_ISSUED = get_topic(ApiToken.TokenIssued)
TOKEN_REVOKED = get_topic(ApiToken.TokenRevoked)
ACCESS_RECORDED = get_topic(AccessRecord.AccessRecorded)
SEGREGATION_SCOPE = ReportScope(
    frozenset(
        {
            PAYMENT_REQUESTED,
            PAYMENT_AMENDED,
            PAYMENT_APPROVED,
            INSTRUCTION_CREATED,
            INSTRUCTION_SETTLED,
            TOKEN_ISSUED,
            TOKEN_REVOKED,
            ACCESS_RECORDED,
        }
    ),
    "payment requests, amendments and approvals; settlement instructions created and"
    " settled; tokens issued and revoked; access records (denied attempts; those since"
    " the access log, from the access log)",
)
APPROVAL_ROUTES = frozenset(
    {
        "/v1/payments/{payment_id}/approve",
        "/v1/settlements/{instruction_id}/settle",
        "/v1/settlements/{instruction_id}/fail",
        "/v1/settlements/{instruction_id}/reschedule",
        "/v1/settlements/{instruction_id}/cancel",
        "/v1/journal-entries/{entry_id}/post",
        "/v1/journal-entries/{entry_id}/void",
    }
)
"""Routes only an approver may call (``payments:approve``, ``settlements:approve``,
``entries:approve`` in ``api.auth.PERMISSIONS``), as access records name them."""
REQUESTING_ROLES = frozenset({"poster"})
APPROVING_ROLES = frozenset({"approver"})
SEPARATOR = ","


@dataclass(slots=True)
class PaymentTrail:
    requested_at: int
    requester: str
    authors: list[str]
    fingerprint: str
    approvals_required: int
    approvals: list[tuple[str, str]] = field(default_factory=list)  # (approver, fingerprint)
    positions: list[int] = field(default_factory=list)
    roles: set[str] = field(default_factory=set)
    last_approval: LogEvent | None = None


@dataclass(slots=True)
class Found:
    """A row waiting for its place: ``anchor`` is the completing event's position."""

    anchor: int
    recorded_at: str
    key: str
    values: dict[str, Any]
    positions: list[int]


class SegregationFold:
    """Folds the scope in log order; rows come out once the log is read through."""

    def __init__(self) -> None:
        self.payments: dict[str, PaymentTrail] = {}
        self.instructions: dict[str, tuple[str, int]] = {}  # id -> (creator, position)
        self.tokens: dict[str, tuple[str, str, int]] = {}  # token id -> (actor, role, position)
        self.conflicts: dict[str, Found] = {}
        self.found: list[Found] = []

    def roles_of(self, actor: str) -> dict[str, int]:
        """The roles ``actor``'s live tokens hold now, each with an issuing position."""
        roles: dict[str, int] = {}
        for holder, role, position in self.tokens.values():
            if holder == actor:
                roles.setdefault(role, position)
        return roles

    def apply(self, event: LogEvent) -> None:
        topic, fields = event.topic, event.state
        if topic == PAYMENT_REQUESTED:
            self.payments[event.originator_id] = PaymentTrail(
                event.position,
                fields["actor"],
                [fields["actor"]],
                fields["content_fingerprint"],
                int(fields["approvals_required"]),
                positions=[event.position],
            )
        elif topic == PAYMENT_AMENDED:
            trail = self.payments.get(event.originator_id)
            if trail is not None:
                trail.fingerprint = fields["content_fingerprint"]
                trail.approvals_required = int(fields["approvals_required"])
                if fields["actor"] not in trail.authors:
                    trail.authors.append(fields["actor"])
                trail.positions.append(event.position)
        elif topic == PAYMENT_APPROVED:
            self._approved(event)
        elif topic == INSTRUCTION_CREATED:
            self.instructions[event.originator_id] = (fields["actor"], event.position)
        elif topic == INSTRUCTION_SETTLED:
            self._settled(event)
        elif topic == TOKEN_ISSUED:
            self.tokens[event.originator_id] = (fields["subject"], fields["role"], event.position)
            self._check_roles(event, fields["subject"])
        elif topic == TOKEN_REVOKED:
            self.tokens.pop(event.originator_id, None)
        elif topic == ACCESS_RECORDED:
            self._access(event)

    def _approved(self, event: LogEvent) -> None:
        trail = self.payments.get(event.originator_id)
        if trail is None:
            return
        approver = event.state["actor"]
        trail.approvals.append((approver, event.state["content_fingerprint"]))
        trail.positions.append(event.position)
        roles = self.roles_of(approver)
        trail.roles.update(roles)
        trail.positions.extend(roles.values())
        trail.last_approval = event

    def _settled(self, event: LogEvent) -> None:
        creator, created_at = self.instructions.get(event.originator_id, ("", 0))
        settler = event.state["actor"]
        roles = self.roles_of(settler)
        positions = sorted({created_at, event.position, *roles.values()} - {0})
        values = _values(
            "settlement_approval",
            f"settlement/{event.originator_id}",
            requester=creator,
            authors=creator,
            approvers=settler,
            approvals_required=1,
            role=SEPARATOR.join(sorted(roles)),
            outcome="settled",
            finding="settled by the actor who created it" if settler == creator else "",
        )
        self._add(event, f"settlement/{event.originator_id}", values, positions)

    def _check_roles(self, event: LogEvent, actor: str) -> None:
        roles = self.roles_of(actor)
        requesting = REQUESTING_ROLES & roles.keys()
        approving = APPROVING_ROLES & roles.keys()
        if actor in self.conflicts or not requesting or not approving:
            return
        held = sorted(requesting | approving)
        values = _values(
            "role_conflict",
            f"actor/{actor}",
            actor=actor,
            role=SEPARATOR.join(held),
            outcome="roles held",
            finding="one actor holds tokens to request and to approve",
        )
        found = self._add(event, f"role_conflict/{actor}", values, [roles[r] for r in held])
        self.conflicts[actor] = found

    def _access(self, event: LogEvent) -> None:
        fields = event.state
        if fields.get("outcome") != "denied" or fields.get("route") not in APPROVAL_ROUTES:
            return
        values = _values(
            "denied_attempt",
            f"{fields.get('method', '')} {fields['route']}",
            actor=fields.get("actor") or None,
            role=fields.get("role") or None,
            route=fields["route"],
            status=int(fields["status"]),
            outcome="denied",
            finding=str(fields.get("detail", ""))[:300],
        )
        self._add(event, f"denied/{event.position}", values, [event.position])

    def apply_access(self, stored: StoredAccess) -> None:
        """A denial or refused four-eyes attempt from the access log, on an approval route."""
        entry = stored.entry
        if entry.outcome not in ("denied", "refused") or entry.route not in APPROVAL_ROUTES:
            return
        values = _values(
            "denied_attempt",
            f"{entry.method} {entry.route}",
            actor=entry.actor or None,
            role=entry.role or None,
            route=entry.route,
            status=entry.status,
            outcome=entry.outcome,
            finding=entry.detail[:300],
        )
        at = entry.recorded_at_utc
        key = f"access/{stored.position}"
        self.found.append(Found(entry.log_position, at, key, {**values, "at": at}, []))

    def _add(
        self, event: LogEvent, key: str, values: dict[str, Any], positions: list[int]
    ) -> Found:
        at = recorded_at_text(event.state["timestamp"])
        found = Found(event.position, at, key, {**values, "at": at}, sorted(set(positions)))
        self.found.append(found)
        return found

    def finish(self) -> list[Found]:
        """Every row, the payments' included, in order of their completing event."""
        rows = list(self.found)
        for payment_id, trail in self.payments.items():
            if trail.last_approval is not None:
                rows.append(self._payment_row(payment_id, trail, trail.last_approval))
        return sorted(rows, key=lambda found: (found.anchor, found.key))

    def _payment_row(self, payment_id: str, trail: PaymentTrail, last: LogEvent) -> Found:
        current = {approver for approver, print_ in trail.approvals if print_ == trail.fingerprint}
        authors_approving = sorted({approver for approver, _ in trail.approvals} & {*trail.authors})
        values = _values(
            "payment_approval",
            f"payment/{payment_id}",
            requester=trail.requester,
            authors=SEPARATOR.join(trail.authors),
            approvers=SEPARATOR.join(approver for approver, _ in trail.approvals),
            approvals_required=trail.approvals_required,
            role=SEPARATOR.join(sorted(trail.roles)),
            outcome="approved" if len(current) >= trail.approvals_required else "awaiting_approval",
            finding=(
                f"approved by an author: {SEPARATOR.join(authors_approving)}"
                if authors_approving
                else ""
            ),
        )
        at = recorded_at_text(last.state["timestamp"])
        return Found(
            last.position,
            at,
            f"payment/{payment_id}",
            {**values, "at": at},
            sorted(set(trail.positions)),
        )


def _values(kind: str, item: str, **given: Any) -> dict[str, Any]:
    """Every column but ``key`` and ``at``, in the report's order (absent: null)."""
    values: dict[str, Any] = {"kind": kind, "item": item}
    for name in SegregationReport.columns[3:]:
        if name != "at":
            values[name] = given.get(name)
    return values


class SegregationReport:
    name = "segregation-of-duties"
    title = "Segregation of duties: requesters and approvers, denied attempts, conflicting roles"
    parameters = (PERIOD, DATE_FROM, DATE_TO)
    scope = SEGREGATION_SCOPE
    columns = (
        "key",
        "kind",
        "item",
        "requester",
        "authors",
        "approvers",
        "approvals_required",
        "actor",
        "role",
        "route",
        "status",
        "at",
        "outcome",
        "finding",
    )

    def validate(self, parameters: dict[str, str]) -> None:
        check_period_or_range(parameters, required=False)

    def compute(
        self, source: LogSource, as_of_position: int, parameters: Mapping[str, str]
    ) -> ReportRun:
        dates = date_range(parameters)
        fold = SegregationFold()
        for event in source.events(as_of_position, self.scope):
            fold.apply(event)
        database = getattr(source, "database", None)  # the access log lives beside the log
        if database is not None:
            access = AccessLog(database, create_tables=False)
            try:
                for stored in access.all_entries(log_position_before=as_of_position):
                    fold.apply_access(stored)
            finally:
                access.close()
        context = {**dates.as_dict(), "approval_routes": sorted(APPROVAL_ROUTES)}
        return ReportRun(context, self._rows(fold, dates.date_from, dates.date_to))

    def _rows(
        self, fold: SegregationFold, date_from: str | None, date_to: str | None
    ) -> Iterator[ReportRow]:
        for found in fold.finish():
            day = found.recorded_at[:10]
            if (date_from is not None and day < date_from) or (
                date_to is not None and day > date_to
            ):
                continue
            values = {name: found.values[name] for name in self.columns[1:]}
            yield ReportRow(found.key, values, found.positions)


REPORTS = (SegregationReport(),)
