"""/v1/payroll: the calculator, employees, runs and their payslips.

Permissions (``api.auth.PERMISSIONS``):

- ``payroll:calculate`` (payroll, approver, auditor): ``POST
  /v1/payroll/calculations`` computes a payslip from explicit inputs and
  writes nothing, not even a request record, so it takes no Idempotency-Key
  (one sent is ignored): a reader's route, not a ``Write``;
- ``payroll:write`` (payroll, the preparers): hire, change pay or tax
  profile, terminate; open, calculate and cancel runs;
- ``payroll:approve`` (payroll, approver): four eyes is the domain's rule,
  not only the role's: whoever opened or calculated a run is refused (409
  ``payroll_self_approval_refused``), so one preparer approves another's run;
- ``payroll:pay`` (payroll): post the run's entry and request the net pay
  payments; whoever approved it is refused;
- ``payroll:read`` (payroll, approver, auditor).

Every other POST goes through the one write path (``api.write``). Personal
data never enters an answer or an idempotency record: an employee is its id,
HR reference and data subject id (``/v1/subjects/{id}`` for the roles that
may read subjects); the person and bank account of a hire are fingerprinted
as keyed digests under the new subject's key.
"""

from __future__ import annotations

from typing import Annotated, Any
from uuid import NAMESPACE_URL, UUID, uuid5

from fastapi import Body, Query
from starlette.responses import Response

from api.dependencies import PayrollDep
from api.permissions import (
    PayrollApprove,
    PayrollCalculator,
    PayrollPay,
    PayrollReader,
    PayrollWrite,
)
from api.problems import ApiProblem
from api.routing import area_router
from api.schemas.common import ReasonIn
from api.schemas.payroll import (
    CALCULATION_SCHEMA,
    ApproveRunIn,
    CalculationOut,
    EmployeeList,
    EmployeeOut,
    EmployeeWritten,
    HireIn,
    PayChangeIn,
    RunIn,
    RunList,
    RunOut,
    RunPayslipList,
    RunPayslipOut,
    RunStatus,
    RunWritten,
    TaxProfileChangeIn,
    TerminationIn,
)
from api.state import json_response
from api.write import Write
from domain.kernel.money import ISO_CURRENCY_SCALES, format_amount
from domain.payroll.calculator import calculate, parse_calculation_request, payslip_to_dict
from domain.payroll.employee import Employee
from domain.payroll.employee_commands import employee_id_for
from domain.payroll.run import APPROVED, CALCULATED, CANCELLED, OPENED, PAID, PayrollRun
from domain.subjects.parties import blinded_party

router = area_router("/v1/payroll", tags=["payroll"])

_RUN_NAMESPACE = uuid5(NAMESPACE_URL, "urn:backoffice:payroll-run-request")


def run_id_for(actor: str, request_key: str) -> UUID:
    """A run id derived from who asked and their idempotency key."""
    return uuid5(_RUN_NAMESPACE, f"{actor}\x00{request_key}")


def _amount(minor: int, asset: str) -> str:
    return format_amount(minor, ISO_CURRENCY_SCALES.get(asset, 2))


# --- the calculator -----------------------------------------------------------------


@router.post(
    "/calculations",
    response_model=CalculationOut,
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": CALCULATION_SCHEMA}},
        }
    },
)
def calculate_payslip(
    principal: PayrollCalculator,
    body: Annotated[Any, Body(include_in_schema=False)] = None,
) -> Response:
    """The payslip a run would produce from these inputs. Writes nothing (no
    Idempotency-Key needed; one sent is ignored). Bad input is a 422 naming the field."""
    if body is None:
        raise ApiProblem(
            422,
            "payroll_request_invalid",
            "body: a calculation request (a JSON object) is required",
            errors=[{"field": "body", "code": "missing", "message": "required"}],
        )
    return json_response(200, payslip_to_dict(calculate(parse_calculation_request(body))))


# --- employees ----------------------------------------------------------------------


def employee_view(employee: Employee) -> dict[str, Any]:
    """The employee as answered: ids and amounts, never personal data."""
    view = employee.as_dict()
    asset = "USD" if employee.jurisdiction == "US" else "IDR"
    for change in view["pay_changes"]:
        change["amount"] = _amount(change["amount_minor"], change.get("asset", asset))
    for deduction in view["deductions"]:
        deduction["amount"] = _amount(deduction["amount_minor"], deduction.get("asset", asset))
    return view


