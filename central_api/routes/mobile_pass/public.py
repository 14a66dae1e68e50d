"""The phone page's API, without a login: the link's pass id and secret are the credential.

The secret travels in the POST body (the page read it from the fragment), so it is in no
URL and no access log. Any wrong link (an unknown pass id, a wrong or empty secret, a link
replaced by a newer one, an erased holder) gets the same 404 with the same body, and
counts against the client address's wrong-link limit (429 with Retry-After once used up).
"""

from fastapi import APIRouter, HTTPException, Request, status
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field

from central_api.db import utc_now
from central_api.deps import SessionDep, SettingsDep
from central_api.enroll.mobile.limits import LinkLimits, TooManyWrongLinks
from central_api.enroll.mobile.links import MAX_SECRET_LENGTH, find_link, link_key
from central_api.enroll.mobile.view import MobilePassView, pass_view
from central_api.security.login import client_address
from central_api.web.locale import page_locale

__all__ = ["NOT_VALID", "MobilePassIn", "router"]

router = APIRouter(prefix="/api/v1", tags=["mobile pass"])
# One answer for every wrong link: it says nothing about whether the pass exists.
NOT_VALID = "this link is not valid: ask the security desk for a new one"


class MobilePassIn(BaseModel):
    """A phone link's two parts (loosely typed: a malformed one is just a wrong link)."""

    model_config = ConfigDict(extra="forbid")

    pass_id: str = Field(max_length=64)
    secret: str = Field(max_length=MAX_SECRET_LENGTH)


@router.post(
    "/mobile-pass",
    response_model=MobilePassView,
    responses={404: {"description": NOT_VALID}, 429: {"description": "too many wrong links"}},
)
def read_mobile_pass(
    body: MobilePassIn, request: Request, session: SessionDep, settings: SettingsDep
) -> MobilePassView | JSONResponse:
    """The live status, window, gates and QR code of the pass a phone link names."""
    key = link_key(settings)
    limits, address = LinkLimits(request.app.state.engine, key=key), client_address(request)
    try:
        limits.check(address)
    except TooManyWrongLinks as refused:
        raise HTTPException(
            status.HTTP_429_TOO_MANY_REQUESTS,
            detail=str(refused),
            headers={"Retry-After": str(refused.retry_after_s)},
        ) from None
    link = find_link(session=session, pass_id=body.pass_id, secret=body.secret, key=key)
    view = None
    if link is not None:
        view = pass_view(session=session, link=link, now=utc_now(), locale=page_locale())
    if view is None:
        limits.wrong(address)
        return JSONResponse({"detail": NOT_VALID}, status_code=404)
    return view
