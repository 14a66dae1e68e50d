"""The dashboard's actions: acknowledge alarms, remote opens, the threat-level switch.

Each action reuses the API's own service (the audited alarm acknowledgement, the remote-open
service with four-eyes, the threat-level crud) and then tells this process's live clients
of that site; the remote-open routes are the very handlers of the API's URLs
(`central_api.routes.remote_open`). Every route is CSRF-checked: the page calls them with the
session cookie.

A site-bound user acts on their own site only: the services look alarms, gates and sites up
through the request's site-scoped session, so another site's answers 404 as if it did not
exist; open requests (no site column) are checked through their gate by `approve_open`.
"""

from fastapi import APIRouter
from gate_protocol.ids import Id
from pydantic import BaseModel, Field

from central_api.alarms.ack import acknowledge_alarm
from central_api.alarms.bulk_ack import MAX_BULK_ACK, acknowledge_alarms
from central_api.crud.sites import set_threat_level
from central_api.dashboard.hub import LiveItem
from central_api.dashboard.state import LiveDep
from central_api.dashboard.views import alarm_view
from central_api.deps import SessionDep
from central_api.errors import NotFoundError
from central_api.models import AlarmAck
from central_api.routes.params import IdPath
from central_api.routes.remote_open import add_remote_open_routes
from central_api.security.auth import AdminUser, OperatorUser, UserPrincipal

__all__ = ["AlarmBulkAck", "ThreatLevelChange", "router"]

router = APIRouter(prefix="/dashboard/api", tags=["dashboard"])


class ThreatLevelChange(BaseModel):
    """The new threat level of a site: 1 normal, 2 no visitors, 3 staff only."""

    level: int = Field(ge=1, le=3)


class AlarmBulkAck(BaseModel):
    """Several alarms acknowledged with one comment (all of them or none)."""

    alarm_ids: list[Id] = Field(min_length=1, max_length=MAX_BULK_ACK)
    comment: str = Field(max_length=500)


def _check_sees(user: UserPrincipal, *, site_id: str, what: str) -> None:
    # The scoped session already hides another site's rows; this makes the rule explicit
    # where the answer is told live to the site's streams.
    if not user.sees_site(site_id):
        raise NotFoundError(f"{what} not found")


@router.post("/alarms/{alarm_id}/ack")
def ack_alarm(
    alarm_id: IdPath, body: AlarmAck, session: SessionDep, user: OperatorUser
) -> dict[str, object]:
    """Acknowledge an alarm with a comment (audited by the API's acknowledgement)."""
    alarm = acknowledge_alarm(session=session, alarm_id=alarm_id, comment=body.comment, user=user)
    # No hub publish here: the acknowledgement reaches this replica's live clients (and every
    # other replica's) through the site alarm topic and the local tap, once, deduplicated.
    return alarm_view(alarm)


@router.post("/alarms/ack")
def ack_alarms(body: AlarmBulkAck, session: SessionDep, user: OperatorUser) -> dict[str, object]:
    """Acknowledge several alarms with one comment: each audited, all or none."""
    alarms = acknowledge_alarms(
        session=session, alarm_ids=body.alarm_ids, comment=body.comment, user=user
    )
    return {"acknowledged": [alarm_view(alarm) for alarm in alarms]}


add_remote_open_routes(router)


@router.post("/sites/{site_id}/threat-level")
def change_threat_level(
    site_id: IdPath, body: ThreatLevelChange, session: SessionDep, live: LiveDep, admin: AdminUser
) -> dict[str, object]:
    """Admins only: switch the site's threat level (audited; gates resync at once)."""
    _check_sees(admin, site_id=site_id, what=f"site {site_id!r}")
    site = set_threat_level(session=session, site_id=site_id, level=body.level, actor=admin.actor)
    data: dict[str, object] = {"site_id": site.id, "threat_level": site.threat_level}
    live.hub.publish(LiveItem.of("threat", data, site_id=site.id))
    return data
