"""Sanctions lists and name screening: parsing, normalising, matching. Pure.

A list comes in OFAC's legacy CSV release: ``sdn.csv`` (no header; twelve
columns ``ent_num, SDN_Name, SDN_Type, Program, Title, Call_Sign,
Vess_type, Tonnage, GRT, Vess_flag, Vess_owner, Remarks``) and optionally
``alt.csv`` (five columns ``ent_num, alt_num, alt_type, alt_name,
alt_remarks``: the aliases, aka/fka/nka). ``-0-`` (OFAC writes it with a
trailing space) means empty. The files are ASCII; we read them as UTF-8 and
refuse anything else, naming the file and line, so a list mangled in
transit is never half-loaded.

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
import csv
import hashlib
import io
import math
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from rapidfuzz import fuzz, process

from domain.kernel import limits
from domain.kernel.errors import InvalidInput
from domain.sanctions.errors import InvalidSanctionsList

SDN_COLUMNS = (
    "ent_num",
    "SDN_Name",
    "SDN_Type",
    "Program",
    "Title",
    "Call_Sign",
    "Vess_type",
    "Tonnage",
    "GRT",
    "Vess_flag",
    "Vess_owner",
    "Remarks",
)
ALT_COLUMNS = ("ent_num", "alt_num", "alt_type", "alt_name", "alt_remarks")
NULL_VALUE = "-0-"

FILE_BYTES_MAX = 32 * 2**20
ENTRIES_MAX = 100_000
ALIASES_MAX = 400_000
ALIASES_PER_ENTRY_MAX = 1_000
NAME_LENGTH_MAX = 1_000
FIELD_LENGTH_MAX = 4_000
ENT_NUM_DIGITS_MAX = 10
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

_ENT_NUM = re.compile(r"^[0-9]{1,10}\Z")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_EOF_MARK = "\x1a"  # OFAC's legacy files may end with a DOS end-of-file byte
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


# --- parsing ----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ListEntry:
    """One listed party: ``ent_num``, primary ``name``, ``sdn_type`` (individual,
    vessel, aircraft; empty for entities), ``program`` codes, ``aliases``."""

    ent_num: int
    name: str
    sdn_type: str
    program: str
    aliases: tuple[str, ...] = ()

    def compact(self) -> list[Any]:
        """``[ent_num, name, type, program, [aliases]]``: how the log keeps it."""
        return [self.ent_num, self.name, self.sdn_type, self.program, list(self.aliases)]

    @classmethod
    def from_compact(cls, row: Sequence[Any]) -> ListEntry:
        ent_num, name, sdn_type, program, aliases = row
        return cls(int(ent_num), str(name), str(sdn_type), str(program), tuple(aliases))


@dataclass(frozen=True, slots=True)
class ParsedList:
    """A checked list: its entries (by ent_num) and the digests of its files.

    ``version`` is the SHA-256 of ``"<sha256 of sdn.csv>:<sha256 of alt.csv or ''>"``:
    the same files always give the same version, any changed byte another."""

    entries: tuple[ListEntry, ...]
    sdn_sha256: str
    alt_sha256: str
    version: str

    @property
    def entry_count(self) -> int:
        return len(self.entries)

    @property
    def alias_count(self) -> int:
        return sum(len(entry.aliases) for entry in self.entries)


def list_version(sdn_sha256: str, alt_sha256: str) -> str:
    return hashlib.sha256(f"{sdn_sha256}:{alt_sha256}".encode("ascii")).hexdigest()


def parse_list(
    sdn_csv: bytes,
    alt_csv: bytes | None = None,
    *,
    sdn_name: str = "sdn.csv",
    alt_name: str = "alt.csv",
) -> ParsedList:
    """Parse and check an SDN file and its optional alias file; InvalidSanctionsList
    (naming file and line) on anything malformed."""
    primaries = _parse_sdn(sdn_csv, sdn_name)
    aliases = _parse_alt(alt_csv, alt_name, primaries) if alt_csv is not None else {}
    entries = tuple(
        ListEntry(ent_num, name, sdn_type, program, tuple(aliases.get(ent_num, ())))
        for ent_num, (name, sdn_type, program) in sorted(primaries.items())
    )
    sdn_sha256 = hashlib.sha256(sdn_csv).hexdigest()
    alt_sha256 = "" if alt_csv is None else hashlib.sha256(alt_csv).hexdigest()
    return ParsedList(entries, sdn_sha256, alt_sha256, list_version(sdn_sha256, alt_sha256))


def _refused(file_name: str, line: int | None, message: str) -> InvalidSanctionsList:
    where = file_name if line is None else f"{file_name} line {line}"
    return InvalidSanctionsList(f"{where}: {message}", field=file_name)


def _rows(data: bytes, file_name: str, columns: int) -> list[tuple[int, list[str]]]:
    """The records of a CSV file as (line number, stripped fields); refuses bad bytes,
    bad quoting and wrong column counts."""
    if not isinstance(data, bytes | bytearray):
        raise _refused(file_name, None, "expected the file's bytes")
    if len(data) > FILE_BYTES_MAX:
        raise _refused(file_name, None, f"larger than {FILE_BYTES_MAX} bytes ({len(data)})")
    try:
        text = bytes(data).decode("utf-8")
    except UnicodeDecodeError as error:
        line = data.count(b"\n", 0, error.start) + 1
        raise _refused(
            file_name,
            line,
            f"not UTF-8 text (byte 0x{data[error.start]:02x} at offset {error.start}); "
            "OFAC's files are ASCII",
        ) from None
    text = text.removeprefix("\ufeff")
    stripped = text.rstrip()
    if stripped.endswith(_EOF_MARK):
        text = stripped[: -len(_EOF_MARK)]
    control = _CONTROL.search(text)
    if control is not None:
        line = text.count("\n", 0, control.start()) + 1
        raise _refused(file_name, line, f"control character 0x{ord(control.group()):02x}")
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    rows: list[tuple[int, list[str]]] = []
    try:
        for record in reader:
            if not record or (len(record) == 1 and not record[0].strip()):
                continue  # a blank line
            if len(record) != columns:
                raise _refused(
                    file_name, reader.line_num, f"expected {columns} columns, found {len(record)}"
                )
            for field in record:
                if len(field) > FIELD_LENGTH_MAX:
                    raise _refused(
                        file_name,
                        reader.line_num,
                        f"a field longer than {FIELD_LENGTH_MAX} characters",
                    )
            rows.append((reader.line_num, [_value(field) for field in record]))
    except csv.Error as error:
        raise _refused(file_name, reader.line_num, f"malformed CSV ({error})") from None
    return rows


def _value(field: str) -> str:
    value = field.strip()
    return "" if value == NULL_VALUE else value


def _ent_num(text: str, file_name: str, line: int) -> int:
    if not _ENT_NUM.match(text) or int(text) == 0:
        raise _refused(file_name, line, f"ent_num {text[:20]!r} is not a positive integer")
    return int(text)


def _name(text: str, file_name: str, line: int, column: str) -> str:
    if not text:
        raise _refused(file_name, line, f"{column} is empty")
    if len(text) > NAME_LENGTH_MAX:
        raise _refused(file_name, line, f"{column} longer than {NAME_LENGTH_MAX} characters")
    if not normalise(text):
        raise _refused(file_name, line, f"{column} {text[:40]!r} has no letters or digits")
    return text


def _parse_sdn(data: bytes, file_name: str) -> dict[int, tuple[str, str, str]]:
    primaries: dict[int, tuple[str, str, str]] = {}
    for line, fields in _rows(data, file_name, len(SDN_COLUMNS)):
        ent_num = _ent_num(fields[0], file_name, line)
        if ent_num in primaries:
            raise _refused(file_name, line, f"ent_num {ent_num} is listed twice")
        if len(primaries) >= ENTRIES_MAX:
            raise _refused(file_name, line, f"more than {ENTRIES_MAX} entries")
        name = _name(fields[1], file_name, line, "SDN_Name")
        primaries[ent_num] = (name, fields[2].lower()[:32], fields[3][:400])
    if not primaries:
        raise _refused(file_name, None, "no entries")
    return primaries


def _parse_alt(
    data: bytes, file_name: str, primaries: dict[int, tuple[str, str, str]]
) -> dict[int, list[str]]:
    aliases: dict[int, list[str]] = {}
    seen: set[int] = set()
    total = 0
    for line, fields in _rows(data, file_name, len(ALT_COLUMNS)):
        ent_num = _ent_num(fields[0], file_name, line)
        alt_num = _ent_num(fields[1], file_name, line)
        if ent_num not in primaries:
            raise _refused(file_name, line, f"ent_num {ent_num} is not in the SDN file")
        if alt_num in seen:
            raise _refused(file_name, line, f"alt_num {alt_num} is listed twice")
        seen.add(alt_num)
        name = _name(fields[3], file_name, line, "alt_name")
        listed = aliases.setdefault(ent_num, [])
        if len(listed) >= ALIASES_PER_ENTRY_MAX:
            raise _refused(
                file_name, line, f"more than {ALIASES_PER_ENTRY_MAX} aliases for {ent_num}"
            )
        total += 1  # noqa: SIM113 - counts accepted aliases, not rows
        if total > ALIASES_MAX:
            raise _refused(file_name, line, f"more than {ALIASES_MAX} aliases")
        listed.append(name)
    return aliases


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
