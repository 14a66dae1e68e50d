"""How a login ends, for both of its steps: the audit row, the session cookie, or the step.

The password step (`routes/auth.py`) and the code and setup steps
(`routes/account/second_factor.py`) share it, so a login through TOTP ends exactly like
one without.
"""

from fastapi import Request, status
from fastapi.responses import RedirectResponse, Response
from sqlmodel import Session

from central_api.audit.chain import append_audit
from central_api.config import Settings
from central_api.models import User
from central_api.security.auth import COOKIE_NAME, create_token
from central_api.security.login_sessions import start_login_session
from central_api.security.totp.pending import PENDING_COOKIE, PENDING_MINUTES, issue_pending
from central_api.security.totp.policy import LoginStep
from central_api.security.totp.seal import TotpKeys
from central_api.web.locale import lang_cookie_header

__all__ = ["audit_login", "safe_next", "session_cookie", "step_redirect", "totp_keys"]


def safe_next(value: str) -> str:
    """`value` if it is a same-site path, else ``/`` (no open redirect for phishing links)."""
    if not value.startswith("/") or value.startswith("//") or len(value) > 200:
        return "/"
    return "".join(c for c in value if c.isalnum() or c in "/-_.?=&")


def totp_keys(settings: Settings) -> TotpKeys:
    """The second factor's keys, derived from the API's template key."""
    return TotpKeys.from_template_key(settings.template_key_bytes())


def audit_login(
    *, session: Session, user: User, via: str, failures_before: int, factor: str | None
) -> None:
    """The audit row of a completed login (`factor`: its second factor, if any)."""
    after: dict[str, object] = {"via": via, "failures_before": failures_before}
    if factor is not None:
        after["second_factor"] = factor
    append_audit(
        session=session,
        actor=f"user:{user.username}",
        action="login",
        target=f"user:{user.username}",
        after=after,
    )
    session.commit()


def session_cookie(
    response: Response,
    *,
    session: Session,
    request: Request,
    settings: Settings,
    user: User,
    mfa: bool,
) -> None:
    """Start a recorded session for `user` and set its cookie (and their language) on `response`."""
    minutes = settings.session_minutes
    sid = start_login_session(session=session, user=user, request=request)
    token = create_token(
        settings=settings, user=user, minutes=minutes, purpose="session", sid=sid, mfa=mfa
    )
    response.set_cookie(
        COOKIE_NAME,
        token,
        max_age=minutes * 60,
        httponly=True,
        samesite="strict",
        secure=settings.cookie_secure,
        path="/",
    )
    response.delete_cookie(PENDING_COOKIE, path="/login")
    if user.locale:  # the language they chose follows them to this browser
        response.headers.append("set-cookie", lang_cookie_header(user.locale))


def step_redirect(
    *, settings: Settings, user: User, step: LoginStep, next_path: str, failures_before: int
) -> RedirectResponse:
    """Send the browser on to the code or setup step, the login held in a short cookie."""
    token = issue_pending(
        secret=settings.jwt_secret(),
        user=user,
        step=step,
        next_path=safe_next(next_path),
        failures_before=failures_before,
    )
    response = RedirectResponse(f"/login/{step.value}", status_code=status.HTTP_303_SEE_OTHER)
    response.set_cookie(
        PENDING_COOKIE,
        token,
        max_age=PENDING_MINUTES * 60,
        httponly=True,
        samesite="strict",
        secure=settings.cookie_secure,
        path="/login",
    )
    return response
