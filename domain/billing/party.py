"""Billing parties: the customers we invoice and the suppliers who bill us.

A party is a data subject first (``domain.subjects``): its name, tax id,
address and any other personal or company detail live sealed on the
subject, under the subject's key, never in the clear here; erasing the
subject erases them. What billing itself decides on is kept on the party:
its roles, payment terms (net days), currency and tax status.

The party id is derived from the subject id (``party_id_for``), so one
subject is one party, and a receipt or payment names its party through its
payer or payee subject.
"""

from __future__ import annotations

from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate

from domain.kernel.topics import pin_topics

CUSTOMER = "customer"
SUPPLIER = "supplier"
ROLES = (CUSTOMER, SUPPLIER)
TAX_STATUSES = ("registered", "unregistered", "exempt")
"""Registered for VAT/PPN (a PKP in Indonesia), not registered, or exempt."""
PAYMENT_TERMS_DAYS_MAX = 365
_PARTY_NAMESPACE = uuid5(NAMESPACE_URL, "urn:backoffice:billing-party")


def party_id_for(subject_id: UUID) -> UUID:
    return uuid5(_PARTY_NAMESPACE, str(subject_id))


class Party(Aggregate):
    """A customer, a supplier, or both."""

    class PartyOpened(Aggregate.Created):
        """``subject_id`` (the sealed details), ``roles``, ``payment_terms_days``,
        ``currency`` (the default of its documents) and ``tax_status``."""

        class_version = 1
        subject_id: str
        roles: list[str]
        payment_terms_days: int
        currency: str
        tax_status: str
        actor: str
        correlation_id: str

    class PaymentTermsChanged(Aggregate.Event):
        """Documents issued from now on fall due ``payment_terms_days`` after issue."""

        class_version = 1
        payment_terms_days: int
        actor: str
        correlation_id: str

        def apply(self, aggregate: Any) -> None:
            aggregate.payment_terms_days = self.payment_terms_days

    class PartyCurrencyChanged(Aggregate.Event):
        class_version = 1
        currency: str
        actor: str
        correlation_id: str

        def apply(self, aggregate: Any) -> None:
            aggregate.currency = self.currency

    class TaxStatusChanged(Aggregate.Event):
        class_version = 1
        tax_status: str
        actor: str
        correlation_id: str

        def apply(self, aggregate: Any) -> None:
            aggregate.tax_status = self.tax_status

    class PartyRoleAdded(Aggregate.Event):
        """A customer who now also supplies us (or the other way round)."""

        class_version = 1
        role: str
        actor: str
        correlation_id: str

        def apply(self, aggregate: Any) -> None:
            aggregate.roles = sorted({*aggregate.roles, self.role})

    def __init__(  # the PartyOpened fields; only assigns
        self,
        subject_id: str,
        roles: list[str],
        payment_terms_days: int,
        currency: str,
        tax_status: str,
        actor: str,
        correlation_id: str,
    ) -> None:
        self.subject_id = subject_id
        self.roles = roles
        self.payment_terms_days = payment_terms_days
        self.currency = currency
        self.tax_status = tax_status
        self.opened_by = actor

    @classmethod
    def opened(
        cls,
        *,
        id: UUID,
        subject_id: str,
        roles: list[str],
        payment_terms_days: int,
        currency: str,
        tax_status: str,
        actor: str,
        correlation_id: str,
    ) -> Party:
        """A newly opened billing party."""
        return cls._create(
            cls.PartyOpened,
            id=id,
            subject_id=subject_id,
            roles=roles,
            payment_terms_days=payment_terms_days,
            currency=currency,
            tax_status=tax_status,
            actor=actor,
            correlation_id=correlation_id,
        )

    def as_dict(self) -> dict[str, Any]:
        """The party without personal data (the details are on the subject)."""
        return {
            "id": str(self.id),
            "subject_id": self.subject_id,
            "roles": list(self.roles),
            "payment_terms_days": self.payment_terms_days,
            "currency": self.currency,
            "tax_status": self.tax_status,
            "opened_by": self.opened_by,
            "version": self.version,
        }


pin_topics("domain.billing.party", Party)
