"""Random sequences of payment commands against the real back office and a small
model of the payment rules written from the brief, not from domain/.

Hypothesis requests payments (some to a sanctioned payee, some above the
two-approver threshold, some beyond the funds), approves them as the
requester, as a repeat approver or as a new one, amends, decides held ones
for compliance, submits, settles, fails, returns and cancels them in any
order, and pays more money in. After every step:

* the answer (accepted or the refusal's code) is the model's, and a refusal
  wrote nothing;
* every payment's status is the model's;
* the bank account (no_overdraft) holds the model's counters: reservations
  are the in-flight payments, posted credits the settled ones; it is never
  overdrawn;
* the balances projection's trial balance nets to zero per asset.

Runs derandomized (the seed comes from the test name): a failure reproduces.
"""

from __future__ import annotations

import tempfile
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from uuid import UUID

import pytest
from hypothesis import HealthCheck, Phase, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule

from backoffice.container import System, build_system
from domain.kernel.context import Context
from domain.kernel.errors import DomainError
from tests.conftest import drop_schema, postgres_base_url
from tests.payments.support import (
    COMPLIANCE,
    OPERATOR,
    REQUESTER,
    SANCTIONED,
    bank_funds,
    desks,
    event_count,
    fund,
    open_chart,
    request_args,
)

ACCEPTED = "accepted"
THRESHOLD_MINOR = 1000_00  # tests/payment_support.py POLICY: above it, two approvers
ACTORS = [
    REQUESTER,
    Context("a1@example.test", "c1"),
    Context("a2@example.test", "c2"),
    Context("a3@example.test", "c3"),
]
IN_FLIGHT = ("funds_reserved", "submitted")


@dataclass
class ModelPayment:
    amount_minor: int
    status: str
    authors: set[str] = field(default_factory=lambda: {REQUESTER.actor})
    approvers: set[str] = field(default_factory=set)

    @property
    def required(self) -> int:
        return 2 if self.amount_minor > THRESHOLD_MINOR else 1


@dataclass
class Model:
    funded_minor: int = 0
    payments: dict[int, ModelPayment] = field(default_factory=dict)

    def posted_out(self) -> int:
        return sum(
            p.amount_minor for p in self.payments.values() if p.status in ("settled", "returned")
        )

    def returned(self) -> int:
        return sum(p.amount_minor for p in self.payments.values() if p.status == "returned")

    def reserved(self) -> int:
        return sum(p.amount_minor for p in self.payments.values() if p.status in IN_FLIGHT)

    def available(self) -> int:
        return self.funded_minor + self.returned() - self.posted_out() - self.reserved()

    def request(self, amount_minor: int) -> str:
        return "insufficient_funds" if amount_minor > self.available() else ACCEPTED

    def approve(self, payment: ModelPayment, actor: str) -> str:
        if payment.status == "held":
            return "payment_held_for_compliance"
        if payment.status != "awaiting_approval":
            return "invalid_payment_transition"
        if actor in payment.authors:
            return "self_approval_refused"
        if actor in payment.approvers:
            return "duplicate_approver"
        if (
            len(payment.approvers) + 1 >= payment.required
            and payment.amount_minor > self.available()
        ):
            return "insufficient_funds"
        return ACCEPTED

    def amend(self, payment: ModelPayment, amount_minor: int) -> str:
        if payment.status not in ("held", "awaiting_approval"):
            return "invalid_payment_transition"
        if amount_minor > payment.amount_minor and amount_minor > self.available():
            return "insufficient_funds"
        if amount_minor == payment.amount_minor:
            return "invalid_input"
        return ACCEPTED


STEP_FROM = {
    "submit": ("funds_reserved",),
    "settle": ("submitted",),
    "fail": ("submitted",),
    "return": ("settled",),
    "cancel": ("requested", "held", "awaiting_approval", "funds_reserved"),
    "decide": ("held",),
}
STEP_TO = {
    "submit": "submitted",
    "settle": "settled",
    "fail": "failed",
    "return": "returned",
    "cancel": "cancelled",
}
NEXT_STEPS = {
    "funds_reserved": ("submit", "submit", "cancel"),
    "submitted": ("settle", "settle", "fail"),
    "settled": ("return",),
}
picks = st.integers(0, 10_000)
amounts = st.integers(1, 1500).map(lambda units: units * 100)


