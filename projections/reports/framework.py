"""The report framework: what a report is, how its content is made canonical,
and how its digest and provenance are computed.

A report is a module-level object satisfying ``Report``: a ``name``, a
``title``, its ``parameters`` (a small schema), its ``scope`` (the event
topics it reads) and its ``columns``; ``compute(source, as_of_position,
parameters)`` reads the log up to ``as_of_position`` and returns a
``ReportRun``: report-level ``context`` (resolved dates, period status) and
an iterator of ``ReportRow`` (a stable ``key``, the column ``values``, and
the log ``positions`` the row was computed from). Rows may be produced
lazily (a generator over log pages), so large reports stream in constant
memory.

Canonical content and digest (version ``report-v1``)
----------------------------------------------------

``canonical(x)`` is ``orjson.dumps(x, option=OPT_SORT_KEYS)``: UTF-8, no
whitespace, keys sorted. Row values are only strings, integers, booleans
or null; amounts are decimal strings with the asset's scale (never floats).

``digest`` = lowercase hex SHA-256 over the byte string::

    b"backoffice-report-v1\\n"
    canonical({"context": C, "parameters": P, "report": NAME}) b"\\n"
    canonical(row_1) b"\\n" ... canonical(row_n) b"\\n"     (report order)
    canonical({"generated_from": R, "row_count": n}) b"\\n"

where ``P`` are the checked parameters (strings, only those given) and
``R`` the positions used as ranges ``[[first, last], ...]`` (ascending,
disjoint, non-adjacent). The requested ``as_of_position`` is recorded in
the output but is not part of the digest: it only bounds the read, while
``generated_from`` says exactly which events the content came from. So the
same report at two positions with no in-scope event between them has the
same digest, and a new event changes the digest only if it falls in the
report's scope ("new events change the output only if they fall in the
report's scope"); at the same position the whole output is byte-identical,
because nothing in it depends on the clock.
"""

from __future__ import annotations

import bisect
import hashlib
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, NamedTuple, Protocol

import orjson

from adapters.database import Database
from adapters.log_reader import PAGE_SIZE_DEFAULT, LogEvent, LogReader
from projections.reports.scoped_log import ScopedLogReader

DIGEST_VERSION = "report-v1"
DIGEST_TAG = b"backoffice-report-v1\n"
ROW_SEPARATOR = ","  # ranges in a text cell: "41,45-47"


def canonical(value: Any) -> bytes:
    """The canonical JSON bytes of ``value`` (sorted keys, compact, UTF-8)."""
    return orjson.dumps(value, option=orjson.OPT_SORT_KEYS)


# --- schema --------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ParameterSpec:
    """One parameter: ``kind`` is period (YYYY-MM), date (YYYY-MM-DD) or text."""

    name: str
    kind: str
    description: str
    required: bool = False
    choices: tuple[str, ...] = ()

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "name": self.name,
            "kind": self.kind,
            "required": self.required,
            "description": self.description,
        }
        if self.choices:
            out["choices"] = list(self.choices)
        return out


@dataclass(frozen=True, slots=True)
class ReportScope:
    """Which events a report reads: exact ``topics`` (None: every event)."""

    topics: frozenset[str] | None
    description: str

    def admits(self, topic: str) -> bool:
        return self.topics is None or topic in self.topics

    def as_dict(self) -> dict[str, Any]:
        return {
            "description": self.description,
            "topics": None if self.topics is None else sorted(self.topics),
        }


class ReportRow(NamedTuple):
    """``key``: stable within the report; ``values``: the columns (without
    ``key``); ``positions``: ascending log positions the row came from."""

    key: str
    values: dict[str, Any]
    positions: Sequence[int]


@dataclass(slots=True)
class ReportRun:
    """What ``compute`` returns; ``context_positions``: events behind the context."""

    context: dict[str, Any]
    rows: Iterator[ReportRow]
    context_positions: Sequence[int] = ()


class LogSource(Protocol):
    """Where reports read the log."""

    def head_position(self) -> int: ...

    def events(self, up_to: int, scope: ReportScope, after: int = 0) -> Iterator[LogEvent]: ...

    def events_at(self, positions: Sequence[int]) -> list[LogEvent]: ...


