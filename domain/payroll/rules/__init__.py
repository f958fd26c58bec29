"""Registry of payroll rule sets: ``rule_set_for(jurisdiction, tax_year)``.

Why a registry: callers ask for "US 2026" and get one frozen, versioned rule
set, or a ``NoRuleSet`` refusal; no caller imports a year module directly, so
adding a year is one module plus one line here.
"""

from __future__ import annotations

from domain.payroll.errors import NoRuleSet
from domain.payroll.rules import id_2025, id_2026, us_federal_2025, us_federal_2026
from domain.payroll.rules.types import IndonesiaRuleSet, UsFederalRuleSet

RuleSet = UsFederalRuleSet | IndonesiaRuleSet

_US: dict[int, UsFederalRuleSet] = {
    2025: us_federal_2025.RULE_SET,
    2026: us_federal_2026.RULE_SET,
}
_ID: dict[int, IndonesiaRuleSet] = {
    2025: id_2025.RULE_SET,
    2026: id_2026.RULE_SET,
}


def us_federal_rule_set_for(tax_year: int) -> UsFederalRuleSet:
    rule_set = _US.get(tax_year)
    if rule_set is None:
        raise NoRuleSet(
            f"no US federal payroll rule set for tax year {tax_year}; known: {sorted(_US)}",
            field="tax_year",
        )
    return rule_set


def indonesia_rule_set_for(tax_year: int) -> IndonesiaRuleSet:
    rule_set = _ID.get(tax_year)
    if rule_set is None:
        raise NoRuleSet(
            f"no Indonesian payroll rule set for tax year {tax_year}; known: {sorted(_ID)}",
            field="tax_year",
        )
    return rule_set


def rule_set_for(jurisdiction: str, tax_year: int) -> RuleSet:
    """The rule set of ``jurisdiction`` ("US" or "ID") for ``tax_year``."""
    if jurisdiction == "US":
        return us_federal_rule_set_for(tax_year)
    if jurisdiction == "ID":
        return indonesia_rule_set_for(tax_year)
    raise NoRuleSet(
        f"no payroll rule sets for jurisdiction {jurisdiction!r}; known: 'US', 'ID'",
        field="jurisdiction",
    )