@router.post("/employees", status_code=201, response_model=EmployeeWritten)
def hire_employee(body: HireIn, write: PayrollWrite, payroll: PayrollDep) -> Response:
    """Hire: the person sealed as a data subject (kind ``employee``), the employee and
    the first pay in one commit. The answer names ids only."""
    employee_id = employee_id_for(body.reference)
    person = body.person.given()
    subject_id, blinded_person = blinded_party(
        payroll.registry,
        kind="employee",
        subject_id=None,
        inline={**person, "reference": body.reference},
        item_kind="employee",
        item_id=employee_id,
    )
    assert subject_id is not None
    fingerprinted = {
        **body.model_dump(mode="json", exclude={"person", "bank_account"}),
        "person": blinded_person,
        "bank_account": payroll.registry.blinded_fields(body.bank_account.given(), subject_id),
    }
    return write.run(
        lambda context: payroll.hire(
            context,
            reference=body.reference,
            person=person,
            bank_account=body.bank_account.given(),
            jurisdiction=body.jurisdiction,
            pay_group=body.pay_group,
            pay_frequency=body.pay_frequency,
            hire_date=body.hire_date,
            tax_profile=dict(body.tax_profile),
            pay=body.pay.given(),
        ),
        body=fingerprinted,
        answer={"id": str(employee_id), "status": "hired"},
        status=201,
    )


@router.get("/employees", response_model=EmployeeList)
def list_employees(
    principal: PayrollReader,
    payroll: PayrollDep,
    pay_group: Annotated[str | None, Query(min_length=1, max_length=64)] = None,
) -> Response:
    employees = [employee_view(employee) for employee in payroll.employees(pay_group)]
    return json_response(200, {"employees": employees})


@router.get("/employees/{employee_id}", response_model=EmployeeOut)
def get_employee(employee_id: UUID, principal: PayrollReader, payroll: PayrollDep) -> Response:
    return json_response(200, employee_view(payroll.employee(employee_id)))


@router.post("/employees/{employee_id}/pay-changes", response_model=EmployeeWritten)
def change_pay(
    employee_id: UUID, body: PayChangeIn, write: PayrollWrite, payroll: PayrollDep
) -> Response:
    """A new pay from ``effective_date``; a date in a period already paid is paid as
    arrears by the next run, traced to this change."""
    return write.run(
        lambda context: payroll.change_pay(
            context, employee_id, body.pay.given(), body.effective_date
        ),
        body=body,
        answer={"id": str(employee_id), "status": "pay_changed"},
    )


@router.post("/employees/{employee_id}/tax-profile-changes", response_model=EmployeeWritten)
def change_tax_profile(
    employee_id: UUID, body: TaxProfileChangeIn, write: PayrollWrite, payroll: PayrollDep
) -> Response:
    return write.run(
        lambda context: payroll.change_tax_profile(
            context, employee_id, dict(body.tax_profile), body.effective_date
        ),
        body=body,
        answer={"id": str(employee_id), "status": "tax_profile_changed"},
    )


@router.post("/employees/{employee_id}/termination", response_model=EmployeeWritten)
def terminate_employee(
    employee_id: UUID, body: TerminationIn, write: PayrollWrite, payroll: PayrollDep
) -> Response:
    """``termination_date`` is the last day employed: paid pro rata up to it."""
    return write.run(
        lambda context: payroll.terminate(context, employee_id, body.termination_date, body.reason),
        body=body,
        answer={"id": str(employee_id), "status": "terminated"},
    )


# --- runs ---------------------------------------------------------------------------


def run_view(run: PayrollRun) -> dict[str, Any]:
    view = run.as_dict()
    view["totals"] = {name: _amount(value, run.asset) for name, value in run.totals.items()}
    view["payment_ids"] = dict(run.payment_ids)
    return view


def payslip_view(run: PayrollRun, slip: dict[str, Any]) -> dict[str, Any]:
    asset = run.asset

    def line(item: dict[str, Any]) -> dict[str, Any]:
        out = {
            key: value for key, value in item.items() if key not in ("amount_minor", "base_minor")
        }
        out["amount"] = _amount(item["amount_minor"], asset)
        out["taxable_base"] = _amount(item.get("base_minor", 0), asset)
        return out

    return {
        "run_id": str(run.id),
        "employee_id": slip["employee_id"],
        "subject_id": slip["subject_id"],
        "asset": asset,
        "rule_set": slip["rule_set"],
        "gross": _amount(slip["gross_minor"], asset),
        "net": _amount(slip["net_minor"], asset),
        "withheld": _amount(slip["withheld_minor"], asset),
        "employer": _amount(slip["employer_minor"], asset),
        "year_to_date_before": {k: _amount(v, asset) for k, v in slip["ytd_before"].items()},
        "year_to_date_after": {k: _amount(v, asset) for k, v in slip["ytd_after"].items()},
        "lines": [line(item) for item in slip["lines"]],
    }


