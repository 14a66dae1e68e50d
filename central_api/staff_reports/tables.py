"""The staff report tables (migration 0023) and the models the API reads and answers.

Nothing here identifies the reporter unless they choose to: a report keeps no client
address, user agent, cookie or account; `reporter_name` and `reporter_contact` are
optional and empty by default. The follow-up code is kept only as a keyed hash.
"""

from datetime import datetime
from enum import StrEnum
from typing import Annotated

from gate_protocol.text import refuse_unsafe_name, refuse_unsafe_text
from pydantic import AfterValidator, StringConstraints
from sqlalchemy import LargeBinary
from sqlmodel import Field, SQLModel

from central_api.db import utc_now
from central_api.incidents.tables import IncidentKind, IncidentTime
from central_api.incidents.tlp import Tlp, TlpLabel
from central_api.models.common import enum_column, time_field

__all__ = [
    "MAX_MESSAGE",
    "MAX_WHAT",
    "FollowUpIn",
    "FollowUpView",
    "MakeIncidentIn",
    "MessageAuthor",
    "MessageView",
    "PassOnIn",
    "ReplyIn",
    "ReportReceipt",
    "ReporterMessageIn",
    "StaffReport",
    "StaffReportMessage",
    "StaffReportPublic",
    "StaffReportSign",
    "StaffReportStatus",
    "StatusChangeIn",
    "TriageMessage",
]

MAX_WHAT = 4000
MAX_MESSAGE = 2000
MAX_PLACE = 200

Message = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=MAX_MESSAGE),
    AfterValidator(refuse_unsafe_text),
]
Recipient = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=MAX_PLACE),
    AfterValidator(refuse_unsafe_name),
]
# A code as typed: case, spaces and dashes are forgiven (`codes.normalise_code`).
CodeText = Annotated[str, StringConstraints(min_length=1, max_length=64)]


class StaffReportStatus(StrEnum):
    """Where a report stands in the triage queue."""

    NEW = "new"
    IN_PROGRESS = "in_progress"
    CLOSED = "closed"
    PASSED_ON = "passed_on"


class MessageAuthor(StrEnum):
    """Who wrote a message of a report's thread."""

    REPORTER = "reporter"
    TRIAGE = "triage"


class StaffReport(SQLModel, table=True):
    """One report of suspicious activity at a site."""

    __tablename__ = "staff_report"

    id: str = Field(primary_key=True, max_length=64)
    site_id: str = Field(max_length=64, index=True)
    gate_id: str | None = Field(default=None, max_length=64)
    place: str = Field(max_length=MAX_PLACE)
    what: str = Field(max_length=MAX_WHAT)
    occurred_at: datetime = time_field()
    received_at: datetime = time_field(default_factory=utc_now, index=True)
    reporter_name: str | None = Field(default=None, max_length=120)
    reporter_contact: str | None = Field(default=None, max_length=MAX_PLACE)
    # AES-GCM with the report id as associated data (`photos.seal_photo`); re-encoded JPEG.
    photo_nonce: bytes | None = Field(default=None, sa_type=LargeBinary)
    photo_ciphertext: bytes | None = Field(default=None, sa_type=LargeBinary)
    photo_sha256: str | None = Field(default=None, max_length=64)
    status: StaffReportStatus = enum_column(
        StaffReportStatus, default=StaffReportStatus.NEW, index=True
    )
    assigned_to: str | None = Field(default=None, max_length=80)
    passed_on_to: str | None = Field(default=None, max_length=MAX_PLACE)
    incident_id: str | None = Field(default=None, max_length=64)
    code_hash: str = Field(max_length=64, unique=True)
    updated_at: datetime = time_field(default_factory=utc_now)
    closed_at: datetime | None = time_field(default=None, index=True)


class StaffReportMessage(SQLModel, table=True):
    """One message of a report's thread, from the reporter or from triage."""

    __tablename__ = "staff_report_message"

    id: int | None = Field(default=None, primary_key=True)
    report_id: str = Field(foreign_key="staff_report.id", max_length=64, index=True)
    author: MessageAuthor = enum_column(MessageAuthor)
    author_user: str | None = Field(default=None, max_length=80)
    body: str = Field(max_length=MAX_MESSAGE)
    created_at: datetime = time_field(default_factory=utc_now)


class StaffReportSign(SQLModel, table=True):
    """A gate sign's token: the QR code's URL names the site and this token, nothing else."""

    __tablename__ = "staff_report_sign"

    token: str = Field(primary_key=True, max_length=64)
    site_id: str = Field(max_length=64, index=True)
    gate_id: str = Field(max_length=64)
    created_at: datetime = time_field(default_factory=utc_now)
    created_by: str = Field(max_length=80)
    retired_at: datetime | None = time_field(default=None)


class ReportReceipt(SQLModel):
    """The answer to a new report: the follow-up code, shown this once."""

    code: str
    status: StaffReportStatus
    received_at: datetime


class FollowUpIn(SQLModel):
    """A reporter's follow-up code (in the body, never in a URL)."""

    code: CodeText


class ReporterMessageIn(FollowUpIn):
    """A message from the reporter, with their code."""

    body: Message


class MessageView(SQLModel):
    """A message as the thread shows it (never the triage user's name to the reporter)."""

    author: MessageAuthor
    body: str
    created_at: datetime


class FollowUpView(SQLModel):
    """What the reporter sees with their code."""

    status: StaffReportStatus
    place: str
    what: str
    occurred_at: datetime
    received_at: datetime
    has_photo: bool
    messages: list[MessageView]


class TriageMessage(MessageView):
    """A message as triage sees it: who of them wrote it."""

    author_user: str | None


class StaffReportPublic(SQLModel):
    """A report as triage sees it (the photo is fetched on its own)."""

    id: str
    site_id: str
    gate_id: str | None
    place: str
    what: str
    occurred_at: datetime
    received_at: datetime
    reporter_name: str | None
    reporter_contact: str | None
    has_photo: bool
    photo_sha256: str | None
    status: StaffReportStatus
    assigned_to: str | None
    passed_on_to: str | None
    incident_id: str | None
    updated_at: datetime
    closed_at: datetime | None
    messages: list[TriageMessage] = Field(default_factory=list)


class StatusChangeIn(SQLModel):
    """A new status, with an optional note for the thread (sent to the reporter)."""

    status: StaffReportStatus
    note: Message | None = None


class PassOnIn(SQLModel):
    """Passing a report on: to whom (police, customs, ...), and an optional note."""

    to: Recipient
    note: Message | None = None


class ReplyIn(SQLModel):
    """A reply from triage to the reporter."""

    body: Message


class MakeIncidentIn(SQLModel):
    """Turn a report into an incident report (filed by default, so it can be shared)."""

    kind: IncidentKind = IncidentKind.SUSPICIOUS_BEHAVIOUR
    tlp: TlpLabel = Tlp.AMBER
    file: bool = True
    occurred_at: IncidentTime | None = None
