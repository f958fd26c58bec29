"""Refusals of settlements: obligations and settlement instructions."""

from __future__ import annotations

from domain.kernel.errors import DomainError, InvalidInput


class UnknownObligation(DomainError):
    code = "unknown_obligation"


class UnknownInstruction(DomainError):
    code = "unknown_settlement_instruction"


class ObligationAlreadyRecorded(DomainError):
    """The counterparty, direction and reference name an obligation already recorded."""

    code = "obligation_already_recorded"


class ObligationNotOpen(DomainError):
    """Only open obligations are cancelled or put into an instruction."""

    code = "obligation_not_open"


class ObligationMismatch(InvalidInput):
    """An obligation listed for an instruction belongs to another counterparty."""

    code = "obligation_counterparty_mismatch"


class MixedAssets(InvalidInput):
    """Netting is per asset: an instruction's obligations are all in its asset."""

    code = "settlement_mixed_assets"


class NothingToSettle(DomainError):
    """No open obligation of the counterparty in the asset is due by the value date."""

    code = "no_open_obligations"


class TooManyObligations(InvalidInput):
    code = "too_many_obligations"


class InstructionClosed(DomainError):
    """The instruction was settled or cancelled; nothing about it changes any more."""

    code = "instruction_closed"


class InstructionFailedState(DomainError):
    """The instruction failed: reschedule or cancel it first."""

    code = "instruction_failed"


class InstructionNotFailed(DomainError):
    """Only a failed instruction is rescheduled."""

    code = "instruction_not_failed"


class ConfirmationRequired(DomainError):
    """Settling needs the counterparty's matching confirmation first."""

    code = "confirmation_required"


class InstructionAlreadyConfirmed(DomainError):
    code = "instruction_already_confirmed"
