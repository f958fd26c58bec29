"""What the API needs of the composition root, as protocols.

The composition root (``backoffice.container``) sits above the API: it builds
the application, the projections and the area services once, and the CLI,
the demo and the served app all take them from it. The API may not import
it (layers point down), so it names what it uses here and is handed the
built system: ``create_app(settings, system=...)`` in tests and the CLI, or
``create_app(settings, build=...)`` from ``backoffice.serving`` in served
workers.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, Protocol

from adapters.database import Database
from adapters.settings import Settings
from domain.application import BackOffice
from domain.banking.service import BankReconciler
from domain.billing.policy import BillingPolicy
from domain.billing.service import Billing
from domain.inventory.service import Inventory
from domain.payments.policy import PaymentPolicy
from domain.payments.service import Payments
from domain.payroll.policy import PayrollPolicy
from domain.payroll.service import Payroll
from domain.receipts.service import Receipts
from domain.sanctions.port import ScreeningPort
from domain.sanctions.service import SanctionsScreening
from domain.settlements.service import Settlements
from domain.subjects.service import SubjectRegistry
from projections.ledger.runner import ProjectionService
from projections.reports.service import ReportService
from projections.sanctions.screening_log import ScreeningLog


class AreaServices(Protocol):
    """The area services, each built once by the composition root."""

    @property
    def subjects(self) -> SubjectRegistry: ...
    @property
    def sanctions(self) -> SanctionsScreening: ...
    @property
    def payments(self) -> Payments: ...
    @property
    def receipts(self) -> Receipts: ...
    @property
    def settlements(self) -> Settlements: ...
    @property
    def reconciliation(self) -> BankReconciler: ...
    @property
    def reports(self) -> ReportService: ...
    @property
    def screening_log(self) -> ScreeningLog: ...
    @property
    def inventory(self) -> Inventory: ...

    def payments_with(
        self, screening: ScreeningPort | None = None, policy: PaymentPolicy | None = None
    ) -> Payments: ...

    def receipts_with(
        self, screening: ScreeningPort | None = None, policy: PaymentPolicy | None = None
    ) -> Receipts: ...

    @property
    def payroll(self) -> Payroll: ...

    def payroll_with(
        self,
        screening: ScreeningPort | None = None,
        payment_policy: PaymentPolicy | None = None,
        policy: PayrollPolicy | None = None,
    ) -> Payroll: ...

    @property
    def billing(self) -> Billing: ...

    def billing_with(
        self,
        screening: ScreeningPort | None = None,
        payment_policy: PaymentPolicy | None = None,
        policy: BillingPolicy | None = None,
    ) -> Billing: ...


class BuiltSystem(Protocol):
    """The running back office as the composition root built it."""

    # Read-only properties: a protocol's plain attributes would be invariant.
    @property
    def database(self) -> Database: ...
    @property
    def app(self) -> BackOffice: ...
    @property
    def projections(self) -> ProjectionService: ...
    @property
    def settings(self) -> Settings: ...
    @property
    def tracked(self) -> Mapping[str, Any]: ...
    @property
    def services(self) -> AreaServices: ...

    def close(self) -> None: ...


BuildSystem = Callable[[Settings], BuiltSystem]
"""Builds the system for a served process (``backoffice.serving``)."""
