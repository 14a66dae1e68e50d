"""The reporter's routes, without a login: send a report, follow it up with the code.

Nothing of the request but the form reaches the report: no client address, user agent
or cookie is read into it (the address only feeds the rate limit, as a keyed hash, in
the throttle table). The follow-up code travels in a POST body, never in a URL, so it
is in no access log; a wrong code gets the same 404 as a purged one.
"""

from typing import Annotated

from fastapi import APIRouter, File, Form, HTTPException, Request, UploadFile, status
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from gate_protocol.ids import Id
from pydantic import ValidationError

from central_api.deps import SessionDep, SettingsDep
from central_api.security.login import client_address
from central_api.staff_reports.abuse import RateLimited, ReportLimits
from central_api.staff_reports.codes import address_key, report_key
from central_api.staff_reports.photos import MAX_PHOTO_BYTES, clean_photo, report_photo_key
from central_api.staff_reports.reporting import (
    ReportIn,
    add_reporter_message,
    follow_up,
    submit_report,
)
from central_api.staff_reports.tables import (
    FollowUpIn,
    FollowUpView,
    ReporterMessageIn,
    ReportReceipt,
)

__all__ = ["router"]

router = APIRouter(prefix="/api/v1/staff-reports", tags=["staff reports"])
_PHOTO_TOO_LARGE = f"the photo is over {MAX_PHOTO_BYTES // (1024 * 1024)} MiB: send a smaller one"
FormText = Annotated[str | None, Form(max_length=5000)]


def _limits(request: Request) -> ReportLimits:
    return ReportLimits(request.app.state.engine)


def _too_many(refused: RateLimited) -> HTTPException:
    return HTTPException(
        status.HTTP_429_TOO_MANY_REQUESTS,
        detail=str(refused),
        headers={"Retry-After": str(refused.retry_after_s)},
    )


class _PhotoTooLarge(Exception):
    pass


def _read_photo(photo: UploadFile | None) -> bytes | None:
    """The photo's bytes, reading at most one byte past the limit."""
    if photo is None:
        return None
    data = photo.file.read(MAX_PHOTO_BYTES + 1)
    if len(data) > MAX_PHOTO_BYTES:
        raise _PhotoTooLarge
    return data or None  # a form sent without choosing a file has an empty part


@router.post("", response_model=ReportReceipt, status_code=201)
def submit(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    site: Annotated[Id, Form()],
    what: FormText = None,
    when: FormText = None,
    where: FormText = None,
    sign: Annotated[str | None, Form(max_length=64)] = None,
    name: FormText = None,
    contact: FormText = None,
    photo: Annotated[UploadFile | None, File()] = None,
) -> ReportReceipt | JSONResponse:
    """A report of suspicious activity: what, where, when, an optional photo and name.

    Answers the follow-up code once; it is kept only as a keyed hash.
    """
    fields = {"what": what, "when": when, "where": where or None, "name": name or None}
    try:
        body = ReportIn.model_validate({**fields, "contact": contact or None})
    except ValidationError as exc:
        raise RequestValidationError(exc.errors(include_url=False)) from None
    try:
        data = _read_photo(photo)
    except _PhotoTooLarge:
        # Answered here: the app's 413 handler words every HTTPException 413 as the body limit.
        return JSONResponse({"detail": _PHOTO_TOO_LARGE}, status_code=413)
    key = report_key(settings)
    limits, address = _limits(request), address_key(key, client_address(request))
    try:
        limits.may_report(site_id=site, address_key=address)
    except RateLimited as refused:
        raise _too_many(refused) from None
    new = submit_report(
        session=session,
        key=key,
        photo_key=report_photo_key(settings),
        site_id=site,
        sign_token=sign or None,
        body=body,
        photo=clean_photo(data) if data is not None else None,
    )
    limits.reported(site_id=site, address_key=address)
    return ReportReceipt(
        code=new.code, status=new.report.status, received_at=new.report.received_at
    )


def _follow_up_allowed(request: Request, settings: SettingsDep) -> None:
    try:
        key = address_key(report_key(settings), client_address(request))
        _limits(request).follow_up(address_key=key)
    except RateLimited as refused:
        raise _too_many(refused) from None


@router.post("/follow-up", response_model=FollowUpView)
def read_follow_up(
    body: FollowUpIn, request: Request, session: SessionDep, settings: SettingsDep
) -> FollowUpView:
    """The report's status and the thread, for the holder of its code (404: no such code)."""
    _follow_up_allowed(request, settings)
    return follow_up(session=session, key=report_key(settings), code=body.code)


@router.post("/follow-up/messages", response_model=FollowUpView, status_code=201)
def write_follow_up(
    body: ReporterMessageIn, request: Request, session: SessionDep, settings: SettingsDep
) -> FollowUpView:
    """The reporter adds a message to their report's thread."""
    _follow_up_allowed(request, settings)
    return add_reporter_message(
        session=session, key=report_key(settings), code=body.code, body=body.body
    )
