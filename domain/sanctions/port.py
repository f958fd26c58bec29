"""What payments and receipts need from sanctions screening: a small port.

The payment and receipt commands depend on this Protocol only, so they are
tested with an in-memory fake and run with the real sanctions module through
an adapter (``domain.sanctions.port_adapter``).

- ``screen`` screens an item's party name and returns the result (clear |
  review | hit) and the screening case id; it may write the case to the log
  (the real module does, in its own commit).
- ``decision`` says what compliance decided on the item's latest case:
  ``cleared`` (the item may proceed: a clear re-screening counts too),
  ``rejected``, or None while it is still pending.
- ``clear`` and ``reject`` record compliance's decision on a case.

The party of a payment or receipt is a data subject: a port that records
what it screens (the sanctions module) must not record the name in the
clear, so it also offers ``screen_subject`` (``SubjectScreeningPort``),
which takes the subject's id and key and seals the name under them.
``screen_party`` is what payments and receipts call: ``screen_subject``
when the port has it, else ``screen`` (a port that records nothing, such
as the tests' in-memory fake, needs no subject).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol, runtime_checkable
from uuid import UUID

from domain.kernel.context import Context

RESULTS = ("clear", "review", "hit")
CLEARED = "cleared"
REJECTED = "rejected"


@dataclass(frozen=True, slots=True)
class ScreeningResult:
    """``result``: clear | review | hit; ``case_id``: the screening case recorded."""

    result: str
    case_id: UUID

    @property
    def held(self) -> bool:
        return self.result != "clear"


class ScreeningPort(Protocol):
    def screen(
        self, context: Context, item_kind: str, item_id: str, party_name: str
    ) -> ScreeningResult: ...

    def decision(self, item_kind: str, item_id: str) -> str | None: ...

    def clear(self, context: Context, case_id: UUID, reason: str) -> object: ...

    def reject(self, context: Context, case_id: UUID, reason: str) -> object: ...


@runtime_checkable
class SubjectScreeningPort(Protocol):
    """A port that records screenings: it seals a data subject's name under the
    subject's key (``subject_key``) instead of keeping it in the clear."""

    def screen_subject(
        self,
        context: Context,
        item_kind: str,
        item_id: str,
        party_name: str,
        subject_id: UUID,
        subject_key: bytes,
    ) -> ScreeningResult: ...


def screen_party(
    port: ScreeningPort,
    context: Context,
    item_kind: str,
    item_id: str,
    party_name: str,
    *,
    subject_id: UUID,
    subject_key: bytes,
) -> ScreeningResult:
    """Screen a data subject's name through ``port``, sealed where the port records it."""
    if isinstance(port, SubjectScreeningPort):
        return port.screen_subject(context, item_kind, item_id, party_name, subject_id, subject_key)
    return port.screen(context, item_kind, item_id, party_name)
