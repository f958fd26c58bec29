"""Paying a run, and remitting a tax or contribution liability.

``pay``: the run's entry (``domain.payroll.entry``) posted and each employee's
net pay as a payment (``domain.payroll.payouts``), saved with
``PayrollRunPaid`` in one commit. Screening runs first, one case per payment
(the sanctions module commits each, as it does for any payment), then one
attempt loads, stages and saves everything; a refusal (a closed period, an
account missing from the chart, the paying account short of funds) writes
nothing but the screening cases, which a retry reuses.

``remit``: a payment through ``Payments`` to the authority, clearing the
line code's liability account (Dr liability, Cr bank when it settles); it is
screened, approved and settled like every payment.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from eventsourcing.domain import Aggregate

from domain.kernel.context import Context
from domain.kernel.unit_of_work import save_retrying
from domain.ledger.batch import LedgerBatch
from domain.ledger.commands import PostJournalEntry
from domain.ledger.steps import usable_account
from domain.payments.service import Payments
from domain.payroll.employee import Employee
from domain.payroll.entry import accounts_used, run_postings
from domain.payroll.errors import PayrollRunStale, PayrollSelfApprovalRefused
from domain.payroll.history import paid_runs, ytd_basis
from domain.payroll.payouts import (
    ACCOUNT_FIELD,
    ITEM_KIND,
    Payee,
    build_payouts,
    payout_id,
    reserve,
)
from domain.payroll.run import PayrollRun
from domain.payroll.run_commands import RunCommands, check_step
from domain.sanctions.port import ScreeningResult, screen_party
from domain.subjects.errors import SubjectAlreadyErased
from domain.subjects.sealing import blind, open_envelope
from domain.subjects.subject import DataSubject


def run_entry_key(run_id: UUID) -> str:
    """The idempotency key (hence the id) of a run's journal entry."""
    return f"payroll-run:{run_id}:entry"


class PayCommands(RunCommands):
    """Paying runs and remitting liabilities (mixed into ``Payroll``)."""

    def pay(self, context: Context, run_id: UUID) -> int:
        """Post the approved run and pay every employee's net pay; see the module."""
        context.checked()
        run = self.run(run_id)
        self._check_payable(context, run)
        payees, screened = self._screen_payees(context, run)

        def attempt() -> list[Aggregate]:
            current = self.run(run_id)
            self._check_payable(context, current)
            catalog = self.app.catalog()
            for field, account in accounts_used(current.totals, self.policy):
                usable_account(self.app, account, current.asset, field)
            entry = PostJournalEntry(
                context=context, idempotency_key=run_entry_key(current.id),
                effective_date=current.pay_date,
                postings=run_postings(current.totals, current.asset, self.policy),
                description=f"Payroll run {current.id} ({current.pay_group},"
                            f" {current.period_start}..{current.period_end})",
                reference=f"payroll_run:{current.id}",
                metadata={"payroll_run_id": str(current.id)})
            payments, reservations = build_payouts(
                context, current, payees, screened,
                (self.policy.paying_account, self.policy.net_pay_payable_account),
                self.payment_policy, catalog)
            batch = LedgerBatch(self.app)
            batch.preload([entry, *(command for _payment, command in reservations)])
            entry_id = batch.stage_entry(entry)
            reserve(context, batch, reservations)
            current.trigger_event(
                PayrollRun.PayrollRunPaid, entry_id=str(entry_id),
                payment_ids={slip["employee_id"]: str(payout_id(current.id, slip["employee_id"]))
                             for slip in current.payslips if slip["net_minor"] > 0},
                actor=context.actor, correlation_id=context.correlation_id)
            return [*batch.aggregates(), *payments, current]

        return save_retrying(self.app, attempt)

    def _check_payable(self, context: Context, run: PayrollRun) -> None:
        check_step(run, "pay")
        if context.actor in [item["approver"] for item in run.current_approvals()]:
            raise PayrollSelfApprovalRefused(
                f"payroll run {run.id} was approved by {context.actor}: someone else requests"
                " its payments (the approvals are recorded on them)", field="run_id")
        current = ytd_basis(paid_runs(self.runs(), run.jurisdiction, exclude=run.id),
                            run.tax_year)
        if current != run.ytd_basis:
            raise PayrollRunStale(
                f"payroll run {run.id}: another run of {run.tax_year} was paid since it was"
                " calculated; calculate and approve it again", field="run_id")

    def _screen_payees(self, context: Context, run: PayrollRun
                       ) -> tuple[dict[str, Payee], dict[str, ScreeningResult]]:
        """Open each payee's name and account under their key (one key query) and
        screen them; returns employee id -> payee and -> screening result."""
        ids = [UUID(slip["employee_id"]) for slip in run.payslips if slip["net_minor"] > 0]
        employees = self.app.current_aggregates(ids)
        subject_ids = [UUID(employee.subject_id) for employee in employees.values()
                       if isinstance(employee, Employee)]
        keys = self.registry.keys.keys_of(subject_ids)
        subjects = self.app.current_aggregates(subject_ids)
        payees: dict[str, Payee] = {}
        screened: dict[str, ScreeningResult] = {}
        for employee_id in ids:
            employee = employees[employee_id]
            assert isinstance(employee, Employee)
            subject_id = UUID(employee.subject_id)
            subject, key = subjects.get(subject_id), keys.get(subject_id)
            if not isinstance(subject, DataSubject) or subject.erased or key is None:
                raise SubjectAlreadyErased(
                    f"employee {employee_id}: subject {subject_id} was erased; nobody to pay",
                    field="run_id")
            account_text = open_envelope(key, subject_id, ACCOUNT_FIELD, employee.bank_account)
            payees[str(employee_id)] = Payee(
                employee.subject_id, employee.bank_account, employee.account_scheme,
                employee.account_country, blind(key, ACCOUNT_FIELD, account_text))
            name = open_envelope(key, subject_id, "name", subject.sealed["name"])
            screened[str(employee_id)] = screen_party(
                self.screening, context, ITEM_KIND, str(payout_id(run.id, str(employee_id))),
                name, subject_id=subject_id, subject_key=key)
        return payees, screened

    def remit(self, context: Context, *, payment_id: UUID, line_code: str, amount: str,
              asset: str, value_date: str, payee_account: dict[str, Any],
              authority_subject_id: UUID | None = None,
              authority: dict[str, Any] | None = None) -> int:
        """Request the payment of ``amount`` of ``line_code``'s liability to the
        authority; screening, approval and settlement follow through ``Payments``."""
        payments = Payments(self.app, self.registry, self.screening, self.payment_policy)
        return payments.request(
            context, payment_id=payment_id, amount=amount, asset=asset, value_date=value_date,
            purpose=f"Remittance of {line_code}"[:140],
            paying_account=self.policy.paying_account, payee_subject_id=authority_subject_id,
            payee=authority, payee_account=payee_account,
            clearing_account=self.policy.liability_account(line_code))

