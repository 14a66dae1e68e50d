"""The desk's phone links: made with every issued pass, and a new one on request."""

import segno
from fastapi import APIRouter, Request
from pydantic import BaseModel
from sqlmodel import Session

from central_api.config import Settings
from central_api.deps import SettingsDep
from central_api.enroll.deps import EnrollSessionDep
from central_api.enroll.mobile.links import link_key, make_link, mobile_path
from central_api.enroll.schemas import PassOut
from central_api.routes.params import IdPath
from central_api.security.auth import DeskUser

__all__ = ["router", "with_mobile_link"]

router = APIRouter(prefix="/api/v1/enroll", tags=["enrollment"])


class MobileLinkOut(BaseModel):
    """A pass's phone link, shown once: its secret is not stored and cannot be shown again."""

    pass_id: str
    url: str
    qr: str  # a PNG data URI of the URL's QR code, for the clerk to show the driver


def _link(
    *, request: Request, session: Session, settings: Settings, pass_id: str, actor: str
) -> MobileLinkOut:
    secret = make_link(session=session, pass_id=pass_id, actor=actor, key=link_key(settings))
    url = str(request.base_url).rstrip("/") + mobile_path(pass_id, secret)
    qr = segno.make(url, error="m", micro=False).png_data_uri(scale=5)
    return MobileLinkOut(pass_id=pass_id, url=url, qr=str(qr))


def with_mobile_link(
    issued: PassOut, *, request: Request, session: Session, settings: Settings, actor: str
) -> PassOut:
    """`issued` with its new phone link (made and audited now)."""
    link = _link(
        request=request, session=session, settings=settings, pass_id=issued.pass_id, actor=actor
    )
    return issued.model_copy(update={"mobile_url": link.url, "mobile_qr": link.qr})


@router.post("/passes/{pass_id}/mobile-link", response_model=MobileLinkOut, status_code=201)
def new_link(
    pass_id: IdPath,
    request: Request,
    session: EnrollSessionDep,
    settings: SettingsDep,
    desk: DeskUser,
) -> MobileLinkOut:
    """A new phone link for an issued pass: the old link stops working at once (audited)."""
    return _link(
        request=request, session=session, settings=settings, pass_id=pass_id, actor=desk.actor
    )
