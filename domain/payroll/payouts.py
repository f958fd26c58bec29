"""Net pay to each employee as payments of the payments area, staged in one commit.

Why not ``Payments.request`` per employee: that is one commit (and its
reads) per payment, three per employee with screening and approval; a
10,000-employee run would take minutes. The payments here are the payments
area's own ``Payment`` aggregates, built with its own rules (content
fingerprint, approvals required by its policy, the reservation entry of its
``reservation_key``), staged with the run's entry in one ``LedgerBatch`` and
saved in the run's commit, so they are then approved, submitted, settled,
failed or returned by ``Payments`` like any other:

- requested by whoever pays the run, to the employee's subject with the
  employee's sealed bank account (the same envelope: it was sealed under the
  subject's key as ``payee_account``), clearing through net pay payable;
- screened through the screening port before the commit (the sanctions
  module writes each case in its own commit, as for any payment); a payee
  not clear is held for compliance, and is approved afterwards through
  ``Payments`` once cleared;
- approved by the run's approvers (``PaymentApproved`` with the approver and
  the correlation id of their run approval), and when that is all the
  payments policy asks, reserved: pending Dr net pay payable, Cr the paying
  account, refused as a whole if the guarded paying account lacks the funds.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid5

from domain.kernel.context import Context
from domain.kernel.money import AssetCatalog, format_amount
from domain.ledger.batch import LedgerBatch
from domain.ledger.commands import PostJournalEntry
from domain.payments.payment import Payment
from domain.payments.policy import PaymentPolicy
from domain.payments.service import ACCOUNT_FIELD, ITEM_KIND
from domain.payments.terms import content_fingerprint, reservation_key
from domain.payroll.run import PayrollRun
from domain.sanctions.port import ScreeningResult

_PAYOUT_NAMESPACE = uuid5(NAMESPACE_URL, "urn:backoffice:payroll-payout")
SCALE = 2


def payout_id(run_id: UUID, employee_id: str) -> UUID:
    """The payment of an employee's net pay in a run (the same on every retry)."""
    return uuid5(_PAYOUT_NAMESPACE, f"{run_id}\x00{employee_id}")


@dataclass(frozen=True, slots=True)
class Payee:
    """What a payout needs of an employee: subject, sealed account and its digest."""

    subject_id: str
    sealed_account: dict[str, Any]
    account_scheme: str
    account_country: str
    blinded_account: str


def reservation_command(context: Context, payment: Payment) -> PostJournalEntry:
    """The pending entry the payments area reserves a payment's funds with."""
    amount = format_amount(payment.amount_minor, SCALE)
    return PostJournalEntry(
        context=context,
        idempotency_key=reservation_key(payment.id),
        effective_date=payment.value_date,
        postings=[
            {
                "account": payment.clearing_account,
                "direction": "debit",
                "amount": amount,
                "asset": payment.asset,
            },
            {
                "account": payment.paying_account,
                "direction": "credit",
                "amount": amount,
                "asset": payment.asset,
            },
        ],
        description=f"Payment {payment.id}",
        reference=f"payment:{payment.id}",
        pending=True,
        metadata={"payment_id": str(payment.id), "cash": "false"},
    )


def build_payouts(
    context: Context,
    run: PayrollRun,
    payees: dict[str, Payee],
    screened: dict[str, ScreeningResult],
    accounts: tuple[str, str],
    payment_policy: PaymentPolicy,
    catalog: AssetCatalog,
) -> tuple[list[Payment], list[tuple[Payment, PostJournalEntry]]]:
    """The payments of ``run``'s net pay (requested, screened, approved by the
    run's approvers) and the reservations due, each with its pending entry.
    ``accounts``: (paying account, net pay payable account)."""
    approvals = run.current_approvals()
    common = {"actor": context.actor, "correlation_id": context.correlation_id}
    payments: list[Payment] = []
    reservations: list[tuple[Payment, PostJournalEntry]] = []
    for slip in run.payslips:
        if slip["net_minor"] <= 0:
            continue
        employee_id = slip["employee_id"]
        payment = _requested(
            context,
            run,
            employee_id,
            payees[employee_id],
            slip["net_minor"],
            accounts,
            payment_policy,
            catalog,
        )
        outcome = screened[employee_id]
        payment.trigger_event(
            Payment.PaymentScreened, result=outcome.result, case_id=str(outcome.case_id), **common
        )
        if outcome.result == "clear":
            for approval in approvals:
                payment.trigger_event(
                    Payment.PaymentApproved,
                    content_fingerprint=payment.content_fingerprint,
                    actor=approval["approver"],
                    correlation_id=approval["correlation_id"],
                )
            if len(payment.current_approvers()) >= payment.approvals_required:
                reservations.append((payment, reservation_command(context, payment)))
        payments.append(payment)
    return payments, reservations


def reserve(
    context: Context, batch: LedgerBatch, reservations: list[tuple[Payment, PostJournalEntry]]
) -> None:
    """Stage each reservation entry in ``batch`` (preloaded) and record it on its payment."""
    for payment, command in reservations:
        staged = batch.stage_entry(command)
        assert isinstance(staged, UUID), staged
        payment.trigger_event(
            Payment.PaymentFundsReserved,
            entry_id=str(staged),
            amount_minor=payment.amount_minor,
            asset=payment.asset,
            paying_account=payment.paying_account,
            clearing_account=payment.clearing_account,
            actor=context.actor,
            correlation_id=context.correlation_id,
        )


def _requested(
    context: Context,
    run: PayrollRun,
    employee_id: str,
    payee: Payee,
    amount_minor: int,
    accounts: tuple[str, str],
    payment_policy: PaymentPolicy,
    catalog: AssetCatalog,
) -> Payment:
    paying, clearing = accounts
    payment_id = payout_id(run.id, employee_id)
    purpose = f"Net pay, payroll run {run.id}"
    content = {
        "payee_subject_id": payee.subject_id,
        "payee_account": payee.blinded_account,
        "method": "transfer",
        "amount_minor": amount_minor,
        "asset": run.asset,
        "value_date": run.pay_date,
        "purpose": purpose,
        "paying_account": paying,
        "clearing_account": clearing,
    }
    payment: Payment = Payment.requested(
        id=payment_id,
        payee_subject_id=payee.subject_id,
        payee_account=payee.sealed_account,
        account_scheme=payee.account_scheme,
        account_country=payee.account_country,
        amount_minor=amount_minor,
        asset=run.asset,
        value_date=run.pay_date,
        business_date=run.pay_date,
        purpose=purpose,
        method="transfer",
        cash=False,
        paying_account=paying,
        clearing_account=clearing,
        content_fingerprint=content_fingerprint(content),
        approvals_required=payment_policy.approvals_required(amount_minor, run.asset, catalog),
        actor=context.actor,
        correlation_id=context.correlation_id,
    )
    return payment


__all__ = ["ACCOUNT_FIELD", "ITEM_KIND", "Payee", "build_payouts", "payout_id", "reserve"]
