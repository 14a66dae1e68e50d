"""The incidents page: the reports list, and the form "Report incident" opens prefilled.

The dashboard's alarm and event rows link here with ``?alarm_id=`` or ``?event_id=``; the
page's script asks `/api/v1/incidents/prefill` and shows the filled form, whose one button
files the report (two clicks from the alarm). Operators and admins report; the port
authority reads every site's reports here (the form is not shown to them).
"""

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse

from central_api.deps import SettingsDep
from central_api.models import Role
from central_api.security.auth import COOKIE_NAME, UserPrincipal
from central_api.security.pages import csrf_token_for, require_page_role
from central_api.web.layout import NavItem, render_page, render_template

__all__ = ["INCIDENTS_NAV", "router"]

router = APIRouter(tags=["dashboard"], include_in_schema=False)
INCIDENTS_NAV = NavItem("/dashboard/incidents", "Incidents")
PageWatcher = Annotated[
    UserPrincipal,
    Depends(require_page_role(Role.OPERATOR, Role.AUTHORITY, login_next="/dashboard/incidents")),
]


@router.get("/dashboard/incidents", response_class=HTMLResponse)
def incidents_page(request: Request, settings: SettingsDep, user: PageWatcher) -> HTMLResponse:
    """Incident reports, and the report form (prefilled from an alarm or an event)."""
    cookie = request.cookies.get(COOKIE_NAME, "")
    token = csrf_token_for(secret=settings.jwt_secret(), session_cookie=cookie) if cookie else ""
    return render_page(
        title="Incidents",
        page_id="incidents",
        user=user,
        csrf_token=token,
        content=render_template("incidents.html"),
        scripts=["incidents.js"],
        nav=(NavItem("/dashboard", "Dashboard"), INCIDENTS_NAV),
    )
