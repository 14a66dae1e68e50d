"""The pages: the phone page a gate sign's QR code opens (public), and the triage page.

The phone page is plain HTML with static scripts (no CDN, no inline script: the shared
Content-Security-Policy; its catalog is a JSON data block). It says what is stored and what
is not. It sets no cookie unless the reader picks a language (``pg_lang``: a preference,
central_api/web/locale.py); its times are shown in the site's time zone.
"""

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse
from gate_protocol.ids import Id

from central_api.deps import SessionDep, SettingsDep
from central_api.errors import NotFoundError
from central_api.models import Role, Site
from central_api.security.auth import COOKIE_NAME, UserPrincipal
from central_api.security.pages import csrf_token_for, require_page_role
from central_api.staff_reports.photos import MAX_PHOTO_BYTES
from central_api.staff_reports.reporting import resolve_sign
from central_api.web.layout import SECURITY_HEADERS, NavItem, render_page, render_template
from central_api.web.zone import site_zone

__all__ = ["STAFF_REPORTS_NAV", "router"]

router = APIRouter(include_in_schema=False)
STAFF_REPORTS_NAV = NavItem("/dashboard/staff-reports", "Staff reports")
PageTriage = Annotated[
    UserPrincipal,
    Depends(
        require_page_role(
            Role.SECURITY_DESK,
            Role.OPERATOR,
            Role.AUTHORITY,
            login_next="/dashboard/staff-reports",
        )
    ),
]


def _phone_page(
    *, site: str, sign: str, place: str, zone: str | None, status_code: int = 200
) -> HTMLResponse:
    body = render_template(
        "staff_report.html",
        site=site,
        sign=sign,
        place=place,
        where_hint="lane, quay, building (optional)" if sign else "gate, quay, building",
        max_photo=str(MAX_PHOTO_BYTES),
        zone=zone or "",
    )
    return HTMLResponse(body, status_code=status_code, headers=SECURITY_HEADERS)


def _gone(message: str) -> HTMLResponse:
    body = render_template("staff_report_gone.html", message=message)
    return HTMLResponse(body, status_code=404, headers=SECURITY_HEADERS)


@router.get("/report/{site}/{sign}", response_class=HTMLResponse)
def sign_page(site: Id, sign: Id, session: SessionDep) -> HTMLResponse:
    """The page a gate sign's QR code opens: the report form, the gate filled in."""
    try:
        _, gate_name = resolve_sign(session=session, site_id=site, token=sign)
    except NotFoundError as exc:
        return _gone(exc.message)
    return _phone_page(site=site, sign=sign, place=gate_name, zone=site_zone(session, site))


@router.get("/report/{site}", response_class=HTMLResponse)
def site_page(site: Id, session: SessionDep) -> HTMLResponse:
    """The report form for a site, where written freely (the desk's and dashboard's link)."""
    if session.get(Site, site) is None:
        return _gone(f"unknown site {site!r}")
    return _phone_page(site=site, sign="", place="", zone=site_zone(session, site))


@router.get("/dashboard/staff-reports", response_class=HTMLResponse)
def triage_page(request: Request, settings: SettingsDep, user: PageTriage) -> HTMLResponse:
    """The triage queue: filter, open, change status, reply, pass on, make an incident."""
    cookie = request.cookies.get(COOKIE_NAME, "")
    token = csrf_token_for(secret=settings.jwt_secret(), session_cookie=cookie) if cookie else ""
    report_link = f"/report/{user.site_id}" if user.site_id else ""
    return render_page(
        title="Staff reports",
        page_id="staff-reports",
        user=user,
        csrf_token=token,
        content=render_template("staff_reports.html", report_link=report_link),
        scripts=["staff_reports.js"],
        nav=(NavItem("/dashboard", "Dashboard"), STAFF_REPORTS_NAV),
    )