class Report(Protocol):
    """A report: one module each, listed in ``projections.reports.REPORT_MODULES``."""

    @property
    def name(self) -> str: ...

    @property
    def title(self) -> str: ...

    @property
    def parameters(self) -> tuple[ParameterSpec, ...]: ...

    @property
    def scope(self) -> ReportScope: ...

    @property
    def columns(self) -> tuple[str, ...]:
        """The CSV columns, ``key`` first; every row has exactly these."""
        ...

    def validate(self, parameters: dict[str, str]) -> None:
        """Cross-field checks after each value was checked (raise InvalidInput)."""
        ...

    def compute(
        self, source: LogSource, as_of_position: int, parameters: Mapping[str, str]
    ) -> ReportRun: ...


# --- position ranges ----------------------------------------------------------------


class RangeSet:
    """Log positions as disjoint, non-adjacent ranges; adds in any order.

    Appending in ascending order (the common case: a fold in log order) is
    O(1); memory is one pair per range.
    """

    def __init__(self) -> None:
        self._starts: list[int] = []
        self._ends: list[int] = []

    def add(self, position: int) -> None:
        starts, ends = self._starts, self._ends
        if ends and position > ends[-1]:
            if position == ends[-1] + 1:
                ends[-1] = position
            else:
                starts.append(position)
                ends.append(position)
            return
        index = bisect.bisect_right(starts, position) - 1
        if index >= 0 and position <= ends[index]:
            return  # already in
        joins_left = index >= 0 and ends[index] + 1 == position
        joins_right = index + 1 < len(starts) and starts[index + 1] - 1 == position
        if joins_left and joins_right:
            ends[index] = ends[index + 1]
            del starts[index + 1], ends[index + 1]
        elif joins_left:
            ends[index] = position
        elif joins_right:
            starts[index + 1] = position
        else:
            starts.insert(index + 1, position)
            ends.insert(index + 1, position)

    def update(self, positions: Iterable[int]) -> None:
        """Add many: a batch's own ranges, merged with these in one pass.

        A report's rows interleave in the log (one account's entries between
        another's), so adding them one by one would insert into the middle
        of the lists: quadratic over a million positions.
        """
        batch = sorted(positions)
        if len(batch) < UPDATE_MERGE_MIN:
            for position in batch:
                self.add(position)
            return
        starts, ends = [batch[0]], [batch[0]]
        last = batch[0]
        for position in batch:
            if position > last + 1:
                ends[-1] = last
                starts.append(position)
                ends.append(position)
            last = position
        ends[-1] = last
        if not self._starts:
            self._starts, self._ends = starts, ends
            return
        self._starts, self._ends = _merge_ranges(self._starts, self._ends, starts, ends)

    def ranges(self) -> list[list[int]]:
        return [[start, end] for start, end in zip(self._starts, self._ends, strict=True)]


UPDATE_MERGE_MIN = 16  # smaller batches go one by one


def _merge_ranges(
    starts_a: list[int], ends_a: list[int], starts_b: list[int], ends_b: list[int]
) -> tuple[list[int], list[int]]:
    """The union of two lists of disjoint, ascending ranges, adjacent ones joined."""
    starts: list[int] = []
    ends: list[int] = []
    index_a = index_b = 0
    count_a, count_b = len(starts_a), len(starts_b)
    while index_a < count_a or index_b < count_b:
        if index_b >= count_b or (index_a < count_a and starts_a[index_a] <= starts_b[index_b]):
            start, end = starts_a[index_a], ends_a[index_a]
            index_a += 1
        else:
            start, end = starts_b[index_b], ends_b[index_b]
            index_b += 1
        if ends and start <= ends[-1] + 1:
            if end > ends[-1]:
                ends[-1] = end
        else:
            starts.append(start)
            ends.append(end)
    return starts, ends


def ranges_of(positions: Iterable[int]) -> list[list[int]]:
    found = RangeSet()
    found.update(positions)
    return found.ranges()


