"""Report output: the JSON envelope and CSV, streamed, and the provenance summary.

JSON (one document, keys in this fixed order, rows one per line)::

    {"report":NAME,"parameters":P,"as_of_position":N,"context":C,"rows":[
    ROW,
    ROW
    ],"generated_from":[[first,last],...],"row_count":n,"digest":HEX}

Every part is canonical JSON (``framework.canonical``) and nothing depends on
the clock, so the same report at the same position is the same bytes. The
digest comes last because it is computed as the rows stream by.

CSV is pure data: a header of the report's ``columns`` and one line per row
in the same order (CRLF, null as empty); the provenance (position,
parameters, generated_from, digest) travels beside it: HTTP response
headers, or a ``.provenance.json`` sidecar from the CLI, or
``format=provenance``, which is the JSON envelope without its rows.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from projections.reports.framework import (
    DIGEST_VERSION,
    ContentHasher,
    LogSource,
    Provenance,
    Report,
    ReportRow,
    canonical,
)

CHUNK_ROWS = 500


@dataclass(frozen=True, slots=True)
class PreparedReport:
    """A report with checked parameters and a resolved position."""

    report: Report
    parameters: dict[str, str]
    as_of_position: int


class ReportOutput:
    """One computation of a prepared report; its rows can be consumed once.

    ``compute`` runs here, so a refusal surfaces before any byte is sent;
    streaming reports do their reading as the rows are consumed.
    ``provenance`` is set once the rows are exhausted.
    """

    def __init__(self, prepared: PreparedReport, source: LogSource) -> None:
        self.prepared = prepared
        report = prepared.report
        self.run = report.compute(source, prepared.as_of_position, prepared.parameters)
        self.hasher = ContentHasher(
            report.name, prepared.parameters, self.run.context, self.run.context_positions
        )
        self.provenance: Provenance | None = None

    def rows(self) -> Iterator[tuple[ReportRow, bytes]]:
        """Each row with its canonical bytes (once: the rows are consumed)."""
        assert self.provenance is None, "the rows were consumed already"
        columns = self.prepared.report.columns
        for row in self.run.rows:
            yield row, self.hasher.row(row, columns)
        self.provenance = self.hasher.finish()

    def finished(self) -> Provenance:
        """Consume what is left of the rows; the provenance."""
        if self.provenance is None:
            for _row in self.rows():
                pass
        assert self.provenance is not None
        return self.provenance

    def head(self) -> bytes:
        prepared = self.prepared
        return (
            b'{"report":'
            + canonical(prepared.report.name)
            + b',"parameters":'
            + canonical(prepared.parameters)
            + b',"as_of_position":'
            + canonical(prepared.as_of_position)
            + b',"context":'
            + canonical(self.run.context)
        )

    def json_chunks(self) -> Iterator[bytes]:
        buffer = [self.head() + b',"rows":[']
        separator = b"\n"
        for _row, line in self.rows():
            buffer.append(separator + line)
            separator = b",\n"
            if len(buffer) >= CHUNK_ROWS:
                yield b"".join(buffer)
                buffer = []
        provenance = self.provenance
        assert provenance is not None
        buffer.append(
            (b"\n]" if separator == b",\n" else b"]")
            + b',"generated_from":'
            + canonical(provenance.generated_from)
            + b',"row_count":'
            + canonical(provenance.row_count)
            + b',"digest":'
            + canonical(provenance.digest)
            + b"}\n"
        )
        yield b"".join(buffer)

    def csv_chunks(self) -> Iterator[bytes]:
        columns = self.prepared.report.columns
        text = io.StringIO()
        writer = csv.writer(text, lineterminator="\r\n")
        writer.writerow(columns)
        for count, (row, _line) in enumerate(self.rows(), start=1):
            writer.writerow(
                [csv_cell(row.key if name == "key" else row.values[name]) for name in columns]
            )
            if count % CHUNK_ROWS == 0:
                yield text.getvalue().encode()
                text.seek(0)
                text.truncate()
        yield text.getvalue().encode()

    def summary(self) -> dict[str, Any]:
        """The envelope without its rows (all rows consumed first)."""
        provenance = self.finished()
        return summary_of(self.prepared, self.run.context, provenance)


def summary_of(
    prepared: PreparedReport, context: dict[str, Any], provenance: Provenance
) -> dict[str, Any]:
    return {
        "report": prepared.report.name,
        "parameters": prepared.parameters,
        "as_of_position": prepared.as_of_position,
        "context": context,
        "generated_from": provenance.generated_from,
        "row_count": provenance.row_count,
        "digest": provenance.digest,
        "digest_version": DIGEST_VERSION,
    }


def csv_cell(value: Any) -> str:
    if value is None:
        return ""
    if value is True or value is False:
        return "true" if value else "false"
    return str(value)
