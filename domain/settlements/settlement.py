"""Settlements: obligations with a counterparty, netted per asset and settled on a value date.

An ``Obligation`` is money owed to us (receivable) or by us (payable) by one
counterparty, in one asset, sitting in one ledger account (the receivable or
payable account the invoice was booked to). A ``SettlementInstruction``
nets a set of open obligations of one counterparty in one asset for one
value date: gross receivable minus gross payable is the net cash that moves
(we receive, we pay, or nothing). The counterparty's confirmation is matched
against it; settling posts one balanced journal entry that clears every
obligation's account and moves the net cash, saved in the same commit as the
instruction's and the obligations' events.

Netting is exact, in integer minor units: ``gross_receivable_minor -
gross_payable_minor`` is the signed net, and every obligation is either open,
instructed, settled or cancelled, so the open and settled amounts add up to
what was recorded (less what was cancelled).

States::

    Obligation:  open -> instructed -> settled
                  |  ^------' (instruction cancelled)
                  '-> cancelled (open ones only, with a reason)

    Instruction: awaiting_confirmation <-> mismatched -> confirmed -> settled
                 (any of those) -> failed -> rescheduled (awaiting_confirmation)
                 (any but settled) -> cancelled (obligations return to open)
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate

from domain.kernel import limits
from domain.kernel.errors import InvalidInput
from domain.kernel.topics import pin_topics
from domain.ledger.journal import Posting

if TYPE_CHECKING:
    from domain.settlements.obligation import Obligation

OBLIGATION_DIRECTIONS = ("receivable", "payable")
NET_DIRECTIONS = ("we_receive", "we_pay", "zero")
COUNTERPARTY_LENGTH_MAX = 128
OBLIGATIONS_PER_INSTRUCTION_MAX = limits.POSTINGS_PER_ENTRY_MAX - 1
"""One posting per obligation plus the cash line must fit in one journal entry."""

# Obligation states.
OPEN, INSTRUCTED, SETTLED, CANCELLED = "open", "instructed", "settled", "cancelled"
# Instruction states (SETTLED and CANCELLED as above).
AWAITING, MISMATCHED, CONFIRMED, FAILED = (
    "awaiting_confirmation",
    "mismatched",
    "confirmed",
    "failed",
)
INSTRUCTION_CLOSED_STATES = frozenset({SETTLED, CANCELLED})

_OBLIGATION_NAMESPACE = uuid5(NAMESPACE_URL, "urn:backoffice:obligation")
_SETTLEMENT_ENTRY_PREFIX = "urn:backoffice:settlement:"


def obligation_id_for(counterparty: str, direction: str, reference: str) -> UUID:
    """An obligation is keyed by its counterparty, direction and reference (an
    invoice number): recording the same one twice collides instead of doubling it."""
    return uuid5(_OBLIGATION_NAMESPACE, f"{counterparty}\x00{direction}\x00{reference}")


def settlement_entry_key(instruction_id: UUID) -> str:
    """The idempotency key (so the id) of an instruction's settlement entry: one per instruction."""
    return f"{_SETTLEMENT_ENTRY_PREFIX}{instruction_id}"


def check_counterparty(value: object, field: str = "counterparty") -> str:
    return limits.bounded_text(value, field, COUNTERPARTY_LENGTH_MAX)


def check_obligation_direction(value: object, field: str = "direction") -> str:
    if value not in OBLIGATION_DIRECTIONS:
        raise InvalidInput(f"{field}: one of {', '.join(OBLIGATION_DIRECTIONS)}", field=field)
    assert isinstance(value, str)
    return value


def check_net_direction(value: object, field: str = "direction") -> str:
    if value not in NET_DIRECTIONS:
        raise InvalidInput(f"{field}: one of {', '.join(NET_DIRECTIONS)}", field=field)
    assert isinstance(value, str)
    return value


