"""Persons of interest: faces on the port-wide watchlist of people who are not enrolled.

The port authority enters them from a photo and a reason. Only the photo's face template
is kept, encrypted like `FaceTemplate` (AES-GCM, ``poi:<id>`` bound in as associated
data); the photo itself is not stored.
"""

from datetime import datetime
from typing import Annotated, Self

from gate_protocol.text import refuse_unsafe_text
from pydantic import AfterValidator, AwareDatetime, StringConstraints, model_validator
from sqlalchemy import LargeBinary
from sqlmodel import Field, SQLModel

from central_api.db import utc_now
from central_api.models.common import NameStr, time_field

__all__ = ["PersonOfInterest", "PersonOfInterestCreate", "PersonOfInterestPublic"]

# A person of interest always has a reason: not empty, not only blanks.
ReasonStr = Annotated[
    str,
    StringConstraints(min_length=1, max_length=500, strip_whitespace=True, pattern=r"\S"),
    AfterValidator(refuse_unsafe_text),
]


class PersonOfInterestCreate(SQLModel):
    """What the authority enters with the photo: a label, the reason, an optional period."""

    label: NameStr
    reason: ReasonStr
    valid_from: AwareDatetime | None = None
    valid_until: AwareDatetime | None = None

    @model_validator(mode="after")
    def _period(self) -> Self:
        if self.valid_from and self.valid_until and self.valid_until <= self.valid_from:
            raise ValueError("valid_until must be after valid_from")
        return self


class PersonOfInterest(SQLModel, table=True):
    """A watchlist face without an enrolled person; the template never leaves encrypted."""

    __tablename__ = "person_of_interest"

    id: str = Field(primary_key=True, max_length=64)
    label: str = Field(max_length=120)
    reason: str = Field(max_length=500)
    entered_by: str = Field(max_length=128)
    valid_from: datetime | None = time_field(default=None)
    valid_until: datetime | None = time_field(default=None)
    nonce: bytes = Field(sa_type=LargeBinary)
    ciphertext: bytes = Field(sa_type=LargeBinary)
    created_at: datetime = time_field(default_factory=utc_now)

    @property
    def entry_id(self) -> str:
        """Its id in the gates' watchlist gallery (and the template's associated data)."""
        return f"poi:{self.id}"


class PersonOfInterestPublic(SQLModel):
    """What the API says about a person of interest: never the template."""

    id: str
    entry_id: str
    label: str
    reason: str
    entered_by: str
    valid_from: datetime | None
    valid_until: datetime | None
    created_at: datetime
