"""Visitors pre-registered by a host: who, when, where, and whether they pass only escorted."""

from datetime import datetime
from enum import StrEnum
from typing import Annotated

from gate_protocol.i18n.locales import LaneLanguage
from gate_protocol.ids import BADGE_NUMBER_PATTERN, Id
from gate_protocol.messages import BadgeFormat
from pydantic import AwareDatetime, StringConstraints
from sqlmodel import Field, SQLModel

from central_api.db import utc_now
from central_api.models.common import NameStr, enum_column, time_field

__all__ = ["IdDocumentKind", "Visitor", "VisitorCreate", "VisitorPublic", "VisitorStatus"]


class IdDocumentKind(StrEnum):
    """The identity document the desk checks when the visitor arrives."""

    PASSPORT = "passport"
    ID_CARD = "id_card"
    DRIVING_LICENCE = "driving_licence"
    SEAFARER_BOOK = "seafarer_book"
    OTHER = "other"


class VisitorStatus(StrEnum):
    """A visit is expected until it is cancelled (its window ends it on its own)."""

    ACTIVE = "active"
    CANCELLED = "cancelled"


class VisitorCreate(SQLModel):
    """A visit as the host's security desk registers it; the visitor becomes a person."""

    site_id: Id
    host_person_id: Id
    name: NameStr = Field(max_length=120)
    company: NameStr | None = Field(default=None, max_length=120)
    id_document_kind: IdDocumentKind
    valid_from: AwareDatetime
    valid_until: AwareDatetime
    escort_required: bool = True
    access_group_ids: list[int] = Field(default_factory=list, max_length=16)
    badge_number: (
        Annotated[str, StringConstraints(pattern=BADGE_NUMBER_PATTERN, max_length=64)] | None
    ) = None
    badge_format: BadgeFormat | None = None
    preferred_language: LaneLanguage | None = Field(
        default=None, description="The language the lane display speaks to the visitor."
    )


class Visitor(SQLModel, table=True):
    """A visit row; `person_id` is the visitor's person (kind visitor, valid in the window)."""

    id: str = Field(primary_key=True, max_length=64)
    site_id: str = Field(foreign_key="site.id", index=True, max_length=64)
    person_id: str = Field(foreign_key="person.id", index=True, max_length=64)
    host_person_id: str = Field(foreign_key="person.id", index=True, max_length=64)
    company: str | None = Field(default=None, max_length=120)
    id_document_kind: IdDocumentKind = enum_column(IdDocumentKind)
    valid_from: datetime = time_field()
    valid_until: datetime = time_field()
    escort_required: bool = True
    status: VisitorStatus = enum_column(VisitorStatus, default=VisitorStatus.ACTIVE)
    created_by: str = Field(max_length=80)
    created_at: datetime = time_field(default_factory=utc_now)
    cancelled_at: datetime | None = time_field(default=None)


class VisitorPublic(SQLModel):
    """A visit as the API shows it."""

    id: str
    site_id: str
    person_id: str
    host_person_id: str
    name: str
    company: str | None
    id_document_kind: IdDocumentKind
    valid_from: datetime
    valid_until: datetime
    escort_required: bool
    status: VisitorStatus
    created_by: str
    created_at: datetime
    cancelled_at: datetime | None
