"""Log in: OAuth2 password flow for API clients, a form and a session cookie for pages."""

from typing import Annotated

from fastapi import APIRouter, Depends, Form, HTTPException, Request, status
from fastapi.responses import HTMLResponse, RedirectResponse
from fastapi.security import OAuth2PasswordRequestForm
from pydantic import BaseModel

from central_api.audit.chain import append_audit
from central_api.crud.users import end_sessions
from central_api.deps import SessionDep, SettingsDep
from central_api.models import User, UserPublic
from central_api.security.auth import COOKIE_NAME, AnyUser, create_token
from central_api.security.directory import DirectoryUnavailable
from central_api.security.login import LoginRefused, check_password, refused_answer
from central_api.security.login_sessions import start_login_session
from central_api.web.layout import gettext, render_template
from central_api.web.locale import lang_cookie_header

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


def _login(
    *, session: SessionDep, request: Request, username: str, password: str, via: str
) -> User | None:
    """Check the password through the throttle; audit a success (failures: in bulk only).

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
    append_audit(
        session=session,
        actor=f"user:{username}",
        action="login",
        target=f"user:{username}",
        after={"via": via, "failures_before": checked.failures_before},
    )
    session.commit()
    return checked.user


@router.post("/api/v1/auth/token", response_model=Token)
def login_for_token(
    form: Annotated[OAuth2PasswordRequestForm, Depends()],
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
) -> Token:
    """Exchange a user name and password for a short-lived JWT (public; throttled: 429)."""
    try:
        user = _login(
            session=session,
            request=request,
            username=form.username,
            password=form.password,
            via="token",
        )
    except LoginRefused as refused:
        raise refused_answer(refused) from None
    if user is None:
        raise HTTPException(
            status.HTTP_401_UNAUTHORIZED,
            detail="wrong user name or password",
            headers={"WWW-Authenticate": "Bearer"},
        )
    minutes = settings.access_token_minutes
    sid = start_login_session(session=session, user=user, request=request)
    token = create_token(settings=settings, user=user, minutes=minutes, purpose="access", sid=sid)
    return Token(access_token=token, expires_in=minutes * 60)


@router.get("/", response_class=HTMLResponse, include_in_schema=False)
def home_page() -> HTMLResponse:
    """Where a login without a destination lands: links to the web pages (public, no data)."""
    return HTMLResponse(render_template("home.html"))


@router.get("/login", response_class=HTMLResponse)
def login_page(next: str = "/") -> HTMLResponse:  # noqa: A002 (the usual query name)
    """The login form (public)."""
    return _login_page(next=_safe_next(next))


def _safe_next(value: str) -> str:
    # Only same-site paths: an open redirect would let a phishing link bounce off us.
    if not value.startswith("/") or value.startswith("//") or len(value) > 200:
        return "/"
    return "".join(c for c in value if c.isalnum() or c in "/-_.?=&")


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
        user = _login(
            session=session, request=request, username=username, password=password, via="form"
        )
    except LoginRefused as refused:
        refused_page = _login_page(
            error=f"{refused}.", status_code=status.HTTP_429_TOO_MANY_REQUESTS
        )
        refused_page.headers["Retry-After"] = str(refused.retry_after_s)
        return refused_page
    except DirectoryUnavailable as down:
        return _login_page(error=f"{down.message}.", status_code=down.status_code)
    if user is None:
        return _login_page(
            error=gettext("Wrong user name or password."),
            status_code=status.HTTP_401_UNAUTHORIZED,
        )
    minutes = settings.session_minutes
    sid = start_login_session(session=session, user=user, request=request)
    token = create_token(settings=settings, user=user, minutes=minutes, purpose="session", sid=sid)
    response = RedirectResponse(_safe_next(next), status_code=status.HTTP_303_SEE_OTHER)
    response.set_cookie(
        COOKIE_NAME,
        token,
        max_age=minutes * 60,
        httponly=True,
        samesite="strict",
        secure=settings.cookie_secure,
        path="/",
    )
    if user.locale:  # the language they chose follows them to this browser
        response.headers.append("set-cookie", lang_cookie_header(user.locale))
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
