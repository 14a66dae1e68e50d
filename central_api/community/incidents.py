"""Incident reports shared with the community: sharing a filed report, applying a received one.

A report goes out under its own TLP 2.0 label (the incidents room validates it), so the
label the reporter chose decides where it travels: CLEAR, GREEN and AMBER to every member,
AMBER+STRICT and RED only to the members named (the hub when none are). Only reports filed
by this installation are shared; a received report is its issuer's to pass on.
"""

from sqlmodel import Session, select

from central_api.community.appliers import ApplyContext
from central_api.community.envelope import ItemKind, SharedItem
from central_api.community.members import CommunityKeys
from central_api.community.outgoing import share
from central_api.errors import InvalidError, NotFoundError
from central_api.incidents.exchange import apply_shared_incident
from central_api.incidents.shared import incident_to_shared_body
from central_api.incidents.store import get_incident
from central_api.incidents.tables import IncidentStatus
from central_api.models.community import CommunityMember, MemberRole

__all__ = ["apply_incident", "share_incident"]


def _hub_id(session: Session) -> str:
    hubs = select(CommunityMember).where(CommunityMember.role == MemberRole.HUB)
    hub = session.exec(hubs).first()
    if hub is None:
        raise InvalidError("this installation knows no hub: join a community first")
    return hub.id


def share_incident(
    session: Session,
    keys: CommunityKeys,
    *,
    incident_id: str,
    recipients: tuple[str, ...] = (),
    actor: str,
    site_id: str | None = None,
) -> SharedItem:
    """Share a filed report of ours under its own label (the caller commits).

    `site_id` is the sharing user's site (None: a site-wide user): a report of another
    site is not found for them, exactly as the site scope answers elsewhere.

    Raises:
        NotFoundError: No such report, or one of another site than `site_id`.
        InvalidError: A draft, a report received from another issuer, or recipients the
            label does not allow.
    """
    incident = get_incident(session=session, incident_id=incident_id)
    if site_id is not None and incident.site_id != site_id:
        raise NotFoundError(f"incident {incident_id!r} not found at site {site_id!r}")
    if incident.status is not IncidentStatus.FILED:
        raise InvalidError(f"incident {incident_id!r} is a draft: file it before sharing")
    if incident.issuer:
        raise InvalidError(f"incident {incident_id!r} came from {incident.issuer}: theirs to share")
    tlp = incident.tlp
    if tlp.addressed and not recipients:
        recipients = (_hub_id(session),)
    return share(
        session,
        keys,
        kind=ItemKind.INCIDENT,
        body=incident_to_shared_body(incident),
        tlp=tlp,
        recipients=recipients if tlp.addressed else (),
        actor=actor,
    )


def apply_incident(session: Session, item: SharedItem, context: ApplyContext) -> str:
    """Store a report another member shared (once; the label travels with it)."""
    if str(item.body.get("tlp")) != str(item.tlp):
        raise InvalidError("the report's own label differs from the item's label")
    stored = apply_shared_incident(
        session, item.body, issuer=item.issuer, actor=context.actor, commit=False
    )
    if stored is None:
        return "incident already here"
    return f"incident stored as {stored.id}"
