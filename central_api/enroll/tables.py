"""The enrollment tables: external ids, faces awaiting a second user, passes, kept photos.

They live in their own metadata (`ENROLL_METADATA`), which the Alembic environment
migrates along with the API's (revision 0002 creates them: `portgate db upgrade`); person
ids are plain indexed columns (erasure deletes these rows itself). The desk's notes and
document references (revision 0029) are in the API's own metadata: no API ever made them
at start-up.
"""

from datetime import datetime

from sqlalchemy import JSON, LargeBinary, MetaData, UniqueConstraint
from sqlalchemy.orm import registry
from sqlmodel import Field, SQLModel

from central_api.db import utc_now
from central_api.models.common import time_field

__all__ = [
    "ENROLL_METADATA",
    "DeskNote",
    "DeskRead",
    "DocumentRef",
    "IssuedPass",
    "MobilePassLink",
    "PendingFace",
    "PersonExternalId",
    "RetainedPhoto",
]

ENROLL_METADATA = MetaData()
_REGISTRY = registry(metadata=ENROLL_METADATA)


class _EnrollTable(SQLModel, registry=_REGISTRY):
    """Base of the enrollment tables (their own metadata)."""


class PersonExternalId(_EnrollTable, table=True):
    """The id a person has in the site's own HR or haulier system (the bulk-import key)."""

    __tablename__ = "enroll_external_id"
    __table_args__ = (UniqueConstraint("site_id", "external_id", name="uq_enroll_external_id"),)

    id: int | None = Field(default=None, primary_key=True)
    site_id: str = Field(max_length=64)
    external_id: str = Field(max_length=64)
    person_id: str = Field(index=True, max_length=64, unique=True)
    created_at: datetime = time_field(default_factory=utc_now)


class PendingFace(_EnrollTable, table=True):
    """A face that matched someone else: held (encrypted) until a second desk user decides."""

    __tablename__ = "enroll_pending_face"

    id: str = Field(primary_key=True, max_length=64)
    person_id: str = Field(index=True, max_length=64)
    nonce: bytes = Field(sa_type=LargeBinary)
    ciphertext: bytes = Field(sa_type=LargeBinary)
    quality: float | None = None
    candidates: list[dict[str, object]] = Field(default_factory=list, sa_type=JSON)
    requested_by: str = Field(max_length=80)
    created_at: datetime = time_field(default_factory=utc_now)


class IssuedPass(_EnrollTable, table=True):
    """A signed QR pass token, kept so that the desk can reprint it."""

    __tablename__ = "enroll_issued_pass"

    pass_id: str = Field(primary_key=True, max_length=64)
    appointment_id: str = Field(index=True, max_length=64)
    person_id: str = Field(index=True, max_length=64)
    token: str = Field(max_length=256)
    issued_by: str = Field(max_length=80)
    issued_at: datetime = time_field()
    not_before: datetime = time_field()
    expires_at: datetime = time_field()


class MobilePassLink(SQLModel, table=True):
    """A pass's phone link (0036, the API's own metadata): only a keyed hash of its secret is kept.

    The row outlives a cancelled pass (whose `IssuedPass` goes), so the phone says
    "cancelled" rather than "not valid"; erasing the person deletes it.
    """

    __tablename__ = "mobile_pass_link"

    pass_id: str = Field(primary_key=True, max_length=64)
    person_id: str = Field(index=True, max_length=64)
    # HMAC-SHA256 of the link's secret under a key derived from the server's secret, hex.
    link_hash: str = Field(max_length=64, unique=True)
    issued_by: str = Field(max_length=80)
    created_at: datetime = time_field(default_factory=utc_now)


class RetainedPhoto(_EnrollTable, table=True):
    """A raw enrollment photo, kept only when the site turns retention on (AES-GCM)."""

    __tablename__ = "enroll_retained_photo"

    id: int | None = Field(default=None, primary_key=True)
    person_id: str = Field(index=True, max_length=64)
    template_id: int | None = Field(default=None, index=True)
    nonce: bytes = Field(sa_type=LargeBinary)
    ciphertext: bytes = Field(sa_type=LargeBinary)
    content_type: str = Field(default="image/jpeg", max_length=32)
    created_at: datetime = time_field(default_factory=utc_now)
    expires_at: datetime = time_field(index=True)


class DeskNote(SQLModel, table=True):
    """Why the desk revoked, suspended or reinstated a person, or revoked a badge (0029).

    The reason is personal data: it is erased with the person, and the audit row carries
    only its keyed hash (`central_api.audit.privacy`).
    """

    __tablename__ = "enroll_desk_note"

    id: int | None = Field(default=None, primary_key=True)
    person_id: str = Field(index=True, max_length=64)
    action: str = Field(max_length=32)
    reason: str = Field(max_length=500)
    credential_id: int | None = Field(default=None)
    actor: str = Field(max_length=80)
    at: datetime = time_field(default_factory=utc_now)


class DocumentRef(SQLModel, table=True):
    """A keyed hash of a document number the desk checked, to find the person by it (0029).

    Like the community's identity reference, the number itself is never stored: the desk
    finds a person by typing the number again, and nobody without the key can test numbers.
    """

    __tablename__ = "enroll_document_ref"
    __table_args__ = (UniqueConstraint("person_id", "ref", name="uq_enroll_document_ref"),)

    id: int | None = Field(default=None, primary_key=True)
    person_id: str = Field(index=True, max_length=64)
    ref: str = Field(index=True, max_length=80)
    created_at: datetime = time_field(default_factory=utc_now)


class DeskRead(SQLModel, table=True):
    """The last badge a desk user's own reader read (0029): the desk page fills it in.

    One row per desk user, overwritten by every read; a read is offered to the page for a
    few seconds only (`central_api.enroll.desk.reader`).
    """

    __tablename__ = "enroll_desk_read"

    username: str = Field(primary_key=True, max_length=64)
    number: str = Field(max_length=64)
    badge_format: str | None = Field(default=None, max_length=16)
    read_at: datetime = time_field(default_factory=utc_now)
