"""Sharing between installations: the catch-up feed, the admin's figures, sharing a ban.

The feed answers community members, each request signed with the member's own key
(`central_api.community.feed`, the `MemberSignature` requirement); the figures are for
admins; sharing a ban or its lift is the port authority's, like the ban itself. What is
shared is published by the community worker from the outgoing log.
"""

from collections.abc import Callable
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Query, Request
from gate_protocol.ids import Id
from pydantic import BaseModel, Field
from sqlmodel import Session

from central_api.community.bans import share_ban, share_ban_lift
from central_api.community.envelope import SharedItem, Tlp
from central_api.community.feed import FeedAnswer, check_feed_request, feed_page
from central_api.community.incidents import share_incident
from central_api.community.members import CommunityKeys, load_keys
from central_api.community.status import SharingStatus, sharing_status
from central_api.config import Settings, SettingsError
from central_api.deps import SessionDep, SettingsDep
from central_api.errors import InvalidError
from central_api.models.community import CommunityMember
from central_api.routes.params import IdPath
from central_api.security.auth import AdminUser, AuthorityUser, OperatorUser

__all__ = ["router"]

router = APIRouter(prefix="/api/v1/community", tags=["community"])


class ShareBody(BaseModel):
    """The TLP 2.0 label and, for AMBER+STRICT and RED, the recipients."""

    tlp: Tlp = Tlp.GREEN
    recipients: list[Id] = Field(default_factory=list, max_length=64)


class BanShareBody(ShareBody):
    """A ban's label and recipients; `with_faces`: its person's templates travel, sealed."""

    with_faces: bool = False


class MemberSignature:
    """The feed's requirement: the asking member, by its signed request (401 otherwise).

    It reads the raw query so that a request without its headers is a 401 before anything
    else is validated; the signature covers the issuer and the cursor as sent.
    """

    def __call__(self, request: Request, session: SessionDep) -> CommunityMember:
        """The active member whose key signed this request."""
        member, signed_at, signature = (request.headers.get(name) for name in _SIGNED)
        if not (member and signed_at and signature):
            raise HTTPException(
                status_code=401, detail="a feed request names its member and is signed"
            )
        return check_feed_request(
            session,
            member=member,
            issuer=request.query_params.get("issuer", ""),
            after=request.query_params.get("after", "0"),
            signed_at=signed_at,
            signature=signature,
        )


def _keys(session: Session, settings: Settings) -> CommunityKeys:
    try:
        seal_key = settings.template_key_bytes()
    except SettingsError as exc:
        raise InvalidError(f"sharing is off here: {exc}") from None
    return load_keys(session=session, seal_key=seal_key)


_SIGNED = ("X-PortGate-Member", "X-PortGate-Signed-At", "X-PortGate-Signature")


@router.get("/feed", response_model=FeedAnswer)
def feed(
    session: SessionDep,
    settings: SettingsDep,
    asker: Annotated[CommunityMember, Depends(MemberSignature())],
    issuer: Annotated[Id, Query(description="Whose items.")],
    after: Annotated[int, Query(ge=0, description="The last sequence you hold.")] = 0,
) -> FeedAnswer:
    """Signed items of `issuer` after `after` that the asking member may receive."""
    keys = _keys(session, settings)
    page = feed_page(session, keys, asker=asker, issuer=issuer, after=after)
    return FeedAnswer(
        issuer=page.issuer,
        items=page.items,
        withheld=page.withheld,
        next_after=page.next_after,
        last=page.last,
    )


@router.get("/status", response_model=SharingStatus)
def status(session: SessionDep, user: AdminUser) -> SharingStatus:
    """Items shared, received and applied; refusals by reason; each member's cursors."""
    return sharing_status(session)


def _share(
    session: Session, settings: Settings, build: Callable[[Session, CommunityKeys], SharedItem]
) -> SharedItem:
    """Build and log one item with this installation's keys, and commit."""
    item = build(session, _keys(session, settings))
    session.commit()
    return item


@router.post("/share/ban/{ban_id}", response_model=SharedItem, status_code=201)
def share_a_ban(
    ban_id: IdPath,
    body: BanShareBody,
    session: SessionDep,
    settings: SettingsDep,
    user: AuthorityUser,
) -> SharedItem:
    """Share an active port ban with the community (its person by identity reference).

    With `with_faces` the person's face templates go too, each sealed to each recipient.
    """
    to, actor = tuple(body.recipients), f"user:{user.username}"
    return _share(
        session,
        settings,
        lambda s, keys: share_ban(
            s,
            keys,
            ban_id=ban_id,
            tlp=body.tlp,
            recipients=to,
            actor=actor,
            with_faces=body.with_faces,
        ),
    )


@router.post("/share/lift/{ban_id}", response_model=SharedItem, status_code=201)
def share_a_lift(
    ban_id: IdPath,
    body: ShareBody,
    session: SessionDep,
    settings: SettingsDep,
    user: AuthorityUser,
) -> SharedItem:
    """Share that a shared port ban was lifted."""
    to, actor = tuple(body.recipients), f"user:{user.username}"
    return _share(
        session,
        settings,
        lambda s, keys: share_ban_lift(
            s, keys, ban_id=ban_id, tlp=body.tlp, recipients=to, actor=actor
        ),
    )


class IncidentShareBody(BaseModel):
    """For AMBER+STRICT and RED reports: the members named (the hub when none are)."""

    recipients: list[Id] = Field(default_factory=list, max_length=64)


@router.post("/share/incident/{incident_id}", response_model=SharedItem, status_code=201)
def share_an_incident(
    incident_id: IdPath,
    body: IncidentShareBody,
    session: SessionDep,
    settings: SettingsDep,
    user: OperatorUser,
) -> SharedItem:
    """Share a filed incident report of ours under its own TLP 2.0 label.

    A site's operator shares their own site's reports only: another site's is a 404.
    """
    to, actor = tuple(body.recipients), f"user:{user.username}"
    return _share(
        session,
        settings,
        lambda s, keys: share_incident(
            s, keys, incident_id=incident_id, recipients=to, actor=actor, site_id=user.site_id
        ),
    )
