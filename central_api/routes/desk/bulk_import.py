"""The bulk-import route: one CSV row (as JSON) and its photos per request."""

from typing import Annotated

from fastapi import APIRouter, File, Form, UploadFile
from fastapi.responses import JSONResponse

from central_api.deps import SettingsDep
from central_api.enroll.deps import (
    EnrollSessionDep,
    EnrollSettingsDep,
    PhotoContextDep,
)
from central_api.enroll.importer import import_person
from central_api.enroll.privacy import keep_photo
from central_api.enroll.schemas import ImportOutcome
from central_api.enroll.settings import photo_key
from central_api.routes.desk.photos import read_upload
from central_api.security.auth import DeskUser

__all__ = ["router"]

router = APIRouter(prefix="/api/v1/enroll", tags=["enrollment"])
_STATUS = {"created": 201, "exists": 200, "rejected": 422}


@router.post(
    "/import/person",
    response_model=ImportOutcome,
    status_code=201,
    responses={200: {"model": ImportOutcome}, 422: {"model": ImportOutcome}},
)
def import_one(
    person: Annotated[str, Form(max_length=8192, description="The person as EnrollPersonIn JSON.")],
    session: EnrollSessionDep,
    settings: SettingsDep,
    enroll: EnrollSettingsDep,
    context: PhotoContextDep,
    desk: DeskUser,
    photos: Annotated[list[UploadFile] | None, File()] = None,
) -> JSONResponse:
    """Create one person with their photos, or nothing; an enrolled external id is skipped."""
    files = [(p.filename or f"photo{i}", read_upload(p)) for i, p in enumerate(photos or [])]
    outcome, accepted = import_person(
        session=session, person_json=person, photos=files, actor=desk.actor, context=context
    )
    if outcome.person_id and accepted and enroll.photo_retention_days:
        for data in accepted.values():
            keep_photo(
                session=session,
                person_id=outcome.person_id,
                template_id=None,
                photo=data,
                key=photo_key(settings),
                days=enroll.photo_retention_days,
            )
    return JSONResponse(outcome.model_dump(mode="json"), status_code=_STATUS[outcome.status])
