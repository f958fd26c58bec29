"""Name screening: normalising and matching against a list. Pure.

The list files are parsed in ``domain.sanctions.list_files``.

Names are compared in a normal form (``normalise``): case-folded,
diacritics removed (NFKD, combining marks dropped, a few letters NFKD does
not split transliterated), apostrophes dropped, other punctuation and
symbols turned into spaces, and the words sorted, so "MUÑOZ, José-Luis" and
"jose luis munoz" are the same name.

Matching against a list (``SanctionsIndex.assess``):

- the normal form equals a listed primary name: ``exact``; equals an alias:
  ``alias``; either makes the result a ``hit`` (the item is held);
- otherwise a listed name scoring at or above the threshold: ``fuzzy``,
  the result is ``review``;
- else ``clear``.

The fuzzy score is rapidfuzz's ``token_sort_ratio`` (the normalised Indel
similarity of the word-sorted names, 0-100). We compute it as ``ratio`` on
the normal forms, which are already word-sorted: the same number, without
re-splitting 20k names per screening. ``WRatio`` was rejected: it takes the
best of several scorers including ``partial_ratio``, so a short name that is
a substring of a long listed name ("ali" in "ali hassan al-...") scores 90,
which floods compliance with reviews against a list of 20k names; and its
length-ratio weights make the threshold hard to explain to an auditor.
``token_sort_ratio`` is symmetric, order-independent and a plain edit-distance
similarity: "one letter wrong in a 12-letter name" is about 92. A missing
middle name lowers it (by design: common first+last names would otherwise
match everyone with a longer name).
"""

from __future__ import annotations

import bisect
import math
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from rapidfuzz import fuzz, process

from domain.kernel import limits
from domain.kernel.errors import InvalidInput

if TYPE_CHECKING:
    from domain.sanctions.list_files import ListEntry


SOURCE_LENGTH_MAX = 128
PARTY_NAME_LENGTH_MAX = 500
THRESHOLD_DEFAULT = 90
THRESHOLD_MIN = 50
THRESHOLD_MAX = 100
MATCHES_MAX = 20
NORMALISATION = "nfkd-casefold-punct-tokensort/1"
SCORER = "rapidfuzz.token_sort_ratio"
RESULTS = ("clear", "review", "hit")
MATCH_KINDS = ("exact", "alias", "fuzzy")

_DROPPED = frozenset("'`\u00b4\u2018\u2019\u02bc\u02b9")
_TRANSLITERATED = str.maketrans(
    {
        "ø": "o",
        "æ": "ae",
        "œ": "oe",
        "đ": "d",
        "ð": "d",
        "ł": "l",
        "\u0131": "i",  # dotless i
        "ß": "ss",
        "þ": "th",
        "ħ": "h",
        "ŧ": "t",
    }
)
_KEPT_CATEGORIES = frozenset({"Lu", "Ll", "Lt", "Lm", "Lo", "Nd", "Nl", "No", "Mc"})
_DROPPED_CATEGORIES = frozenset({"Mn", "Me", "Cf"})


# --- normal form ------------------------------------------------------------------


def _normalise_once(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text.casefold().translate(_TRANSLITERATED))
    kept: list[str] = []
    for char in decomposed:
        category = unicodedata.category(char)
        if char in _DROPPED or category in _DROPPED_CATEGORIES:
            continue
        kept.append(char if category in _KEPT_CATEGORIES else " ")
    return " ".join(sorted("".join(kept).casefold().split()))


def normalise(name: str) -> str:
    """The normal form of a name: folded, unaccented, unpunctuated, words sorted.

    Idempotent: folding can expose characters that decompose further (and
    the other way round), so the steps repeat until nothing changes.
    """
    current = _normalise_once(name)
    for _round in range(4):
        again = _normalise_once(current)
        if again == current:
            return current
        current = again
    return current


# --- checked inputs ---------------------------------------------------------------


def check_source(source: object) -> str:
    return limits.bounded_text(source, "source", SOURCE_LENGTH_MAX)


def check_party_name(party_name: object) -> tuple[str, str]:
    """The party name as given (bounded) and its normal form (refused if empty)."""
    text = limits.bounded_text(party_name, "party_name", PARTY_NAME_LENGTH_MAX)
    key = normalise(text)
    if not key:
        raise InvalidInput("party_name: has no letters or digits to screen", field="party_name")
    return text, key


def check_threshold(threshold: object) -> int:
    if (
        isinstance(threshold, bool)
        or not isinstance(threshold, int)
        or not THRESHOLD_MIN <= threshold <= THRESHOLD_MAX
    ):
        raise InvalidInput(
            f"threshold: an integer score from {THRESHOLD_MIN} to {THRESHOLD_MAX}",
            field="threshold",
        )
    return threshold


