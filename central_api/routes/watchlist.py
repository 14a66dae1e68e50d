"""The port authority's watchlist: persons of interest (a photo and a reason each)."""

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, File, Form, UploadFile
from fastapi.exceptions import RequestValidationError
from pydantic import ValidationError

from central_api.deps import SessionDep, SettingsDep
from central_api.models import PersonOfInterestCreate, PersonOfInterestPublic
from central_api.models.security import Role
from central_api.routes.desk.photos import read_upload
from central_api.routes.params import IdPath
from central_api.security.auth import RoleRequirement, UserPrincipal, check_site_wide
from central_api.watchlist.persons import (
    add_person_of_interest,
    list_persons_of_interest,
    remove_person_of_interest,
)

__all__ = ["router"]

router = APIRouter(prefix="/api/v1/watchlist", tags=["watchlist"])


def _port_wide(
    principal: Annotated[UserPrincipal, Depends(RoleRequirement(Role.AUTHORITY))],
) -> UserPrincipal:
    # The watchlist is port-wide: a site's own admin does not manage it.
    check_site_wide(principal)
    return principal


AuthorityUser = Annotated[UserPrincipal, Depends(_port_wide)]


@router.post(
    "/persons-of-interest",
    response_model=PersonOfInterestPublic,
    status_code=201,
)
def add(
    photo: Annotated[UploadFile, File()],
    label: Annotated[str, Form()],
    reason: Annotated[str, Form()],
    session: SessionDep,
    settings: SettingsDep,
    authority: AuthorityUser,
    valid_from: Annotated[datetime | None, Form()] = None,
    valid_until: Annotated[datetime | None, Form()] = None,
) -> PersonOfInterestPublic:
    """Put a person of interest on every gate's watchlist: one face in the photo, a reason.

    The photo is checked and encoded like an enrollment photo and not kept.
    """
    try:
        body = PersonOfInterestCreate.model_validate(
            {"label": label, "reason": reason, "valid_from": valid_from, "valid_until": valid_until}
        )
    except ValidationError as exc:
        raise RequestValidationError(exc.errors(include_url=False, include_context=False)) from exc
    return add_person_of_interest(
        session=session,
        body=body,
        photo=read_upload(photo),
        key=settings.template_key_bytes(),
        actor=authority.actor,
    )


@router.get("/persons-of-interest", response_model=list[PersonOfInterestPublic])
def list_all(session: SessionDep, authority: AuthorityUser) -> list[PersonOfInterestPublic]:
    """Every person of interest (label, reason, who entered it, period; never the face)."""
    return list_persons_of_interest(session=session)


@router.delete("/persons-of-interest/{poi_id}", status_code=204)
def remove(poi_id: IdPath, session: SessionDep, authority: AuthorityUser) -> None:
    """Take a person of interest off the watchlist (404 when there is none by that id)."""
    remove_person_of_interest(session=session, poi_id=poi_id, actor=authority.actor)
