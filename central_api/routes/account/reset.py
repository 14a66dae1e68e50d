"""Admin reset with a one-time link: the admin issues it, the user follows it once.

The link is ``/reset#TOKEN``: the fragment stays in the browser (no access log sees it) and
the page posts it in the form body. `POST /reset` is public, like `/login`: the token is the
credential, and no session is involved.
"""

import html
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Form, Path, Request, status
from fastapi.responses import HTMLResponse
from gate_protocol.ids import AccountName
from pydantic import BaseModel

from central_api.crud.password_resets import ResetLinkError, issue_reset_link, use_reset_link
from central_api.deps import SessionDep, SettingsDep
from central_api.errors import ServiceError
from central_api.security.auth import AdminUser
from central_api.security.headers import PAGE_CSP
from central_api.security.password_policy import MAX_PASSWORD_LENGTH
from central_api.web.layout import SafeHtml, render_template

__all__ = ["router"]

router = APIRouter(tags=["account"])


class ResetLinkOut(BaseModel):
    """The one-time link, shown once: it is not stored and cannot be shown again."""

    url: str
    expires_at: datetime


@router.post("/api/v1/users/{username}/reset-link", response_model=ResetLinkOut, status_code=201)
def issue_link(
    username: Annotated[AccountName, Path()],
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    admin: AdminUser,
) -> ResetLinkOut:
    """Issue a one-time password reset link for a user (valid 24 h; older links die)."""
    issued = issue_reset_link(
        session=session,
        username=username,
        actor=admin.actor,
        key=settings.jwt_secret(),
        site_id=admin.site_id,
    )
    base = str(request.base_url).rstrip("/")
    return ResetLinkOut(url=f"{base}/reset#{issued.token}", expires_at=issued.expires_at)


def _page(message: str, *, ok: bool, code: int, token: str = "") -> HTMLResponse:
    # A password the policy refused keeps the token in the form, so the user can try again.
    role = "status" if ok else "alert"
    block = SafeHtml(
        f'<p role="{role}" id="r-message">{html.escape(message)}</p>' if message else ""
    )
    page = render_template("reset.html", message=block, token=token)
    # The page's own script (it moves the token out of the fragment) needs the page CSP.
    return HTMLResponse(page, status_code=code, headers={"Content-Security-Policy": PAGE_CSP})


@router.get("/reset", response_class=HTMLResponse, include_in_schema=False)
def reset_page() -> HTMLResponse:
    """The form a reset link opens (public; the token arrives in the fragment)."""
    return _page("", ok=True, code=status.HTTP_200_OK)


@router.post("/reset", response_class=HTMLResponse, include_in_schema=False)
def reset_submit(
    session: SessionDep,
    settings: SettingsDep,
    password: Annotated[str, Form(max_length=MAX_PASSWORD_LENGTH)],
    token: Annotated[str, Form(max_length=128)] = "",  # empty: the script did not run
) -> HTMLResponse:
    """Set the new password through the link (public: the token is the credential)."""
    try:
        user = use_reset_link(
            session=session, token=token, password=password, key=settings.jwt_secret()
        )
    except ResetLinkError as dead:
        session.rollback()
        return _page(dead.message, ok=False, code=dead.status_code)
    except ServiceError as refused:  # the policy: the link stays usable
        session.rollback()
        return _page(refused.message, ok=False, code=refused.status_code, token=token)
    return _page(
        f"Password set for {user.username}. Log in with the new password.",
        ok=True,
        code=status.HTTP_200_OK,
    )
