"""Desk routes for photos: quality feedback, add with the duplicate check, four eyes."""

from typing import Annotated

from fastapi import APIRouter, Body, File, Path, Request, UploadFile
from fastapi.responses import JSONResponse

from central_api.deps import SessionDep, SettingsDep
from central_api.enroll.deps import (
    EnrollSessionDep,
    EnrollSettingsDep,
    PhotoContextDep,
)
from central_api.enroll.faces import MAX_PHOTO_BYTES
from central_api.enroll.photos import (
    add_photo,
    check_photo,
    confirm_pending,
    delete_template,
    identify_photo,
    reject_pending,
)
from central_api.enroll.privacy import keep_photo, purge_expired
from central_api.enroll.schemas import PhotoOutcome, SecondUserIn
from central_api.enroll.second_user import second_user_actor
from central_api.enroll.settings import photo_key
from central_api.errors import InvalidError
from central_api.routes.params import IdPath
from central_api.security.auth import AdminUser, DeskUser

__all__ = ["read_upload", "router"]

router = APIRouter(prefix="/api/v1/enroll", tags=["enrollment"])
_OUTCOME_STATUS = {"ok": 200, "accepted": 201, "rejected": 422, "duplicate": 409}
_RESPONSES: dict[int | str, dict[str, object]] = {
    422: {"model": PhotoOutcome, "description": "Rejected: quality reasons."},
    409: {"model": PhotoOutcome, "description": "Possible duplicate: a second user decides."},
}


def read_upload(upload: UploadFile) -> bytes:
    """The uploaded file's bytes, refusing more than the photo limit."""
    data = upload.file.read(MAX_PHOTO_BYTES + 1)
    if len(data) > MAX_PHOTO_BYTES:
        raise InvalidError(f"{upload.filename or 'photo'} is over the photo size limit")
    return data


def _answer(outcome: PhotoOutcome) -> JSONResponse:
    return JSONResponse(
        outcome.model_dump(mode="json"), status_code=_OUTCOME_STATUS[outcome.status]
    )


@router.post("/photos/check", response_model=PhotoOutcome, responses=_RESPONSES)
def check(photo: Annotated[UploadFile, File()], desk: DeskUser) -> JSONResponse:
    """Judge a photo at once (no face, two faces, too small, blurred, dark, turned away)."""
    outcome, _ = check_photo(photo=read_upload(photo))
    return _answer(outcome)


@router.post("/photos/identify", response_model=PhotoOutcome, responses=_RESPONSES)
def identify(
    photo: Annotated[UploadFile, File()],
    session: SessionDep,
    context: PhotoContextDep,
    desk: DeskUser,
) -> JSONResponse:
    """Is this face enrolled anywhere in the port? A hit names the identity to activate."""
    outcome, _ = identify_photo(session=session, photo=read_upload(photo), context=context)
    return _answer(outcome)


@router.post(
    "/people/{person_id}/photos", response_model=PhotoOutcome, status_code=201, responses=_RESPONSES
)
def add(
    person_id: IdPath,
    photo: Annotated[UploadFile, File()],
    session: EnrollSessionDep,
    settings: SettingsDep,
    enroll: EnrollSettingsDep,
    context: PhotoContextDep,
    desk: DeskUser,
) -> JSONResponse:
    """Add a photo: quality check, 1:N duplicate check, then an encrypted template."""
    data = read_upload(photo)
    outcome, _ = add_photo(
        session=session, person_id=person_id, photo=data, actor=desk.actor, context=context
    )
    if outcome.status == "accepted" and enroll.photo_retention_days:
        keep_photo(
            session=session,
            person_id=person_id,
            template_id=outcome.template_id,
            photo=data,
            key=photo_key(settings),
            days=enroll.photo_retention_days,
        )
    return _answer(outcome)


@router.delete("/people/{person_id}/templates/{template_id}", status_code=204)
def remove_template(
    person_id: IdPath,
    template_id: Annotated[int, Path(ge=1, le=2**62)],
    session: EnrollSessionDep,
    settings: SettingsDep,
    desk: DeskUser,
) -> None:
    """Delete one face template (a person keeps 1 to 5 usable ones; a broken one may go)."""
    delete_template(
        session=session,
        person_id=person_id,
        template_id=template_id,
        key=settings.template_key_bytes(),
        actor=desk.actor,
    )


@router.post("/pending-faces/{pending_id}/confirm", response_model=PhotoOutcome, status_code=201)
def confirm(
    pending_id: Annotated[str, Path(min_length=1, max_length=64)],
    request: Request,
    session: EnrollSessionDep,
    settings: SettingsDep,
    desk: DeskUser,
    second_user: Annotated[SecondUserIn | None, Body()] = None,
) -> PhotoOutcome:
    """A second desk user confirms a duplicate hit: these are two different people.

    The second user either calls this with their own login, or signs with their name and
    password at the first user's desk (the body).
    """
    confirmer = desk.actor
    if second_user is not None:
        confirmer = second_user_actor(
            session=session,
            request=request,
            pending_id=pending_id,
            signer=second_user,
            asked_by=desk.actor,
        )
    return confirm_pending(
        session=session,
        pending_id=pending_id,
        confirmer=confirmer,
        template_key=settings.template_key_bytes(),
    )


@router.post("/pending-faces/{pending_id}/reject", status_code=204)
def reject(
    pending_id: Annotated[str, Path(min_length=1, max_length=64)],
    session: EnrollSessionDep,
    desk: DeskUser,
) -> None:
    """Drop a face held for confirmation: it is not enrolled."""
    reject_pending(session=session, pending_id=pending_id, actor=desk.actor)


@router.post("/photos/purge", response_model=dict[str, int])
def purge(session: SessionDep, enroll: EnrollSettingsDep, admin: AdminUser) -> dict[str, int]:
    """Purge expired kept photos and stale pending faces now (it also runs on a timer)."""
    return purge_expired(session=session, pending_hours=enroll.pending_hours)
