"""The dashboard's companies view: each company's status and its figures of the last 30 days.

Rendered on the server (no script): every value is escaped, and a site-bound operator's
session counts their own site only.
"""

import html
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse

from central_api.crud.companies import list_companies
from central_api.dashboard.company_figures import DEFAULT_PERIOD, company_figures
from central_api.deps import SessionDep, SettingsDep
from central_api.models import Company, CompanyFigures, Role
from central_api.routes.dashboard.page import DASHBOARD_NAV
from central_api.security.auth import COOKIE_NAME, UserPrincipal
from central_api.security.pages import csrf_token_for, require_page_role
from central_api.web.layout import SafeHtml, gettext, render_page, render_template

__all__ = ["router"]

router = APIRouter(tags=["dashboard"], include_in_schema=False)
PageReader = Annotated[
    UserPrincipal,
    Depends(require_page_role(Role.OPERATOR, Role.AUTHORITY, login_next="/dashboard/companies")),
]


def _row(company: Company, people: int, figures: CompanyFigures) -> str:
    cells = [
        company.name,
        str(company.status),
        company.status_reason or "",
        str(people),
        str(figures.passages),
        str(figures.denials),
        str(figures.pass_reuse_attempts),
        str(figures.no_shows),
        str(figures.alarms),
    ]
    tds = "".join(f"<td>{html.escape(cell, quote=True)}</td>" for cell in cells)
    return f'<tr data-status="{html.escape(str(company.status))}">{tds}</tr>'


def _empty_row(text: str) -> str:
    return f'<tr><td colspan="9">{html.escape(text)}</td></tr>'


@router.get("/dashboard/companies", response_class=HTMLResponse)
def companies_page(
    request: Request, session: SessionDep, settings: SettingsDep, user: PageReader
) -> HTMLResponse:
    """Every company: status, reason, people and the figures of the last 30 days."""
    rows = [
        _row(
            company, people, company_figures(session=session, company=company, start=None, end=None)
        )
        for company, people in list_companies(session=session)
    ]
    cookie = request.cookies.get(COOKIE_NAME, "")
    token = csrf_token_for(secret=settings.jwt_secret(), session_cookie=cookie) if cookie else ""
    content = render_template(
        "companies.html",
        days=str(DEFAULT_PERIOD.days),
        scope=gettext("site {site}", site=user.site_id) if user.site_id else gettext("every site"),
        rows=SafeHtml("".join(rows) or _empty_row(gettext("no companies"))),
    )
    return render_page(
        title="Companies",
        page_id="companies",
        user=user,
        csrf_token=token,
        content=content,
        nav=DASHBOARD_NAV,
    )
