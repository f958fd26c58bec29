"""Journal entries: balanced postings, two-phase entries, reversals.

Rules (DESIGN.md, ledger rules 1, 3 and 5) are checked by the pure functions
here before any event is created; the event-applying code only assigns.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from dataclasses import dataclass
from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid5

import orjson
from eventsourcing.domain import Aggregate

from domain.kernel import limits
from domain.kernel.errors import InvalidInput
from domain.kernel.money import AssetCatalog, check_asset_code, parse_amount
from domain.kernel.topics import pin_topics
from domain.ledger.accounts import Funds, check_account_code
from domain.ledger.errors import EntryMovesNothing, UnbalancedEntry

DIRECTIONS = ("debit", "credit")
_ENTRY_NAMESPACE = uuid5(NAMESPACE_URL, "urn:backoffice:journal-entry")
_REVERSAL_NAMESPACE = uuid5(NAMESPACE_URL, "urn:backoffice:reversal")


def entry_id_for_key(idempotency_key: str) -> UUID:
    """The entry id is derived from the idempotency key: the key is the id."""
    return uuid5(_ENTRY_NAMESPACE, idempotency_key)


def reversal_id_for(entry_id: UUID) -> UUID:
    """An entry has exactly one possible reversal id, so it can be reversed once."""
    return uuid5(_REVERSAL_NAMESPACE, str(entry_id))


@dataclass(frozen=True, slots=True)
class Posting:
    """One line: ``account`` code, ``direction`` (debit|credit), ``amount_minor`` > 0, ``asset``."""

    account: str
    direction: str
    amount_minor: int
    asset: str

    def as_row(self) -> list[Any]:
        return [self.account, self.direction, self.amount_minor, self.asset]

    def funds_delta(self, *, pending: bool, sign: int = 1) -> Funds:
        amount = self.amount_minor * sign
        debit = self.direction == "debit"
        if pending:
            return Funds(0, 0, amount if debit else 0, 0 if debit else amount)
        return Funds(amount if debit else 0, 0 if debit else amount, 0, 0)

    def reversed(self) -> Posting:
        other = "credit" if self.direction == "debit" else "debit"
        return Posting(self.account, other, self.amount_minor, self.asset)


def posting_from_row(row: list[Any]) -> Posting:
    return Posting(str(row[0]), str(row[1]), int(row[2]), str(row[3]))


def parse_postings(raw: object, catalog: AssetCatalog) -> list[Posting]:
    """Parse and check the posting lines of an entry; the errors name the line."""
    lines = limits.as_list(raw, "postings")
    if len(lines) < 2:
        raise UnbalancedEntry("postings: an entry has at least two postings", field="postings")
    if len(lines) > limits.POSTINGS_PER_ENTRY_MAX:
        raise InvalidInput(
            f"postings: at most {limits.POSTINGS_PER_ENTRY_MAX} postings per entry",
            field="postings",
        )
    postings = []
    for index, line in enumerate(lines):
        where = f"postings[{index}]"
        if not isinstance(line, dict):
            raise InvalidInput(f"{where}: expected an object", field=where)
        unknown = set(line) - {"account", "direction", "amount", "asset"}
        if unknown:
            raise InvalidInput(f"{where}: unknown fields {sorted(unknown)}", field=where)
        account = check_account_code(line.get("account"), f"{where}.account")
        direction = line.get("direction")
        if direction not in DIRECTIONS:
            raise InvalidInput(
                f"{where}.direction: expected 'debit' or 'credit', got {direction!r}",
                field=f"{where}.direction",
            )
        asset = check_asset_code(line.get("asset"), field=f"{where}.asset")
        scale = catalog.scale_of(asset, field=f"{where}.asset")
        amount = parse_amount(line.get("amount"), scale, field=f"{where}.amount")
        postings.append(Posting(account, str(direction), amount, asset))
    check_balanced(postings)
    check_moves_something(postings)
    return postings


def check_moves_something(postings: list[Posting]) -> None:
    """Some account moves: an entry whose every (account, asset) nets to zero (each
    account debited and credited the same amount) is refused. A balanced entry may
    still debit and credit one account in part, as long as something moves."""
    net: dict[tuple[str, str], int] = defaultdict(int)
    for posting in postings:
        signed = posting.amount_minor if posting.direction == "debit" else -posting.amount_minor
        net[(posting.account, posting.asset)] += signed
    if all(amount == 0 for amount in net.values()):
        accounts = ", ".join(f"{account} ({asset})" for account, asset in sorted(net))
        raise EntryMovesNothing(
            f"postings: the entry moves nothing: every account nets to zero ({accounts});"
            " an entry moves value between different accounts",
            field="postings",
        )


def check_balanced(postings: list[Posting]) -> None:
    """Debits equal credits per asset; each posting is positive."""
    net: dict[str, int] = defaultdict(int)
    for posting in postings:
        assert posting.amount_minor > 0
        net[posting.asset] += posting.amount_minor if posting.direction == "debit" else -posting.amount_minor
    unbalanced = {asset: amount for asset, amount in net.items() if amount != 0}
    if unbalanced:
        detail = ", ".join(
            f"{asset} debits exceed credits by {amount}" if amount > 0
            else f"{asset} credits exceed debits by {-amount}"
            for asset, amount in sorted(unbalanced.items())
        )
        raise UnbalancedEntry(
            f"postings: debits must equal credits per asset ({detail} minor units); "
            "cross-currency movements go through trading accounts",
            field="postings",
        )


def fingerprint(body: dict[str, Any]) -> str:
    """SHA-256 of the canonical body: the idempotency key's promise is about this."""
    return hashlib.sha256(orjson.dumps(body, option=orjson.OPT_SORT_KEYS)).hexdigest()


