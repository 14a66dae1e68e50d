"""The port authority's page: port bans (list, issue, confirm, lift) and every site's alarms.

Authority users only (a terminal's admin is refused, as by `/api/v1/bans`); the page's
script calls `/api/v1/bans` and `/api/v1/alarms` with the session cookie and the CSRF token
of the page's meta tag (the one CSRF rule, `central_api.security.csrf`).
"""

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse

from central_api.deps import SettingsDep
from central_api.models import Role
from central_api.security.auth import COOKIE_NAME, UserPrincipal
from central_api.security.pages import csrf_token_for, require_page_role
from central_api.web.layout import NavItem, render_page, render_template

__all__ = ["BANS_NAV", "router"]

router = APIRouter(tags=["dashboard"], include_in_schema=False)
BANS_NAV = (
    NavItem("/dashboard/bans", "Port bans"),
    NavItem("/dashboard/watchlist", "Persons of interest"),
)
PageAuthority = Annotated[
    UserPrincipal,
    Depends(require_page_role(Role.AUTHORITY, login_next="/dashboard/bans", admins=False)),
]


@router.get("/dashboard/bans", response_class=HTMLResponse)
def bans_page(request: Request, settings: SettingsDep, user: PageAuthority) -> HTMLResponse:
    """Port bans and the alarms of every site, for the port authority."""
    cookie = request.cookies.get(COOKIE_NAME, "")
    token = csrf_token_for(secret=settings.jwt_secret(), session_cookie=cookie) if cookie else ""
    return render_page(
        title="Port bans",
        page_id="bans",
        user=user,
        csrf_token=token,
        content=render_template("bans.html"),
        scripts=["bans.js"],
        nav=BANS_NAV,
    )
