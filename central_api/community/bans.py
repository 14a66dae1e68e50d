"""Port bans across the community: share a local ban or its lift; apply a received one.

A shared ban names the person only by their identity references (`identity.py`). The
receiver keeps every received ban (`community_ban`), and for each local person with such a
reference it issues a local port ban marked with the issuer (`issued_by`) and the issuer's
ban id in the legal reference, so it reaches the gates exactly like a local one (replica
bumps, watchlist gallery) and the operator reads who banned and under what reference. A
person who gets the reference later (`refs.set_identity_ref`) is banned then.
"""

import secrets
from typing import Annotated, Any

from gate_protocol.ids import Id
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, StringConstraints
from sqlmodel import Session, col, select

from central_api.audit.chain import append_audit
from central_api.community.appliers import ApplyContext
from central_api.community.envelope import ItemKind, SharedItem, Tlp
from central_api.community.faces import (
    SealedFaces,
    faces_for_ban,
    open_faces,
    unwatch_faces,
    watch_faces,
)
from central_api.community.identity import REF_PATTERN
from central_api.community.members import CommunityKeys
from central_api.community.outgoing import share
from central_api.crud.bans import get_ban
from central_api.db import utc_now
from central_api.errors import InvalidError
from central_api.models import BanStatus, PortBan
from central_api.models.community import CommunityBan, IdentityRef
from central_api.replica.bans import ban_sites
from central_api.replica.versions import bump_replica
from central_api.replica.watchlist import bump_watchlist, has_face

__all__ = [
    "BanBody",
    "BanLiftBody",
    "apply_ban",
    "apply_ban_lift",
    "ban_local",
    "share_ban",
    "share_ban_lift",
]

_MAX_REFS = 8
Ref = Annotated[str, StringConstraints(pattern=REF_PATTERN)]


class BanBody(BaseModel):
    """The body of a `ban` item: the issuer's ban id, whom (refs), why, on what ground, when."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    ban_id: Id
    identity_refs: tuple[Ref, ...] = Field(min_length=1, max_length=_MAX_REFS)
    reason: str = Field(min_length=1, max_length=500)
    legal_reference: str = Field(min_length=1, max_length=120)
    valid_from: AwareDatetime
    valid_until: AwareDatetime | None = None
    # Only with --with-faces: the person's templates, sealed to each recipient member.
    faces: tuple[SealedFaces, ...] = Field(default=(), max_length=64)


class BanLiftBody(BaseModel):
    """The body of a `ban_lift` item: which of the issuer's bans, and why."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    ban_id: Id
    reason: str = Field(default="", max_length=500)


def _refs_of(session: Session, person_id: str) -> list[str]:
    rows = session.exec(
        select(IdentityRef.ref)
        .where(IdentityRef.person_id == person_id)
        .order_by(col(IdentityRef.ref))
    ).all()
    return list(rows)[:_MAX_REFS]


def share_ban(
    session: Session,
    keys: CommunityKeys,
    *,
    ban_id: str,
    tlp: Tlp,
    recipients: tuple[str, ...] = (),
    actor: str,
    with_faces: bool = False,
) -> SharedItem:
    """Share an active local ban with the community (the caller commits).

    With `with_faces` the person's face templates travel too, each sealed to each member
    the item is for (`faces.faces_for_ban`); without it no template leaves.

    Raises:
        InvalidError: The ban is not active, its person has no identity reference, or
            (with faces) no face template.
    """
    ban = get_ban(session=session, ban_id=ban_id)
    if ban.status is not BanStatus.ACTIVE:
        raise InvalidError(f"port ban {ban_id!r} is {ban.status}: only an active ban is shared")
    refs = _refs_of(session, ban.person_id)
    if not refs:
        raise InvalidError(
            f"person {ban.person_id!r} has no identity reference: "
            "portgate community ref PERSON --document-number N first"
        )
    body: dict[str, Any] = {
        "ban_id": ban.id,
        "identity_refs": refs,
        "reason": ban.reason,
        "legal_reference": ban.legal_reference,
        "valid_from": ban.valid_from.isoformat(),
        "valid_until": None if ban.valid_until is None else ban.valid_until.isoformat(),
    }
    if with_faces:
        faces = faces_for_ban(session, keys, person_id=ban.person_id, recipients=recipients)
        body["faces"] = [entry.model_dump(mode="json") for entry in faces]
    item = share(
        session, keys, kind=ItemKind.BAN, body=body, tlp=tlp, recipients=recipients, actor=actor
    )
    if with_faces:
        append_audit(
            session=session,
            actor=actor,
            action="community.share_faces",
            target=f"shared_item:{item.issuer}:{item.sequence}",
            after={
                "person_id": ban.person_id,
                "templates": len(faces[0].sealed),
                "sealed_to": [entry.member for entry in faces],
            },
        )
    return item