class PaymentMachine(RuleBasedStateMachine):
    new_store: Callable[[], tuple[str, Callable[[], None]]]

    def __init__(self) -> None:
        super().__init__()
        self.url, self.dispose = type(self).new_store()
        self.system: System = build_system(self.url)
        self.payments, _receipts, self.port = desks(self.system)
        self.model = Model()
        self.ids: dict[int, UUID] = {}

    def teardown(self) -> None:
        self.system.close()
        self.dispose()

    def check(self, expected: str, action: Callable[[], Any]) -> bool:
        before = event_count(self.system)
        try:
            action()
        except DomainError as refusal:
            outcome = refusal.code
            assert event_count(self.system) == before, f"refusal {outcome} wrote events"
        else:
            outcome = ACCEPTED
        assert outcome == expected, f"application: {outcome}, model: {expected}"
        return outcome == ACCEPTED

    def pick(self, pick: int, statuses: tuple[str, ...] = ()) -> tuple[int, ModelPayment] | None:
        """A payment: four times in five one in ``statuses`` (where the step is
        allowed) when there is one, else any."""
        handles = sorted(self.model.payments)
        fitting = [h for h in handles if self.model.payments[h].status in statuses]
        if fitting and pick % 5:
            handles = fitting
        if not handles:
            self.request((1 + pick % 900) * 100, 1)  # a step needing a payment makes one
            return None
        handle = handles[pick % len(handles)]
        return handle, self.model.payments[handle]

    @initialize(amount=st.integers(1000, 8000), requests=st.lists(amounts, min_size=2, max_size=4))
    def open_books(self, amount: int, requests: list[int]) -> None:
        open_chart(self.system)
        fund(self.system, f"{amount}.00")
        self.model.funded_minor += amount * 100
        for index, amount_minor in enumerate(requests):
            self.request(amount_minor, index)

    @rule(amount=st.integers(1, 3000))
    def pay_money_in(self, amount: int) -> None:
        fund(self.system, f"{amount}.00")
        self.model.funded_minor += amount * 100

    @rule(amount_minor=amounts, sanctioned=st.integers(0, 4))
    def request(self, amount_minor: int, sanctioned: int) -> None:
        args = request_args(
            f"{amount_minor // 100}.00", name=SANCTIONED if sanctioned == 0 else "Acme"
        )
        if self.check(
            self.model.request(amount_minor), lambda: self.payments.request(REQUESTER, **args)
        ):
            handle = len(self.ids)
            self.ids[handle] = args["payment_id"]
            self.model.payments[handle] = ModelPayment(amount_minor, "requested")
            self.payments.screen(REQUESTER, args["payment_id"])
            self.model.payments[handle].status = "held" if sanctioned == 0 else "awaiting_approval"

    @rule(pick=picks, actor=st.sampled_from(ACTORS))
    def approve(self, pick: int, actor: Context) -> None:
        found = self.pick(pick, ("awaiting_approval",))
        if found is None:
            return
        self.approve_one(found[0], actor)

    def approve_one(self, handle: int, actor: Context) -> None:
        payment = self.model.payments[handle]
        if self.check(
            self.model.approve(payment, actor.actor),
            lambda: self.payments.approve(actor, self.ids[handle]),
        ):
            payment.approvers.add(actor.actor)
            if len(payment.approvers) >= payment.required:
                payment.status = "funds_reserved"

    @rule(pick=picks, actor=st.sampled_from(ACTORS), amount_minor=amounts)
    def amend(self, pick: int, actor: Context, amount_minor: int) -> None:
        found = self.pick(pick, ("held", "awaiting_approval"))
        if found is None:
            return
        handle, payment = found
        expected = self.model.amend(payment, amount_minor)
        amount = f"{amount_minor // 100}.00"
        if self.check(
            expected, lambda: self.payments.amend(actor, self.ids[handle], amount=amount)
        ):
            payment.amount_minor = amount_minor
            payment.approvers.clear()
            payment.authors.add(actor.actor)

    @rule(pick=picks, clear=st.booleans())
    def decide_for_compliance(self, pick: int, clear: bool) -> None:
        found = self.pick(pick, STEP_FROM["decide"])
        if found is None:
            return
        handle, payment = found
        expected = (
            ACCEPTED if payment.status in STEP_FROM["decide"] else "invalid_payment_transition"
        )
        action = lambda: self.payments.decide_screening(  # noqa: E731
            COMPLIANCE, self.ids[handle], clear=clear, reason="reviewed"
        )
        if self.check(expected, action):
            payment.status = "awaiting_approval" if clear else "rejected"

    @rule(pick=picks, step=st.sampled_from(["submit", "settle", "fail", "return", "cancel"]))
    def operate(self, pick: int, step: str) -> None:
        found = self.pick(pick, STEP_FROM[step])
        if found is None:
            return
        self.operate_one(found[0], step)

    def operate_one(self, handle: int, step: str) -> None:
        payment = self.model.payments[handle]
        payment_id = self.ids[handle]
        actions: dict[str, Callable[[], Any]] = {
            "submit": lambda: self.payments.submit(OPERATOR, payment_id, "REF"),
            "settle": lambda: self.payments.settle(OPERATOR, payment_id),
            "fail": lambda: self.payments.fail(OPERATOR, payment_id, "bank said no"),
            "return": lambda: self.payments.return_payment(OPERATOR, payment_id, "returned"),
            "cancel": lambda: self.payments.cancel(REQUESTER, payment_id, "not needed"),
        }
        allowed = payment.status in STEP_FROM[step]
        if payment.status == "held" and step in ("submit", "settle"):
            expected = "payment_held_for_compliance"
        else:
            expected = ACCEPTED if allowed else "invalid_payment_transition"
        if self.check(expected, actions[step]):
            payment.status = STEP_TO[step]

    @rule(pick=picks)
    def advance_a_payment(self, pick: int) -> None:
        """The happy path's next step for some payment: lives run to their end."""
        movable = [
            handle
            for handle, payment in sorted(self.model.payments.items())
            if payment.status in ("awaiting_approval", *NEXT_STEPS)
        ]
        if not movable:
            return
        handle = movable[pick % len(movable)]
        payment = self.model.payments[handle]
        if payment.status == "awaiting_approval":
            others = [a for a in ACTORS if a.actor not in payment.authors | payment.approvers]
            if not others:
                # Every actor wrote or approved it already (a payment above the dual
                # threshold amended by one approver): no one may approve it now.
                return
            self.approve_one(handle, others[pick % len(others)])
        else:
            choices = NEXT_STEPS[payment.status]
            self.operate_one(handle, choices[(pick // 7) % len(choices)])

    @invariant()
    def statuses_are_the_models(self) -> None:
        for handle, payment in self.model.payments.items():
            assert self.payments.get(self.ids[handle]).status == payment.status, handle

    @invariant()
    def the_bank_holds_the_models_counters_and_is_never_overdrawn(self) -> None:
        debits, credits, debits_pending, credits_pending = bank_funds(self.system)
        assert debits == self.model.funded_minor + self.model.returned()
        assert credits == self.model.posted_out()
        assert (debits_pending, credits_pending) == (0, self.model.reserved())
        assert credits + credits_pending <= debits  # reservations + settled <= funds

    @invariant()
    def the_trial_balance_nets_to_zero_per_asset(self) -> None:
        trial = self.system.projections.trial_balance()
        assert trial.balanced, [total.as_dict() for total in trial.totals]
        assert trial.position == event_count(self.system)


def sqlite_stores() -> Callable[[], tuple[str, Callable[[], None]]]:
    def new_store() -> tuple[str, Callable[[], None]]:
        directory = tempfile.TemporaryDirectory(prefix="payment-machine-")
        return f"sqlite:///{Path(directory.name) / 'books.db'}", directory.cleanup

    return new_store


def postgres_stores(base: str) -> Callable[[], tuple[str, Callable[[], None]]]:
    def new_store() -> tuple[str, Callable[[], None]]:
        schema = f"payment_machine_{uuid.uuid4().hex[:12]}"
        separator = "&" if "?" in base else "?"
        return f"{base}{separator}schema={schema}", lambda: drop_schema(base, schema)

    return new_store


def run_machine(
    new_store: Callable[[], tuple[str, Callable[[], None]]], examples: int, steps: int
) -> None:
    from hypothesis.stateful import run_state_machine_as_test

    machine = type("PaymentMachineRun", (PaymentMachine,), {"new_store": staticmethod(new_store)})
    run_state_machine_as_test(
        machine,
        settings=settings(
            max_examples=examples,
            stateful_step_count=steps,
            deadline=None,
            derandomize=True,
            database=None,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
            phases=[Phase.explicit, Phase.generate],
        ),
    )


def test_payments_follow_their_model_over_random_command_sequences_on_sqlite() -> None:
    run_machine(sqlite_stores(), examples=40, steps=40)


@pytest.mark.postgres
def test_payments_follow_their_model_over_random_command_sequences_on_postgres(
    postgres_url: str,
) -> None:
    base = postgres_base_url()
    assert base is not None
    run_machine(postgres_stores(base), examples=10, steps=30)
