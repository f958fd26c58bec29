"""The payment and receipt desks over the real sanctions module, for the tests of
sealed screening names and of re-screening when a new list version is loaded.

The lists are the made-up ones of tests/test_sanctions.py: version 1 lists
"KESTREL, Anatol" (a hit for the payee "Anatol Kestrel"); version 2 also
lists "WIDGEON, Marta".
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from uuid import UUID, uuid4

from adapters.subject_keys import SubjectKeyStore
from backoffice.container import System
from domain.kernel.context import Context
from domain.payments.service import Payments
from domain.receipts.service import Receipts
from domain.sanctions.matching import normalise
from domain.sanctions.pending import screening_with_pending
from domain.sanctions.port_adapter import SanctionsScreeningPort
from domain.sanctions.service import SanctionsScreening
from domain.subjects.service import SubjectRegistry
from tests.payments.support import POLICY, REQUESTER, VALUE_DATE, fund, open_chart, request_args
from tests.sanctions.test_sanctions import ALT, SDN, SDN_NEXT

LOADER = Context("list-loader@example.test", "corr-load")
LISTED_PAYEE = "Anatol Kestrel"  # "KESTREL, Anatol" on both versions: a hit
NEWLY_LISTED = "Marta Widgeon"  # "WIDGEON, Marta" on version 2 only


@dataclass
class RealDesks:
    system: System
    registry: SubjectRegistry
    screening: SanctionsScreening
    payments: Payments
    receipts: Receipts

    def load(self, version: int) -> Any:
        """Load list version 1 or 2 (re-screening what is pending)."""
        sdn = SDN if version == 1 else SDN_NEXT
        return self.screening.load_list(LOADER, sdn, ALT, source=f"test list {version}")

    def payment(self, payee: str, amount: str = "100.00") -> UUID:
        """A payment to ``payee`` (a new subject), requested and screened."""
        args = request_args(amount, name=payee)
        self.payments.request(REQUESTER, **args)
        self.payments.screen(REQUESTER, args["payment_id"])
        payment_id: UUID = args["payment_id"]
        return payment_id

    def receipt(self, payer: str) -> UUID:
        """A wire receipt from ``payer`` (a new subject), recorded and screened."""
        receipt_id = uuid4()
        self.receipts.record(
            REQUESTER,
            receipt_id=receipt_id,
            method="wire",
            amount="75.00",
            asset="USD",
            reference="INV-2026-0100",
            value_date=VALUE_DATE,
            payer={"name": payer},
        )
        self.receipts.screen(REQUESTER, receipt_id)
        return receipt_id


def real_desks(system: System, funds: str = "5000.00") -> RealDesks:
    """The test chart funded, list version 1 loaded, and the desks over the real
    sanctions module wired as the API and CLI wire it."""
    open_chart(system)
    fund(system, funds)
    registry = SubjectRegistry(system.app, SubjectKeyStore(system.database))
    screening = screening_with_pending(system.app, registry)
    port = SanctionsScreeningPort(screening)
    desks = RealDesks(
        system,
        registry,
        screening,
        Payments(system.app, registry, port, POLICY),
        Receipts(system.app, registry, port, POLICY),
    )
    desks.load(1)
    return desks


def raw_log(system: System) -> bytes:
    """Every event's stored bytes, as the event table holds them."""
    rows = system.app.recorder.select_notifications(start=1, limit=100_000)
    return b"".join(row.state for row in rows)


def clear_forms(name: str) -> list[bytes]:
    """The forms a name could leak in: as given, lowercased, and normalised."""
    return [form.encode() for form in {name, name.lower(), normalise(name)}]
