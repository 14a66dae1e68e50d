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
from central_api.errors import InvalidError
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
) -> SharedItem:
    """Share a filed report of ours under its own label (the caller commits).

    Raises:
        NotFoundError: No such report.
        InvalidError: A draft, a report received from another issuer, or recipients the
            label does not allow.
    """
    incident = get_incident(session=session, incident_id=incident_id)
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
    stored = apply_shared_incident(session, item.body, issuer=item.issuer, actor=context.actor)
    if stored is None:
        return "incident already here"
    return f"incident stored as {stored.id}"
