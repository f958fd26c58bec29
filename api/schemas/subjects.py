"""Data subject bodies: personal fields (sealed by the domain), legal holds, erasure."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, Field, StrictStr

from api.schemas.common import IsoDate, Reason, Request, Written
from domain.subjects.subject import PERSONAL_FIELDS, REFERENCE_LENGTH_MAX, SUBJECT_KINDS

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


class PersonalFieldsIn(Request):
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


class PartyIn(PersonalFieldsIn):
    """Inline personal details (``name`` is required: it is screened)."""

    reference: Annotated[StrictStr, Field(min_length=1, max_length=REFERENCE_LENGTH_MAX)] | None = (
        Field(default=None, description="your own id for the party; never personal data")
    )

    def given(self) -> dict[str, str]:
        return self.model_dump(exclude_none=True)


class SubjectIn(Request):
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


class SubjectDetailsIn(Request):
    fields: PersonalFieldsIn


class HoldIn(Request):
    reason: Reason
    until: IsoDate | None = None


# --- responses ----------------------------------------------------------------


class SubjectWritten(Written):
    subject_id: str
    kind: str
    status: str
    fields: list[str] = Field(description="the personal fields given (their values are sealed)")


class DetailsWritten(Written):
    subject_id: str
    fields: list[str]


class HoldWritten(Written):
    subject_id: str
    hold_id: str
    reason: str
    until: str | None
    status: Literal["placed", "lifted"]


class ErasureWritten(Written):
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
