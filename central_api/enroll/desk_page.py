"""The security-desk page (`/desk`): HTML, script and style from `central_api/web/`.

A browser that is not logged in is sent to the login form and back; a logged-in user
without the desk role gets 403.
"""

from functools import cache
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Request, status
from fastapi.responses import HTMLResponse, Response

from central_api.auth import RoleRequirement, UserPrincipal, _bearer
from central_api.deps import SessionDep, SettingsDep
from central_api.models import Role

__all__ = ["PageRoleRequirement", "router"]

WEB_DIR = Path(__file__).resolve().parent.parent / "web"
_SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; img-src 'self' blob: data:; media-src 'self' blob:; "
        "style-src 'self'; script-src 'self'; object-src 'none'; frame-ancestors 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
}


class PageRoleRequirement(RoleRequirement):
    """A `RoleRequirement` that sends an anonymous browser to the login form."""

    def __call__(
        self,
        request: Request,
        session: SessionDep,
        settings: SettingsDep,
        token: Annotated[str | None, Depends(_bearer)],
    ) -> UserPrincipal:
        """Resolve the user, or redirect to ``/login?next=...`` when nobody is logged in."""
        try:
            return super().__call__(request, session, settings, token)
        except HTTPException as exc:
            if exc.status_code != status.HTTP_401_UNAUTHORIZED:
                raise
            raise HTTPException(
                status.HTTP_303_SEE_OTHER,
                detail="log in first",
                headers={"Location": f"/login?next={request.url.path}"},
            ) from None


DeskPageUser = Annotated[UserPrincipal, Depends(PageRoleRequirement(Role.SECURITY_DESK))]
router = APIRouter(tags=["desk"], include_in_schema=False)


@cache
def _asset(name: str) -> str:
    return (WEB_DIR / name).read_text(encoding="utf-8")


@router.get("/desk", response_class=HTMLResponse)
def desk_page(user: DeskPageUser) -> HTMLResponse:
    """The enrollment page."""
    html = _asset("desk.html").replace("{{user}}", user.username)
    return HTMLResponse(html, headers=_SECURITY_HEADERS)


@router.get("/desk/desk.js")
def desk_script(user: DeskPageUser) -> Response:
    """The page's script."""
    return Response(_asset("desk.js"), media_type="text/javascript", headers=_SECURITY_HEADERS)


@router.get("/desk/desk.css")
def desk_style(user: DeskPageUser) -> Response:
    """The page's style."""
    return Response(_asset("desk.css"), media_type="text/css", headers=_SECURITY_HEADERS)
