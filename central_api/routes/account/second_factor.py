"""The second step of a login: type the TOTP code, or set TOTP up first (public pages).

Both pages are reached only with the short cookie the password step sets
(`central_api.security.totp.pending`); without it they send the browser back to /login. No
session exists before the step is passed, so a required user who has not set TOTP up yet
cannot reach anything else. The pages run no script: the QR code is inline SVG.
"""

from typing import Annotated

import segno
from fastapi import APIRouter, Form, HTTPException, Request, status
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from central_api.deps import SessionDep, SettingsDep
from central_api.errors import ServiceError
from central_api.routes.account.login_finish import audit_login, session_cookie, totp_keys
from central_api.security.login import LoginRefused, check_second_factor
from central_api.security.totp.pending import PENDING_COOKIE, PendingLogin, read_pending
from central_api.security.totp.policy import LoginStep
from central_api.security.totp.store import (
    Enrollment,
    begin_enrollment,
    confirm_enrollment,
    enrollment_in_progress,
)
from central_api.web.layout import SafeHtml, gettext, render_template

__all__ = ["qr_svg", "router"]

router = APIRouter(tags=["auth"])
_CODE_FIELD = Annotated[str, Form(max_length=64)]


def qr_svg(uri: str) -> SafeHtml:
    """The QR code of an ``otpauth://`` URI as inline SVG (our own markup, no data in it)."""
    svg = segno.make(uri, error="m", micro=False).svg_inline(
        scale=5, border=2, dark="#000", light="#fff", title=None, omitsize=False
    )
    return SafeHtml(svg)


def _pending(
    request: Request, session: SessionDep, settings: SettingsDep, step: LoginStep
) -> PendingLogin | None:
    raw = request.cookies.get(PENDING_COOKIE, "")
    if not raw:
        return None
    try:
        return read_pending(session=session, secret=settings.jwt_secret(), raw=raw, step=step)
    except HTTPException:  # expired, another step, reset since: log in again
        return None


def _back_to_login() -> RedirectResponse:
    return RedirectResponse("/login", status_code=status.HTTP_303_SEE_OTHER)


def _code_page(*, error: str = "", status_code: int = 200) -> HTMLResponse:
    return HTMLResponse(render_template("login_code.html", error=error), status_code=status_code)


@router.get(
    "/login/code", response_class=HTMLResponse, response_model=None, include_in_schema=False
)
def code_page(
    request: Request, session: SessionDep, settings: SettingsDep
) -> HTMLResponse | RedirectResponse:
    """The code step of a login (public; needs the password step's cookie)."""
    if _pending(request, session, settings, LoginStep.CODE) is None:
        return _back_to_login()
    return _code_page()


@router.post(
    "/login/code", response_class=HTMLResponse, response_model=None, include_in_schema=False
)
def code_submit(
    request: Request, session: SessionDep, settings: SettingsDep, code: _CODE_FIELD
) -> Response:
    """Check the code (or a recovery code) once, throttled; a right one logs in (public)."""
    pending = _pending(request, session, settings, LoginStep.CODE)
    if pending is None:
        return _back_to_login()
    try:
        factor = check_second_factor(
            session=session,
            request=request,
            keys=totp_keys(settings),
            user=pending.user,
            code=code,
            via="form",
        )
    except LoginRefused as refused:
        page = _code_page(error=f"{refused}.", status_code=status.HTTP_429_TOO_MANY_REQUESTS)
        page.headers["Retry-After"] = str(refused.retry_after_s)
        return page
    if factor is None:
        return _code_page(
            error=gettext("Wrong code. Type the 6 digits your app shows now, or a recovery code."),
            status_code=status.HTTP_401_UNAUTHORIZED,
        )
    audit_login(
        session=session,
        user=pending.user,
        via="form",
        failures_before=pending.failures_before,
        factor=factor,
    )
    response = RedirectResponse(pending.next, status_code=status.HTTP_303_SEE_OTHER)
    session_cookie(
        response, session=session, request=request, settings=settings, user=pending.user, mfa=True
    )
    return response


def _enroll_page(
    enrollment: Enrollment | None,
    *,
    error: str = "",
    codes: list[str] | None = None,
    next_path: str = "/",
    status_code: int = 200,
) -> HTMLResponse:
    body = render_template(
        "login_enroll.html",
        error=error,
        qr=qr_svg(enrollment.uri) if enrollment else SafeHtml(""),
        secret=enrollment.secret if enrollment else "",
        codes=codes or [],
        next=next_path,
    )
    return HTMLResponse(body, status_code=status_code)


@router.get(
    "/login/enroll", response_class=HTMLResponse, response_model=None, include_in_schema=False
)
def enroll_page(
    request: Request, session: SessionDep, settings: SettingsDep
) -> HTMLResponse | RedirectResponse:
    """Set TOTP up before the first login of a user who must have it (public; step cookie)."""
    pending = _pending(request, session, settings, LoginStep.ENROLL)
    if pending is None:
        return _back_to_login()
    keys = totp_keys(settings)
    # A reload shows the same secret (it may be scanned already); none yet: a new one.
    enrollment = enrollment_in_progress(session=session, user=pending.user, keys=keys)
    if enrollment is None:
        try:
            enrollment = begin_enrollment(session=session, user=pending.user, keys=keys)
        except ServiceError:  # set up meanwhile in another tab: its login asks for a code
            return _back_to_login()
    return _enroll_page(enrollment)


@router.post(
    "/login/enroll", response_class=HTMLResponse, response_model=None, include_in_schema=False
)
def enroll_submit(
    request: Request, session: SessionDep, settings: SettingsDep, code: _CODE_FIELD
) -> Response:
    """Confirm the setup with a code: TOTP goes on, the recovery codes show once, log in."""
    pending = _pending(request, session, settings, LoginStep.ENROLL)
    if pending is None:
        return _back_to_login()
    keys = totp_keys(settings)
    try:
        codes = confirm_enrollment(
            session=session, user=pending.user, keys=keys, code=code, actor=pending.user_actor
        )
    except ServiceError:
        session.rollback()
        enrollment = enrollment_in_progress(session=session, user=pending.user, keys=keys)
        if enrollment is None:  # set up elsewhere meanwhile, or never started: start again
            return _back_to_login()
        return _enroll_page(
            enrollment,
            error=gettext("Wrong code. Type the 6 digits your app shows now."),
            status_code=status.HTTP_400_BAD_REQUEST,
        )
    audit_login(
        session=session,
        user=pending.user,
        via="form",
        failures_before=pending.failures_before,
        factor="totp",
    )
    page = _enroll_page(None, codes=codes, next_path=pending.next)
    session_cookie(
        page, session=session, request=request, settings=settings, user=pending.user, mfa=True
    )
    return page
