"""Sanctions list files: parsing and checking OFAC's legacy CSV release. Pure.

A list comes in OFAC's legacy CSV release: ``sdn.csv`` (no header; twelve
columns ``ent_num, SDN_Name, SDN_Type, Program, Title, Call_Sign,
Vess_type, Tonnage, GRT, Vess_flag, Vess_owner, Remarks``) and optionally
``alt.csv`` (five columns ``ent_num, alt_num, alt_type, alt_name,
alt_remarks``: the aliases, aka/fka/nka). ``-0-`` (OFAC writes it with a
trailing space) means empty. The files are ASCII; we read them as UTF-8 and
refuse anything else, naming the file and line, so a list mangled in
transit is never half-loaded.
"""

from __future__ import annotations

import csv
import hashlib
import io
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from domain.sanctions.errors import InvalidSanctionsList
from domain.sanctions.matching import normalise

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
_ENT_NUM = re.compile(r"^[0-9]{1,10}\Z")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_EOF_MARK = "\x1a"  # OFAC's legacy files may end with a DOS end-of-file byte


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
