"""The port authority's persons of interest page: list, add with a photo, end.

Authority users only (a terminal's admin is refused, as by `/api/v1/watchlist`); the page's
script calls `/api/v1/watchlist/persons-of-interest` with the session cookie and the CSRF
token of the page's meta tag (the one CSRF rule, `central_api.security.csrf`). The photo
goes to the API as it is and is not kept; the page never shows a face.
"""

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse

from central_api.deps import SettingsDep
from central_api.models import Role
from central_api.routes.dashboard.bans_page import BANS_NAV
from central_api.security.auth import COOKIE_NAME, UserPrincipal
from central_api.security.pages import csrf_token_for, require_page_role
from central_api.web.layout import render_page, render_template

__all__ = ["router"]

router = APIRouter(tags=["dashboard"], include_in_schema=False)
PageAuthority = Annotated[
    UserPrincipal,
    Depends(require_page_role(Role.AUTHORITY, login_next="/dashboard/watchlist", admins=False)),
]


@router.get("/dashboard/watchlist", response_class=HTMLResponse)
def watchlist_page(request: Request, settings: SettingsDep, user: PageAuthority) -> HTMLResponse:
    """The persons of interest on every gate's watchlist, for the port authority."""
    cookie = request.cookies.get(COOKIE_NAME, "")
    token = csrf_token_for(secret=settings.jwt_secret(), session_cookie=cookie) if cookie else ""
    return render_page(
        title="Persons of interest",
        page_id="watchlist",
        user=user,
        csrf_token=token,
        content=render_template("watchlist.html"),
        scripts=["watchlist.js"],
        nav=BANS_NAV,
    )