def ranges_text(positions: Iterable[int]) -> str:
    """Positions as text for one cell: ``"41,45-47"``."""
    return ROW_SEPARATOR.join(
        str(start) if start == end else f"{start}-{end}" for start, end in ranges_of(positions)
    )


# --- digest and provenance ------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Provenance:
    """What a finished run was computed from, and its digest."""

    generated_from: list[list[int]]
    row_count: int
    digest: str


_SCALARS = (str, int, bool, type(None))
UNMERGED_POSITIONS_MAX = 100_000


@dataclass(slots=True)
class ContentHasher:
    """Hashes a report's content as its rows go by (see the module docstring)."""

    report: str
    parameters: dict[str, str]
    context: dict[str, Any]
    context_positions: Sequence[int] = ()
    _hash: Any = None
    _used: RangeSet = field(default_factory=RangeSet)
    _unmerged: list[int] = field(default_factory=list)
    _rows: int = 0

    def __post_init__(self) -> None:
        self._hash = hashlib.sha256(DIGEST_TAG)
        header = {"context": self.context, "parameters": self.parameters, "report": self.report}
        self._hash.update(canonical(header) + b"\n")
        self._used.update(self.context_positions)

    def row(self, row: ReportRow, columns: tuple[str, ...]) -> bytes:
        """The row's canonical bytes (``key`` included), hashed and counted."""
        values = {"key": row.key, **row.values}
        assert tuple(values) == columns, f"row {row.key} has columns {tuple(values)}"
        assert all(isinstance(value, _SCALARS) for value in values.values()), row.key
        line = canonical(values)
        self._hash.update(line + b"\n")
        # Rows come in report order, not log order: their positions are
        # merged in batches, not inserted one by one.
        self._unmerged.extend(row.positions)
        if len(self._unmerged) >= UNMERGED_POSITIONS_MAX:
            self._used.update(self._unmerged)
            self._unmerged = []
        self._rows += 1
        return line

    def finish(self) -> Provenance:
        self._used.update(self._unmerged)
        self._unmerged = []
        generated_from = self._used.ranges()
        self._hash.update(
            canonical({"generated_from": generated_from, "row_count": self._rows}) + b"\n"
        )
        return Provenance(generated_from, self._rows, self._hash.hexdigest())


# --- reading the log ----------------------------------------------------------------


class DatabaseLogSource:
    """Reads ``database``'s log through a fresh ``LogReader`` per read (a report
    may stream in another thread than the one that started it).

    With ``fast_paths`` (the default) a scoped read filters the topics in
    SQL, and the ledger reports take their lines from the balances
    projection when it has reached the report's position
    (``ledger_projection``); without, every report folds the whole log as
    read, which the tests and the benchmark compare against.
    """

    def __init__(
        self, database: Database, page_size: int = PAGE_SIZE_DEFAULT, *, fast_paths: bool = True
    ) -> None:
        self.database = database
        self.page_size = page_size
        self.fast_paths = fast_paths

    def head_position(self) -> int:
        with LogReader(self.database) as reader:
            return reader.head_position()

    def events(self, up_to: int, scope: ReportScope, after: int = 0) -> Iterator[LogEvent]:
        """Events in scope with ``after < position <= up_to``, in log order."""
        if up_to <= after:
            return
        if self.fast_paths and scope.topics is not None:
            # Only the topics in scope leave the database (projections/reports/scoped_log.py).
            with ScopedLogReader(self.database, scope.topics) as scoped:
                # The next page is fetched while this one is used.
                for page in scoped.pages_ahead(after, self.page_size, up_to):
                    yield from page
            return
        with LogReader(self.database) as reader:
            for page in reader.pages(after, self.page_size, up_to):
                for event in page:
                    if scope.admits(event.topic):
                        yield event

    def events_at(self, positions: Sequence[int]) -> list[LogEvent]:
        """The events at ``positions`` (ascending), one keyed read each."""
        found: list[LogEvent] = []
        with LogReader(self.database) as reader:
            for position in positions:
                page = reader.read_page(position - 1, 1, up_to=position)
                if page and page[0].position == position:
                    found.append(page[0])
        return found
