"""The admin's sharing card: items shared and received, refusals by issuer and reason, members.

Rendered on the server (no script), every value escaped (docs/sharing.md).
"""

import html
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse

from central_api.community.status import refusal_counts, sharing_status
from central_api.deps import SessionDep, SettingsDep
from central_api.models import Role
from central_api.routes.dashboard.page import DASHBOARD_NAV
from central_api.security.auth import COOKIE_NAME, UserPrincipal
from central_api.security.pages import csrf_token_for, require_page_role
from central_api.web.layout import SafeHtml, render_page, render_template

__all__ = ["router"]

router = APIRouter(tags=["dashboard"], include_in_schema=False)
PageAdmin = Annotated[
    UserPrincipal, Depends(require_page_role(Role.ADMIN, login_next="/dashboard/sharing"))
]


def _cells(values: list[str]) -> str:
    return "<tr>" + "".join(f"<td>{html.escape(v, quote=True)}</td>" for v in values) + "</tr>"


@router.get("/dashboard/sharing", response_class=HTMLResponse)
def sharing_page(
    request: Request, session: SessionDep, settings: SettingsDep, user: PageAdmin
) -> HTMLResponse:
    """The sharing card: figures, refused items and the members' cursors."""
    status = sharing_status(session)
    refusals = [
        _cells([r.issuer or "-", r.reason, str(r.count), r.last_at.isoformat(), r.last_detail])
        for r in refusal_counts(session)
    ]
    members = [
        _cells(
            [
                member_id,
                str(m["role"]),
                str(m["status"]),
                str(m["last_received_seq"]),
                str(m["last_delivered_seq"]),
            ]
        )
        for member_id, m in status.members.items()
    ]
    summary = (
        f"{status.shared} shared ({status.unpublished} not yet on the broker), "
        f"{status.received} received, {status.applied} applied, "
        f"{sum(status.refused.values())} refused."
    )
    content = render_template(
        "sharing.html",
        summary=summary,
        refusals=SafeHtml("".join(refusals) or '<tr><td colspan="5">none refused</td></tr>'),
        members=SafeHtml("".join(members) or '<tr><td colspan="5">in no community</td></tr>'),
    )
    cookie = request.cookies.get(COOKIE_NAME, "")
    token = csrf_token_for(secret=settings.jwt_secret(), session_cookie=cookie) if cookie else ""
    return render_page(
        title="Sharing",
        page_id="sharing",
        user=user,
        csrf_token=token,
        content=content,
        nav=DASHBOARD_NAV,
    )
