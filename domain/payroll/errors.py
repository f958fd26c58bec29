"""Payroll refusals: stable codes, no HTTP status (the API maps codes once).

Input errors are ``InvalidInput`` subclasses whose ``field`` names the
offending part of the request (``earnings[0].amount``), so a client can point
at it without parsing the message.
"""

from __future__ import annotations

from domain.kernel.errors import DomainError, InvalidInput


class NoRuleSet(DomainError):
    """No rule set is published here for the jurisdiction and tax year asked for."""

    code = "payroll_rule_set_missing"


class InvalidPayrollRequest(InvalidInput):
    """A calculation request that is malformed; ``field`` names the part."""

    code = "payroll_request_invalid"


class UnknownEarningCode(InvalidInput):
    """An earning code outside regular, overtime, allowance, bonus."""

    code = "payroll_earning_code_unknown"


class UnknownFilingStatus(InvalidInput):
    """A W-4 filing status or marital status this calculator does not know."""

    code = "payroll_filing_status_unknown"


class UnknownPayFrequency(InvalidInput):
    code = "payroll_pay_frequency_unknown"


class UnknownPtkpStatus(InvalidInput):
    """A PTKP status outside TK/0..TK/3 and K/0..K/3."""

    code = "payroll_ptkp_status_unknown"


class InvalidPayrollAmount(InvalidInput):
    """An amount that is negative, has too many decimals, or is not a decimal string."""

    code = "payroll_amount_invalid"


# --- employees and runs -----------------------------------------------------


class UnknownEmployee(DomainError):
    code = "unknown_employee"


class EmployeeAlreadyHired(DomainError):
    """The employee id (from the reference) is taken: one hire per reference."""

    code = "employee_already_hired"


class EmployeeTerminated(DomainError):
    """The employee has left: no change is recorded after the termination."""

    code = "employee_terminated"


class UnknownDeduction(DomainError):
    """No active enrolment of that deduction code to end."""

    code = "payroll_deduction_unknown"


class UnknownPayrollRun(DomainError):
    code = "unknown_payroll_run"


class PayrollRunAlreadyOpened(DomainError):
    code = "payroll_run_already_opened"


class InvalidPayrollRunTransition(DomainError):
    """The run's status does not allow this step (recalculate a paid run,
    pay one not approved, cancel one paid ...)."""

    code = "invalid_payroll_run_transition"


class PayrollSelfApprovalRefused(DomainError):
    """Four eyes: whoever opened or calculated a run does not approve it, and
    whoever approved it does not pay it (the payments record the approvals)."""

    code = "payroll_self_approval_refused"


class PayrollDuplicateApproval(DomainError):
    code = "payroll_duplicate_approver"


class PayrollRunChanged(DomainError):
    """The approver saw other payslips (fingerprint) than the run has now."""

    code = "payroll_run_changed"


class PayrollRunStale(DomainError):
    """Another run of the tax year was paid since this one was calculated: its
    year-to-date figures are out of date; recalculate (and approve) again."""

    code = "payroll_run_stale"


class NegativeNetPay(InvalidInput):
    """Deductions larger than the pay left after tax: the payslip is refused."""

    code = "payroll_net_pay_negative"


class EmptyPayrollRun(DomainError):
    """No employee of the pay group is paid in the period."""

    code = "payroll_run_empty"
