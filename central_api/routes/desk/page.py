"""The security-desk page (`/desk`) on the shared page layout (`central_api.web.layout`).

The content is ``web/templates/desk.html``; script and style are ``web/static/desk.js``
(``desk_visitors.js`` for the visitor form) and ``desk.css`` (served at ``/static``). An
anonymous browser is sent to the login form; a logged-in user without the desk role gets
403. Changes the page makes with the session cookie carry the CSRF token of the layout's
meta tag (the one CSRF rule, checked by every role requirement: `central_api.security.csrf`).
"""

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse

from central_api.deps import SessionDep, SettingsDep
from central_api.models import Role
from central_api.security.auth import COOKIE_NAME, UserPrincipal
from central_api.security.pages import csrf_token_for, require_page_role
from central_api.web.layout import NavItem, render_page, render_template
from central_api.web.zone import site_zone

__all__ = ["DESK_NAV", "router"]

router = APIRouter(tags=["desk"], include_in_schema=False)
DESK_NAV = (NavItem("/desk", "Desk"),)
PageDesk = Annotated[
    UserPrincipal, Depends(require_page_role(Role.SECURITY_DESK, login_next="/desk"))
]


def _nav(user: UserPrincipal) -> tuple[NavItem, ...]:
    # Anyone at the desk may report something, as anonymously as at the gate.
    if user.site_id is None:
        return DESK_NAV
    return (*DESK_NAV, NavItem(f"/report/{user.site_id}", "Report something"))


@router.get("/desk", response_class=HTMLResponse)
def desk_page(
    request: Request, settings: SettingsDep, user: PageDesk, session: SessionDep
) -> HTMLResponse:
    """The enrollment page."""
    cookie = request.cookies.get(COOKIE_NAME, "")
    token = csrf_token_for(secret=settings.jwt_secret(), session_cookie=cookie) if cookie else ""
    return render_page(
        title="Security desk",
        page_id="desk",
        user=user,
        csrf_token=token,
        content=render_template("desk.html", desk_actions=render_template("desk_actions.html")),
        scripts=["desk.js", "desk_visitors.js", "desk_actions.js", "desk_mobile.js"],
        nav=_nav(user),
        zone=site_zone(session, user.site_id),  # the visitor windows in the site's time
    )
