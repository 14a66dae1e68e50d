"""The phone page a pass link opens: one shell for every pass id, filled by its script.

The server never sees the link's secret (it is in the fragment), so it cannot tell a
right link from a wrong one here: every ``/m/pass/...`` gets the same page, and the
script asks `POST /api/v1/mobile-pass` and shows the pass or "this link is not valid".
Static script and style only (the shared page CSP), no cookie unless the reader picks a
language, no referrer.
"""

from fastapi import APIRouter
from fastapi.responses import HTMLResponse

from central_api.web.layout import SECURITY_HEADERS, render_template

__all__ = ["POLL_SECONDS", "router"]

router = APIRouter(include_in_schema=False)
# How often the page asks for the pass's status again (tests shorten it).
POLL_SECONDS = 15


@router.get("/m/pass/{pass_id}", response_class=HTMLResponse)
def mobile_pass_page(pass_id: str) -> HTMLResponse:
    """The pass on a phone: QR code, window in the site's zone, gates, live status."""
    del pass_id  # the script reads it from the address, with the secret
    body = render_template("mobile_pass.html", poll_s=str(POLL_SECONDS))
    return HTMLResponse(body, headers=SECURITY_HEADERS)
