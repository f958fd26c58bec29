"""Every payroll report, listed once in ``projections.reports.REPORT_MODULES``:
the register and liabilities (``payroll_register``), the US federal forms
(``payroll_us``) and the Indonesian ones (``payroll_id``)."""

from __future__ import annotations

from projections.reports import payroll_id, payroll_register, payroll_us

REPORTS = (*payroll_register.REPORTS, *payroll_us.REPORTS, *payroll_id.REPORTS)