# --- netting (pure) -----------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Netting:
    """Gross amounts of a set of obligations in one asset, in minor units."""

    gross_receivable_minor: int
    gross_payable_minor: int

    @property
    def net_minor(self) -> int:
        """Signed: positive when we receive, negative when we pay."""
        return self.gross_receivable_minor - self.gross_payable_minor

    @property
    def net_amount_minor(self) -> int:
        return abs(self.net_minor)

    @property
    def net_direction(self) -> str:
        if self.net_minor > 0:
            return "we_receive"
        if self.net_minor < 0:
            return "we_pay"
        return "zero"


def net(obligations: Iterable[tuple[str, int]]) -> Netting:
    """Net (direction, amount_minor) pairs: receivables minus payables, exactly."""
    receivable = payable = 0
    for direction, amount_minor in obligations:
        assert isinstance(amount_minor, int) and amount_minor > 0
        if direction == "receivable":
            receivable += amount_minor
        else:
            assert direction == "payable"
            payable += amount_minor
    return Netting(receivable, payable)


def settlement_postings(
    obligations: Iterable[Obligation], cash_account: str, asset: str
) -> list[Posting]:
    """The lines of a settlement entry: each receivable's account credited, each
    payable's account debited, the net cash on the cash account. Balanced by
    construction (the cash line is the difference)."""
    postings = []
    receivable = payable = 0
    for obligation in obligations:
        assert obligation.asset == asset
        if obligation.direction == "receivable":
            receivable += obligation.amount_minor
            postings.append(Posting(obligation.account, "credit", obligation.amount_minor, asset))
        else:
            payable += obligation.amount_minor
            postings.append(Posting(obligation.account, "debit", obligation.amount_minor, asset))
    net_minor = receivable - payable
    if net_minor > 0:
        postings.append(Posting(cash_account, "debit", net_minor, asset))
    elif net_minor < 0:
        postings.append(Posting(cash_account, "credit", -net_minor, asset))
    return postings


def confirmation_differences(
    instruction: SettlementInstruction, amount_minor: int, direction: str, value_date: str
) -> list[str]:
    """The fields in which a counterparty's confirmation differs from the instruction."""
    differences = []
    if amount_minor != instruction.net_amount_minor:
        differences.append("amount")
    if direction != instruction.net_direction:
        differences.append("direction")
    if value_date != instruction.value_date:
        differences.append("value_date")
    return differences


# --- aggregates ---------------------------------------------------------------