class JournalEntry(Aggregate):
    """A journal entry; ``status`` is posted, pending, voided; reversed once at most."""

    class EntryRecorded(Aggregate.Created):
        """Fields of a recorded entry. ``postings`` rows: [account, direction, amount_minor, asset]."""

        idempotency_key: str
        fingerprint: str
        effective_date: str
        description: str
        reference: str
        postings: list[list[Any]]
        metadata: dict[str, str]
        reverses: str | None
        actor: str
        correlation_id: str

    class JournalEntryPosted(EntryRecorded):
        """A final entry. Version 2 added ``reference`` and ``metadata``."""

        class_version = 2

        @staticmethod
        def upcast_v1_v2(state: dict[str, Any]) -> None:
            state["reference"] = ""
            state["metadata"] = {}

    class PendingEntryRecorded(EntryRecorded):
        """A two-phase entry: its amounts are reserved until posted or voided."""

        def apply(self, aggregate: Any) -> None:
            aggregate.status = "pending"

    class PendingEntryPosted(Aggregate.Event):
        actor: str
        correlation_id: str

        def apply(self, aggregate: Any) -> None:
            aggregate.status = "posted"

    class PendingEntryVoided(Aggregate.Event):
        reason: str
        actor: str
        correlation_id: str

        def apply(self, aggregate: Any) -> None:
            aggregate.status = "voided"

    class JournalEntryReversed(Aggregate.Event):
        """The entry was reversed by ``reversal_entry_id``."""

        reversal_entry_id: str
        reason: str
        actor: str
        correlation_id: str

        def apply(self, aggregate: Any) -> None:
            aggregate.reversed_by = self.reversal_entry_id

    def __init__(  # the EntryRecorded fields; only assigns
        self,
        idempotency_key: str,
        fingerprint: str,
        effective_date: str,
        description: str,
        reference: str,
        postings: list[list[Any]],
        metadata: dict[str, str],
        reverses: str | None,
        actor: str,
        correlation_id: str,
    ) -> None:
        self.idempotency_key = idempotency_key
        self.fingerprint = fingerprint
        self.effective_date = effective_date
        self.description = description
        self.reference = reference
        self.postings = postings
        self.metadata = metadata
        self.reverses = reverses
        self.actor = actor
        self.reversed_by: str | None = None
        self.status = "posted"

    @classmethod
    def pending(
        cls,
        *,
        id: UUID,
        idempotency_key: str,
        fingerprint: str,
        effective_date: str,
        description: str,
        reference: str,
        postings: list[list[Any]],
        metadata: dict[str, str],
        reverses: str | None,
        actor: str,
        correlation_id: str,
    ) -> JournalEntry:
        """A new two-phase (pending) entry."""
        return cls._create(
            cls.PendingEntryRecorded,
            id=id,
            idempotency_key=idempotency_key,
            fingerprint=fingerprint,
            effective_date=effective_date,
            description=description,
            reference=reference,
            postings=postings,
            metadata=metadata,
            reverses=reverses,
            actor=actor,
            correlation_id=correlation_id,
        )

    @classmethod
    def posted(
        cls,
        *,
        id: UUID,
        idempotency_key: str,
        fingerprint: str,
        effective_date: str,
        description: str,
        reference: str,
        postings: list[list[Any]],
        metadata: dict[str, str],
        reverses: str | None,
        actor: str,
        correlation_id: str,
    ) -> JournalEntry:
        """A new final (posted) entry; a reversal names the entry it ``reverses``."""
        return cls._create(
            cls.JournalEntryPosted,
            id=id,
            idempotency_key=idempotency_key,
            fingerprint=fingerprint,
            effective_date=effective_date,
            description=description,
            reference=reference,
            postings=postings,
            metadata=metadata,
            reverses=reverses,
            actor=actor,
            correlation_id=correlation_id,
        )

    @property
    def lines(self) -> list[Posting]:
        return [posting_from_row(row) for row in self.postings]

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": str(self.id),
            "status": self.status,
            "effective_date": self.effective_date,
            "description": self.description,
            "reference": self.reference,
            "postings": [list(row) for row in self.postings],
            "metadata": dict(self.metadata),
            "reverses": self.reverses,
            "reversed_by": self.reversed_by,
            "idempotency_key": self.idempotency_key,
            "recorded_by": self.actor,
        }

# The log knows these events under their first module name (see domain.kernel.topics).
pin_topics("domain.journal", JournalEntry)
