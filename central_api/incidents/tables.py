"""The incident report table and its API models.

People are never named in a report: the API turns the person ids it is given into
pseudonyms (`central_api.incidents.pseudonym`) and stores only those. Attachments are
never uploaded: a report lists their SHA-256 hashes, so the file itself stays with the
reporter and anyone holding a copy can prove it is the one meant.
"""

from datetime import UTC, datetime
from enum import StrEnum
from typing import Annotated, Any

from gate_protocol.ids import Id
from gate_protocol.text import refuse_unsafe_name, refuse_unsafe_text
from pydantic import AfterValidator, AwareDatetime, StringConstraints, field_validator
from sqlalchemy import JSON
from sqlmodel import Field, SQLModel

from central_api.db import utc_now
from central_api.incidents.tlp import Tlp, TlpLabel
from central_api.models.common import enum_column, time_field

__all__ = [
    "MAX_ATTACHMENTS",
    "MAX_NARRATIVE",
    "Incident",
    "IncidentCreate",
    "IncidentTime",
    "IncidentKind",
    "IncidentPublic",
    "IncidentStatus",
    "IncidentUpdate",
]

MAX_ATTACHMENTS = 20
MAX_NARRATIVE = 4000
MAX_INVOLVED = 50

Sha256Hex = Annotated[
    str, StringConstraints(strip_whitespace=True, to_lower=True, pattern=r"^[0-9a-fA-F]{64}$")
]
Pseudonym = Annotated[str, StringConstraints(to_lower=True, pattern=r"^[0-9a-fA-F]{64}$")]
Narrative = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=MAX_NARRATIVE),
    AfterValidator(refuse_unsafe_text),
]
PlaceName = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=200),
    AfterValidator(refuse_unsafe_name),
]


def _storable(value: datetime) -> datetime:
    try:
        utc = value.astimezone(UTC)
    except OverflowError:
        utc = None
    if utc is None or not 1970 <= utc.year <= 9000:
        raise ValueError("time out of range: between the years 1970 and 9000, please")
    return utc


# A time every database stores (year 9999 with a negative offset is past year 9999 in UTC).
IncidentTime = Annotated[AwareDatetime, AfterValidator(_storable)]
# A database integer: a larger one would be a server error on PostgreSQL, not a 422.
CompanyId = Annotated[int, Field(ge=1, le=2**31 - 1)]
CompanyName = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=120),
    AfterValidator(refuse_unsafe_name),
]


class IncidentKind(StrEnum):
    """What kind of incident a report is about."""

    FORCED_GATE = "forced_gate"
    TAILGATING = "tailgating"
    PASS_FRAUD = "pass_fraud"  # noqa: S105 (an incident kind, not a password)
    LIVENESS_ATTACK = "liveness_attack"
    INSIDER_PATTERN = "insider_pattern"
    SUSPICIOUS_BEHAVIOUR = "suspicious_behaviour"
    OTHER = "other"


class IncidentStatus(StrEnum):
    """A draft may still change; a filed report is final (and may be shared)."""

    DRAFT = "draft"
    FILED = "filed"


def _attachments(value: list[str]) -> list[str]:
    if len(value) > MAX_ATTACHMENTS:
        raise ValueError(
            f"at most {MAX_ATTACHMENTS} attachment hashes per incident (got {len(value)})"
        )
    return value


class _Editable(SQLModel):
    """The fields a reporter writes, on create and on a draft's update."""

    @field_validator("attachments", mode="before", check_fields=False)
    @classmethod
    def _cap_attachments(cls, value: Any) -> Any:
        # Counted before each hash is checked, so a list of 10,000 fails fast and clearly.
        return _attachments(value) if isinstance(value, list) else value


