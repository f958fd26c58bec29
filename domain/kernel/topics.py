"""Stable event topics: the stored name of an event class outlives its module.

The library stores each event under a topic, ``module:QualifiedName``, and
resolves it back to the class on every read and replay. Stored events are
never edited, so a module that moves (the ledger moved from ``domain.ledger.journal``
to ``domain.ledger.journal``) must keep answering to the topics already in the
log. ``pin_topics`` gives an aggregate class and every class nested in it
(its events, including those the library generates) the library's explicit
``TOPIC`` attribute, spelled with the module name the log knows, and
registers it so that resolving the old topic finds the class even before any
event of it was written in this process.
"""

from __future__ import annotations

from eventsourcing.utils import register_topic

PINNED: dict[str, type] = {}
"""Every pinned topic and its class (tests check they are unique and complete)."""


def pin_topics(stored_module: str, *classes: type) -> None:
    """Pin ``classes`` and their nested classes to topics under ``stored_module``."""
    for cls in classes:
        _pin(stored_module, cls)


def _pin(stored_module: str, cls: type) -> None:
    topic = f"{stored_module}:{cls.__qualname__}"
    assert PINNED.get(topic, cls) is cls, f"topic {topic} is pinned twice"
    type.__setattr__(cls, "TOPIC", topic)
    register_topic(topic, cls)
    PINNED[topic] = cls
    for value in list(vars(cls).values()):
        if isinstance(value, type) and value.__qualname__.startswith(cls.__qualname__ + "."):
            _pin(stored_module, value)
