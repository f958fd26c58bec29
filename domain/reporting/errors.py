"""Refusals of reports and their filings."""

from __future__ import annotations

from domain.kernel.errors import DomainError


class UnknownReport(DomainError):
    code = "unknown_report"


class UnknownReportFiling(DomainError):
    code = "unknown_report_filing"


class UnknownReportRow(DomainError):
    code = "unknown_report_row"
