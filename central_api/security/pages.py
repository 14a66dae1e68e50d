"""Page security of the dashboard: login redirect for pages, CSRF on cookie POSTs.

The session cookie is ``SameSite=strict`` already; on top of that every state-changing
dashboard call made with the cookie must carry ``X-CSRF-Token`` (an HMAC of the session
cookie under the server secret, handed to the page in a meta tag) and, when the browser
sends one, an ``Origin`` equal to the page's own. Calls with a bearer token are not
cookie-authenticated, so no cross-site page can forge them.
"""

import hashlib
import hmac
from typing import Annotated

from fastapi import Depends, HTTPException, Request, status
from fastapi.security import OAuth2PasswordBearer
from sqlmodel import Session

from central_api.deps import SessionDep, SettingsDep
from central_api.models import Role
from central_api.security.auth import COOKIE_NAME, RoleRequirement, UserPrincipal

__all__ = [
    "CSRF_HEADER",
    "CsrfGuard",
    "PageRoleRequirement",
    "StreamRoleRequirement",
    "csrf_token_for",
    "require_page_role",
]

CSRF_HEADER = "X-CSRF-Token"
_bearer = OAuth2PasswordBearer(tokenUrl="/api/v1/auth/token", auto_error=False)


def csrf_token_for(*, secret: str, session_cookie: str) -> str:
    """The CSRF token bound to one session cookie (changes with every login)."""
    mac = hmac.new(secret.encode(), b"csrf|" + session_cookie.encode(), hashlib.sha256)
    return mac.hexdigest()


class CsrfGuard:
    """Dependency: refuse a cookie-authenticated unsafe request without the right token."""

    def __call__(self, request: Request, settings: SettingsDep) -> None:
        """Check the Origin header and the CSRF token of cookie-authenticated requests."""
        if request.headers.get("authorization", "").lower().startswith("bearer "):
            return
        cookie = request.cookies.get(COOKIE_NAME)
        if not cookie:
            return  # not cookie-authenticated: the role check answers 401
        origin = request.headers.get("origin")
        host = request.headers.get("host", "")
        if origin is not None and origin.split("://", 1)[-1] != host:
            raise HTTPException(status.HTTP_403_FORBIDDEN, detail="cross-origin request refused")
        expected = csrf_token_for(secret=settings.jwt_secret(), session_cookie=cookie)
        sent = request.headers.get(CSRF_HEADER, "")
        if not hmac.compare_digest(sent.encode(), expected.encode()):
            raise HTTPException(status.HTTP_403_FORBIDDEN, detail="missing or wrong CSRF token")


class PageRoleRequirement(RoleRequirement):
    """A role requirement for HTML pages: an anonymous browser is sent on to the login form."""

    def __init__(self, *roles: Role, login_next: str) -> None:
        super().__init__(*roles)
        self.login_next = login_next

    def __call__(
        self,
        request: Request,
        session: SessionDep,
        settings: SettingsDep,
        token: Annotated[str | None, Depends(_bearer)],
    ) -> UserPrincipal:
        """Resolve the user like the API does; a 401 also tells the browser to go to /login."""
        try:
            return super().__call__(request, session, settings, token)
        except HTTPException as exc:
            if exc.status_code != status.HTTP_401_UNAUTHORIZED:
                raise
            # Still a 401 (every protected route answers 401 to anonymous callers), but the
            # Refresh header sends a browser on to the login form.
            headers = dict(exc.headers or {})
            headers["Refresh"] = f"0; url=/login?next={self.login_next}"
            raise HTTPException(exc.status_code, detail=exc.detail, headers=headers) from None


class StreamRoleRequirement(RoleRequirement):
    """A role requirement for long-lived streams: checks with a session it closes at once.

    A request's session lives as long as its response; for a stream that is hours, and on
    SQLite (every transaction ``BEGIN IMMEDIATE``) it would hold the write lock all along.
    """

    def __call__(  # type: ignore[override]
        self,
        request: Request,
        settings: SettingsDep,
        token: Annotated[str | None, Depends(_bearer)],
    ) -> UserPrincipal:
        """Resolve the caller like the API does, then let the session go."""
        with Session(request.app.state.engine) as session:
            return super().__call__(request, session, settings, token)


def require_page_role(*roles: Role, login_next: str) -> PageRoleRequirement:
    """The page dependency admitting `roles` (and admins); others go to the login form."""
    return PageRoleRequirement(*roles, login_next=login_next)
