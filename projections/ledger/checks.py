"""Invariant checks over a balances fold: an independent look after any replay.

The domain refuses entries that would break these rules; these checks
confirm, from the log alone, that nothing got through. They return findings
and never raise (DESIGN.md: batch verification returns a list of findings).
"""

from __future__ import annotations

from collections import defaultdict

from projections.ledger.balances import BalanceState, Finding, overdrawn


def invariant_findings(state: BalanceState) -> list[Finding]:
    """Findings recorded while folding plus the checks of the end state."""
    findings = list(state.findings)
    if state.findings_count > len(state.findings):
        findings.append(
            Finding(
                "findings_truncated",
                None,
                f"{state.findings_count - len(state.findings)} more findings not kept",
            )
        )
    findings.extend(trial_balance_findings(state))
    findings.extend(overdraft_findings(state))
    findings.extend(pending_findings(state))
    return findings


def trial_balance_findings(state: BalanceState) -> list[Finding]:
    """Per asset, posted debits equal posted credits and pending debits equal pending credits."""
    posted: dict[str, int] = defaultdict(int)
    pending: dict[str, int] = defaultdict(int)
    for (_account, asset), totals in state.counters.items():
        posted[asset] += totals[0] - totals[1]
        pending[asset] += totals[2] - totals[3]
    findings = []
    for asset in sorted(posted):
        if posted[asset]:
            findings.append(
                Finding("trial_balance", None, f"{asset} posted debits - credits = {posted[asset]}")
            )
        if pending[asset]:
            findings.append(
                Finding(
                    "trial_balance_pending",
                    None,
                    f"{asset} pending debits - credits = {pending[asset]}",
                )
            )
    return findings


def overdraft_findings(state: BalanceState) -> list[Finding]:
    """No account flagged no_overdraft ends overdrawn (reservations included)."""
    findings = []
    for (account, asset), totals in sorted(state.counters.items()):
        info = state.accounts.get(account)
        if info is not None and info.guarded and overdrawn(totals, info.debit_normal):
            findings.append(
                Finding("no_overdraft", None, f"guarded account {account} overdrawn in {asset}")
            )
    return findings


def pending_findings(state: BalanceState) -> list[Finding]:
    """Pending counters equal the sum of the entries still pending, per account and asset."""
    expected: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0, 0])
    for entry in state.pending.values():
        for account, direction, amount, asset in entry.postings:
            expected[(account, asset)][0 if direction == "debit" else 1] += amount
    findings = []
    for key in sorted(set(expected) | set(state.counters)):
        totals = state.counters.get(key, [0, 0, 0, 0])
        if [totals[2], totals[3]] != expected.get(key, [0, 0]):
            findings.append(
                Finding(
                    "pending_matches_entries",
                    None,
                    f"{key[0]} {key[1]} pending counters {totals[2:]} but open entries "
                    f"reserve {expected.get(key, [0, 0])}",
                )
            )
    return findings
