"""Request and answer bodies of the enrollment API."""

from datetime import date, datetime
from typing import Literal

from gate_protocol.badges import badge_number_problem
from gate_protocol.i18n.locales import LaneLanguage
from gate_protocol.ids import Id
from gate_protocol.messages import BadgeFormat
from gate_protocol.records import PersonKind, PersonStatus
from pydantic import BaseModel, ConfigDict, Field, model_validator

from central_api.enroll.desk.days import DeskDay
from central_api.models import PersonCompetencyCreate
from central_api.models.common import NameStr

__all__ = [
    "BadgeIn",
    "CandidateOut",
    "EnrollOptions",
    "EnrollPersonIn",
    "ImportOutcome",
    "PassIn",
    "PassOut",
    "PersonSummary",
    "PhotoOutcome",
    "SecondUserIn",
]


class BadgeIn(BaseModel):
    """A badge to bind: its number as the reader reports it."""

    model_config = ConfigDict(extra="forbid")

    number: Id
    badge_format: BadgeFormat | None = None

    @model_validator(mode="after")
    def _a_reader_can_produce_it(self) -> "BadgeIn":
        problem = badge_number_problem(self.number, self.badge_format)
        if problem is not None:
            raise ValueError(problem)
        return self


class EnrollPersonIn(BaseModel):
    """Everything the desk knows about a new person; created in one transaction."""

    model_config = ConfigDict(extra="forbid")

    site_id: Id
    display_name: NameStr
    kind: PersonKind
    company: NameStr | None = Field(default=None, description="Company name (created if new).")
    valid_from: datetime | None = None
    valid_until: datetime | None = None
    first_day: DeskDay | None = Field(
        default=None, description="Instead of valid_from: the first day, in the site's zone."
    )
    last_day: DeskDay | None = Field(
        default=None, description="Instead of valid_until: the last day (inclusive), site's zone."
    )
    access_groups: list[str] = Field(
        default_factory=list, max_length=64, description="Access group names or ids."
    )
    competencies: list[PersonCompetencyCreate] = Field(default_factory=list, max_length=64)
    external_id: Id | None = Field(
        default=None, description="The id in the site's own system (bulk-import key)."
    )
    badge: BadgeIn | None = None
    preferred_language: LaneLanguage | None = Field(
        default=None, description="The language the lane display speaks to them (issue 26)."
    )


class PersonSummary(BaseModel):
    """A person as the desk sees them: no face data, only how many templates exist."""

    id: str
    site_id: str
    display_name: str
    kind: PersonKind
    status: PersonStatus
    company: str | None
    valid_from: datetime | None
    valid_until: datetime | None
    first_day: date | None = Field(
        default=None, description="The first valid day in the site's time zone (inclusive)."
    )
    last_day: date | None = Field(
        default=None, description="The last valid day in the site's time zone (inclusive)."
    )
    external_id: str | None
    templates: int
    badges: list[str]
    preferred_language: str | None = Field(
        default=None, description="The lane display's language for them (None: English)."
    )


class CandidateOut(BaseModel):
    """Another person the new face resembles: an identity a site may activate instead."""

    person_id: str
    display_name: str
    distance: float
    sites: list[str] = Field(
        default_factory=list, description="The sites where this identity is activated."
    )
    activate: str | None = Field(
        default=None,
        description="The route that activates this identity at a site (POST, body site_id).",
    )


class PhotoOutcome(BaseModel):
    """The answer to a photo: accepted, rejected (with reasons) or a possible duplicate."""

    status: Literal["ok", "accepted", "rejected", "duplicate"]
    reasons: list[str] = Field(default_factory=list, description="Quality reason codes.")
    messages: list[str] = Field(default_factory=list, description="The reasons, in words.")
    quality: float | None = None
    face_box: list[int] | None = None
    template_id: int | None = None
    templates: int | None = Field(default=None, description="The person's templates now.")
    pending_id: str | None = Field(
        default=None, description="Duplicate: what a second desk user confirms or rejects."
    )
    candidates: list[CandidateOut] = Field(default_factory=list)
    own_distance: float | None = Field(
        default=None, description="Distance to the person's own nearest template, if any."
    )


class SecondUserIn(BaseModel):
    """The second desk user who confirms, when they sign at the same desk."""

    model_config = ConfigDict(extra="forbid")

    username: str = Field(min_length=1, max_length=64)
    password: str = Field(min_length=1, max_length=256)


class PassIn(BaseModel):
    """A truck visit: gates, time window, plate; the pass is signed for exactly that."""

    model_config = ConfigDict(extra="forbid")

    gates: list[Id] = Field(min_length=1, max_length=8)
    window_start: datetime
    window_end: datetime
    plate: str | None = Field(default=None, max_length=10, pattern=r"^[A-Za-z0-9 -]+$")
    container_ref: str | None = Field(default=None, max_length=20, pattern=r"^[A-Za-z0-9-]+$")
    one_time: bool = True
    language: LaneLanguage | None = Field(
        default=None,
        description="The lane display's language for this pass (None: the holder's own).",
    )


class PassOut(BaseModel):
    """An issued pass: the token is the QR code's text."""

    pass_id: str
    appointment_id: str
    person_id: str
    token: str
    gates: list[str]
    not_before: datetime
    expires_at: datetime
    plate: str | None
    one_time: bool
    language: str | None = None  # the pass's own lane language, when it was issued with one
    # The phone link, only in the answer that made it (its secret is not stored): the URL
    # and a PNG data URI of its QR code for the clerk to show (docs/api.md).
    mobile_url: str | None = None
    mobile_qr: str | None = None


class ImportOutcome(BaseModel):
    """One bulk-import row: created, already there, or rejected with reasons."""

    status: Literal["created", "exists", "rejected"]
    person_id: str | None = None
    reason: str | None = None
    photos: dict[str, PhotoOutcome] = Field(default_factory=dict)
    # The identity this face already is at other sites: activate it here, not a duplicate.
    activate_person_id: str | None = None


class EnrollOptions(BaseModel):
    """What the desk page offers in its forms."""

    sites: list[dict[str, str]]
    access_groups: list[dict[str, object]]
    gates: list[dict[str, str]]
    competencies: list[str]
    kinds: list[str]
    photo_retention_days: int
