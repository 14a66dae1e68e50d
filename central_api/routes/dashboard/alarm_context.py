"""An alarm's context screen, the enrolled photo beside face decisions, and the site's photo rule.

``/dashboard/alarms/{alarm_id}`` shows one alarm with the last events at its gate, the
camera still where the site keeps stills (`central_api.stills`, served by
`alarm_stills`) and the person's enrollment photo where the site shows
photos (`central_api.enroll.shown_photos`); the photo itself comes from
``/dashboard/api/enrolled-photos/{person_id}``, which answers 404 unless the site's rule is on
and a kept photo exists; each photo it serves is audited (``person.photo_viewed``, naming
the page of ``?page=``; one row per viewer, person and page in ten minutes). Admins
switch the rule per site (audited).
"""

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, Response
from fastapi.responses import HTMLResponse
from gate_protocol.i18n.catalogs import N_
from gate_protocol.messages import AlarmKind
from pydantic import BaseModel

from central_api.crud.sites import user_zone
from central_api.dashboard.alarm_context import alarm_context
from central_api.deps import SessionDep, SettingsDep
from central_api.enroll.settings import photo_key
from central_api.enroll.shown_photos import (
    PhotoPage,
    record_photo_view,
    set_show_enrolled_photos,
    shown_photo,
)
from central_api.models import Role
from central_api.routes.dashboard.page import DASHBOARD_NAV
from central_api.routes.params import IdPath
from central_api.security.auth import COOKIE_NAME, AdminUser, OperatorUser, UserPrincipal
from central_api.security.pages import csrf_token_for, require_page_role
from central_api.stills.shown import has_still
from central_api.web.layout import render_page, render_template

__all__ = ["EnrolledPhotosChange", "router"]

router = APIRouter(tags=["dashboard"])
PageOperator = Annotated[
    UserPrincipal, Depends(require_page_role(Role.OPERATOR, login_next="/dashboard"))
]

# The dashboard's names of the kinds (static/dashboard.js has the same English texts).
KIND_LABELS: dict[str, str] = {
    AlarmKind.FORCED: N_("Door forced"),
    AlarmKind.HELD: N_("Door held open"),
    AlarmKind.TAMPER: N_("Tamper"),
    AlarmKind.READER_OFFLINE: N_("Reader offline"),
    AlarmKind.TAILGATING: N_("Tailgating"),
    AlarmKind.LIVENESS: N_("Liveness failures"),
    AlarmKind.WATCHLIST: N_("Watchlist hit"),
    AlarmKind.OUTBOX_FULL: N_("Agent outbox full"),
    AlarmKind.INSIDER_PATTERN: N_("Insider pattern"),
    AlarmKind.FAULT: N_("Fault"),
    AlarmKind.ANTI_PASSBACK: N_("Soft anti-passback"),
    AlarmKind.COMPANY_FLAGGED: N_("Flagged company: check the person"),
}


class EnrolledPhotosChange(BaseModel):
    """Whether operators of a site see a person's kept enrollment photo."""

    show: bool


@router.get("/dashboard/alarms/{alarm_id}", response_class=HTMLResponse, include_in_schema=False)
def alarm_page(
    alarm_id: IdPath,
    request: Request,
    settings: SettingsDep,
    user: PageOperator,
    session: SessionDep,
) -> HTMLResponse:
    """One alarm in context: its gate's last events, the camera still, the person's photo."""
    context = alarm_context(session=session, alarm_id=alarm_id)
    cookie = request.cookies.get(COOKIE_NAME, "")
    token = csrf_token_for(secret=settings.jwt_secret(), session_cookie=cookie) if cookie else ""
    content = render_template(
        "alarm_context.html",
        alarm=context.alarm,
        kind_label=KIND_LABELS.get(str(context.alarm["kind"]), str(context.alarm["kind"])),
        events=context.events,
        photos_shown=context.photos_shown,
        still_kept=context.still_kept or has_still(session=session, alarm_id=alarm_id),
    )
    return render_page(
        title="Alarm",
        page_id="alarm-context",
        user=user,
        csrf_token=token,
        content=content,
        scripts=["pg-keys.js", "alarm_context.js"],
        nav=DASHBOARD_NAV,
        zone=user_zone(session=session, site_id=user.site_id),
    )


@router.get("/dashboard/api/enrolled-photos/{person_id}", include_in_schema=False)
def enrolled_photo(
    person_id: IdPath,
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    user: OperatorUser,
    page: Annotated[PhotoPage | None, Query()] = None,
) -> Response:
    """The person's kept enrollment photo, where their site shows photos (404 otherwise).

    Each photo served is audited with the page that asked (a 404 writes nothing).
    """
    photo = shown_photo(session=session, person_id=person_id, key=photo_key(settings))
    record_photo_view(
        session=session,
        engine=request.app.state.engine,
        actor=user.actor,
        person_id=person_id,
        page=page,
    )
    # Personal data: the browser may reuse it for a minute, nothing in between may keep it.
    headers = {"Cache-Control": "private, max-age=60"}
    return Response(photo.content, media_type=photo.content_type, headers=headers)


@router.post("/dashboard/api/sites/{site_id}/enrolled-photos")
def change_enrolled_photos(
    site_id: IdPath, body: EnrolledPhotosChange, session: SessionDep, admin: AdminUser
) -> dict[str, object]:
    """Admins only: let the site's operators see enrollment photos, or stop it (audited)."""
    site = set_show_enrolled_photos(
        session=session, site_id=site_id, show=body.show, actor=admin.actor
    )
    return {"site_id": site.id, "show_enrolled_photos": site.show_enrolled_photos}
