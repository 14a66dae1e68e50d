"""Port bans: the port authority's ban of one identity from every gate of every site."""

from datetime import datetime
from enum import StrEnum
from typing import Annotated

from gate_protocol.ids import Id
from gate_protocol.text import refuse_unsafe_name, refuse_unsafe_text
from pydantic import AfterValidator, AwareDatetime, StringConstraints, model_validator
from sqlmodel import Field, SQLModel

from central_api.db import utc_now
from central_api.models.common import enum_column, time_field

__all__ = ["BanStatus", "PortBan", "PortBanCreate", "PortBanLift", "PortBanPublic"]

# Free text people type and read: no control or bidi characters (gate_protocol.text).
BanReason = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=3, max_length=500),
    AfterValidator(refuse_unsafe_text),
]
LegalReference = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=120),
    AfterValidator(refuse_unsafe_name),
]


class BanStatus(StrEnum):
    """Where a ban stands: waiting for a second authority user, in force, or lifted."""

    PENDING = "pending"
    ACTIVE = "active"
    LIFTED = "lifted"


class PortBanCreate(SQLModel):
    """Issue a port ban on a person: why, under which legal reference, from when until when."""

    person_id: Id
    reason: BanReason
    legal_reference: LegalReference = Field(schema_extra={"examples": ["PA-2026/0147 art. 5"]})
    valid_from: AwareDatetime | None = None
    valid_until: AwareDatetime | None = None

    @model_validator(mode="after")
    def _until_after_from(self) -> "PortBanCreate":
        if (
            self.valid_from is not None
            and self.valid_until is not None
            and self.valid_until <= self.valid_from
        ):
            raise ValueError("valid_until must be after valid_from")
        return self


class PortBanLift(SQLModel):
    """Lift a ban; the reason is mandatory (it goes into the audit)."""

    reason: BanReason


class PortBan(SQLModel, table=True):
    """A port ban row; `person_id` is not a foreign key so that an erasure keeps the ban."""

    __tablename__ = "port_ban"

    id: str = Field(primary_key=True, max_length=64)
    person_id: str = Field(max_length=64, index=True)
    reason: str = Field(max_length=500)
    legal_reference: str = Field(max_length=120)
    valid_from: datetime = time_field()
    valid_until: datetime | None = time_field(default=None)
    status: BanStatus = enum_column(BanStatus, default=BanStatus.ACTIVE, index=True)
    issued_by: str = Field(max_length=64)
    issued_at: datetime = time_field(default_factory=utc_now)
    confirmed_by: str | None = Field(default=None, max_length=64)
    lifted_by: str | None = Field(default=None, max_length=64)
    lifted_at: datetime | None = time_field(default=None)
    lift_reason: str | None = Field(default=None, max_length=500)


class PortBanPublic(SQLModel):
    """A port ban as the API shows it."""

    id: str
    person_id: str
    reason: str
    legal_reference: str
    valid_from: datetime
    valid_until: datetime | None
    status: BanStatus
    issued_by: str
    issued_at: datetime
    confirmed_by: str | None
    lifted_by: str | None
    lifted_at: datetime | None
    lift_reason: str | None
