"""Every site scored against the security baseline, side by side: JSON route and page.

The port authority (and admins) see every site; a site-bound admin sees their own. Each
site is scored against the shipped profile of its own ISPS level unless `level` names one.
"""

import html
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse
from sqlmodel import Session

from central_api.baseline.checks import Report, evaluate
from central_api.baseline.facts import all_site_facts
from central_api.baseline.profile import Profile, load_profile, shipped_profile
from central_api.config import Settings
from central_api.deps import SessionDep, SettingsDep
from central_api.models import Role
from central_api.routes.dashboard.page import DASHBOARD_NAV
from central_api.security.auth import COOKIE_NAME, UserPrincipal, require_role
from central_api.security.pages import csrf_token_for, require_page_role
from central_api.web.layout import SafeHtml, gettext, render_page, render_template

__all__ = ["router", "site_reports"]

router = APIRouter(tags=["baseline"])
BaselineReader = Annotated[UserPrincipal, Depends(require_role(Role.AUTHORITY))]
PageReader = Annotated[
    UserPrincipal,
    Depends(require_page_role(Role.AUTHORITY, login_next="/dashboard/baseline")),
]
LevelQuery = Annotated[
    int | None,
    Query(ge=1, le=3, description="Score every site at this ISPS level; default: each its own."),
]


def site_reports(session: Session, settings: Settings, level: int | None) -> list[Report]:
    """Every site the session sees, scored against its profile (by site id)."""
    profiles: dict[int, Profile] = {}
    reports = []
    for facts in all_site_facts(session, settings):
        wanted = level or facts.threat_level
        if wanted not in profiles:
            profiles[wanted] = load_profile(shipped_profile(wanted))
        reports.append(evaluate(profiles[wanted], facts))
    return reports


@router.get("/api/v1/baseline", response_model=list[Report])
def baseline_reports(
    session: SessionDep, settings: SettingsDep, user: BaselineReader, level: LevelQuery = None
) -> list[Report]:
    """Each site's score, failed musts and findings with their fixes."""
    return site_reports(session, settings, level)


def _no_sites() -> str:
    text = gettext("no sites")
    return f'<tr><td colspan="6">{html.escape(text)}</td></tr>'


def _fix(fix: str) -> str:
    return gettext("fix: {fix}", fix=fix)


def _row(report: Report) -> str:
    failing = [f for f in report.findings if not f.passed]
    items = "".join(
        f"<li><b>{html.escape(f.requirement)}</b> ({html.escape(str(f.severity))}, "
        f"{html.escape(f.status)}): {html.escape(f.detail)}"
        f"<br><small>{html.escape(_fix(f.fix))}</small></li>"
        for f in failing
    )
    state = "pass" if report.ok else "fail"
    cells = (
        f"<td>{html.escape(report.site_id)}</td><td>{html.escape(report.site_name)}</td>"
        f"<td>{html.escape(report.profile)}</td><td>{report.score}</td>"
        f"<td>{report.failed_musts}</td><td><ul>{items}</ul></td>"
    )
    return f'<tr data-site="{html.escape(report.site_id)}" data-state="{state}">{cells}</tr>'


@router.get("/dashboard/baseline", response_class=HTMLResponse, include_in_schema=False)
def baseline_page(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    user: PageReader,
    level: LevelQuery = None,
) -> HTMLResponse:
    """Every site's baseline score side by side, with what fails and its fix."""
    rows = "".join(_row(report) for report in site_reports(session, settings, level))
    cookie = request.cookies.get(COOKIE_NAME, "")
    token = csrf_token_for(secret=settings.jwt_secret(), session_cookie=cookie) if cookie else ""
    content = render_template(
        "baseline.html",
        rows=SafeHtml(rows or _no_sites()),
    )
    return render_page(
        title="Security baseline",
        page_id="baseline",
        user=user,
        csrf_token=token,
        content=content,
        nav=DASHBOARD_NAV,
    )
