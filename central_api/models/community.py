"""Sharing between installations: the community, its members, the item logs, refusals, refs.

One installation belongs to at most one community (`community`, one row). Its signing key
and the community's HMAC key are sealed with the template key like the gate command keys.
`shared_item_out` is this installation's own items (sequence gap-free from 1);
`shared_item_in` what it received and what it did with each; `sharing_refusal` counts the
items refused, by issuer and reason; `community_ban` keeps every received ban, also those
for an identity nobody here has (yet), by its keyed identity reference only.
"""

from datetime import datetime
from enum import StrEnum

from sqlalchemy import LargeBinary, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from central_api.db import utc_now
from central_api.models.common import enum_column, time_field

__all__ = [
    "Community",
    "CommunityBan",
    "CommunityMember",
    "IdentityRef",
    "MemberRole",
    "MemberStatus",
    "ReceivedItem",
    "SharedItemOut",
    "SharingRefusal",
]


class MemberRole(StrEnum):
    """The hub (the port authority, whose broker the others bridge to) or a member."""

    HUB = "hub"
    MEMBER = "member"


class MemberStatus(StrEnum):
    """A removed member's items are refused from then on."""

    ACTIVE = "active"
    REMOVED = "removed"


class Community(SQLModel, table=True):
    """The community this installation is in, who it is there and its sealed keys."""

    id: str = Field(primary_key=True, max_length=64)
    name: str = Field(max_length=120)
    own_member_id: str = Field(max_length=64)
    signing_nonce: bytes = Field(sa_type=LargeBinary)
    signing_sealed: bytes = Field(sa_type=LargeBinary)
    ref_key_nonce: bytes = Field(sa_type=LargeBinary)
    ref_key_sealed: bytes = Field(sa_type=LargeBinary)
    created_at: datetime = time_field(default_factory=utc_now)


class CommunityMember(SQLModel, table=True):
    """A member as this installation knows it (the register the hub keeps, too)."""

    __tablename__ = "community_member"

    id: str = Field(primary_key=True, max_length=64)
    name: str = Field(max_length=120)
    role: MemberRole = enum_column(MemberRole)
    public_key_b64: str = Field(max_length=64)
    status: MemberStatus = enum_column(MemberStatus, default=MemberStatus.ACTIVE)
    added_at: datetime = time_field(default_factory=utc_now)
    removed_at: datetime | None = time_field(default=None)
    # The member's last item applied here; its next must be this + 1.
    last_received_seq: int = 0
    # The highest of our own items the member fetched from our feed.
    last_delivered_seq: int = 0


class SharedItemOut(SQLModel, table=True):
    """One of this installation's own signed items; `published_at` once handed to the broker."""

    __tablename__ = "shared_item_out"

    sequence: int = Field(primary_key=True, sa_column_kwargs={"autoincrement": False})
    kind: str = Field(max_length=32)
    tlp: str = Field(max_length=32)
    recipients: str = Field(default="", max_length=1000)
    item_json: str = Field(sa_type=Text)
    created_at: datetime = time_field(default_factory=utc_now)
    published_at: datetime | None = time_field(default=None)


class ReceivedItem(SQLModel, table=True):
    """An item received from another member, once verified, and what was done with it."""

    __tablename__ = "shared_item_in"
    __table_args__ = (UniqueConstraint("issuer", "sequence", name="uq_shared_item_in"),)

    id: int | None = Field(default=None, primary_key=True)
    issuer: str = Field(max_length=64, index=True)
    sequence: int
    kind: str = Field(max_length=32)
    tlp: str = Field(max_length=32)
    item_json: str = Field(sa_type=Text)
    received_at: datetime = time_field(default_factory=utc_now)
    applied: bool = False
    outcome: str = Field(default="", max_length=300)


class SharingRefusal(SQLModel, table=True):
    """How many items of an issuer were refused for one reason, and the last one's detail."""

    __tablename__ = "sharing_refusal"

    issuer: str = Field(primary_key=True, max_length=64)
    reason: str = Field(primary_key=True, max_length=32)
    count: int = 0
    last_at: datetime = time_field(default_factory=utc_now)
    last_detail: str = Field(default="", max_length=300)


class IdentityRef(SQLModel, table=True):
    """A person's keyed identity reference (never the document number itself)."""

    __tablename__ = "community_identity_ref"
    __table_args__ = (UniqueConstraint("ref", "person_id", name="uq_community_identity_ref"),)

    id: int | None = Field(default=None, primary_key=True)
    ref: str = Field(max_length=68, index=True)
    person_id: str = Field(max_length=64, index=True)
    created_at: datetime = time_field(default_factory=utc_now)


class CommunityBan(SQLModel, table=True):
    """A ban received from a member, by identity reference; the local bans it became."""

    __tablename__ = "community_ban"
    __table_args__ = (
        UniqueConstraint("issuer", "issuer_ban_id", "identity_ref", name="uq_community_ban"),
    )

    id: int | None = Field(default=None, primary_key=True)
    issuer: str = Field(max_length=64)
    issuer_ban_id: str = Field(max_length=64)
    identity_ref: str = Field(max_length=68, index=True)
    reason: str = Field(max_length=500)
    legal_reference: str = Field(max_length=120)
    valid_from: datetime = time_field()
    valid_until: datetime | None = time_field(default=None)
    lifted_at: datetime | None = time_field(default=None)
    # Space-separated ids of the port bans it became here (one per local person with the ref).
    local_ban_ids: str = Field(default="", max_length=1000)
