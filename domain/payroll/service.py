"""Payroll commands over the one ``BackOffice`` application.

``Payroll(app, registry, screening, policy, payment_policy)``: ``registry``
seals the employees' personal data (``SubjectRegistry``), ``screening`` is
the sanctions port the net pay payments are screened through, ``policy`` the
payroll accounts and run approval thresholds (``PayrollPolicy``),
``payment_policy`` the payments area's (approvals per payment).

The commands are the employees' (``domain.payroll.employee_commands``), the
runs' (``domain.payroll.run_commands``) and paying and remitting
(``domain.payroll.pay_commands``).
"""

from __future__ import annotations

from domain.application import BackOffice
from domain.payments.policy import PaymentPolicy
from domain.payroll.employee_commands import EmployeeCommands
from domain.payroll.pay_commands import PayCommands
from domain.payroll.policy import PayrollPolicy
from domain.sanctions.port import ScreeningPort
from domain.subjects.service import SubjectRegistry


class Payroll(EmployeeCommands, PayCommands):
    """The payroll commands over ``app``."""

    def __init__(self, app: BackOffice, registry: SubjectRegistry, screening: ScreeningPort,
                 policy: PayrollPolicy | None = None,
                 payment_policy: PaymentPolicy | None = None) -> None:
        self.app = app
        self.registry = registry
        self.screening = screening
        self.policy = (policy or PayrollPolicy()).checked(app.catalog())
        self.payment_policy = payment_policy or PaymentPolicy()
