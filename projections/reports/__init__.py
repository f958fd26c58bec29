"""Compliance and financial reports, computed from the log as of a position.

A report is one module with a ``REPORTS`` tuple of objects satisfying
``framework.Report``; list the module in ``REPORT_MODULES`` and it is
served by the API (``/v1/reports``), the CLI (``backoffice report``) and
can be filed and explained. ``framework`` defines the canonical content
and digest; ``output`` renders JSON and CSV; ``service`` files and explains.
"""

from __future__ import annotations

import importlib
from functools import cache

from domain.reporting.errors import UnknownReport
from projections.reports.framework import Report

REPORT_MODULES = (
    "projections.reports.financial",
    "projections.reports.audit_extract",
    "projections.reports.screening_log",
    "projections.reports.large_cash",
    "projections.reports.structuring",
    "projections.reports.segregation",
    "projections.reports.inventory_reports",
    "projections.reports.billing_reports",
    "projections.reports.payroll_reports",
)
"""Modules with a ``REPORTS`` tuple; a new report is one more module here."""


@cache
def report_catalog() -> dict[str, Report]:
    """Every report by name, in the order of ``REPORT_MODULES``."""
    catalog: dict[str, Report] = {}
    for module_name in REPORT_MODULES:
        for report in importlib.import_module(module_name).REPORTS:
            assert report.name not in catalog, f"report {report.name} defined twice"
            assert report.columns[0] == "key", f"report {report.name}: key is the first column"
            catalog[report.name] = report
    return catalog


def get_report(name: str) -> Report:
    catalog = report_catalog()
    report = catalog.get(name)
    if report is None:
        raise UnknownReport(
            f"report {name[:64]!r} does not exist; known: {', '.join(catalog)}", field="name"
        )
    return report
