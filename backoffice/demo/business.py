"""The demo's business year: payees and customers, payments, receipts, a settlement.

Driven month by month from ``backoffice.demo.ledger_year`` (before that month's books
are closed). Every command names deterministic ids (uuid5 of the demo key),
and each payment, receipt and settlement is driven from the state it is in
now to the end its plan says: re-running the demo on the same store finds
everything at its end and writes nothing.
"""

from __future__ import annotations

import contextlib
import random
from collections.abc import Callable
from datetime import date, timedelta
from functools import partial
from typing import TYPE_CHECKING
from uuid import NAMESPACE_URL, UUID, uuid5

from backoffice.demo import data
from backoffice.demo.bank import reconcile_month
from domain.application import BackOffice
from domain.banking.matching import ReconciliationReport
from domain.banking.service import BankReconciler
from domain.kernel.context import Context
from domain.kernel.money import format_amount
from domain.ledger.commands import PostJournalEntry
from domain.payments.errors import UnknownPayment
from domain.payments.payment import Payment
from domain.payments.policy import PaymentPolicy
from domain.payments.service import Payments
from domain.payments.statuses import (
    AWAITING_APPROVAL,
    FUNDS_RESERVED,
    HELD,
    REQUESTED,
    SETTLED,
    SUBMITTED,
)
from domain.receipts.errors import UnknownReceipt
from domain.receipts.receipt import HELD as RECEIPT_HELD
from domain.receipts.receipt import RECORDED
from domain.receipts.service import Receipts
from domain.sanctions.port_adapter import SanctionsScreeningPort
from domain.sanctions.service import SanctionsScreening
from domain.settlements.errors import UnknownInstruction
from domain.settlements.service import Settlements
from domain.settlements.settlement import AWAITING, CONFIRMED, MISMATCHED, obligation_id_for
from domain.subjects.errors import SubjectAlreadyErased, SubjectAlreadyRegistered
from domain.subjects.service import SubjectKeys, SubjectRegistry
from domain.subjects.subject import subject_id_for

if TYPE_CHECKING:
    from backoffice.demo.ledger_year import DemoCompany

_NAMESPACE = uuid5(NAMESPACE_URL, "urn:backoffice:demo")
STEPS_MAX = 8  # the longest payment life: screen, decide, approve x2, submit, settle, return


def _amount(amount_minor: int) -> str:
    return format_amount(amount_minor, 2)