class IncidentCreate(_Editable):
    """A new incident report (API body, prefill answer, and what an import validates).

    `person_ids` are turned into pseudonyms by the API and never stored; a report that
    comes from outside carries `person_pseudonyms` already. `issuer` and `external_ref`
    are set by imports only (who reported it, and its id there).
    """

    kind: IncidentKind
    occurred_at: IncidentTime
    site_id: Id | None = None
    gate_id: Id | None = None
    zone_id: Id | None = None
    location: PlaceName | None = None
    company_ids: list[CompanyId] = Field(default_factory=list, max_length=MAX_INVOLVED)
    company_names: list[CompanyName] = Field(default_factory=list, max_length=MAX_INVOLVED)
    person_ids: list[Id] = Field(default_factory=list, max_length=MAX_INVOLVED)
    person_pseudonyms: list[Pseudonym] = Field(default_factory=list, max_length=MAX_INVOLVED)
    narrative: Narrative
    attachments: list[Sha256Hex] = Field(default_factory=list)
    tlp: TlpLabel = Tlp.AMBER
    source_alarm_id: Id | None = None
    source_event_id: Id | None = None
    issuer: PlaceName | None = None
    external_ref: Annotated[str, StringConstraints(max_length=120)] | None = None


class IncidentUpdate(_Editable):
    """A change to a draft: only the fields given change."""

    kind: IncidentKind | None = None
    occurred_at: IncidentTime | None = None
    gate_id: Id | None = None
    zone_id: Id | None = None
    location: PlaceName | None = None
    company_ids: list[CompanyId] | None = Field(default=None, max_length=MAX_INVOLVED)
    person_ids: list[Id] | None = Field(default=None, max_length=MAX_INVOLVED)
    narrative: Narrative | None = None
    attachments: list[Sha256Hex] | None = None
    tlp: TlpLabel | None = None


class Incident(SQLModel, table=True):
    """An incident report row; `site_id` is null for a report imported from outside."""

    __tablename__ = "incident"

    id: str = Field(primary_key=True, max_length=64)
    kind: IncidentKind = enum_column(IncidentKind, index=True)
    occurred_at: datetime = time_field(index=True)
    site_id: str | None = Field(default=None, max_length=64, index=True)
    gate_id: str | None = Field(default=None, max_length=64)
    zone_id: str | None = Field(default=None, max_length=64)
    location: str | None = Field(default=None, max_length=200)
    # [{"id": int | None, "name": str}]: the name travels, the id is this installation's.
    companies: list[dict[str, Any]] = Field(default_factory=list, sa_type=JSON)
    person_pseudonyms: list[str] = Field(default_factory=list, sa_type=JSON)
    narrative: str = Field(max_length=MAX_NARRATIVE)
    attachments: list[str] = Field(default_factory=list, sa_type=JSON)
    tlp: Tlp = enum_column(Tlp)
    source_alarm_id: str | None = Field(default=None, max_length=64)
    source_event_id: str | None = Field(default=None, max_length=64)
    status: IncidentStatus = enum_column(IncidentStatus, default=IncidentStatus.DRAFT, index=True)
    created_by: str = Field(max_length=80)
    created_at: datetime = time_field(default_factory=utc_now)
    updated_at: datetime = time_field(default_factory=utc_now)
    filed_by: str | None = Field(default=None, max_length=80)
    filed_at: datetime | None = time_field(default=None)
    issuer: str | None = Field(default=None, max_length=200)
    external_ref: str | None = Field(default=None, max_length=120, unique=True)


class IncidentPublic(SQLModel):
    """An incident report as the API shows it."""

    id: str
    kind: IncidentKind
    occurred_at: datetime
    site_id: str | None
    gate_id: str | None
    zone_id: str | None
    location: str | None
    companies: list[dict[str, Any]]
    person_pseudonyms: list[str]
    narrative: str
    attachments: list[str]
    tlp: Tlp
    source_alarm_id: str | None
    source_event_id: str | None
    status: IncidentStatus
    created_by: str
    created_at: datetime
    updated_at: datetime
    filed_by: str | None
    filed_at: datetime | None
    issuer: str | None
    external_ref: str | None
