"""The statuses of an outgoing payment and the statuses each step starts from
(``TRANSITIONS``); the life between them is drawn in ``domain.payments.payment``."""

from __future__ import annotations

REQUESTED = "requested"
HELD = "held"
AWAITING_APPROVAL = "awaiting_approval"
FUNDS_RESERVED = "funds_reserved"
SUBMITTED = "submitted"
SETTLED = "settled"
FAILED = "failed"
RETURNED = "returned"
CANCELLED = "cancelled"
REJECTED = "rejected"
STATUSES = (
    REQUESTED,
    HELD,
    AWAITING_APPROVAL,
    FUNDS_RESERVED,
    SUBMITTED,
    SETTLED,
    FAILED,
    RETURNED,
    CANCELLED,
    REJECTED,
)

# Which statuses each step starts from.
TRANSITIONS: dict[str, tuple[str, ...]] = {
    "screen": (REQUESTED,),
    "decide": (HELD,),
    "amend": (HELD, AWAITING_APPROVAL),
    "approve": (AWAITING_APPROVAL,),
    "submit": (FUNDS_RESERVED,),
    "settle": (SUBMITTED,),
    "fail": (SUBMITTED,),
    "return": (SETTLED,),
    "cancel": (REQUESTED, HELD, AWAITING_APPROVAL, FUNDS_RESERVED),
}
