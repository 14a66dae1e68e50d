"""The dashboard HTML page (operators and admins; others are refused, anonymous log in)."""

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse

from central_api.crud.sites import user_zone
from central_api.deps import SessionDep, SettingsDep
from central_api.models import Role
from central_api.security.auth import COOKIE_NAME, UserPrincipal
from central_api.security.pages import csrf_token_for, require_page_role
from central_api.web.layout import NavItem, render_page, render_template

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
        content=render_template("dashboard.html"),
        scripts=["pg-charts.js", "pg-keys.js", "dash-alarms.js", "dashboard.js"],
        nav=DASHBOARD_NAV,
        header_extra=render_template("dashboard_header.html"),
        zone=user_zone(session=session, site_id=user.site_id),
    )
