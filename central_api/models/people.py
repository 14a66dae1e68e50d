"""People, their companies, credentials, face templates and competencies."""

from datetime import datetime

from gate_protocol.badges import badge_number_problem
from gate_protocol.i18n.locales import LaneLanguage
from gate_protocol.ids import Id
from gate_protocol.messages import BadgeFormat, CredentialKind
from gate_protocol.records import CompanyStatus, PersonKind, PersonStatus
from pydantic import model_validator
from sqlalchemy import LargeBinary, UniqueConstraint
from sqlmodel import Field, SQLModel

from central_api.db import utc_now
from central_api.models.common import NameStr, enum_column, time_field

__all__ = [
    "Company",
    "CompanyCreate",
    "CompetencyType",
    "Credential",
    "CredentialCreate",
    "CredentialPublic",
    "FaceTemplate",
    "FaceTemplatePublic",
    "Person",
    "PersonBase",
    "PersonCompetency",
    "PersonCompetencyCreate",
    "PersonCreate",
    "PersonPublic",
    "PersonUpdate",
]


class CompanyCreate(SQLModel):
    """A contractor or haulier company."""

    name: NameStr = Field(max_length=120)


class Company(CompanyCreate, table=True):
    """A company row."""

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=120, unique=True)
    # Changed only by central_api.crud.companies (audited, with a CompanyStatusChange row).
    status: CompanyStatus = enum_column(CompanyStatus, default=CompanyStatus.ACTIVE)
    status_reason: str | None = Field(default=None, max_length=500)
    status_changed_at: datetime | None = time_field(default=None)


class PersonBase(SQLModel):
    """A person who may pass gates."""

    display_name: NameStr = Field(max_length=120, schema_extra={"examples": ["Jan de Vries"]})
    kind: PersonKind = enum_column(PersonKind)
    company_id: int | None = Field(default=None, foreign_key="company.id")
    valid_from: datetime | None = time_field(default=None)
    valid_until: datetime | None = time_field(default=None)


class PersonCreate(PersonBase):
    """Enroll a person at a site (the id is generated)."""

    site_id: Id


class PersonUpdate(SQLModel):
    """Change a person; every field optional."""

    display_name: NameStr | None = Field(default=None, max_length=120)
    status: PersonStatus | None = None
    preferred_language: LaneLanguage | None = Field(
        default=None, description="The language the lane display speaks to them (issue 26)."
    )
    company_id: int | None = None
    valid_from: datetime | None = None
    valid_until: datetime | None = None


class Person(PersonBase, table=True):
    """A person row; `id` is what events and replicas call `person_id`."""

    id: str = Field(primary_key=True, max_length=64)
    status: PersonStatus = enum_column(PersonStatus, default=PersonStatus.ACTIVE, index=True)
    site_id: str = Field(foreign_key="site.id", index=True, max_length=64)
    created_at: datetime = time_field(default_factory=utc_now)
    updated_at: datetime = time_field(default_factory=utc_now)
    # One of gate_protocol's LANE_LOCALES, checked where it comes in; None: English.
    preferred_language: str | None = Field(default=None, max_length=8)


class PersonPublic(PersonBase):
    """A person as the API shows them (never their face templates)."""

    id: str
    site_id: str
    status: PersonStatus
    preferred_language: str | None = None


class CredentialCreate(SQLModel):
    """Bind a badge (number + format) or a QR pass id to a person."""

    kind: CredentialKind
    ref: Id = Field(
        description="Badge number, or the QR pass id.", schema_extra={"examples": ["04A1B2C3"]}
    )
    badge_format: BadgeFormat | None = None
    valid_from: datetime | None = None
    valid_until: datetime | None = None

    @model_validator(mode="after")
    def _a_reader_can_produce_the_badge(self) -> "CredentialCreate":
        if self.kind is CredentialKind.BADGE:
            problem = badge_number_problem(self.ref, self.badge_format)
            if problem is not None:
                raise ValueError(problem)
        return self


class Credential(SQLModel, table=True):
    """A credential row; `ref` is unique per kind."""

    __table_args__ = (UniqueConstraint("kind", "ref", name="uq_credential_kind_ref"),)

    id: int | None = Field(default=None, primary_key=True)
    person_id: str = Field(foreign_key="person.id", index=True, max_length=64)
    kind: CredentialKind = enum_column(CredentialKind)
    ref: str = Field(max_length=64)
    badge_format: BadgeFormat | None = enum_column(BadgeFormat, default=None)
    valid_from: datetime | None = time_field(default=None)
    valid_until: datetime | None = time_field(default=None)
    revoked_at: datetime | None = time_field(default=None)
    created_at: datetime = time_field(default_factory=utc_now)


class CredentialPublic(SQLModel):
    """A credential as the API shows it."""

    id: int
    person_id: str
    kind: CredentialKind
    ref: str
    badge_format: BadgeFormat | None
    valid_from: datetime | None
    valid_until: datetime | None
    revoked_at: datetime | None


class FaceTemplate(SQLModel, table=True):
    """An encrypted face template (AES-GCM, person id as associated data); never returned."""

    id: int | None = Field(default=None, primary_key=True)
    person_id: str = Field(foreign_key="person.id", index=True, max_length=64)
    nonce: bytes = Field(sa_type=LargeBinary)
    ciphertext: bytes = Field(sa_type=LargeBinary)
    quality: float | None = None
    created_at: datetime = time_field(default_factory=utc_now)


class FaceTemplatePublic(SQLModel):
    """What the API says about a stored template: that it exists, nothing of its content."""

    id: int
    person_id: str
    quality: float | None
    created_at: datetime


class CompetencyType(SQLModel, table=True):
    """A competency a zone may require (e.g. ``ISPS``, ``site-induction``)."""

    name: str = Field(primary_key=True, max_length=80)
    description: str = Field(default="", max_length=500)


class PersonCompetencyCreate(SQLModel):
    """Record that a person holds a competency."""

    name: NameStr = Field(max_length=80)
    valid_until: datetime | None = None


class PersonCompetency(SQLModel, table=True):
    """A competency a person holds until `valid_until`."""

    __table_args__ = (UniqueConstraint("person_id", "name", name="uq_person_competency"),)

    id: int | None = Field(default=None, primary_key=True)
    person_id: str = Field(foreign_key="person.id", index=True, max_length=64)
    name: str = Field(foreign_key="competencytype.name", max_length=80)
    valid_until: datetime | None = time_field(default=None)
