"""An alarm's camera still for operators, and the site's still rule for admins (issue 22.4).

``GET /dashboard/api/alarms/{alarm_id}/still`` answers the JPEG, or one 404 for every case
it is not shown (unknown alarm, another site's, a site that keeps no stills, expired,
none arrived); each view is audited (``alarm.still_viewed``). Authority and desk users
are refused (403). The router also runs the still purge while the app runs.
"""

from typing import Annotated

from fastapi import APIRouter, Response
from pydantic import BaseModel, Field

from central_api.deps import SessionDep, SettingsDep
from central_api.enroll.settings import photo_key
from central_api.routes.params import IdPath
from central_api.security.auth import AdminUser, OperatorUser
from central_api.stills.purge import still_purge_lifespan
from central_api.stills.rule import DEFAULT_RETENTION_DAYS, MAX_RETENTION_DAYS, set_still_rule
from central_api.stills.shown import shown_still

__all__ = ["StillRule", "router"]

router = APIRouter(tags=["dashboard"], lifespan=still_purge_lifespan)


class StillRule(BaseModel):
    """Whether a site keeps the camera stills its agents send with alarms, and how long."""

    keep: bool
    retention_days: Annotated[int, Field(ge=1, le=MAX_RETENTION_DAYS)] = DEFAULT_RETENTION_DAYS


@router.get("/dashboard/api/alarms/{alarm_id}/still", include_in_schema=False)
def alarm_still(
    alarm_id: IdPath, session: SessionDep, settings: SettingsDep, user: OperatorUser
) -> Response:
    """The alarm's camera still, where its site keeps stills (404 otherwise); audited."""
    jpeg = shown_still(
        session=session, alarm_id=alarm_id, key=photo_key(settings), actor=user.actor
    )
    # Personal data: nothing in between may keep it, the browser not beyond the page.
    headers = {"Cache-Control": "private, no-store"}
    return Response(jpeg, media_type="image/jpeg", headers=headers)


@router.post("/dashboard/api/sites/{site_id}/alarm-stills")
def change_alarm_stills(
    site_id: IdPath, body: StillRule, session: SessionDep, admin: AdminUser
) -> dict[str, object]:
    """Admins only: keep the site's alarm stills (for `retention_days`) or stop (audited)."""
    site = set_still_rule(
        session=session,
        site_id=site_id,
        keep=body.keep,
        retention_days=body.retention_days,
        actor=admin.actor,
    )
    return {
        "site_id": site.id,
        "keep_alarm_stills": site.keep_alarm_stills,
        "still_retention_days": site.still_retention_days,
    }