class DemoBusiness:
    """Payments, receipts and a settlement over ``app``, for ``company`` (a DemoCompany:
    its key scheme, its journal-entry poster and its refusal counts)."""

    def __init__(self, company: DemoCompany, app: BackOffice, keys: SubjectKeys) -> None:
        self.company = company
        self.app = app
        self.year = company.year
        self.random = random.Random(f"{company.seed}-business")
        correlation = f"demo-{company.seed}"
        self.clerk = Context("demo:clerk", correlation)
        self.approvers = [Context(f"demo:approver-{n}", correlation) for n in (1, 2)]
        self.treasury = Context("demo:treasury", correlation)
        self.compliance = Context("demo:compliance", correlation)
        self.registry = SubjectRegistry(app, keys)
        self.screening = SanctionsScreening(app)
        port = SanctionsScreeningPort(self.screening)
        policy = PaymentPolicy(
            bank_account=data.BANK, cash_account=data.CASH, receivables_account=data.RECEIVABLES
        )
        self.payments = Payments(app, self.registry, port, policy)
        self.receipts = Receipts(app, self.registry, port, policy)
        self.settlements = Settlements(app)
        self.erasure: bool | None = None
        self.reconciliation: ReconciliationReport | None = None

    # --- ids ----------------------------------------------------------------

    def uuid(self, *parts: object) -> UUID:
        return uuid5(_NAMESPACE, self.company.key(*parts))

    def subject_id(self, slug: str) -> UUID:
        kind = data.PARTIES[slug][0]
        return subject_id_for(kind, self.company.key("subject", slug))

    def payment_id(self, key: str) -> UUID:
        return self.uuid("payment", key)

    def instruction_id(self) -> UUID:
        return self.uuid("settlement", data.SETTLEMENT_COUNTERPARTY)

    # --- the year -----------------------------------------------------------

    def open_year(self) -> None:
        """Register the parties and load the (fictional) sanctions list, once."""
        for slug, (kind, name) in data.PARTIES.items():
            # An earlier run registered it already: nothing to do.
            with contextlib.suppress(SubjectAlreadyRegistered):
                self.registry.register_subject(
                    self.clerk, kind, {"name": name}, self.company.key("subject", slug)
                )
        self.screening.load_list(
            self.compliance, data.SANCTIONS_SDN, data.SANCTIONS_ALT, data.SANCTIONS_SOURCE
        )

    def run_month(self, month: int) -> None:
        hosting = data.PaymentPlan(
            f"hosting-{month}",
            "nimbus-wren",
            self.random.randint(180_00, 420_00),
            month,
            data.HOSTING_DAY,
            f"Hosting, {self.year}-{month:02d}",
        )
        plans = [hosting, *(plan for plan in data.PAYMENTS if plan.month == month)]
        for plan in sorted(plans, key=lambda plan: plan.day):
            self.pay(plan)
        self.receive(month, "fennimore", self.random.randint(900_00, 2_400_00), 8)
        if month < 12:  # the card customer is erased at year end
            self.receive(month, "greaves", self.random.randint(40_00, 260_00), 19)
        if month % 3 == 0:
            cash = data.LARGE_CASH_MINOR if month == 12 else self.random.randint(300_00, 900_00)
            self.receive(month, "puddleby", cash, 24)
        if month == data.SETTLEMENT_MONTH:
            self.settle()

    # --- journal entries the business leans on ------------------------------

    def _book(
        self, key: str, day: date, description: str, debit: str, credit: str, amount: int
    ) -> None:
        command = PostJournalEntry(
            context=self.company.context,
            idempotency_key=self.company.key(key),
            effective_date=day.isoformat(),
            postings=[
                {"account": debit, "direction": "debit", "amount": _amount(amount), "asset": "USD"},
                {
                    "account": credit,
                    "direction": "credit",
                    "amount": _amount(amount),
                    "asset": "USD",
                },
            ],
            description=description,
            reference=key,
            metadata={"source": "demo"},
        )
        self.company.post([command])

    # --- payments -----------------------------------------------------------

    def pay(self, plan: data.PaymentPlan) -> None:
        """Take the payment from where it stands to the end its plan says."""
        payment_id = self.payment_id(plan.key)
        day = date(self.year, plan.month, plan.day)
        self._book(
            f"bill-{plan.key}", day, plan.purpose, data.SERVICES, data.PAYABLES, plan.amount_minor
        )
        try:
            self.payments.get(payment_id)
        except UnknownPayment:
            requested = self.company.attempt(
                partial(
                    self.payments.request,
                    self.clerk,
                    payment_id=payment_id,
                    amount=_amount(plan.amount_minor),
                    asset="USD",
                    value_date=day.isoformat(),
                    purpose=plan.purpose,
                    paying_account=data.BANK,
                    payee_subject_id=self.subject_id(plan.payee),
                    payee_account={
                        "iban": data.demo_iban(list(data.PARTIES).index(plan.payee) + 2)
                    },
                    clearing_account=data.PAYABLES,
                )
            )
            if not requested:
                return
        for _step in range(STEPS_MAX):
            step = self._next_step(self.payments.get(payment_id), plan, day)
            if step is None or not self.company.attempt(step):
                return  # at its end, or refused (counted with the refusals)
        raise AssertionError(f"payment {plan.key} did not reach its end in {STEPS_MAX} steps")

    def _next_step(
        self, payment: Payment, plan: data.PaymentPlan, day: date
    ) -> Callable[[], object] | None:
        payments, payment_id, status = self.payments, payment.id, payment.status
        if status == REQUESTED:
            return partial(payments.screen, self.clerk, payment_id)
        if status == HELD:
            clear = plan.outcome != "rejected"
            return partial(
                payments.decide_screening,
                self.compliance,
                payment_id,
                clear=clear,
                reason=plan.reason,
            )
        if status == AWAITING_APPROVAL:  # never the requester; two distinct when large
            approved = payment.current_approvers()
            approver = next(a for a in self.approvers if a.actor not in approved)
            return partial(payments.approve, approver, payment_id)
        if status == FUNDS_RESERVED and plan.outcome == "cancelled":
            return partial(payments.cancel, self.treasury, payment_id, plan.reason)
        if status == FUNDS_RESERVED:
            reference = f"XDMO-{self.year}-{plan.key}"
            return partial(payments.submit, self.treasury, payment_id, reference)
        if status == SUBMITTED and plan.outcome == "failed":
            return partial(payments.fail, self.treasury, payment_id, plan.reason)
        if status == SUBMITTED:
            return partial(payments.settle, self.treasury, payment_id)
        if status == SETTLED and plan.outcome == "returned":
            returned_on = (day + timedelta(days=6)).isoformat()
            return partial(
                payments.return_payment, self.treasury, payment_id, plan.reason, returned_on
            )
        return None

    # --- receipts -----------------------------------------------------------

    def receive(self, month: int, customer: str, amount_minor: int, day_of_month: int) -> None:
        """Invoice the customer, then record and screen their payment (posted when clear)."""
        method = data.RECEIPT_METHODS[customer]
        key = f"{customer}-{month}"
        day = date(self.year, month, day_of_month)
        reference = f"INV-{self.year}-{month:02d}-{customer.upper()}"
        invoiced = date(self.year, month, 2)
        self._book(
            f"invoice-{key}", invoiced, reference, data.RECEIVABLES, "Income:Sales", amount_minor
        )
        receipt_id = self.uuid("receipt", key)
        try:
            receipt = self.receipts.get(receipt_id)
        except UnknownReceipt:
            recorded = self.company.attempt(
                partial(
                    self.receipts.record,
                    self.clerk,
                    receipt_id=receipt_id,
                    method=method,
                    amount=_amount(amount_minor),
                    asset="USD",
                    reference=reference,
                    value_date=day.isoformat(),
                    payer_subject_id=self.subject_id(customer),
                )
            )
            if not recorded:
                return
            receipt = self.receipts.get(receipt_id)
        if receipt.status == RECORDED:
            self.company.attempt(partial(self.receipts.screen, self.clerk, receipt_id))
        assert self.receipts.get(receipt_id).status != RECEIPT_HELD, "demo customers screen clear"

    # --- the settlement -----------------------------------------------------

    def settle(self) -> None:
        """Book the invoices both ways, record them as obligations, net them into one
        instruction, match the counterparty's confirmation and settle."""
        desk, counterparty = self.settlements, data.SETTLEMENT_COUNTERPARTY
        month = data.SETTLEMENT_MONTH
        obligation_ids = []
        for obligation in data.OBLIGATIONS:
            due = date(self.year, month, obligation.due_day)
            receivable = obligation.direction == "receivable"
            debit, credit = (
                (data.RECEIVABLES, "Income:Sales") if receivable else (data.SERVICES, data.PAYABLES)
            )
            self._book(
                f"obligation-{obligation.reference}",
                date(self.year, month - 1, 20),
                f"{counterparty}: {obligation.reference}",
                debit,
                credit,
                obligation.amount_minor,
            )
            obligation_id = obligation_id_for(
                counterparty, obligation.direction, obligation.reference
            )
            if desk._find(obligation_id) is None:
                desk.record_obligation(
                    self.clerk,
                    counterparty=counterparty,
                    direction=obligation.direction,
                    amount=_amount(obligation.amount_minor),
                    asset="USD",
                    due_date=due.isoformat(),
                    reference=obligation.reference,
                    account=data.RECEIVABLES if receivable else data.PAYABLES,
                )
            obligation_ids.append(obligation_id)
        value_date = date(self.year, month, data.SETTLEMENT_DAY).isoformat()
        instruction_id = self.instruction_id()
        try:
            instruction = desk.get_instruction(instruction_id)
        except UnknownInstruction:
            desk.create_instruction(
                self.treasury,
                counterparty=counterparty,
                asset="USD",
                value_date=value_date,
                cash_account=data.BANK,
                obligation_ids=obligation_ids,
                instruction_id=instruction_id,
            )
            instruction = desk.get_instruction(instruction_id)
        if instruction.status in (AWAITING, MISMATCHED):
            desk.match_confirmation(
                self.treasury,
                instruction_id,
                amount=_amount(instruction.net_amount_minor),
                direction=instruction.net_direction,
                value_date=value_date,
            )
        if desk.get_instruction(instruction_id).status == CONFIRMED:
            desk.settle(self.treasury, instruction_id)

    # --- year end -----------------------------------------------------------

    def close_year(self) -> None:
        """Erase the customer who asked for it (balances must not move), then
        import and reconcile the month's bank statement."""
        self.erasure = self.erase(data.ERASED_PARTY)
        self.reconciliation = reconcile_month(
            BankReconciler(self.app),
            self.treasury,
            self.year,
            data.RECONCILED_MONTH,
            self.payment_id(data.IN_TRANSIT_PAYMENT),
        )

    def erase(self, slug: str) -> bool | None:
        """Erase a subject; True when the ledger's balances are the same after it as
        before, None when an earlier run erased it already."""
        before = self._ledger_funds()
        try:
            self.registry.erase(
                self.compliance, self.subject_id(slug), "The customer asked to be erased"
            )
        except SubjectAlreadyErased:
            return None
        return self._ledger_funds() == before

    def _ledger_funds(self) -> dict[tuple[str, str], tuple[int, int, int, int]]:
        found = {}
        for code, *_rest in data.CHART:
            for asset, funds in self.app.get_account(code).funds.items():
                found[(code, asset)] = (
                    funds.debits_posted,
                    funds.credits_posted,
                    funds.debits_pending,
                    funds.credits_pending,
                )
        return found
