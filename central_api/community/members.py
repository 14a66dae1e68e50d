"""The community and its members: init (hub), join (member), add, remove, list, keys.

The hub's `init` makes the community: its id and name, the hub's own Ed25519 key, and the
community key that identity references are keyed with. A joining installation gets a join
token from the hub (community id and name, the hub's id and public key, the community
key: a secret, handed over out of band like any other key) and makes its own signing key;
the hub then adds it by its public key. Private keys and the community key are sealed at
rest with the template key. Callers commit (`commit_audited` here does).
"""

import base64
import binascii
import json
import secrets
from dataclasses import dataclass, field

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from gate_protocol.ids import is_id
from gate_protocol.passes.keys import encode_public_key, load_public_key
from sqlmodel import Session, col, select

from central_api.crud.audited import commit_audited
from central_api.db import utc_now
from central_api.errors import ConflictError, InvalidError, NotFoundError
from central_api.models.community import Community, CommunityMember, MemberRole, MemberStatus
from central_api.security.vault import TemplateVaultError, decrypt_template, encrypt_template

__all__ = [
    "CommunityKeys",
    "JoinToken",
    "add_member",
    "get_member",
    "init_community",
    "join_community",
    "join_token",
    "list_members",
    "load_keys",
    "remove_member",
]


@dataclass(frozen=True, slots=True)
class CommunityKeys:
    """This installation's place in the community, with its unsealed keys."""

    community_id: str
    name: str
    own_member_id: str
    signing_key: Ed25519PrivateKey
    ref_key: bytes
    # The template key: face templates a ban carries are kept sealed with it here.
    seal_key: bytes = field(default=b"", repr=False)


@dataclass(frozen=True, slots=True)
class JoinToken:
    """What a joining installation needs from the hub."""

    community_id: str
    name: str
    hub_id: str
    hub_public_key: str
    ref_key: bytes


def _check_id(value: str, what: str) -> None:
    if not is_id(value):
        raise InvalidError(f"{what} {value!r} is not an id (1-64 of A-Z a-z 0-9 . _ : -)")


def _check_public_key(value: str) -> None:
    try:
        load_public_key(value)
    except (ValueError, binascii.Error):
        raise InvalidError("public key is not base64 of a raw Ed25519 public key") from None


def _store(
    session: Session,
    *,
    community_id: str,
    name: str,
    own: str,
    key: Ed25519PrivateKey,
    ref_key: bytes,
    seal_key: bytes,
) -> Community:
    if session.exec(select(Community)).first() is not None:
        raise ConflictError("this installation is already in a community")
    raw = key.private_bytes(
        serialization.Encoding.Raw, serialization.PrivateFormat.Raw, serialization.NoEncryption()
    )
    bound = f"community:{community_id}:{own}"
    signing_nonce, signing_sealed = encrypt_template(key=seal_key, person_id=bound, template=raw)
    ref_nonce, ref_sealed = encrypt_template(key=seal_key, person_id=bound, template=ref_key)
    return Community(
        id=community_id,
        name=name,
        own_member_id=own,
        signing_nonce=signing_nonce,
        signing_sealed=signing_sealed,
        ref_key_nonce=ref_nonce,
        ref_key_sealed=ref_sealed,
    )


def init_community(
    *, session: Session, community_id: str, name: str, hub_id: str, seal_key: bytes, actor: str
) -> CommunityMember:
    """Make a community with this installation as its hub; returns the hub's member row."""
    _check_id(community_id, "community id")
    _check_id(hub_id, "member id")
    key = Ed25519PrivateKey.generate()
    community = _store(
        session,
        community_id=community_id,
        name=name,
        own=hub_id,
        key=key,
        ref_key=secrets.token_bytes(32),
        seal_key=seal_key,
    )
    hub = CommunityMember(
        id=hub_id,
        name=name,
        role=MemberRole.HUB,
        public_key_b64=encode_public_key(key.public_key()),
    )
    commit_audited(
        session,
        actor=actor,
        action="community.init",
        target=f"community:{community_id}",
        after={"name": name, "hub": hub_id, "public_key": hub.public_key_b64},
        rows=[community, hub],
    )
    return hub


def load_keys(*, session: Session, seal_key: bytes) -> CommunityKeys:
    """This installation's community and unsealed keys, or InvalidError when it has none."""
    community = session.exec(select(Community)).first()
    if community is None:
        raise InvalidError("this installation is in no community: portgate community init|join")
    bound = f"community:{community.id}:{community.own_member_id}"
    try:
        raw = decrypt_template(
            key=seal_key,
            person_id=bound,
            nonce=community.signing_nonce,
            ciphertext=community.signing_sealed,
        )
        ref_key = decrypt_template(
            key=seal_key,
            person_id=bound,
            nonce=community.ref_key_nonce,
            ciphertext=community.ref_key_sealed,
        )
    except TemplateVaultError:
        raise InvalidError("the community keys do not unseal with this template key") from None
    return CommunityKeys(
        community_id=community.id,
        name=community.name,
        own_member_id=community.own_member_id,
        signing_key=Ed25519PrivateKey.from_private_bytes(raw),
        ref_key=ref_key,
        seal_key=seal_key,
    )


