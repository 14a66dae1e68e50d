"""The HR sync's tables (migration 0030): who came from HR, and the report of each run."""

from datetime import datetime

from sqlalchemy import Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from central_api.db import utc_now
from central_api.models.common import time_field

__all__ = ["HrMember", "HrSyncReport"]


class HrMember(SQLModel, table=True):
    """A person the HR sync manages at a site, as HR last described them.

    Only these people can be leavers: someone enrolled at the desk, not by HR, is never
    revoked because HR does not list them. `left_at` is set when HR stopped listing them.
    """

    __tablename__ = "hr_member"
    __table_args__ = (UniqueConstraint("site_id", "employee", name="uq_hr_member_employee"),)

    id: int | None = Field(default=None, primary_key=True)
    site_id: str = Field(foreign_key="site.id", max_length=64)
    employee: str = Field(max_length=64)
    person_id: str = Field(foreign_key="person.id", index=True, max_length=64)
    name: str = Field(max_length=120)
    email: str = Field(max_length=254)
    company: str | None = Field(default=None, max_length=120)
    left_at: datetime | None = time_field(default=None)
    updated_at: datetime = time_field(default_factory=utc_now)


class HrSyncReport(SQLModel, table=True):
    """What one applied HR sync did: counts, and its lines (the diff that was applied)."""

    __tablename__ = "hr_sync_report"

    id: int | None = Field(default=None, primary_key=True)
    site_id: str = Field(foreign_key="site.id", index=True, max_length=64)
    source: str = Field(max_length=300)
    actor: str = Field(max_length=120)
    ran_at: datetime = time_field(default_factory=utc_now)
    joined: int = 0
    changed: int = 0
    left: int = 0
    skipped: int = 0
    lines: str = Field(default="", sa_type=Text)
