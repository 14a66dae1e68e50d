"""Desk routes for the desk's own badge reader: a read posted, the page's poll for it.

`portgate desk-reader` posts with the desk user's bearer token; the page polls with its
session cookie. Both are the user's own: nobody reads another desk's reader.
"""

from fastapi import APIRouter, Response

from central_api.db import utc_now
from central_api.deps import SessionDep
from central_api.enroll.desk.reader import DeskReadIn, DeskReadOut, last_read, record_read
from central_api.security.auth import DeskUser

__all__ = ["router"]

router = APIRouter(prefix="/api/v1/enroll/desk-reader", tags=["enrollment"])


@router.post("/reads", status_code=204)
def post_read(body: DeskReadIn, session: SessionDep, desk: DeskUser) -> Response:
    """A card read at this desk user's reader; their page fills it into its badge field."""
    record_read(session=session, username=desk.username, read=body, now=utc_now())
    return Response(status_code=204)


@router.get("/last", response_model=DeskReadOut)
def get_last(session: SessionDep, desk: DeskUser) -> DeskReadOut:
    """The newest read at this desk user's reader, for a few seconds after it happened."""
    return last_read(session=session, username=desk.username, now=utc_now())