def join_token(*, session: Session, seal_key: bytes) -> str:
    """The hub's join token (base64 JSON; it holds the community key: hand it over safely)."""
    keys = load_keys(session=session, seal_key=seal_key)
    hub = get_member(session=session, member_id=keys.own_member_id)
    if hub.role is not MemberRole.HUB:
        raise InvalidError("only the hub hands out join tokens")
    content = {
        "community_id": keys.community_id,
        "name": keys.name,
        "hub_id": hub.id,
        "hub_public_key": hub.public_key_b64,
        "ref_key": base64.b64encode(keys.ref_key).decode("ascii"),
    }
    return base64.urlsafe_b64encode(json.dumps(content).encode()).decode("ascii")


def _parse_token(token: str) -> JoinToken:
    try:
        content = json.loads(base64.urlsafe_b64decode(token.encode()))
        parsed = JoinToken(
            community_id=str(content["community_id"]),
            name=str(content["name"]),
            hub_id=str(content["hub_id"]),
            hub_public_key=str(content["hub_public_key"]),
            ref_key=base64.b64decode(str(content["ref_key"]), validate=True),
        )
    except (ValueError, KeyError, TypeError, binascii.Error):
        raise InvalidError("the join token is not one `portgate community token` wrote") from None
    if len(parsed.ref_key) != 32:
        raise InvalidError("the join token's community key is not 32 bytes")
    _check_id(parsed.community_id, "community id")
    _check_id(parsed.hub_id, "member id")
    _check_public_key(parsed.hub_public_key)
    return parsed


def join_community(
    *, session: Session, token: str, member_id: str, name: str, seal_key: bytes, actor: str
) -> CommunityMember:
    """Join the hub's community as `member_id`; returns our own member row (its public key)."""
    _check_id(member_id, "member id")
    parsed = _parse_token(token)
    if member_id == parsed.hub_id:
        raise InvalidError(f"member id {member_id!r} is the hub's")
    key = Ed25519PrivateKey.generate()
    community = _store(
        session,
        community_id=parsed.community_id,
        name=parsed.name,
        own=member_id,
        key=key,
        ref_key=parsed.ref_key,
        seal_key=seal_key,
    )
    hub = CommunityMember(
        id=parsed.hub_id,
        name=parsed.name,
        role=MemberRole.HUB,
        public_key_b64=parsed.hub_public_key,
    )
    own = CommunityMember(
        id=member_id,
        name=name,
        role=MemberRole.MEMBER,
        public_key_b64=encode_public_key(key.public_key()),
    )
    commit_audited(
        session,
        actor=actor,
        action="community.join",
        target=f"community:{community.id}",
        after={"member": member_id, "hub": hub.id, "public_key": own.public_key_b64},
        rows=[community, hub, own],
    )
    return own


def get_member(*, session: Session, member_id: str) -> CommunityMember:
    """The member, or NotFoundError."""
    member = session.get(CommunityMember, member_id)
    if member is None:
        raise NotFoundError(f"community member {member_id!r} not found")
    return member


def list_members(*, session: Session) -> list[CommunityMember]:
    """Every member this installation knows, removed ones too, by id."""
    return list(session.exec(select(CommunityMember).order_by(col(CommunityMember.id))).all())


def add_member(
    *, session: Session, member_id: str, name: str, public_key_b64: str, actor: str
) -> CommunityMember:
    """Add a member by its public key (at the hub, or a member learning of another)."""
    _check_id(member_id, "member id")
    _check_public_key(public_key_b64)
    if session.exec(select(Community)).first() is None:
        raise InvalidError("this installation is in no community: portgate community init|join")
    if session.get(CommunityMember, member_id) is not None:
        raise ConflictError(f"community member {member_id!r} exists already")
    member = CommunityMember(
        id=member_id, name=name, role=MemberRole.MEMBER, public_key_b64=public_key_b64
    )
    commit_audited(
        session,
        actor=actor,
        action="community.member_add",
        target=f"member:{member_id}",
        after={"name": name, "public_key": public_key_b64},
        rows=[member],
    )
    return member


def remove_member(*, session: Session, member_id: str, actor: str) -> CommunityMember:
    """Remove a member: its items are refused from now on (its past stays in the logs)."""
    member = get_member(session=session, member_id=member_id)
    if member.role is MemberRole.HUB:
        raise InvalidError("the hub cannot be removed: a community without its hub ends")
    if member.status is MemberStatus.REMOVED:
        raise ConflictError(f"community member {member_id!r} was removed already")
    member.status = MemberStatus.REMOVED
    member.removed_at = utc_now()
    commit_audited(
        session,
        actor=actor,
        action="community.member_remove",
        target=f"member:{member_id}",
        before={"status": "active"},
        after={"status": "removed"},
        rows=[member],
    )
    return member
