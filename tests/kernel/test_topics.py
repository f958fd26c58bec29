"""Stored event topics never change: every pinned topic is the committed one and resolves to its class.

``data/topics.txt`` was generated once from the code before the domain's
modules were split: the log stores events under those topics, so a moved
class keeps its ``pin_topics(...)`` module string. A new aggregate adds its
topics to the file in the change that introduces it.
"""

from __future__ import annotations

import importlib
import pkgutil
from pathlib import Path

from eventsourcing.utils import get_topic, resolve_topic

import domain
from domain.kernel.topics import PINNED

COMMITTED_TOPICS = Path(__file__).parent / "data" / "topics.txt"


def _committed() -> list[str]:
    return COMMITTED_TOPICS.read_text().splitlines()


def _import_every_domain_module() -> None:
    for module in pkgutil.walk_packages(domain.__path__, "domain."):
        importlib.import_module(module.name)


def test_the_committed_list_is_sorted_one_topic_a_line() -> None:
    committed = _committed()
    assert committed == sorted(set(committed))
    assert all(topic.startswith("domain.") and ":" in topic for topic in committed)


def test_no_committed_topic_is_lost_or_renamed() -> None:
    _import_every_domain_module()
    assert sorted(set(_committed()) - set(PINNED)) == []


def test_every_pinned_topic_is_in_the_committed_list() -> None:
    _import_every_domain_module()
    assert sorted(set(PINNED) - set(_committed())) == [], "add new topics to tests/kernel/data/topics.txt"


def test_every_committed_topic_resolves_to_its_class() -> None:
    _import_every_domain_module()
    for topic in _committed():
        cls = resolve_topic(topic)
        assert cls is PINNED[topic]
        assert get_topic(cls) == topic
