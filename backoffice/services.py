"""The area services of one system: what the API's routers and the CLI call.

``System.services`` holds them; each is built on first use (nothing is built
when the system is, and a process that never screens never opens the
screening log) and then shared: the services keep no per-request state.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TypeVar

from adapters.database import Database
from adapters.subject_keys import SubjectKeyStore
from backoffice.payment_settings import load_payment_policy
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
from domain.sanctions.pending import screening_with_pending
from domain.sanctions.port import ScreeningPort
from domain.sanctions.port_adapter import SanctionsScreeningPort
from domain.sanctions.service import SanctionsScreening
from domain.settlements.service import Settlements
from domain.subjects.service import SubjectRegistry
from projections.ledger.runner import ProjectionService
from projections.reports.service import ReportService
from projections.sanctions.screening_log import ScreeningLog

T = TypeVar("T")


class Services:
    """The services over ``app``, ``database`` and the balances ``projections``;
    ``tracked``: the system's live projections (the screening log is used from
    there); ``payment_policy_file``: the payment policy (None: the defaults)."""

    def __init__(
        self,
        app: BackOffice,
        database: Database,
        projections: ProjectionService,
        *,
        tracked: Mapping[str, object] | None = None,
        payment_policy_file: Path | str | None = None,
        read_database: Database | None = None,
    ) -> None:
        self.app = app
        self.database = database
        self.read_database = read_database
        """A hot standby that report runs read the log from (None: ``database``)."""
        self.projections = projections
        self.tracked = tracked or {}
        self.payment_policy_file = payment_policy_file
        self._built: dict[str, object] = {}
        self._lock = threading.RLock()

    def _once(self, name: str, build: Callable[[], T]) -> T:
        with self._lock:
            if name not in self._built:
                self._built[name] = build()
            found: T = self._built[name]  # type: ignore[assignment]
            return found

    @property
    def subjects(self) -> SubjectRegistry:
        return self._once(
            "subjects", lambda: SubjectRegistry(self.app, SubjectKeyStore(self.database))
        )

    @property
    def sanctions(self) -> SanctionsScreening:
        """Screening commands that re-screen pending payments and receipts on a new list."""
        return self._once("sanctions", lambda: screening_with_pending(self.app, self.subjects))

    @property
    def screening_port(self) -> ScreeningPort:
        """What payments and receipts screen their parties through."""
        return self._once(
            "screening_port", lambda: SanctionsScreeningPort(self.sanctions)
        )

    @property
    def payment_policy(self) -> PaymentPolicy:
        return self._once("payment_policy", lambda: load_payment_policy(self.payment_policy_file))

    @property
    def payments(self) -> Payments:
        return self._once("payments", lambda: self.payments_with())

    @property
    def receipts(self) -> Receipts:
        return self._once("receipts", lambda: self.receipts_with())

    def payments_with(
        self, screening: ScreeningPort | None = None, policy: PaymentPolicy | None = None
    ) -> Payments:
        """Payment commands screening through ``screening`` under ``policy`` (default: ours)."""
        return Payments(
            self.app,
            self.subjects,
            screening or self.screening_port,
            policy or self.payment_policy,
        )

    def receipts_with(
        self, screening: ScreeningPort | None = None, policy: PaymentPolicy | None = None
    ) -> Receipts:
        return Receipts(
            self.app,
            self.subjects,
            screening or self.screening_port,
            policy or self.payment_policy,
        )

    @property
    def payroll(self) -> Payroll:
        return self._once("payroll", lambda: self.payroll_with())

    def payroll_with(
        self,
        screening: ScreeningPort | None = None,
        payment_policy: PaymentPolicy | None = None,
        policy: PayrollPolicy | None = None,
    ) -> Payroll:
        """Payroll commands: net pay screened through ``screening`` (default: ours)."""
        return Payroll(
            self.app,
            self.subjects,
            screening or self.screening_port,
            policy,
            payment_policy or self.payment_policy,
        )

    @property
    def billing(self) -> Billing:
        return self._once("billing", lambda: self.billing_with())

    def billing_with(
        self,
        screening: ScreeningPort | None = None,
        payment_policy: PaymentPolicy | None = None,
        policy: BillingPolicy | None = None,
    ) -> Billing:
        """Billing commands; supplier bills are paid through ``payments_with(screening,
        payment_policy)``."""
        return Billing(
            self.app, self.subjects, self.payments_with(screening, payment_policy), policy
        )

    @property
    def settlements(self) -> Settlements:
        return self._once("settlements", lambda: Settlements(self.app))

    @property
    def reconciliation(self) -> BankReconciler:
        return self._once(
            "reconciliation",
            lambda: BankReconciler(self.app, self.projections, self.subjects),
        )

    @property
    def reports(self) -> ReportService:
        return self._once("reports", self._reports)

    def _reports(self) -> ReportService:
        from projections.reports.framework import DatabaseLogSource

        source = DatabaseLogSource(self.read_database) if self.read_database else None
        return ReportService(self.database, self.app, source)

    @property
    def inventory(self) -> Inventory:
        return self._once("inventory", lambda: Inventory(self.app))

    @property
    def screening_log(self) -> ScreeningLog:
        """The screening log. No projection worker folds it: every query catches up first."""
        live = self.tracked.get(ScreeningLog.name)
        if isinstance(live, ScreeningLog):
            return live  # the system's, closed with it
        return self._once(
            "screening_log", lambda: ScreeningLog(self.database, catch_up_on_query=True)
        )

    def close(self) -> None:
        """Close what was built here (the system closes its own projections)."""
        with self._lock:
            own_log = self._built.pop("screening_log", None)
        if isinstance(own_log, ScreeningLog):
            own_log.close()
