"""The dashboard HTML page (operators and admins; others are refused, anonymous log in)."""

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse

from central_api.crud.sites import user_zone
from central_api.deps import SessionDep, SettingsDep
from central_api.models import Role
from central_api.security.auth import COOKIE_NAME, UserPrincipal
from central_api.security.pages import csrf_token_for, require_page_role
from central_api.web.layout import NavItem, SafeHtml, render_page, render_template

__all__ = ["DASHBOARD_NAV", "router"]

router = APIRouter(tags=["dashboard"], include_in_schema=False)
DASHBOARD_NAV = (
    NavItem("/dashboard", "Dashboard"),
    NavItem("/dashboard/companies", "Companies"),
    NavItem("/dashboard/incidents", "Incidents"),
    NavItem("/dashboard/events", "Events"),
    NavItem("/dashboard/staff-reports", "Staff reports"),
    NavItem("/dashboard/reports", "Reports"),
)
PageOperator = Annotated[
    UserPrincipal, Depends(require_page_role(Role.OPERATOR, login_next="/dashboard"))
]

_HEADER = SafeHtml(
    '<span class="pg-threat" id="threat-badge" data-level="1" title="Threat level">'
    "threat 1</span>"
    '<button type="button" class="pg-alarm-badge" id="alarm-badge" data-count="0" '
    'title="Unacknowledged alarms">alarms <b id="alarm-count">0</b></button>'
)


@router.get("/dashboard", response_class=HTMLResponse)
def dashboard_page(
    request: Request, settings: SettingsDep, user: PageOperator, session: SessionDep
) -> HTMLResponse:
    """The live operator dashboard."""
    cookie = request.cookies.get(COOKIE_NAME, "")
    token = csrf_token_for(secret=settings.jwt_secret(), session_cookie=cookie) if cookie else ""
    return render_page(
        title="Dashboard",
        page_id="dashboard",
        user=user,
        csrf_token=token,
        timezone=user_zone(session=session, site_id=user.site_id),
        content=render_template("dashboard.html"),
        scripts=["pg-charts.js", "dashboard.js"],
        nav=DASHBOARD_NAV,
        header_extra=_HEADER,
    )
