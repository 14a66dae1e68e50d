"""Page security of the dashboard and the desk: login redirect for pages, their CSRF token.

The CSRF rule itself (`central_api.security.csrf`) runs in every `RoleRequirement`, and
only there; the pages hand its token to their scripts in a meta tag.
"""

from typing import Annotated

from fastapi import Depends, HTTPException, Request, status
from fastapi.security import OAuth2PasswordBearer
from sqlmodel import Session

from central_api.deps import SessionDep, SettingsDep
from central_api.models import Role
from central_api.security.auth import RoleRequirement, UserPrincipal
from central_api.security.csrf import CSRF_HEADER, csrf_token_for

__all__ = [
    "CSRF_HEADER",
    "PageRoleRequirement",
    "StreamRoleRequirement",
    "csrf_token_for",
    "require_page_role",
]

_bearer = OAuth2PasswordBearer(tokenUrl="/api/v1/auth/token", auto_error=False)


class PageRoleRequirement(RoleRequirement):
    """A role requirement for HTML pages: an anonymous browser is sent on to the login form."""

    def __init__(self, *roles: Role, login_next: str, admins: bool = True) -> None:
        super().__init__(*roles, admins=admins)
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


def require_page_role(*roles: Role, login_next: str, admins: bool = True) -> PageRoleRequirement:
    """The page dependency admitting `roles` (and admins, unless `admins=False`).

    Anonymous browsers go to the login form.
    """
    return PageRoleRequirement(*roles, login_next=login_next, admins=admins)
