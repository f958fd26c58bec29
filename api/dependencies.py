"""Route dependencies: who the caller is and may do, and what the routes call.

Authorisation is one check (``authorized``): the bearer token verified, the
role looked up in ``api.auth.PERMISSIONS``, a denied attempt recorded in the
access log. A read route asks for a ``Principal`` (``authorize``), a write
route for a ``Write`` (``authorize_write``: the same check, then the
Idempotency-Key; see ``api.write``). Both dependencies are named
``authorize_<permission>``, and the routes take them through the aliases in
``api.permissions``.

The services come from the one container (``System.services``, built in
``backoffice.container``); no router builds one.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from functools import partial
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from starlette.concurrency import run_in_threadpool

from api.auth import PERMISSIONS, Principal, TokenCheckFailed
from api.ports import AreaServices
from api.problems import ApiProblem
from api.state import ApiState, api_state, record_access
from api.write import Write, write_for
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

bearer = HTTPBearer(auto_error=False, description="a token from `backoffice tokens create`")

WRITE_DEPENDENCIES: set[Callable[..., object]] = set()
"""Every ``authorize_write`` dependency: a route taking one is documented as a write."""
READ_DEPENDENCIES: set[Callable[..., object]] = set()
"""Every ``authorize`` dependency: a route taking one documents the read problems."""


async def authorized(request: Request, permission: str) -> Principal:
    """The caller, if its token is good (else 401) and its role may ``permission`` (else 403)."""
    # Async, so a token checked in the last moments costs no thread-pool hop;
    # anything that reads or writes the log runs in the pool.
    state = api_state(request)
    header = request.headers.get("authorization")
    try:
        principal = state.tokens.cached(header)
        if principal is None:
            principal = await run_in_threadpool(state.tokens.verify, header)
    except TokenCheckFailed as failure:
        await _record_denied(request, 401, failure.actor, "", failure.detail)
        raise ApiProblem(
            401,
            "unauthenticated",
            failure.detail,
            headers={"WWW-Authenticate": 'Bearer realm="backoffice"'},
        ) from None
    request.scope.setdefault("state", {})["actor"] = principal.actor
    roles = PERMISSIONS[permission]
    if principal.role not in roles:
        detail = f"role {principal.role} may not {permission}; allowed: {', '.join(roles)}"
        await _record_denied(request, 403, principal.actor, principal.role, detail)
        raise ApiProblem(403, "forbidden", detail)
    return principal


async def _record_denied(request: Request, status: int, actor: str, role: str, detail: str) -> None:
    record = partial(
        record_access,
        request,
        outcome="denied",
        status=status,
        actor=actor,
        role=role,
        detail=detail,
    )
    await run_in_threadpool(record)


def _named(permission: str) -> str:
    return f"authorize_{permission.replace(':', '_')}"


def authorize(permission: str) -> Callable[..., Awaitable[Principal]]:
    """A dependency admitting the roles ``PERMISSIONS[permission]`` lists: the caller."""
    PERMISSIONS[permission]  # an unknown permission fails at import, not per request

    async def dependency(
        request: Request, _credentials: HTTPAuthorizationCredentials | None = Depends(bearer)
    ) -> Principal:
        return await authorized(request, permission)

    dependency.__name__ = _named(permission)
    READ_DEPENDENCIES.add(dependency)
    return dependency


def authorize_write(permission: str) -> Callable[..., Awaitable[Write]]:
    """``authorize(permission)`` for a POST: the caller's ``Write`` (key checked, context made)."""
    PERMISSIONS[permission]

    async def dependency(
        request: Request, _credentials: HTTPAuthorizationCredentials | None = Depends(bearer)
    ) -> Write:
        return await write_for(request, await authorized(request, permission))

    dependency.__name__ = _named(permission)
    WRITE_DEPENDENCIES.add(dependency)
    return dependency


# --- what the routes call ------------------------------------------------------------
# Async getters: they only hand out what the container built, so they cost no
# thread-pool hop.


async def _state(request: Request) -> ApiState:
    return api_state(request)


async def _services(request: Request) -> AreaServices:
    return api_state(request).system.services


async def _back_office(request: Request) -> BackOffice:
    return api_state(request).system.app


async def _balances(request: Request) -> ProjectionService:
    return api_state(request).system.projections


StateDep = Annotated[ApiState, Depends(_state)]
ServicesDep = Annotated[AreaServices, Depends(_services)]
BackOfficeDep = Annotated[BackOffice, Depends(_back_office)]
"""The application: the ledger's commands and reads (assets, accounts, entries, periods, tokens)."""
BalancesDep = Annotated[ProjectionService, Depends(_balances)]


async def _subjects(services: ServicesDep) -> SubjectRegistry:
    return services.subjects


async def _sanctions(services: ServicesDep) -> SanctionsScreening:
    return services.sanctions


async def _screening_log(services: ServicesDep) -> ScreeningLog:
    return services.screening_log


async def _settlements(services: ServicesDep) -> Settlements:
    return services.settlements


async def _reconciliation(services: ServicesDep) -> BankReconciler:
    return services.reconciliation


async def _reports(services: ServicesDep) -> ReportService:
    return services.reports


async def _payments(request: Request, services: ServicesDep) -> Payments:
    screening, policy = _test_seams(request)
    if screening is None and policy is None:
        return services.payments
    return services.payments_with(screening, policy)


async def _receipts(request: Request, services: ServicesDep) -> Receipts:
    screening, policy = _test_seams(request)
    if screening is None and policy is None:
        return services.receipts
    return services.receipts_with(screening, policy)


async def _payroll(request: Request, services: ServicesDep) -> Payroll:
    screening, policy = _test_seams(request)
    run_policy = getattr(request.app.state, "payroll_policy", None)
    if screening is None and policy is None and run_policy is None:
        return services.payroll
    assert run_policy is None or isinstance(run_policy, PayrollPolicy)
    return services.payroll_with(screening, policy, run_policy)


async def _billing(request: Request, services: ServicesDep) -> Billing:
    screening, policy = _test_seams(request)
    billing_policy = getattr(request.app.state, "billing_policy", None)
    if screening is None and policy is None and billing_policy is None:
        return services.billing
    assert billing_policy is None or isinstance(billing_policy, BillingPolicy)
    return services.billing_with(screening, policy, billing_policy)


def _test_seams(request: Request) -> tuple[ScreeningPort | None, PaymentPolicy | None]:
    """A screening port and payment policy a test put on ``app.state`` (tests.payments.support)."""
    state = request.app.state
    return getattr(state, "screening_port", None), getattr(state, "payment_policy", None)


SubjectsDep = Annotated[SubjectRegistry, Depends(_subjects)]
SanctionsDep = Annotated[SanctionsScreening, Depends(_sanctions)]
ScreeningLogDep = Annotated[ScreeningLog, Depends(_screening_log)]
SettlementsDep = Annotated[Settlements, Depends(_settlements)]
ReconciliationDep = Annotated[BankReconciler, Depends(_reconciliation)]
ReportsDep = Annotated[ReportService, Depends(_reports)]
PaymentsDep = Annotated[Payments, Depends(_payments)]
ReceiptsDep = Annotated[Receipts, Depends(_receipts)]


async def _inventory(services: ServicesDep) -> Inventory:
    return services.inventory


InventoryDep = Annotated[Inventory, Depends(_inventory)]
PayrollDep = Annotated[Payroll, Depends(_payroll)]
BillingDep = Annotated[Billing, Depends(_billing)]
