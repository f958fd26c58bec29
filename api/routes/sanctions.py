"""/v1/sanctions: sanctions lists, ad hoc screening, and compliance decisions.

Roles (``api.auth.PERMISSIONS``):

- ``sanctions:load`` (load a list version): compliance, admin;
- ``sanctions:read`` (the active list, cases): compliance, auditor;
- ``sanctions:screen`` (screen a name ad hoc; recorded as a case): compliance;
- ``sanctions:decide`` (clear or reject a review or hit): compliance.

A decision moves the payment or receipt held on the case in the decision's
own commit (``domain.sanctions.pending.follow_decision``): cleared, a payment
awaits approval and a receipt is posted; rejected, either is ``rejected``
(terminal: no amend, approve, submit or post).

A list is posted as JSON: ``{"source": "...", "sdn_csv": "<the text of
sdn.csv>", "alt_csv": "<the text of alt.csv>" | null}``. The files are ASCII
text, so JSON strings carry them unchanged; the request body is bounded by
``BACKOFFICE_BODY_BYTES_MAX`` (256 KiB by default: raise it to a few MiB
for a full OFAC list, or load it with ``backoffice sanctions load``). A
malformed list is a 422 ``invalid_sanctions_list`` naming the file and line,
and nothing is written.

Loading a new list version re-screens the payments and receipts still
pending (held, or not yet approved, and not decided by compliance:
``domain.sanctions.pending``); a payment or receipt whose payee or payer the
new list names is then held.

Payments and receipts do not screen through this router: they call
``domain.sanctions.service.SanctionsScreening.screen`` in-process, with the
party's data subject, so the name is sealed in the case under the subject's
key. A name screened here (``POST /screenings``) is compliance's ad hoc
query with no data subject behind it, and is recorded in the clear: do not
type a customer's or payee's name here to record it (screen their payment
or receipt instead). Cases and the case list show a subject's name opened,
or ``[erased]`` after the subject's erasure (``subject_id`` says whose).
"""

from __future__ import annotations

from typing import Annotated, Any
from uuid import UUID

from fastapi import Query
from starlette.responses import Response

from api.dependencies import SanctionsDep, ScreeningLogDep
from api.permissions import SanctionsDecide, SanctionsLoad, SanctionsReader, SanctionsScreen
from api.problems import ApiProblem
from api.routing import area_router
from api.schemas.common import ReasonIn
from api.schemas.sanctions import (
    CaseOut,
    CasePage,
    CaseStatus,
    DecisionWritten,
    ItemKind,
    ListOut,
    ListWritten,
    Result,
    SanctionsListIn,
    ScreeningIn,
    ScreeningWritten,
)
from api.state import json_response
from api.write import Write
from domain.sanctions.screening import ITEM_ID_LENGTH_MAX, screening_case_id
from domain.sanctions.service import SanctionsScreening
from projections.sanctions.screening_log import QUERY_LIMIT_MAX

router = area_router("/v1/sanctions", tags=["sanctions"])


@router.post("/lists", status_code=201, response_model=ListWritten)
def load_list(body: SanctionsListIn, write: SanctionsLoad, screening: SanctionsDep) -> Response:
    """Load a list version (OFAC CSV text) and make it the active one, then re-screen
    the payments and receipts still pending against it. The same files again answer
    ``already_loaded`` and write no list (a re-screening left unfinished is finished)."""
    alt_bytes = None if body.alt_csv is None else body.alt_csv.encode("utf-8")
    parsed = screening.parse(body.sdn_csv.encode("utf-8"), alt_bytes)
    known = screening.known_version(parsed.version)
    view: dict[str, Any] = {
        "list_version": parsed.version,
        "source": body.source,
        "entry_count": parsed.entry_count,
        "alias_count": parsed.alias_count,
        "status": "already_loaded" if known else "loaded",
    }
    fingerprinted = {
        "source": body.source,
        "sdn_sha256": parsed.sdn_sha256,
        "alt_sha256": parsed.alt_sha256,
    }
    return write.run(
        lambda context: screening.load_parsed(context, parsed, body.source),
        body=fingerprinted,
        answer=view,
        status=201,
    )


