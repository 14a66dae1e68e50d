"""One identity across terminals: a person's activation at each site, documents checked.

A person (`Person`) is enrolled once in the port community; each site's desk *activates*
the identity for its own site (`SiteActivation`), with that site's validity window and
its own status there. `Person.site_id` stays the site that first enrolled the identity.
"""

from datetime import datetime
from enum import StrEnum

from gate_protocol.ids import Id
from sqlalchemy import UniqueConstraint
from sqlmodel import Field, SQLModel

from central_api.db import utc_now
from central_api.models.common import NameStr, enum_column, time_field

__all__ = [
    "ActivationStatus",
    "DocumentCheck",
    "DocumentCheckCreate",
    "DocumentKind",
    "SiteActivation",
    "SiteActivationCreate",
    "SiteActivationPublic",
    "SiteActivationUpdate",
    "SiteWindow",
]

# A person's validity at one site: that site's activation window (None: open).
SiteWindow = tuple[datetime | None, datetime | None]


class ActivationStatus(StrEnum):
    """A person's standing at one site (their global status applies everywhere besides)."""

    ACTIVE = "active"
    SUSPENDED = "suspended"


class SiteActivationCreate(SQLModel):
    """Activate an enrolled identity at a site: that site's validity and access groups."""

    site_id: Id
    valid_from: datetime | None = None
    valid_until: datetime | None = None
    access_groups: list[NameStr] = Field(
        default_factory=list,
        max_length=32,
        description="Access groups of that site (names or ids) to grant with the activation.",
    )


class SiteActivationUpdate(SQLModel):
    """Change an activation: suspend or resume it at that site, or its validity."""

    status: ActivationStatus | None = None
    valid_from: datetime | None = None
    valid_until: datetime | None = None


class SiteActivation(SQLModel, table=True):
    """An identity active (or suspended) at one site; one row per person and site."""

    __table_args__ = (UniqueConstraint("person_id", "site_id", name="uq_siteactivation"),)

    id: int | None = Field(default=None, primary_key=True)
    person_id: str = Field(foreign_key="person.id", index=True, max_length=64)
    site_id: str = Field(foreign_key="site.id", index=True, max_length=64)
    status: ActivationStatus = enum_column(ActivationStatus, default=ActivationStatus.ACTIVE)
    valid_from: datetime | None = time_field(default=None)
    valid_until: datetime | None = time_field(default=None)
    activated_at: datetime = time_field(default_factory=utc_now)
    activated_by: str = Field(max_length=80)


class SiteActivationPublic(SQLModel):
    """An activation as the API shows it."""

    person_id: str
    site_id: str
    status: ActivationStatus
    valid_from: datetime | None
    valid_until: datetime | None
    activated_at: datetime
    activated_by: str


class DocumentKind(StrEnum):
    """Which identity document a desk checked (never an image of it)."""

    PASSPORT = "passport"
    ID_CARD = "id_card"
    DRIVING_LICENCE = "driving_licence"
    RESIDENCE_PERMIT = "residence_permit"
    SEAFARER_ID = "seafarer_id"


class DocumentCheckCreate(SQLModel):
    """Record that an identity document was seen and checked."""

    kind: DocumentKind
    # Never stored: only its keyed community reference (docs/sharing.md), when in a community.
    document_number: str | None = Field(default=None, max_length=64)


class DocumentCheck(SQLModel, table=True):
    """Which document kind was checked for an identity, by whom, when (no number, no image)."""

    id: int | None = Field(default=None, primary_key=True)
    person_id: str = Field(foreign_key="person.id", index=True, max_length=64)
    kind: DocumentKind = enum_column(DocumentKind)
    checked_by: str = Field(max_length=80)
    checked_at: datetime = time_field(default_factory=utc_now)
