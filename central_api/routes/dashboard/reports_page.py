"""The dashboard's Reports tab: pick a report, site, period and format; download the file.

A plain form (no script) that asks `/dashboard/reports/download` (`reports_file`). A
site's operator is offered their own site; the port authority every site.
"""

import html
from datetime import timedelta
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse
from sqlmodel import col, select

from central_api.db import utc_now
from central_api.deps import SessionDep, SettingsDep
from central_api.models import Role, Site
from central_api.routes.dashboard.page import DASHBOARD_NAV
from central_api.security.auth import COOKIE_NAME, UserPrincipal
from central_api.security.pages import csrf_token_for, require_page_role
from central_api.web.layout import SafeHtml, render_page, render_template

__all__ = ["router"]

router = APIRouter(tags=["dashboard"], include_in_schema=False)
PageReader = Annotated[
    UserPrincipal,
    Depends(require_page_role(Role.OPERATOR, Role.AUTHORITY, login_next="/dashboard/reports")),
]


def _option(value: str, label: str) -> str:
    return f'<option value="{html.escape(value, quote=True)}">{html.escape(label)}</option>'


@router.get("/dashboard/reports", response_class=HTMLResponse)
def reports_page(
    request: Request, session: SessionDep, settings: SettingsDep, user: PageReader
) -> HTMLResponse:
    """The Reports tab: the form, with last month's dates filled in."""
    sites = session.exec(select(Site.id).order_by(col(Site.id))).all()  # scoped: own site
    options = [] if user.site_id else [_option("", "all sites")]
    options += [_option(site, site) for site in sites]
    today = utc_now().date()
    cookie = request.cookies.get(COOKIE_NAME, "")
    token = csrf_token_for(secret=settings.jwt_secret(), session_cookie=cookie) if cookie else ""
    content = render_template(
        "reports.html",
        scope=f"site {user.site_id}" if user.site_id else "one site or every site",
        site_options=SafeHtml("".join(options)),
        start=(today - timedelta(days=30)).isoformat(),
        end=today.isoformat(),
    )
    return render_page(
        title="Reports",
        page_id="reports",
        user=user,
        csrf_token=token,
        content=content,
        nav=DASHBOARD_NAV,
    )
