"""PDF documents: an account statement and any report, with their provenance.

Library: fpdf2. It is pure Python (no system libraries, no fonts to install,
nothing to compile), so it installs from the package index alone on every
machine and in CI; it is actively maintained (regular releases, a large test
suite, LGPL-3.0), has a table API that paginates long tables and repeats
their headings, and writes PDFs whose text pypdf extracts, which is how the
tests read them back. ReportLab would do the same with a larger API and a
C extension on some platforms; WeasyPrint needs Pango and friends.

The core PDF fonts cover Latin-1 only: characters outside it are printed as
``?`` (the JSON and CSV downloads carry the exact text). Every page has the
position the figures are as of, and a report's PDF its digest and the log
ranges it was generated from, so a printed copy can be checked against the
log.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from fpdf import FPDF
from fpdf.enums import XPos, YPos
from fpdf.fonts import FontFace

FONT = "Helvetica"
CELL_TEXT_MAX = 120


def latin1(value: Any) -> str:
    text = "" if value is None else str(value)
    if len(text) > CELL_TEXT_MAX:
        text = text[: CELL_TEXT_MAX - 1] + "~"
    return text.encode("latin-1", "replace").decode("latin-1")


class _Document(FPDF):
    def __init__(self, title: str, footer_text: str) -> None:
        super().__init__(orientation="landscape", unit="mm", format="A4")
        self.title_text = title
        self.footer_text = footer_text
        self.set_title(latin1(title))
        self.set_creator("backoffice console")
        self.set_auto_page_break(auto=True, margin=15)
        self.add_page()

    def footer(self) -> None:
        self.set_y(-12)
        self.set_font(FONT, size=7)
        self.cell(0, 5, latin1(f"{self.footer_text}  -  page {self.page_no()}"), align="C")

    def heading(self, text: str) -> None:
        self.set_font(FONT, style="B", size=14)
        self.cell(0, 8, latin1(text), new_x=XPos.LMARGIN, new_y=YPos.NEXT)

    def facts(self, pairs: Iterable[tuple[str, Any]]) -> None:
        self.set_font(FONT, size=8)
        for name, value in pairs:
            self.set_font(FONT, style="B", size=8)
            self.cell(45, 4.5, latin1(name))
            self.set_font(FONT, size=8)
            self.multi_cell(0, 4.5, latin1(value), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        self.ln(2)

    def grid(self, columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> None:
        self.set_font(FONT, size=7)
        with self.table(
            headings_style=FontFace(emphasis="BOLD", fill_color=(230, 234, 240)),
            line_height=4,
            text_align="LEFT",
        ) as table:
            heading = table.row()
            for column in columns:
                heading.cell(latin1(column))
            for values in rows:
                row = table.row()
                for value in values:
                    row.cell(latin1(value))

    def bytes(self) -> bytes:
        return bytes(self.output())


def statement_pdf(page: dict[str, Any], account_name: str, provenance: dict[str, Any]) -> bytes:
    """An account statement: the ledger page's postings with running balance."""
    document = _Document(
        f"Statement {page['account']} {page['asset']}",
        f"{page['account']} {page['asset']} as of log position {page['as_of_position']}",
    )
    document.heading(f"Account statement: {page['account']}")
    document.facts(
        [
            ("Account", f"{page['account']} ({account_name}), {page['account_type']}"),
            ("Asset", page["asset"]),
            ("Dated", f"{page['from'] or 'the beginning'} to {page['to'] or 'today'}"),
            ("As of log position", page["as_of_position"]),
            ("Opening balance", page["opening_balance"]),
            ("Closing balance", page["closing_balance"]),
            *provenance.items(),
        ]
    )
    columns = (
        "date",
        "position",
        "entry",
        "description",
        "reference",
        "counterparts",
        "debit",
        "credit",
        "balance",
    )
    rows = [
        (
            posting["effective_date"],
            posting["position"],
            posting["entry_id"][:8],
            posting["description"],
            posting["reference"],
            ", ".join(posting["counterparts"]),
            posting["amount"] if posting["direction"] == "debit" else "",
            posting["amount"] if posting["direction"] == "credit" else "",
            posting["running_balance"],
        )
        for posting in page["postings"]
    ]
    document.grid(columns, rows)
    return document.bytes()


def report_pdf(
    summary: dict[str, Any], title: str, columns: Sequence[str], rows: Iterable[Sequence[Any]]
) -> bytes:
    """A report's rows with its provenance: position, parameters, digest, ranges."""
    ranges = ", ".join(f"{first}-{last}" for first, last in summary["generated_from"][:40])
    if len(summary["generated_from"]) > 40:
        ranges += f" and {len(summary['generated_from']) - 40} more ranges"
    document = _Document(
        title,
        f"{summary['report']} as of log position {summary['as_of_position']}, "
        f"digest {summary['digest'][:16]}...",
    )
    document.heading(title)
    parameters = ", ".join(f"{k}={v}" for k, v in sorted(summary["parameters"].items()))
    document.facts(
        [
            ("Report", summary["report"]),
            ("Parameters", parameters or "(none)"),
            ("As of log position", summary["as_of_position"]),
            ("Rows", summary["row_count"]),
            ("Digest", f"{summary['digest']} (version {summary['digest_version']})"),
            ("Generated from", ranges or "(no events)"),
        ]
    )
    document.grid(columns, rows)
    return document.bytes()
