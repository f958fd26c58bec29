"""The history checker: every request and response of a fault run against the log.

Read from the log itself (as the owner role, after the run), independent of
the projections: every acknowledged (2xx) posting is in the log exactly once,
at the position and with the id and postings its answer gave; no
Idempotency-Key has two effects; an outcome the client never learned (no
answer, a 5xx) appears at most once, and the retries resolved it; nothing is
in the log that no client asked for; the balance the API answers equals the
sum of the entries present; no read and no write was ever answered 500.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from adapters.database import parse_database_url
from adapters.log_reader import LogReader
from tests.faults.load import CREDIT, DEBIT, Intent, Read

ENTRY_TOPIC_SUFFIX = ".JournalEntryPosted"


@dataclass
class Entry:
    position: int
    entry_id: str
    key: str
    postings: list[tuple[str, str, int, str]]


@dataclass
class Verdict:
    """What a run did and what the checker found (``problems`` must be empty)."""

    acknowledged: int = 0
    lost: int = 0
    duplicated: int = 0
    unknown_seen: int = 0
    """Intents with at least one attempt that had no answer or a 5xx."""
    unknown_resolved: int = 0
    unresolved: int = 0
    statuses: dict[str, int] = field(default_factory=dict)
    read_statuses: dict[str, int] = field(default_factory=dict)
    entries_in_log: int = 0
    problems: list[str] = field(default_factory=list)

    def problem(self, text: str) -> None:
        if len(self.problems) < 50:
            self.problems.append(text)


def log_entries(owner_url: str, key_prefix: str) -> dict[str, list[Entry]]:
    """The journal entries in the log whose reference (the load's Idempotency-Key)
    starts with ``key_prefix``."""
    found: dict[str, list[Entry]] = defaultdict(list)
    with LogReader(parse_database_url(owner_url)) as reader:
        for page in reader.pages(0, 5_000):
            for event in page:
                if not event.topic.endswith(ENTRY_TOPIC_SUFFIX):
                    continue
                # The load puts its Idempotency-Key in the reference (the event's own
                # key is scoped to the actor).
                key = str(event.state.get("reference", ""))
                if not key.startswith(key_prefix):
                    continue
                postings = [
                    (str(a), str(d), int(m), str(s)) for a, d, m, s in event.state["postings"]
                ]
                found[key].append(Entry(event.position, event.originator_id, key, postings))
    return found


def _minor(text: str) -> int:
    return int(Decimal(text) * 100)


def check(
    intents: list[Intent],
    reads: list[Read],
    entries: dict[str, list[Entry]],
    balance: dict[str, Any] | None,
) -> Verdict:
    verdict = Verdict()
    statuses: dict[str, int] = defaultdict(int)
    for intent in intents:
        for attempt in intent.attempts:
            statuses[str(attempt.status)] += 1
            if attempt.status == 500:
                verdict.problem(f"{intent.key}: a write answered 500: {attempt.body}")
        in_log = entries.get(intent.key, [])
        if len(in_log) > 1:
            verdict.duplicated += 1
            verdict.problem(f"{intent.key}: {len(in_log)} entries in the log")
        uncertain = any(a.status is None or a.status >= 500 for a in intent.attempts)
        verdict.unknown_seen += uncertain
        if intent.acknowledged:
            verdict.acknowledged += 1
            verdict.unknown_resolved += uncertain
            _check_acknowledged(verdict, intent, in_log)
        else:
            verdict.unresolved += 1
            final = intent.final
            refused = final is not None and final.status is not None and final.status < 500
            if refused and final is not None and final.status != 409 and in_log:
                verdict.problem(f"{intent.key}: refused {final.status} yet in the log")
    asked = {intent.key for intent in intents}
    for key in entries:
        if key not in asked:
            verdict.problem(f"{key}: in the log, never asked for")
    verdict.entries_in_log = sum(len(found) for found in entries.values())
    read_statuses: dict[str, int] = defaultdict(int)
    for read in reads:
        read_statuses[str(read.status)] += 1
        if read.status is not None and read.status not in (200, 503):
            verdict.problem(f"read {read.path} answered {read.status}")
    verdict.statuses, verdict.read_statuses = dict(statuses), dict(read_statuses)
    _check_balance(verdict, entries, balance)
    return verdict


def _check_acknowledged(verdict: Verdict, intent: Intent, in_log: list[Entry]) -> None:
    final = intent.final
    assert final is not None and final.body is not None
    if not in_log:
        verdict.lost += 1
        verdict.problem(f"{intent.key}: acknowledged {final.body} but not in the log")
        return
    entry = in_log[0]
    if str(final.body.get("id")) != entry.entry_id:
        verdict.problem(f"{intent.key}: answered id {final.body.get('id')}, log {entry.entry_id}")
    if final.body.get("position") != entry.position:
        verdict.problem(
            f"{intent.key}: answered position {final.body.get('position')}, log {entry.position}"
        )
    expected = [
        (DEBIT, "debit", intent.amount_minor, "USD"),
        (CREDIT, "credit", intent.amount_minor, "USD"),
    ]
    if sorted(entry.postings) != sorted(expected):
        verdict.problem(f"{intent.key}: postings {entry.postings}, asked {expected}")


def _check_balance(
    verdict: Verdict, entries: dict[str, list[Entry]], balance: dict[str, Any] | None
) -> None:
    total = sum(
        p[2] for found in entries.values() for e in found for p in e.postings if p[0] == DEBIT
    )
    if balance is None:
        verdict.problem("no balance answer after the run")
        return
    lines = [line for line in balance["balances"] if line["asset"] == "USD"]
    answered = _minor(lines[0]["debits_posted"]) if lines else 0
    if answered != total:
        verdict.problem(f"{DEBIT}: balance answers {answered}, the log's entries sum to {total}")
