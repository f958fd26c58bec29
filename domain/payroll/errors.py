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
