"""Log in: OAuth2 password flow for API clients, a form and a session cookie for pages.

A user with TOTP goes on from the password to the code (routes/account/second_factor.py).
"""

from dataclasses import dataclass
from typing import Annotated

from fastapi import APIRouter, Depends, Form, HTTPException, Request, status
from fastapi.responses import HTMLResponse, RedirectResponse
from fastapi.security import OAuth2PasswordRequestForm
from pydantic import BaseModel

from central_api.crud.users import end_sessions
from central_api.deps import SessionDep, SettingsDep
from central_api.models import User, UserPublic
from central_api.routes.account.login_finish import (
    audit_login,
    safe_next,
    session_cookie,
    step_redirect,
    totp_keys,
)
from central_api.security.auth import COOKIE_NAME, AnyUser, create_token
from central_api.security.directory import DirectoryUnavailable
from central_api.security.login import (
    LoginRefused,
    check_password,
    check_second_factor,
    refused_answer,
)
from central_api.security.login_sessions import start_login_session
from central_api.security.totp.policy import LoginStep, next_login_step
from central_api.web.layout import gettext, render_template

__all__ = ["router"]

router = APIRouter(tags=["auth"])


def _login_page(*, error: str = "", next: str = "/", status_code: int = 200) -> HTMLResponse:  # noqa: A002
    """The login form in the request's language (web/templates/login.html; no script)."""
    body = render_template("login.html", error=error, next=next)
    return HTMLResponse(body, status_code=status_code)


class Token(BaseModel):
    """An OAuth2 bearer token."""

    access_token: str
    token_type: str = "bearer"  # noqa: S105 (the OAuth2 token type, not a secret)
    expires_in: int


@dataclass(frozen=True, slots=True)
class _PasswordPassed:
    user: User
    step: LoginStep | None  # the second step still due; None: the login is complete
    failures_before: int


def _login(
    *,
    session: SessionDep,
    request: Request,
    settings: SettingsDep,
    username: str,
    password: str,
    via: str,
) -> _PasswordPassed | None:
    """Check the password through the throttle; audit a complete login (failures: in bulk).

    A user with TOTP (or who must set it up) is not logged in yet: `step` says what is due.

    Raises:
        LoginRefused: Too many failures of late for this account or client address.
    """
    if len(username) > 64 or len(password) > 256:
        return None
    checked = check_password(
        session=session, request=request, username=username, password=password, via=via
    )
    if checked.user is None:
        return None
    step = next_login_step(session=session, user=checked.user, enforced=settings.totp_enforced())
    if step is None:
        audit_login(
            session=session,
            user=checked.user,
            via=via,
            failures_before=checked.failures_before,
            factor=None,
        )
    return _PasswordPassed(checked.user, step, checked.failures_before)


def _token_second_factor(
    *,
    session: SessionDep,
    request: Request,
    settings: SettingsDep,
    passed: _PasswordPassed,
    code: str,
) -> None:
    """The token route's TOTP step: the code comes in the same form (`totp_code`)."""
    if passed.step is LoginStep.ENROLL:
        raise _unauthorized(
            "second factor required: set up TOTP first by logging in on the web page (/login)"
        )
    if not code:
        raise _unauthorized("second factor required: send the TOTP code as totp_code")
    factor = check_second_factor(
        session=session,
        request=request,
        keys=totp_keys(settings),
        user=passed.user,
        code=code,
        via="token",
    )
    if factor is None:
        raise _unauthorized("wrong code")
    audit_login(
        session=session,
        user=passed.user,
        via="token",
        failures_before=passed.failures_before,
        factor=factor,
    )


def _unauthorized(detail: str) -> HTTPException:
    return HTTPException(
        status.HTTP_401_UNAUTHORIZED, detail=detail, headers={"WWW-Authenticate": "Bearer"}
    )


@router.post("/api/v1/auth/token", response_model=Token)
def login_for_token(
    form: Annotated[OAuth2PasswordRequestForm, Depends()],
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    totp_code: Annotated[str, Form(max_length=64)] = "",
) -> Token:
    """Exchange a user name and password for a short-lived JWT (public; throttled: 429).

    A user with TOTP (admins and authority users must have it) sends the code from their
    app, or one of their recovery codes, as `totp_code` in the same form.
    """
    try:
        passed = _login(
            session=session,
            request=request,
            settings=settings,
            username=form.username,
            password=form.password,
            via="token",
        )
        if passed is not None and passed.step is not None:
            _token_second_factor(
                session=session,
                request=request,
                settings=settings,
                passed=passed,
                code=totp_code,
            )
    except LoginRefused as refused:
        raise refused_answer(refused) from None
    if passed is None:
        raise _unauthorized("wrong user name or password")
    user = passed.user
    minutes = settings.access_token_minutes
    sid = start_login_session(session=session, user=user, request=request)
    token = create_token(
        settings=settings,
        user=user,
        minutes=minutes,
        purpose="access",
        sid=sid,
        mfa=passed.step is not None,
    )
    return Token(access_token=token, expires_in=minutes * 60)


@router.get("/", response_class=HTMLResponse, include_in_schema=False)
def home_page() -> HTMLResponse:
    """Where a login without a destination lands: links to the web pages (public, no data)."""
    return HTMLResponse(render_template("home.html"))


@router.get("/login", response_class=HTMLResponse)
def login_page(next: str = "/") -> HTMLResponse:  # noqa: A002 (the usual query name)
    """The login form (public)."""
    return _login_page(next=safe_next(next))


@router.post("/login", response_class=HTMLResponse, response_model=None)
def login_submit(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    username: Annotated[str, Form(max_length=64)],
    password: Annotated[str, Form(max_length=256)],
    next: Annotated[str, Form(max_length=200)] = "/",  # noqa: A002
) -> HTMLResponse | RedirectResponse:
    """Check the form like the token endpoint; on success set the session cookie (public)."""
    try:
        passed = _login(
            session=session,
            request=request,
            settings=settings,
            username=username,
            password=password,
            via="form",
        )
    except LoginRefused as refused:
        refused_page = _login_page(
            error=f"{refused}.", status_code=status.HTTP_429_TOO_MANY_REQUESTS
        )
        refused_page.headers["Retry-After"] = str(refused.retry_after_s)
        return refused_page
    except DirectoryUnavailable as down:
        return _login_page(error=f"{down.message}.", status_code=down.status_code)
    if passed is None:
        return _login_page(
            error=gettext("Wrong user name or password."),
            status_code=status.HTTP_401_UNAUTHORIZED,
        )
    if passed.step is not None:  # the code, or setting TOTP up, comes first
        return step_redirect(
            settings=settings,
            user=passed.user,
            step=passed.step,
            next_path=next,
            failures_before=passed.failures_before,
        )
    response = RedirectResponse(safe_next(next), status_code=status.HTTP_303_SEE_OTHER)
    session_cookie(
        response, session=session, request=request, settings=settings, user=passed.user, mfa=False
    )
    return response


@router.post("/logout", include_in_schema=False)  # a page action: it answers a redirect
def logout(user: AnyUser, session: SessionDep) -> RedirectResponse:
    """End the user's sessions on the server (every token issued so far) and drop the cookie."""
    end_sessions(session=session, username=user.username, actor=user.actor)
    response = RedirectResponse("/login", status_code=status.HTTP_303_SEE_OTHER)
    response.delete_cookie(COOKIE_NAME, path="/")
    return response


@router.get("/api/v1/auth/me", response_model=UserPublic)
def who_am_i(user: AnyUser) -> UserPublic:
    """The logged-in user."""
    return UserPublic(username=user.username, role=user.role, active=True)