def share_ban_lift(
    session: Session,
    keys: CommunityKeys,
    *,
    ban_id: str,
    tlp: Tlp,
    recipients: tuple[str, ...] = (),
    actor: str,
) -> SharedItem:
    """Share that a ban we shared is lifted (the caller commits).

    Raises:
        InvalidError: The ban is not lifted here.
    """
    ban = get_ban(session=session, ban_id=ban_id)
    if ban.status is not BanStatus.LIFTED:
        raise InvalidError(f"port ban {ban_id!r} is {ban.status}: lift it before sharing the lift")
    body = {"ban_id": ban.id, "reason": ban.lift_reason or ""}
    return share(
        session,
        keys,
        kind=ItemKind.BAN_LIFT,
        body=body,
        tlp=tlp,
        recipients=recipients,
        actor=actor,
    )


def _audit_view(ban: PortBan) -> dict[str, object]:
    return {
        "person_id": ban.person_id,
        "legal_reference": ban.legal_reference,
        "status": str(ban.status),
        "issued_by": ban.issued_by,
    }


def _resync(session: Session, ban: PortBan, action: str) -> None:
    for site_id in ban_sites(session=session, person_id=ban.person_id):
        bump_replica(session=session, site_id=site_id, person_id=ban.person_id)
    if has_face(session=session, person_id=ban.person_id):
        bump_watchlist(session=session, reason=action)


def ban_local(session: Session, received: CommunityBan, *, person_id: str, actor: str) -> PortBan:
    """Issue the local port ban a received ban means for one person (the caller commits)."""
    marker = f" [{received.issuer}/{received.issuer_ban_id}]"
    ban = PortBan(
        id=f"ban-{secrets.token_hex(6)}",
        person_id=person_id,
        reason=received.reason,
        legal_reference=received.legal_reference[: 120 - len(marker)] + marker,
        valid_from=received.valid_from,
        valid_until=received.valid_until,
        status=BanStatus.ACTIVE,
        issued_by=received.issuer,
        issued_at=utc_now(),
    )
    session.add(ban)
    append_audit(
        session=session,
        actor=actor,
        action="ban.issue",
        target=f"port_ban:{ban.id}",
        after=_audit_view(ban),
    )
    _resync(session, ban, "ban.issue")
    received.local_ban_ids = " ".join([*received.local_ban_ids.split(), ban.id])
    session.add(received)
    return ban


def apply_ban(session: Session, item: SharedItem, context: ApplyContext) -> str:
    """Keep a received ban and ban each local person with one of its identity references."""
    body = BanBody.model_validate(item.body)
    # Opened before any change: a box that does not open refuses the whole item.
    faces = open_faces(
        body.faces, member_id=context.keys.own_member_id, signing_key=context.keys.signing_key
    )
    banned: list[str] = []
    received: CommunityBan | None = None
    for ref in body.identity_refs:
        received = CommunityBan(
            issuer=item.issuer,
            issuer_ban_id=body.ban_id,
            identity_ref=ref,
            reason=body.reason,
            legal_reference=body.legal_reference,
            valid_from=body.valid_from,
            valid_until=body.valid_until,
        )
        session.add(received)
        people = session.exec(select(IdentityRef.person_id).where(IdentityRef.ref == ref)).all()
        for person_id in sorted(set(people)):
            ban_local(session, received, person_id=person_id, actor=context.actor)
            banned.append(person_id)
    watched = 0
    if received is not None and faces:
        key = context.keys.seal_key
        watched = watch_faces(session, faces, received=received, key=key, actor=context.actor)
    if watched:
        return (
            f"banned {len(banned)} local person(s) for {item.issuer}/{body.ban_id}; "
            f"{watched} face template(s) on the watchlist"
        )
    if not banned:
        return f"kept ban {item.issuer}/{body.ban_id}: nobody here has its identity reference"
    return f"banned {len(banned)} local person(s) for {item.issuer}/{body.ban_id}"


def apply_ban_lift(session: Session, item: SharedItem, context: ApplyContext) -> str:
    """Lift a received ban and every local ban it became."""
    body = BanLiftBody.model_validate(item.body)
    ban_id = body.ban_id
    rows = session.exec(
        select(CommunityBan).where(
            CommunityBan.issuer == item.issuer, CommunityBan.issuer_ban_id == ban_id
        )
    ).all()
    if not rows:
        return f"no ban {item.issuer}/{ban_id} here: nothing to lift"
    unwatched = unwatch_faces(session, issuer=item.issuer, ban_id=ban_id, actor=context.actor)
    lifted = 0
    for received in rows:
        received.lifted_at = received.lifted_at or utc_now()
        session.add(received)
        for local_id in received.local_ban_ids.split():
            ban = session.get(PortBan, local_id)
            if ban is None or ban.status is BanStatus.LIFTED:
                continue
            before = _audit_view(ban)
            ban.status, ban.lifted_by, ban.lifted_at = BanStatus.LIFTED, item.issuer, utc_now()
            ban.lift_reason = body.reason or "lifted by its issuer"
            session.add(ban)
            append_audit(
                session=session,
                actor=context.actor,
                action="ban.lift",
                target=f"port_ban:{ban.id}",
                before=before,
                after=_audit_view(ban),
            )
            _resync(session, ban, "ban.lift")
            lifted += 1
    faces = f", {unwatched} face template(s) off the watchlist" if unwatched else ""
    return f"lifted {item.issuer}/{ban_id}: {lifted} local ban(s){faces}"
