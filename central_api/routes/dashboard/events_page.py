"""The dashboard's event search page: filters, a page of results at a time, CSV export.

The page's script (`events.js`) asks ``/api/v1/events/search`` and points its export link
at ``/api/v1/events/export.csv`` with the same filters; both check what they are sent
(`central_api.search`). Operators, admins and the port authority use it.
"""

import html
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse
from gate_protocol.reasons import ReasonCode

from central_api.crud.sites import user_zone
from central_api.deps import SessionDep, SettingsDep
from central_api.models import Role
from central_api.security.auth import COOKIE_NAME, UserPrincipal
from central_api.security.pages import csrf_token_for, require_page_role
from central_api.web.layout import NavItem, SafeHtml, render_page, render_template

__all__ = ["EVENTS_NAV", "router"]

router = APIRouter(tags=["dashboard"], include_in_schema=False)
EVENTS_NAV = NavItem("/dashboard/events", "Events")
PageWatcher = Annotated[
    UserPrincipal,
    Depends(require_page_role(Role.OPERATOR, Role.AUTHORITY, login_next="/dashboard/events")),
]


def _reason_options() -> SafeHtml:
    options = (
        f'<option value="{html.escape(code.value)}">{html.escape(code.value)}</option>'
        for code in ReasonCode
    )
    return SafeHtml("".join(options))


@router.get("/dashboard/events", response_class=HTMLResponse)
def events_page(
    request: Request, settings: SettingsDep, user: PageWatcher, session: SessionDep
) -> HTMLResponse:
    """Search stored events and export what a search finds."""
    cookie = request.cookies.get(COOKIE_NAME, "")
    token = csrf_token_for(secret=settings.jwt_secret(), session_cookie=cookie) if cookie else ""
    return render_page(
        title="Events",
        page_id="events",
        user=user,
        csrf_token=token,
        zone=user_zone(session=session, site_id=user.site_id),
        content=render_template("events.html", reasons=_reason_options()),
        scripts=["pg-keys.js", "events.js"],
        nav=(NavItem("/dashboard", "Dashboard"), EVENTS_NAV),
    )
