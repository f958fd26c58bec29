"""The trial balance of an audit package: its canonical digest and an independent fold.

Standard library only; copied into offline audit packages next to
verify_audit_package.py. The fold is written apart from the projections on
purpose (projections/ledger/balances.py): it reads the journal-entry events' JSON
and nothing else, so a bug in one is not repeated in the other.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

TRIAL_BALANCE_FORMAT = "backoffice trial balance v1"
COUNTERS = ("debits_posted", "credits_posted", "debits_pending", "credits_pending")
_JOURNAL = "domain.journal:JournalEntry."
TOPIC_POSTED = _JOURNAL + "JournalEntryPosted"
TOPIC_PENDING = _JOURNAL + "PendingEntryRecorded"
TOPIC_PENDING_POSTED = _JOURNAL + "PendingEntryPosted"
TOPIC_PENDING_VOIDED = _JOURNAL + "PendingEntryVoided"

Key = tuple[str, str]  # (account, asset)


def trial_balance_text(counters: Mapping[Key, Sequence[int]]) -> str:
    """The canonical form: a header line, then one line per (account, asset) with a
    non-zero counter, sorted by account then asset (code points), fields separated
    by TAB: account, asset, debits_posted, credits_posted, debits_pending,
    credits_pending as base-10 integers of minor units; every line ends in LF."""
    lines = [TRIAL_BALANCE_FORMAT]
    for account, asset in sorted(counters):
        values = [int(value) for value in counters[(account, asset)]]
        if any(values):
            lines.append("\t".join([account, asset, *(str(value) for value in values)]))
    return "\n".join(lines) + "\n"


def trial_balance_digest(counters: Mapping[Key, Sequence[int]]) -> str:
    """SHA-256 (hex) of the UTF-8 bytes of ``trial_balance_text``."""
    return hashlib.sha256(trial_balance_text(counters).encode("utf-8")).hexdigest()


@dataclass
class BalanceFold:
    """Per (account, asset): [debits_posted, credits_posted, debits_pending, credits_pending]."""

    counters: dict[Key, list[int]] = field(default_factory=dict)
    pending: dict[str, list[tuple[str, str, int, str]]] = field(default_factory=dict)
    entries_folded: int = 0

    def apply(self, topic: str, entry_id: str, state: bytes) -> str | None:
        """Fold one event; a problem sentence when it cannot be folded."""
        if topic not in (TOPIC_POSTED, TOPIC_PENDING, TOPIC_PENDING_POSTED, TOPIC_PENDING_VOIDED):
            return None  # reversals are their own JournalEntryPosted; other events move nothing
        self.entries_folded += 1
        if topic in (TOPIC_PENDING_POSTED, TOPIC_PENDING_VOIDED):
            postings = self.pending.pop(entry_id, None)
            if postings is None:
                return f"pending entry {entry_id} resolved but not pending (never recorded, or resolved twice)"
            self._move(postings, 2, -1)
            if topic == TOPIC_PENDING_POSTED:
                self._move(postings, 0, 1)
            return None
        try:
            postings = parse_postings(json.loads(state))
        except (ValueError, RecursionError) as error:
            return f"journal entry {entry_id}: {error}"
        if topic == TOPIC_PENDING:
            self.pending[entry_id] = postings
            self._move(postings, 2, 1)
        else:
            self._move(postings, 0, 1)
        return None

    def _move(self, postings: list[tuple[str, str, int, str]], column: int, sign: int) -> None:
        for account, direction, amount_minor, asset in postings:
            counters = self.counters.setdefault((account, asset), [0, 0, 0, 0])
            counters[column + (0 if direction == "debit" else 1)] += sign * amount_minor


def parse_postings(state: object) -> list[tuple[str, str, int, str]]:
    """The ``postings`` rows [account, direction, amount_minor, asset] of an entry's state."""
    rows = state.get("postings") if isinstance(state, dict) else None
    if not isinstance(rows, list) or not rows:
        raise ValueError("no postings list in the event")
    postings = []
    for row in rows:
        if (
            not isinstance(row, list)
            or len(row) != 4
            or not isinstance(row[0], str)
            or row[1] not in ("debit", "credit")
            or type(row[2]) is not int
            or row[2] <= 0
            or not isinstance(row[3], str)
        ):
            raise ValueError(f"posting {str(row)[:80]} is not [account, direction, amount, asset]")
        postings.append((row[0], row[1], row[2], row[3]))
    return postings
