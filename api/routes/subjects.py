"""/v1 data subjects: personal data sealed per person, legal holds, erasure.

Roles (``api.auth.PERMISSIONS``):

- ``subjects:write`` (register, change details): admin, and poster, because
  the finance systems that post payments are the ones that learn of payees
  and customers; they may write personal data but not read it back;
- ``subjects:read`` (read with personal fields opened): admin, compliance,
  auditor; every read is recorded in the log as an access record;
- ``subjects:hold`` (place and lift legal holds): compliance;
- ``subjects:erase``: admin.

Nothing personal enters the log in the clear through these routes: events
carry sealed envelopes, recorded responses carry field names only, and the
idempotency fingerprint of a body with personal values is taken over keyed
digests of them (under the subject's key, so it too is unlinkable once the
key is destroyed).
"""

from __future__ import annotations

from typing import Annotated, Any, Literal
from uuid import UUID, uuid4

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel, Field, StrictStr
from starlette.responses import Response

from adapters.subject_keys import SubjectKeyStore
from api import models
from api.auth import Principal
from api.dependencies import authorize
from api.routes.ledger import READ_RESPONSES, WRITE_EXTRA, WRITE_RESPONSES
from api.state import (
    api_state,
    context_for,
    idempotency_key,
    json_response,
    record_access,
    run_idempotent,
)
from domain.subjects.service import SubjectRegistry
from domain.subjects.subject import PERSONAL_FIELDS, REFERENCE_LENGTH_MAX, SUBJECT_KINDS

router = APIRouter(prefix="/v1", tags=["subjects"])

SubjectKind = Literal["employee", "payee", "customer", "other"]
assert set(SubjectKind.__args__) == set(SUBJECT_KINDS)  # type: ignore[attr-defined]


NameText = Annotated[StrictStr, Field(min_length=1, max_length=PERSONAL_FIELDS["name"])]
TaxIdText = Annotated[StrictStr, Field(min_length=1, max_length=PERSONAL_FIELDS["tax_id"])]
BankAccountText = Annotated[
    StrictStr, Field(min_length=1, max_length=PERSONAL_FIELDS["bank_account"])
]
AddressText = Annotated[StrictStr, Field(min_length=1, max_length=PERSONAL_FIELDS["address"])]
EmailText = Annotated[StrictStr, Field(min_length=1, max_length=PERSONAL_FIELDS["email"])]
PhoneText = Annotated[StrictStr, Field(min_length=1, max_length=PERSONAL_FIELDS["phone"])]


# --- requests -----------------------------------------------------------------


class PersonalFieldsIn(models.Request):
    """Personal fields; each optional, at least one. Formats are checked by the domain."""

    name: NameText | None = None
    tax_id: TaxIdText | None = None
    bank_account: BankAccountText | None = None
    address: AddressText | None = None
    email: EmailText | None = None
    phone: PhoneText | None = None

    def given(self) -> dict[str, str]:
        return self.model_dump(exclude_none=True)


assert set(PersonalFieldsIn.model_fields) == set(PERSONAL_FIELDS)


class SubjectIn(models.Request):
    reference: Annotated[
        StrictStr,
        Field(
            min_length=1,
            max_length=REFERENCE_LENGTH_MAX,
            description="your own id for the person (HR, vendor or customer number); "
            "never personal data itself",
            examples=["EMP-00042"],
        ),
    ]
    kind: SubjectKind
    fields: PersonalFieldsIn


class SubjectDetailsIn(models.Request):
    fields: PersonalFieldsIn


class HoldIn(models.Request):
    reason: models.Reason
    until: models.IsoDate | None = None


# --- responses ----------------------------------------------------------------


class SubjectWritten(models.Written):
    subject_id: str
    kind: str
    status: str
    fields: list[str] = Field(description="the personal fields given (their values are sealed)")


class DetailsWritten(models.Written):
    subject_id: str
    fields: list[str]


class HoldWritten(models.Written):
    subject_id: str
    hold_id: str
    reason: str
    until: str | None
    status: Literal["placed", "lifted"]


class ErasureWritten(models.Written):
    subject_id: str
    status: Literal["erased"]


class HoldOut(BaseModel):
    hold_id: str
    reason: str
    until: str | None
    placed_by: str
    placed_at: str
    lifted: bool
    active: bool


class SubjectOut(BaseModel):
    subject_id: str
    kind: str
    status: Literal["active", "erased"]
    fields: dict[str, str] = Field(description='personal fields; "[erased]" after erasure')
    holds: list[HoldOut]
    registered_at: str
    erased_at: str | None
    version: int


# --- wiring -------------------------------------------------------------------


def subject_registry(request: Request) -> SubjectRegistry:
    """This API process's registry over its system (built on first use)."""
    state = api_state(request)
    registry: SubjectRegistry | None = getattr(request.app.state, "subject_registry", None)
    if registry is None or registry.app is not state.app:
        registry = SubjectRegistry(state.app, SubjectKeyStore(state.system.database))
        request.app.state.subject_registry = registry
    return registry


# --- routes -------------------------------------------------------------------


