"""A company's status history and the API models of companies and their figures."""

from datetime import datetime

from gate_protocol.reasons import ReasonCode
from gate_protocol.records import CompanyStatus
from sqlmodel import Field, SQLModel

from central_api.db import utc_now
from central_api.models.common import TextStr, enum_column, time_field

__all__ = [
    "CompanyFigures",
    "CompanyPublic",
    "CompanyStatusChange",
    "CompanyStatusChangePublic",
    "CompanyStatusSet",
]


class CompanyStatusChange(SQLModel, table=True):
    """One change of a company's status: from what to what, by whom, when and why."""

    __tablename__ = "company_status_change"

    id: int | None = Field(default=None, primary_key=True)
    company_id: int = Field(foreign_key="company.id", index=True)
    from_status: CompanyStatus = enum_column(CompanyStatus)
    to_status: CompanyStatus = enum_column(CompanyStatus)
    reason: str = Field(max_length=500)
    actor: str = Field(max_length=80)
    changed_at: datetime = time_field(default_factory=utc_now)


class CompanyStatusSet(SQLModel):
    """Suspend, flag or clear a company; suspending and flagging need a reason."""

    status: CompanyStatus
    reason: TextStr = ""


class CompanyStatusChangePublic(SQLModel):
    """A status change as the API shows it."""

    from_status: CompanyStatus
    to_status: CompanyStatus
    reason: str
    actor: str
    changed_at: datetime


class CompanyPublic(SQLModel):
    """A company with its status (and, on its own page, the history of that status)."""

    id: int
    name: str
    status: CompanyStatus
    status_reason: str | None
    status_changed_at: datetime | None
    people: int = 0
    history: list[CompanyStatusChangePublic] = Field(default_factory=list)


class CompanyFigures(SQLModel):
    """What a company's people did from `period_from` until `period_to` (as gates reported)."""

    company_id: int
    name: str
    period_from: datetime
    period_to: datetime
    passages: int
    denials: int
    denials_by_reason: dict[ReasonCode, int]
    pass_reuse_attempts: int
    no_shows: int
    alarms: int