class SettlementInstruction(Aggregate):
    """The net of a counterparty's obligations in one asset, for one value date."""

    class InstructionCreated(Aggregate.Created):
        """``net_amount_minor`` = |gross_receivable_minor - gross_payable_minor|,
        moved on ``cash_account`` in ``net_direction`` (we_receive|we_pay|zero)."""

        counterparty: str
        asset: str
        value_date: str
        obligation_ids: list[str]
        gross_receivable_minor: int
        gross_payable_minor: int
        net_amount_minor: int
        net_direction: str
        cash_account: str
        actor: str
        correlation_id: str

    class ConfirmationMatched(Aggregate.Event):
        """The counterparty confirmed the amount, direction and value date."""

        amount_minor: int
        direction: str
        value_date: str
        actor: str
        correlation_id: str

        def apply(self, aggregate: Any) -> None:
            aggregate.status = CONFIRMED
            aggregate.confirmation = {
                "amount_minor": self.amount_minor,
                "direction": self.direction,
                "value_date": self.value_date,
                "differences": [],
            }

    class ConfirmationMismatched(Aggregate.Event):
        """The counterparty confirmed something else; ``differences`` names the fields."""

        amount_minor: int
        direction: str
        value_date: str
        differences: list[str]
        actor: str
        correlation_id: str

        def apply(self, aggregate: Any) -> None:
            aggregate.status = MISMATCHED
            aggregate.confirmation = {
                "amount_minor": self.amount_minor,
                "direction": self.direction,
                "value_date": self.value_date,
                "differences": list(self.differences),
            }

    class InstructionSettled(Aggregate.Event):
        """Settled by journal entry ``entry_id`` (in the same commit)."""

        entry_id: str
        actor: str
        correlation_id: str

        def apply(self, aggregate: Any) -> None:
            aggregate.status = SETTLED
            aggregate.entry_id = self.entry_id

    class InstructionFailed(Aggregate.Event):
        reason: str
        actor: str
        correlation_id: str

        def apply(self, aggregate: Any) -> None:
            aggregate.status = FAILED
            aggregate.failures += 1
            aggregate.last_failure_reason = self.reason

    class InstructionRescheduled(Aggregate.Event):
        """A failed instruction moves to ``value_date``; it needs a new confirmation."""

        value_date: str
        actor: str
        correlation_id: str

        def apply(self, aggregate: Any) -> None:
            aggregate.status = AWAITING
            aggregate.value_date = self.value_date
            aggregate.confirmation = None

    class InstructionCancelled(Aggregate.Event):
        """Cancelled before settlement; its obligations are open again (same commit)."""

        reason: str
        actor: str
        correlation_id: str

        def apply(self, aggregate: Any) -> None:
            aggregate.status = CANCELLED
            aggregate.cancel_reason = self.reason

    def __init__(  # the InstructionCreated fields; only assigns
        self,
        counterparty: str,
        asset: str,
        value_date: str,
        obligation_ids: list[str],
        gross_receivable_minor: int,
        gross_payable_minor: int,
        net_amount_minor: int,
        net_direction: str,
        cash_account: str,
        actor: str,
        correlation_id: str,
    ) -> None:
        self.counterparty = counterparty
        self.asset = asset
        self.value_date = value_date
        self.obligation_ids = list(obligation_ids)
        self.gross_receivable_minor = gross_receivable_minor
        self.gross_payable_minor = gross_payable_minor
        self.net_amount_minor = net_amount_minor
        self.net_direction = net_direction
        self.cash_account = cash_account
        self.created_by = actor
        self.status = AWAITING
        self.confirmation: dict[str, Any] | None = None
        self.entry_id: str | None = None
        self.failures = 0
        self.last_failure_reason: str | None = None
        self.cancel_reason: str | None = None

    @classmethod
    def instructed(
        cls,
        *,
        id: UUID,
        counterparty: str,
        asset: str,
        value_date: str,
        obligation_ids: list[str],
        gross_receivable_minor: int,
        gross_payable_minor: int,
        net_amount_minor: int,
        net_direction: str,
        cash_account: str,
        actor: str,
        correlation_id: str,
    ) -> SettlementInstruction:
        """A new settlement instruction netting its obligations."""
        return cls._create(
            cls.InstructionCreated,
            id=id,
            counterparty=counterparty,
            asset=asset,
            value_date=value_date,
            obligation_ids=obligation_ids,
            gross_receivable_minor=gross_receivable_minor,
            gross_payable_minor=gross_payable_minor,
            net_amount_minor=net_amount_minor,
            net_direction=net_direction,
            cash_account=cash_account,
            actor=actor,
            correlation_id=correlation_id,
        )

    @property
    def closed(self) -> bool:
        return self.status in INSTRUCTION_CLOSED_STATES

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": str(self.id),
            "counterparty": self.counterparty,
            "asset": self.asset,
            "value_date": self.value_date,
            "obligation_ids": list(self.obligation_ids),
            "gross_receivable_minor": self.gross_receivable_minor,
            "gross_payable_minor": self.gross_payable_minor,
            "net_amount_minor": self.net_amount_minor,
            "net_direction": self.net_direction,
            "cash_account": self.cash_account,
            "status": self.status,
            "confirmation": None if self.confirmation is None else dict(self.confirmation),
            "entry_id": self.entry_id,
            "failures": self.failures,
            "last_failure_reason": self.last_failure_reason,
            "cancel_reason": self.cancel_reason,
            "created_by": self.created_by,
            "version": self.version,
        }

# The log knows these events under their first module name (see domain.kernel.topics).
pin_topics("domain.settlements", SettlementInstruction)