@router.post(
    "/subjects",
    status_code=201,
    response_model=SubjectWritten,
    responses=WRITE_RESPONSES,
    openapi_extra=WRITE_EXTRA,
)
def register_subject(
    request: Request,
    body: SubjectIn,
    principal: Principal = Depends(authorize("subjects:write")),
) -> Response:
    """Register a person (``uuid5`` of kind and reference: the same person twice is a 409)."""
    key = idempotency_key(request)
    registry = subject_registry(request)
    context = context_for(request, principal)
    fields = body.fields.given()
    subject_id, fingerprinted = registry.registration_fingerprint(body.kind, body.reference, fields)
    view = {
        "subject_id": str(subject_id),
        "kind": body.kind,
        "status": "active",
        "fields": sorted(fields),
    }
    return run_idempotent(
        request,
        principal,
        key,
        fingerprinted,
        201,
        view,
        lambda: registry.register_subject(context, body.kind, fields, reference=body.reference),
    )


@router.post(
    "/subjects/{subject_id}/details",
    response_model=DetailsWritten,
    responses=WRITE_RESPONSES,
    openapi_extra=WRITE_EXTRA,
)
def change_details(
    request: Request,
    subject_id: UUID,
    body: SubjectDetailsIn,
    principal: Principal = Depends(authorize("subjects:write")),
) -> Response:
    """Replace the given personal fields (the others stay as they are)."""
    key = idempotency_key(request)
    registry = subject_registry(request)
    context = context_for(request, principal)
    fields = body.fields.given()
    fingerprinted = {"fields": registry.blinded_fields(fields, subject_id)}
    return run_idempotent(
        request,
        principal,
        key,
        fingerprinted,
        200,
        {"subject_id": str(subject_id), "fields": sorted(fields)},
        lambda: registry.change_details(context, subject_id, fields),
    )


@router.get("/subjects/{subject_id}", response_model=SubjectOut, responses=READ_RESPONSES)
def read_subject(
    request: Request,
    subject_id: UUID,
    principal: Principal = Depends(authorize("subjects:read")),
) -> Response:
    """The subject with personal fields opened (``[erased]`` after erasure); the read is recorded."""
    found = subject_registry(request).read_subject(subject_id)
    record_access(
        request,
        outcome="read",
        status=200,
        actor=principal.actor,
        role=principal.role,
        detail=f"personal data of subject {subject_id}",
    )
    return json_response(200, found)


@router.post(
    "/subjects/{subject_id}/holds",
    status_code=201,
    response_model=HoldWritten,
    responses=WRITE_RESPONSES,
    openapi_extra=WRITE_EXTRA,
)
def place_hold(
    request: Request,
    subject_id: UUID,
    body: HoldIn,
    principal: Principal = Depends(authorize("subjects:hold")),
) -> Response:
    """Place a legal hold (AML retention, litigation): erasure is refused until it is
    lifted or its ``until`` date has passed."""
    key = idempotency_key(request)
    registry = subject_registry(request)
    context = context_for(request, principal)
    hold_id = uuid4()
    view: dict[str, Any] = {
        "subject_id": str(subject_id),
        "hold_id": str(hold_id),
        "reason": body.reason,
        "until": body.until,
        "status": "placed",
    }
    return run_idempotent(
        request,
        principal,
        key,
        body.model_dump(),
        201,
        view,
        lambda: registry.place_hold(context, subject_id, body.reason, body.until, hold_id),
    )


@router.post(
    "/subjects/{subject_id}/holds/{hold_id}/lift",
    response_model=HoldWritten,
    responses=WRITE_RESPONSES,
    openapi_extra=WRITE_EXTRA,
)
def lift_hold(
    request: Request,
    subject_id: UUID,
    hold_id: UUID,
    body: models.ReasonIn,
    principal: Principal = Depends(authorize("subjects:hold")),
) -> Response:
    """Lift a legal hold (an event with its reason)."""
    key = idempotency_key(request)
    registry = subject_registry(request)
    context = context_for(request, principal)
    view: dict[str, Any] = {
        "subject_id": str(subject_id),
        "hold_id": str(hold_id),
        "reason": body.reason,
        "until": None,
        "status": "lifted",
    }
    return run_idempotent(
        request,
        principal,
        key,
        body.model_dump(),
        200,
        view,
        lambda: registry.lift_hold(context, subject_id, hold_id, body.reason),
    )


@router.post(
    "/subjects/{subject_id}/erasure",
    response_model=ErasureWritten,
    responses=WRITE_RESPONSES,
    openapi_extra=WRITE_EXTRA,
)
def erase_subject(
    request: Request,
    subject_id: UUID,
    body: models.ReasonIn,
    principal: Principal = Depends(authorize("subjects:erase")),
) -> Response:
    """Erase the subject's personal data: the key is destroyed, the log is untouched.
    Refused (409 ``subject_under_legal_hold``) while a legal hold is active."""
    key = idempotency_key(request)
    registry = subject_registry(request)
    context = context_for(request, principal)
    response = run_idempotent(
        request,
        principal,
        key,
        body.model_dump(),
        200,
        {"subject_id": str(subject_id), "status": "erased"},
        lambda: registry.erase(context, subject_id, body.reason),
    )
    # A replay too: an erasure interrupted after its event was saved finishes here.
    registry.complete_erasure(subject_id)
    return response
