"""Reports as files: ``GET /api/v1/reports/{name}`` and the dashboard's download of the same.

A site's operators get their own site (their session is scoped to it); the port authority
and site-wide admins get one site or, without `site`, every site. The answer is the whole
file as an attachment, complete on its own (e-mail-ready). Bad input is a 4xx with a
message: an unknown report or site 404, an unknown format or a bad period 422.
"""

from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import Response

from central_api.db import utc_now
from central_api.deps import SessionDep
from central_api.errors import InvalidError, NotFoundError
from central_api.reports.build import build_report, check_format, check_name, report_zone
from central_api.reports.period import (
    DEFAULT_SHIFTS,
    ReportInputError,
    parse_shifts,
    resolve_period,
)
from central_api.reports.render import render_report
from central_api.security.auth import UserPrincipal, WatchUser

__all__ = ["router"]

router = APIRouter(tags=["reports"])

_Text = Annotated[str | None, Query(max_length=64)]


def report_response(
    *,
    session: SessionDep,
    user: UserPrincipal,
    name: str,
    site: str | None,
    start: str | None,
    end: str | None,
    fmt: str,
    shifts: str | None = None,
) -> Response:
    """Build, render and answer report `name` as an attachment (ServiceError: bad input)."""
    try:
        check_name(name)
    except ReportInputError as exc:
        raise NotFoundError(str(exc)) from None
    try:
        zone = report_zone(session=session, site_id=site or None)
    except ReportInputError as exc:
        raise NotFoundError(str(exc)) from None
    try:
        check_format(fmt)
        period = resolve_period(start, end, now=utc_now(), zone=zone)
        chosen_shifts = parse_shifts(shifts) if shifts else DEFAULT_SHIFTS
    except ReportInputError as exc:
        raise InvalidError(str(exc)) from None
    try:
        report = build_report(
            session=session,
            name=name,
            site_id=site or None,
            period=period,
            generated_by=user.actor,
            now=utc_now(),
            shifts=chosen_shifts,
        )
    except ReportInputError as exc:
        raise NotFoundError(str(exc)) from None
    rendered = render_report(report, fmt)
    return Response(
        content=rendered.content,
        media_type=rendered.media_type,
        headers={"Content-Disposition": f'attachment; filename="{rendered.file_name}"'},
    )


@router.get("/api/v1/reports/{name}")
def get_report(
    name: str,
    session: SessionDep,
    user: WatchUser,
    site: _Text = None,
    start: Annotated[str | None, Query(alias="from", max_length=40)] = None,
    end: Annotated[str | None, Query(alias="to", max_length=40)] = None,
    fmt: Annotated[str, Query(alias="format", max_length=8)] = "csv",
    shifts: Annotated[str | None, Query(max_length=40)] = None,
) -> Response:
    """Report `name` (access, alarms, companies, overrides) as a csv, xlsx or pdf file.

    `shifts`: the operator shifts' start hours (UTC) for the alarms report, default 6,14,22.
    """
    return report_response(
        session=session,
        user=user,
        name=name,
        site=site,
        start=start,
        end=end,
        fmt=fmt,
        shifts=shifts,
    )


@router.get("/dashboard/reports/download", include_in_schema=False)
def download_report(
    session: SessionDep,
    user: WatchUser,
    report: Annotated[str, Query(max_length=32)],
    site: _Text = None,
    start: Annotated[str | None, Query(alias="from", max_length=40)] = None,
    end: Annotated[str | None, Query(alias="to", max_length=40)] = None,
    fmt: Annotated[str, Query(alias="format", max_length=8)] = "pdf",
) -> Response:
    """The Reports tab's form: the same file as the API's, the report named in the query."""
    return report_response(
        session=session,
        user=user,
        name=report,
        site=site,
        start=start or None,
        end=end or None,
        fmt=fmt,
    )
