"""Upcasting for raw reads of the log.

Repository reads go through the library, which upcasts old event versions
with the ``upcast_vX_vY`` methods of the event classes. Raw readers (folds,
audit exports) skip that decoding, so they upcast here, to the same shape.
"""

from __future__ import annotations

from typing import Any

from eventsourcing.utils import get_topic

from domain.ledger.journal import JournalEntry

JOURNAL_ENTRY_POSTED = get_topic(JournalEntry.JournalEntryPosted)


def upcast_state(topic: str, state: dict[str, Any]) -> dict[str, Any]:
    """Bring ``state`` up to the current class version of ``topic`` (in place)."""
    if topic == JOURNAL_ENTRY_POSTED and state.get("class_version", 1) < 2:
        # Version 1 entries predate ``reference`` and ``metadata``; mirror
        # JournalEntryPosted.upcast_v1_v2 so raw and repository reads agree.
        state["reference"] = ""
        state["metadata"] = {}
        state["class_version"] = 2
    return state
