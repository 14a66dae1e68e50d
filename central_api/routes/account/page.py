"""The `/account` page: your password, your sessions (and, for admins, TOTP)."""

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse

from central_api.deps import SettingsDep
from central_api.models import Role
from central_api.security.auth import COOKIE_NAME, UserPrincipal
from central_api.security.pages import csrf_token_for, require_page_role
from central_api.web.layout import render_page, render_template

__all__ = ["router"]

router = APIRouter(tags=["account"])
PageUser = Annotated[
    UserPrincipal,
    Depends(
        require_page_role(Role.OPERATOR, Role.SECURITY_DESK, Role.AUTHORITY, login_next="/account")
    ),
]


@router.get("/account", response_class=HTMLResponse, include_in_schema=False)
def account_page(request: Request, settings: SettingsDep, user: PageUser) -> HTMLResponse:
    """The logged-in user's own account."""
    cookie = request.cookies.get(COOKIE_NAME, "")
    token = csrf_token_for(secret=settings.jwt_secret(), session_cookie=cookie) if cookie else ""
    return render_page(
        title="Your account",
        page_id="account",
        user=user,
        csrf_token=token,
        content=render_template("account.html"),
        scripts=["account.js"],
    )
