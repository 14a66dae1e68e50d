"""Desk routes for QR passes: issue for a truck visit, print the card (PNG or PDF)."""

from typing import Annotated, Literal

from fastapi import APIRouter, File, Query, Request, UploadFile
from fastapi.responses import Response
from sqlmodel import col, select

from central_api.crud.people import get_person
from central_api.deps import SessionDep, SettingsDep
from central_api.enroll.deps import EnrollSessionDep
from central_api.enroll.faces import decode_photo
from central_api.enroll.pass_card import CardText, render_card_file
from central_api.enroll.passes import cancel_pass, issue_pass, load_signer, pass_out
from central_api.enroll.privacy import read_photo
from central_api.enroll.schemas import PassIn, PassOut
from central_api.enroll.settings import photo_key
from central_api.enroll.tables import IssuedPass, RetainedPhoto
from central_api.errors import NotFoundError
from central_api.models import Appointment, Company
from central_api.routes.desk.photos import read_upload
from central_api.routes.mobile_pass.desk import with_mobile_link
from central_api.routes.params import IdPath
from central_api.security.auth import DeskUser
from central_api.web.locale import page_locale
from central_api.web.zone import site_zone

__all__ = ["router"]

router = APIRouter(prefix="/api/v1/enroll", tags=["enrollment"])
_MEDIA = {"png": "image/png", "pdf": "application/pdf"}


@router.post("/people/{person_id}/passes", response_model=PassOut, status_code=201)
def issue(
    person_id: IdPath,
    body: PassIn,
    request: Request,
    session: EnrollSessionDep,
    settings: SettingsDep,
    desk: DeskUser,
) -> PassOut:
    """Book a truck visit (gates, window, plate), sign its QR pass, make its phone link."""
    issued = issue_pass(
        session=session,
        person_id=person_id,
        pass_in=body,
        actor=desk.actor,
        signer=load_signer(settings),
    )
    return with_mobile_link(
        issued, request=request, session=session, settings=settings, actor=desk.actor
    )


@router.delete("/passes/{pass_id}", status_code=204)
def cancel(pass_id: IdPath, session: EnrollSessionDep, desk: DeskUser) -> Response:
    """Cancel an issued pass: no gate opens for it again (409 once a one-time pass was used)."""
    cancel_pass(session=session, pass_id=pass_id, actor=desk.actor)
    return Response(status_code=204)


def _issued(session: SessionDep, pass_id: str) -> tuple[IssuedPass, Appointment]:
    row = session.get(IssuedPass, pass_id)
    appointment = session.get(Appointment, row.appointment_id) if row else None
    if row is None or appointment is None:
        raise NotFoundError(f"pass {pass_id!r} not found")
    return row, appointment


@router.get("/passes/{pass_id}", response_model=PassOut)
def get_pass(pass_id: IdPath, session: SessionDep, desk: DeskUser) -> PassOut:
    """An issued pass (to reprint it)."""
    row, appointment = _issued(session, pass_id)
    plate = appointment.plate.replace(" ", "").upper() if appointment.plate else None
    return pass_out(
        row,
        gates=[g.upper() for g in appointment.gates],
        plate=plate,
        one_time=appointment.one_time,
        language=appointment.language,
    )


@router.post(
    "/passes/{pass_id}/card",
    response_class=Response,
    responses={200: {"content": {"image/png": {}, "application/pdf": {}}}},
)
def print_card(
    pass_id: IdPath,
    session: SessionDep,
    settings: SettingsDep,
    desk: DeskUser,
    format: Annotated[Literal["png", "pdf"], Query()] = "png",  # noqa: A002 (the usual name)
    photo: Annotated[UploadFile | None, File()] = None,
) -> Response:
    """The printable card with photo, name, company, validity and the QR code.

    The photo comes with the request (the desk's last capture); without one, a kept photo
    is used when the site keeps photos, else the card says "no photo".
    """
    row, appointment = _issued(session, pass_id)
    person = get_person(session=session, person_id=row.person_id)
    company = session.get(Company, person.company_id) if person.company_id else None
    pixels = None
    if photo is not None:
        pixels = decode_photo(read_upload(photo))
    else:
        kept = session.exec(
            select(RetainedPhoto)
            .where(RetainedPhoto.person_id == person.id)
            .order_by(col(RetainedPhoto.created_at).desc())
        ).first()
        if kept is not None:
            pixels = decode_photo(read_photo(row=kept, key=photo_key(settings)))
    text = CardText(
        name=person.display_name,
        company=company.name if company else None,
        person_id=person.id,
        pass_id=row.pass_id,
        valid_from=row.not_before,
        valid_until=row.expires_at,
        gates=tuple(g.upper() for g in appointment.gates),
        plate=appointment.plate,
        locale=page_locale(),
        zone=site_zone(session, appointment.site_id) or "UTC",  # where the gates are
    )
    body = render_card_file(token=row.token, text=text, photo=pixels, fmt=format)
    return Response(
        body,
        media_type=_MEDIA[format],
        headers={"Content-Disposition": f'inline; filename="pass-{row.pass_id}.{format}"'},
    )
