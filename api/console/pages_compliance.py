"""Console: the compliance queue: held payments and open sanctions cases, cleared
or rejected with a reason by the compliance role.

The decisions call the services the API calls: a case is decided by
``SanctionsScreening.clear``/``reject`` (``POST /v1/sanctions/cases/{id}/clear``
and ``/reject``); a held payment by ``Payments.decide_screening``, which
decides its screening case and lets the payment follow. The four-eyes and
once-only rules are theirs, so the console cannot bypass them; a refusal is
shown as a page with the API's status and message.
"""

from __future__ import annotations

from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Depends, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import RedirectResponse, Response

from api.console.session import ConsoleUser, check_csrf, require
from api.console.web import ConsoleRoute, audited_read, form_fields, render
from api.console.writes import console_write, new_key, run
from api.problems import ApiProblem
from api.state import ApiState, api_state
from domain.kernel import limits

router = APIRouter(prefix="/console", route_class=ConsoleRoute, include_in_schema=False)

QueueUser = Annotated[ConsoleUser, Depends(require("sanctions:read"))]
DecideUser = Annotated[ConsoleUser, Depends(require("sanctions:decide"))]
PaymentDecideUser = Annotated[ConsoleUser, Depends(require("sanctions:decide"))]
CASES_SHOWN_MAX = 200
DECISIONS = {"clear": "cleared", "reject": "rejected"}


def queue(state: ApiState) -> dict[str, Any]:
    services = state.system.services
    payments = services.payments
    held = [payments.view(payment) for payment in payments.list_payments("held")]
    cases = services.screening_log.cases(status="pending", limit=CASES_SHOWN_MAX)
    return {"held": held, "cases": cases}


@router.get("/compliance")
async def compliance_page(request: Request, user: QueueUser) -> Response:
    figures = await run_in_threadpool(queue, api_state(request))
    await audited_read(request, user, "compliance queue")
    keys = {item["case_id"]: new_key() for item in figures["cases"]}
    keys |= {item["id"]: new_key() for item in figures["held"]}
    done = request.query_params.get("done")
    return render(request, "compliance.html", {**figures, "keys": keys, "done": done}, user=user)


def _decision(fields: dict[str, str]) -> tuple[str, str]:
    decision = fields.get("decision", "")
    if decision not in DECISIONS:
        raise ApiProblem(422, "validation_failed", "decision: clear or reject")
    reason = limits.bounded_text(
        fields.get("reason", "").strip(), "reason", limits.REASON_LENGTH_MAX
    )
    if not reason:
        raise ApiProblem(422, "validation_failed", "reason: say why")
    return decision, reason


@router.post("/compliance/cases/{case_id}")
async def decide_case(request: Request, case_id: UUID, user: DecideUser) -> Response:
    fields = await form_fields(request)
    check_csrf(user, fields)
    decision, reason = _decision(fields)
    write = console_write(request, user, fields)
    screening = api_state(request).system.services.sanctions
    decide = screening.clear if decision == "clear" else screening.reject
    await run_in_threadpool(
        lambda: run(
            write,
            lambda context: decide(context, case_id, reason),
            body={"reason": reason, "decision": decision},
            answer={"case_id": str(case_id), "status": DECISIONS[decision], "reason": reason},
        )
    )
    return RedirectResponse(f"/console/compliance?done=case-{DECISIONS[decision]}", 303)


@router.post("/compliance/payments/{payment_id}")
async def decide_payment(request: Request, payment_id: UUID, user: PaymentDecideUser) -> Response:
    fields = await form_fields(request)
    check_csrf(user, fields)
    decision, reason = _decision(fields)
    write = console_write(request, user, fields)
    payments = api_state(request).system.services.payments
    await run_in_threadpool(
        lambda: run(
            write,
            lambda context: payments.decide_screening(
                context, payment_id, clear=decision == "clear", reason=reason
            ),
            body={"reason": reason, "decision": decision},
            answer={"id": str(payment_id), "decision": DECISIONS[decision], "reason": reason},
        )
    )
    return RedirectResponse(f"/console/compliance?done=payment-{DECISIONS[decision]}", 303)
