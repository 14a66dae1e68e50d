"""Users, gate agent keys, the hash-chained audit log and remote-open requests."""

from datetime import datetime
from enum import StrEnum
from typing import Annotated

from gate_protocol.ids import Id
from gate_protocol.messages import Direction
from pydantic import StringConstraints
from sqlalchemy import JSON, LargeBinary, Text
from sqlmodel import Field, SQLModel

from central_api.db import utc_now
from central_api.models.common import enum_column, time_field

ReasonStr = Annotated[str, StringConstraints(strip_whitespace=True, min_length=3, max_length=500)]

__all__ = [
    "AgentKey",
    "AuditEntry",
    "AuditHead",
    "OpenRequest",
    "OpenRequestCreate",
    "OpenRequestPublic",
    "Role",
    "User",
    "UserPublic",
]


class Role(StrEnum):
    """User roles (docs/architecture.md, central API); gate agents use keys, not roles."""

    ADMIN = "admin"
    SECURITY_DESK = "security_desk"
    OPERATOR = "operator"
    # Port-wide (no site): the port authority's security officers, who issue port bans,
    # company status and persons of interest for every terminal of the port community.
    AUTHORITY = "authority"


class User(SQLModel, table=True):
    """A dashboard or desk user (argon2 password hash).

    Operators and security desks belong to one site and see only it; an admin belongs to
    one site (a site admin) or to none (site-wide: every site, and sites themselves).
    """

    id: int | None = Field(default=None, primary_key=True)
    username: str = Field(max_length=64, unique=True)
    password_hash: str = Field(max_length=256)
    role: Role = enum_column(Role)
    site_id: str | None = Field(default=None, foreign_key="site.id", index=True, max_length=64)
    active: bool = True
    created_at: datetime = time_field(default_factory=utc_now)
    # Part of every token; bumped by logout and password change to end its sessions.
    session_epoch: int = Field(default=0, sa_column_kwargs={"server_default": "0"})
    # The language the user chose for the pages (gate_protocol/i18n); None: the browser's.
    locale: str | None = Field(default=None, max_length=8)


class UserPublic(SQLModel):
    """A user as the API shows it; no `site_id`: a site-wide admin."""

    username: str
    role: Role
    site_id: str | None = None
    active: bool


class AgentKey(SQLModel, table=True):
    """A gate agent's API key, stored as the sha256 of a high-entropy random key."""

    id: int | None = Field(default=None, primary_key=True)
    gate_id: str = Field(foreign_key="gate.id", index=True, max_length=64)
    key_hash: str = Field(max_length=64, unique=True)
    created_at: datetime = time_field(default_factory=utc_now)
    revoked_at: datetime | None = time_field(default=None)


class GateCommandKey(SQLModel, table=True):
    """A gate's Ed25519 command key; the private half sealed with the template key."""

    gate_id: str = Field(foreign_key="gate.id", primary_key=True, max_length=64)
    key_id: str = Field(primary_key=True, max_length=8)
    public_key_b64: str = Field(max_length=64)
    nonce: bytes = Field(sa_type=LargeBinary)
    ciphertext: bytes = Field(sa_type=LargeBinary)
    created_at: datetime = time_field(default_factory=utc_now)


class AuditEntry(SQLModel, table=True):
    """One audit row: hash = sha256(prev_hash + canonical JSON of the row's content)."""

    __tablename__ = "audit_entry"

    id: int | None = Field(default=None, primary_key=True)
    seq: int = Field(unique=True)
    at: datetime = time_field()
    actor: str = Field(max_length=80)
    action: str = Field(max_length=64)
    target: str = Field(default="", max_length=128)
    before: str | None = Field(default=None, sa_type=Text)
    after: str | None = Field(default=None, sa_type=Text)
    prev_hash: str = Field(max_length=64)
    hash: str = Field(max_length=64)


class AuditHead(SQLModel, table=True):
    """The single chain-head row: last seq and hash; appends lock it, truncation shows."""

    __tablename__ = "audit_head"

    id: int = Field(default=1, primary_key=True)
    seq: int = 0
    hash: str = Field(default="0" * 64, max_length=64)


class OpenRequestCreate(SQLModel):
    """An operator asks to open a lane remotely; the reason is mandatory."""

    lane: int = Field(default=0, ge=0, le=63)
    direction: Direction = Direction.ENTRY
    reason: ReasonStr = Field(schema_extra={"examples": ["truck stuck at barrier, driver inside"]})


class OpenRequest(SQLModel, table=True):
    """A remote-open request; with four-eyes on, a second operator must approve it."""

    __tablename__ = "open_request"

    id: str = Field(primary_key=True, max_length=64)
    gate_id: str = Field(foreign_key="gate.id", max_length=64)
    lane: int
    direction: Direction = enum_column(Direction)
    reason: str = Field(max_length=500)
    requested_by: str = Field(max_length=64)
    requested_at: datetime = time_field(default_factory=utc_now)
    approved_by: str | None = Field(default=None, max_length=64)
    status: str = Field(default="pending", max_length=16)
    command_id: str | None = Field(default=None, max_length=64)
    extra: dict[str, object] = Field(default_factory=dict, sa_type=JSON)


class OpenRequestPublic(SQLModel):
    """A remote-open request as the API shows it."""

    id: Id
    gate_id: str
    lane: int
    direction: Direction
    reason: str
    requested_by: str
    approved_by: str | None
    status: str
    command_id: str | None