@router.post("/runs", status_code=201, response_model=RunWritten)
def open_run(body: RunIn, write: PayrollWrite, payroll: PayrollDep) -> Response:
    """Open a run (the caller is its preparer); its id derives from the caller and key."""
    run_id = run_id_for(write.principal.actor, write.key)
    earnings = None
    if body.earnings is not None:
        earnings = {
            employee: [item.model_dump() for item in items]
            for employee, items in body.earnings.items()
        }
    return write.run(
        lambda context: payroll.open_run(
            context,
            run_id=run_id,
            pay_group=body.pay_group,
            jurisdiction=body.jurisdiction,
            pay_frequency=body.pay_frequency,
            period_start=body.period_start,
            period_end=body.period_end,
            period_number=body.period_number,
            pay_date=body.pay_date,
            kind=body.kind,
            earnings=earnings,
        ),
        body=body,
        answer={"id": str(run_id), "status": OPENED},
        status=201,
    )


@router.get("/runs", response_model=RunList)
def list_runs(
    principal: PayrollReader,
    payroll: PayrollDep,
    status: Annotated[RunStatus | None, Query()] = None,
    pay_group: Annotated[str | None, Query(min_length=1, max_length=64)] = None,
) -> Response:
    runs = [
        run_view(run)
        for run in payroll.runs()
        if (status is None or run.status == status)
        and (pay_group is None or run.pay_group == pay_group)
    ]
    return json_response(200, {"runs": runs})


@router.get("/runs/{run_id}", response_model=RunOut)
def get_run(run_id: UUID, principal: PayrollReader, payroll: PayrollDep) -> Response:
    return json_response(200, run_view(payroll.run(run_id)))


@router.get("/runs/{run_id}/payslips", response_model=RunPayslipList)
def list_payslips(run_id: UUID, principal: PayrollReader, payroll: PayrollDep) -> Response:
    """The run's payslips with every line (amounts and ids only)."""
    run = payroll.run(run_id)
    return json_response(200, {"payslips": [payslip_view(run, slip) for slip in run.payslips]})


@router.get("/runs/{run_id}/payslips/{employee_id}", response_model=RunPayslipOut)
def get_payslip(
    run_id: UUID, employee_id: UUID, principal: PayrollReader, payroll: PayrollDep
) -> Response:
    run = payroll.run(run_id)
    for slip in run.payslips:
        if slip["employee_id"] == str(employee_id):
            return json_response(200, payslip_view(run, slip))
    raise ApiProblem(
        404,
        "payslip_not_found",
        f"payroll run {run_id} has no payslip for employee {employee_id}",
        errors=[{"field": "employee_id", "code": "not_found", "message": "no payslip"}],
    )


def _step(write: Write, run_id: UUID, body: Any, status: str, command: Any) -> Response:
    return write.run(
        command, body={} if body is None else body, answer={"id": str(run_id), "status": status}
    )


@router.post("/runs/{run_id}/calculate", response_model=RunWritten)
def calculate_run(run_id: UUID, write: PayrollWrite, payroll: PayrollDep) -> Response:
    """(Re)calculate the payslips: the same inputs write nothing new; other payslips
    void the approvals given before."""
    return _step(
        write, run_id, None, CALCULATED, lambda context: payroll.calculate(context, run_id)
    )


@router.post("/runs/{run_id}/approve", response_model=RunWritten)
def approve_run(
    run_id: UUID, write: PayrollApprove, payroll: PayrollDep, body: ApproveRunIn | None = None
) -> Response:
    """Approve the payslips as they are, by someone who neither opened nor calculated
    the run (409 ``payroll_self_approval_refused``); the last approval needed makes
    it ``approved``."""
    run = payroll.run(run_id)
    last = len(run.current_approvals()) + 1 >= run.approvals_required
    fingerprint = None if body is None else body.fingerprint
    return _step(
        write,
        run_id,
        body,
        APPROVED if last else CALCULATED,
        lambda context: payroll.approve(context, run_id, fingerprint),
    )


@router.post("/runs/{run_id}/pay", response_model=RunWritten)
def pay_run(run_id: UUID, write: PayrollPay, payroll: PayrollDep) -> Response:
    """Post the run's entry and request each employee's net pay as a payment, in one
    commit (the payees screened first); not by an approver of the run."""
    return _step(write, run_id, None, PAID, lambda context: payroll.pay(context, run_id))


@router.post("/runs/{run_id}/cancel", response_model=RunWritten)
def cancel_run(run_id: UUID, body: ReasonIn, write: PayrollWrite, payroll: PayrollDep) -> Response:
    """Cancel a run before payment, by an event (a paid run is corrected off-cycle)."""
    return _step(
        write, run_id, body, CANCELLED, lambda context: payroll.cancel(context, run_id, body.reason)
    )


__all__ = ["router", "run_id_for"]
