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

from typing import Any
from uuid import UUID, uuid4

from fastapi import Request
from starlette.responses import Response

from api.dependencies import SubjectsDep
from api.permissions import SubjectsErase, SubjectsHold, SubjectsReader, SubjectsWrite
from api.routing import area_router
from api.schemas.common import ReasonIn
from api.schemas.subjects import (
    DetailsWritten,
    ErasureWritten,
    HoldIn,
    HoldWritten,
    SubjectDetailsIn,
    SubjectIn,
    SubjectOut,
    SubjectWritten,
)
from api.state import json_response, record_access

router = area_router(tags=["subjects"])


@router.post("/subjects", status_code=201, response_model=SubjectWritten)
def register_subject(body: SubjectIn, write: SubjectsWrite, registry: SubjectsDep) -> Response:
    """Register a person (``uuid5`` of kind and reference: the same person twice is a 409)."""
    fields = body.fields.given()
    subject_id, fingerprinted = registry.registration_fingerprint(body.kind, body.reference, fields)
    view = {
        "subject_id": str(subject_id),
        "kind": body.kind,
        "status": "active",
        "fields": sorted(fields),
    }
    return write.run(
        lambda context: registry.register_subject(
            context, body.kind, fields, reference=body.reference
        ),
        body=fingerprinted,
        answer=view,
        status=201,
    )


@router.post("/subjects/{subject_id}/details", response_model=DetailsWritten)
def change_details(
    subject_id: UUID, body: SubjectDetailsIn, write: SubjectsWrite, registry: SubjectsDep
) -> Response:
    """Replace the given personal fields (the others stay as they are)."""
    fields = body.fields.given()
    return write.run(
        lambda context: registry.change_details(context, subject_id, fields),
        body={"fields": registry.blinded_fields(fields, subject_id)},
        answer={"subject_id": str(subject_id), "fields": sorted(fields)},
    )


@router.get("/subjects/{subject_id}", response_model=SubjectOut)
def read_subject(
    request: Request, subject_id: UUID, principal: SubjectsReader, registry: SubjectsDep
) -> Response:
    """The subject with personal fields opened (``[erased]`` after erasure); the read is recorded."""
    found = registry.read_subject(subject_id)
    record_access(
        request,
        outcome="read",
        status=200,
        actor=principal.actor,
        role=principal.role,
        detail=f"personal data of subject {subject_id}",
    )
    return json_response(200, found)


@router.post("/subjects/{subject_id}/holds", status_code=201, response_model=HoldWritten)
def place_hold(
    subject_id: UUID, body: HoldIn, write: SubjectsHold, registry: SubjectsDep
) -> Response:
    """Place a legal hold (AML retention, litigation): erasure is refused until it is
    lifted or its ``until`` date has passed."""
    hold_id = uuid4()
    view: dict[str, Any] = {
        "subject_id": str(subject_id),
        "hold_id": str(hold_id),
        "reason": body.reason,
        "until": body.until,
        "status": "placed",
    }
    return write.run(
        lambda context: registry.place_hold(context, subject_id, body.reason, body.until, hold_id),
        body=body,
        answer=view,
        status=201,
    )


@router.post("/subjects/{subject_id}/holds/{hold_id}/lift", response_model=HoldWritten)
def lift_hold(
    subject_id: UUID, hold_id: UUID, body: ReasonIn, write: SubjectsHold, registry: SubjectsDep
) -> Response:
    """Lift a legal hold (an event with its reason)."""
    view: dict[str, Any] = {
        "subject_id": str(subject_id),
        "hold_id": str(hold_id),
        "reason": body.reason,
        "until": None,
        "status": "lifted",
    }
    return write.run(
        lambda context: registry.lift_hold(context, subject_id, hold_id, body.reason),
        body=body,
        answer=view,
    )


@router.post("/subjects/{subject_id}/erasure", response_model=ErasureWritten)
def erase_subject(
    subject_id: UUID, body: ReasonIn, write: SubjectsErase, registry: SubjectsDep
) -> Response:
    """Erase the subject's personal data: the key is destroyed, the log is untouched.
    Refused (409 ``subject_under_legal_hold``) while a legal hold is active."""
    response = write.run(
        lambda context: registry.erase(context, subject_id, body.reason),
        body=body,
        answer={"subject_id": str(subject_id), "status": "erased"},
    )
    # A replay too: an erasure interrupted after its event was saved finishes here.
    registry.complete_erasure(subject_id)
    return response