# --- matching ---------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Match:
    """A listed party matching a screened name: the listed ``name`` (primary or
    alias) that matched, its ``score`` (0-100) and ``kind`` (exact|alias|fuzzy)."""

    ent_num: int
    name: str
    score: float
    kind: str

    def as_dict(self) -> dict[str, Any]:
        return {"ent_num": self.ent_num, "name": self.name, "score": self.score, "kind": self.kind}

    @classmethod
    def from_dict(cls, value: dict[str, Any]) -> Match:
        return cls(
            int(value["ent_num"]), str(value["name"]), float(value["score"]), str(value["kind"])
        )


@dataclass(frozen=True, slots=True)
class Assessment:
    """The outcome of matching one name against one list version."""

    list_version: str
    party_name: str
    normalised_name: str
    threshold: int
    result: str
    matches: tuple[Match, ...]


_KIND_RANK = {"exact": 0, "alias": 1, "fuzzy": 2}


class SanctionsIndex:
    """One list version, ready to screen against: the normal forms of every
    primary name and alias, deduplicated, with who carries each."""

    def __init__(self, list_version: str, entries: Sequence[ListEntry]) -> None:
        self.list_version = list_version
        self.entry_count = len(entries)
        slots: dict[str, int] = {}
        self.keys: list[str] = []
        # Per key: (ent_num, kind, listed name) of everyone carrying it.
        self.owners: list[list[tuple[int, str, str]]] = []
        carriers: dict[str, list[tuple[int, str, str]]] = {}
        for entry in entries:
            for kind, name in (
                ("exact", entry.name),
                *(("alias", alias) for alias in entry.aliases),
            ):
                carriers.setdefault(normalise(name), []).append((entry.ent_num, kind, name))
        # Keys in length order: a fuzzy search compares only the lengths that can reach
        # the threshold (see _length_window), a third to a half of the list.
        for key in sorted(carriers, key=lambda key: (len(key), key)):
            slots[key] = len(self.keys)
            self.keys.append(key)
            self.owners.append(carriers[key])
        self._slots = slots
        self._lengths = [len(key) for key in self.keys]

    def assess(self, party_name: str, threshold: int = THRESHOLD_DEFAULT) -> Assessment:
        """Match ``party_name`` against this list (see the module docstring)."""
        party_name, key = check_party_name(party_name)
        threshold = check_threshold(threshold)
        best: dict[int, Match] = {}

        def offer(match: Match) -> None:
            held = best.get(match.ent_num)
            if held is None or (_KIND_RANK[match.kind], -match.score) < (
                _KIND_RANK[held.kind],
                -held.score,
            ):
                best[match.ent_num] = match

        slot = self._slots.get(key)
        if slot is not None:
            for ent_num, kind, name in self.owners[slot]:
                offer(Match(ent_num, name, 100.0, kind))
        first, last = self._length_window(len(key), threshold)
        found = process.extract(
            key,
            self.keys[first:last],
            scorer=fuzz.ratio,
            processor=None,
            score_cutoff=threshold,
            limit=MATCHES_MAX * 4,
        )
        for _choice, score, offset in found:
            index = first + offset
            if index == slot:
                continue
            for ent_num, _kind, name in self.owners[index]:
                offer(Match(ent_num, name, round(float(score), 2), "fuzzy"))
        ordered = sorted(
            best.values(), key=lambda match: (_KIND_RANK[match.kind], -match.score, match.ent_num)
        )[:MATCHES_MAX]
        kinds = {match.kind for match in ordered}
        result = "hit" if kinds & {"exact", "alias"} else "review" if kinds else "clear"
        return Assessment(self.list_version, party_name, key, threshold, result, tuple(ordered))

    def _length_window(self, length: int, threshold: int) -> tuple[int, int]:
        """The slice of keys whose length allows a score >= ``threshold``.

        ``ratio`` is ``100 * (1 - indel / (m + n))`` and the Indel distance is at
        least ``|m - n|``, so with ``c = 1 - threshold / 100`` a key of length
        ``n`` can only reach the threshold when ``m (1-c)/(1+c) <= n <= m (1+c)/(1-c)``.
        One character of slack on each side absorbs rounding.
        """
        slack = 1 - threshold / 100
        shortest = math.floor(length * (1 - slack) / (1 + slack)) - 1
        longest = math.ceil(length * (1 + slack) / (1 - slack)) + 1 if slack < 1 else len(self.keys)
        first = bisect.bisect_left(self._lengths, shortest)
        last = bisect.bisect_right(self._lengths, longest)
        return first, last
