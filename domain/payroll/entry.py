"""The journal entry of a paid run, as postings, and the run's totals.

Posting rules (one entry per run, in the run's asset, effective on the pay date):

- Dr salary expense: the gross of every payslip (earnings, arrears included);
- Dr employer tax expense: every employer contribution line;
- Cr net pay payable: the net pay of every payslip (the payments to the
  employees then debit it, crediting the bank, when they settle);
- Cr one liability per line code of every employee tax, employee deduction
  and employer contribution (``policy.liability_account(code)``): the sum of
  that code's lines. A code whose lines sum to a negative amount (an
  Indonesian December that returns over-withheld PPh 21 to everyone) is a
  debit of its liability; a code summing to zero posts nothing.

Debits equal credits because net = gross - employee lines, so gross +
employer = net + employee lines + employer lines.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from domain.kernel.money import format_amount
from domain.payroll.payslip import EMPLOYER_CONTRIBUTION, WITHHELD_KINDS
from domain.payroll.policy import PayrollPolicy

SCALE = 2


def run_totals(payslips: Sequence[dict[str, Any]]) -> dict[str, int]:
    """Gross, net, employer cost, withheld, and each liability line code's sum."""
    totals = {"gross": 0, "net": 0, "employer": 0, "withheld": 0}
    for slip in payslips:
        totals["gross"] += slip["gross_minor"]
        totals["net"] += slip["net_minor"]
        totals["employer"] += slip["employer_minor"]
        totals["withheld"] += slip["withheld_minor"]
        for line in slip["lines"]:
            if line["kind"] in WITHHELD_KINDS or line["kind"] == EMPLOYER_CONTRIBUTION:
                key = f"line:{line['code']}"
                totals[key] = totals.get(key, 0) + line["amount_minor"]
    return totals


def run_postings(totals: dict[str, int], asset: str, policy: PayrollPolicy
                 ) -> list[dict[str, str]]:
    """The entry's postings (decimal strings) from ``run_totals``."""
    postings: list[dict[str, str]] = []

    def post(account: str, signed_debit_minor: int) -> None:
        if signed_debit_minor == 0:
            return
        postings.append({
            "account": account,
            "direction": "debit" if signed_debit_minor > 0 else "credit",
            "amount": format_amount(abs(signed_debit_minor), SCALE), "asset": asset,
        })

    post(policy.salary_expense_account, totals["gross"])
    post(policy.employer_tax_expense_account, totals["employer"])
    post(policy.net_pay_payable_account, -totals["net"])
    for key in sorted(totals):
        if key.startswith("line:"):
            post(policy.liability_account(key.removeprefix("line:")), -totals[key])
    return postings


def accounts_used(totals: dict[str, int], policy: PayrollPolicy) -> list[tuple[str, str]]:
    """(field, account) of every account the entry may touch, for checking."""
    used = [("salary_expense_account", policy.salary_expense_account),
            ("employer_tax_expense_account", policy.employer_tax_expense_account),
            ("net_pay_payable_account", policy.net_pay_payable_account),
            ("paying_account", policy.paying_account)]
    for key in sorted(totals):
        if key.startswith("line:") and totals[key]:
            code = key.removeprefix("line:")
            used.append((f"liability_accounts.{code}", policy.liability_account(code)))
    return used