@router.get("/lists/current", response_model=ListOut)
def current_list(principal: SanctionsReader, screening: SanctionsDep) -> Response:
    """The active list version: digests, counts, who loaded it and when."""
    summary = screening.current_list()
    if summary is None:
        raise ApiProblem(404, "no_sanctions_list", "no sanctions list is loaded")
    return json_response(200, summary)


@router.post("/screenings", status_code=201, response_model=ScreeningWritten)
def screen_name(body: ScreeningIn, write: SanctionsScreen, screening: SanctionsDep) -> Response:
    """Screen a name against the active list; recorded as a case (a review or hit then
    awaits a decision like any other). Ad hoc: the name is recorded in the clear, as
    typed; payees and payers are screened through their payment or receipt (sealed)."""
    item_id = body.item_id or f"adhoc:{write.key}"
    assessment = screening.assess(body.party_name, body.threshold)
    view: dict[str, Any] = {
        "case_id": str(screening_case_id(body.item_kind, item_id, assessment.list_version)),
        "item_kind": body.item_kind,
        "item_id": item_id,
        "list_version": assessment.list_version,
        "result": assessment.result,
        "matches": [match.as_dict() for match in assessment.matches],
    }
    return write.run(
        lambda context: screening.record(context, body.item_kind, item_id, assessment),
        body=body,
        answer=view,
        status=201,
    )


@router.get("/cases", response_model=CasePage)
def list_cases(
    principal: SanctionsReader,
    log: ScreeningLogDep,
    status: CaseStatus | None = None,
    result: Result | None = None,
    item_kind: ItemKind | None = None,
    item_id: Annotated[str | None, Query(max_length=ITEM_ID_LENGTH_MAX)] = None,
    list_version: Annotated[str | None, Query(max_length=64)] = None,
    screened_from: Annotated[str | None, Query(max_length=64)] = None,
    screened_to: Annotated[str | None, Query(max_length=64)] = None,
    after: Annotated[int, Query(ge=0)] = 0,
    limit: Annotated[int, Query(ge=1, le=QUERY_LIMIT_MAX)] = 100,
) -> Response:
    """Cases from the screening log in the order of their latest screening."""
    found = log.cases(
        status=status,
        result=result,
        item_kind=item_kind,
        item_id=item_id,
        list_version=list_version,
        screened_from=screened_from,
        screened_to=screened_to,
        after=after,
        limit=limit,
    )
    next_after = found[-1]["screened_position"] if len(found) == limit else None
    return json_response(200, {"cases": found, "next_after": next_after})


@router.get("/cases/{case_id}", response_model=CaseOut)
def read_case(case_id: UUID, principal: SanctionsReader, screening: SanctionsDep) -> Response:
    """One case as it stands in the log (a data subject's name opened, or ``[erased]``)."""
    return json_response(200, screening.case_view(screening.case(case_id)))


def _decide(
    write: Write, screening: SanctionsScreening, case_id: UUID, body: ReasonIn, status: str
) -> Response:
    decide = screening.clear if status == "cleared" else screening.reject
    return write.run(
        lambda context: decide(context, case_id, body.reason),
        body=body,
        answer={"case_id": str(case_id), "status": status, "reason": body.reason},
    )


@router.post("/cases/{case_id}/clear", response_model=DecisionWritten)
def clear_case(
    case_id: UUID, body: ReasonIn, write: SanctionsDecide, screening: SanctionsDep
) -> Response:
    """Clear a review or hit (a false positive): the item may proceed. Once per case."""
    return _decide(write, screening, case_id, body, "cleared")


@router.post("/cases/{case_id}/reject", response_model=DecisionWritten)
def reject_case(
    case_id: UUID, body: ReasonIn, write: SanctionsDecide, screening: SanctionsDep
) -> Response:
    """Reject a review or hit: the match stands and the item must not proceed. Once per case."""
    return _decide(write, screening, case_id, body, "rejected")
