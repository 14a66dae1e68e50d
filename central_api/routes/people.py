"""People, credentials, face templates, competencies (security desk and admins)."""

import base64
import binascii
from typing import Annotated

from fastapi import APIRouter, Path, Query
from pydantic import BaseModel, Field
from sqlmodel import col, select

from central_api.crud import people as crud
from central_api.deps import SessionDep, SettingsDep
from central_api.errors import InvalidError, NotFoundError
from central_api.models import (
    Credential,
    CredentialCreate,
    CredentialPublic,
    FaceTemplate,
    FaceTemplatePublic,
    Person,
    PersonCompetencyCreate,
    PersonCreate,
    PersonPublic,
    PersonUpdate,
    SiteActivation,
)
from central_api.routes.params import IdPath
from central_api.security.auth import DeskUser

__all__ = ["router"]

router = APIRouter(prefix="/api/v1", tags=["people"])


class FaceTemplateIn(BaseModel):
    """One face template: 128 little-endian float32 (512 bytes), base64."""

    template_b64: str = Field(min_length=4, max_length=1024, pattern=r"^[A-Za-z0-9+/=]+$")
    quality: float | None = Field(default=None, ge=0, le=1)


class CompetencyOut(BaseModel):
    """A competency a person holds."""

    name: str
    valid_until: str | None


@router.post("/people", response_model=PersonPublic, status_code=201)
def create_person(body: PersonCreate, session: SessionDep, desk: DeskUser) -> Person:
    """Enroll a person."""
    return crud.create_person(session=session, person_create=body, actor=desk.actor)


@router.get("/people", response_model=list[PersonPublic])
def list_people(
    session: SessionDep,
    desk: DeskUser,
    site_id: Annotated[str | None, Query(max_length=64)] = None,
    name: Annotated[str | None, Query(max_length=120)] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
) -> list[Person]:
    """People, optionally of one site or matching a name."""
    statement = select(Person).order_by(Person.display_name).limit(limit).offset(offset)
    if site_id:  # the people activated at that site (one identity, many sites)
        statement = statement.where(
            col(Person.id).in_(
                select(SiteActivation.person_id).where(SiteActivation.site_id == site_id)
            )
        )
    if name:
        statement = statement.where(col(Person.display_name).contains(name))
    return list(session.exec(statement).all())


@router.get("/people/{person_id}", response_model=PersonPublic)
def get_person(person_id: IdPath, session: SessionDep, desk: DeskUser) -> Person:
    """One person."""
    return crud.get_person(session=session, person_id=person_id)


@router.patch("/people/{person_id}", response_model=PersonPublic)
def update_person(
    person_id: IdPath, body: PersonUpdate, session: SessionDep, desk: DeskUser
) -> Person:
    """Change, suspend or revoke a person (gates learn at once)."""
    return crud.update_person(
        session=session, person_id=person_id, person_update=body, actor=desk.actor
    )


@router.get("/people/{person_id}/credentials", response_model=list[CredentialPublic])
def list_credentials(person_id: IdPath, session: SessionDep, desk: DeskUser) -> list[Credential]:
    """A person's badges and passes."""
    crud.get_person(session=session, person_id=person_id)
    return list(session.exec(select(Credential).where(Credential.person_id == person_id)).all())


@router.post("/people/{person_id}/credentials", response_model=CredentialPublic, status_code=201)
def add_credential(
    person_id: IdPath, body: CredentialCreate, session: SessionDep, desk: DeskUser
) -> Credential:
    """Bind a badge or a QR pass id."""
    return crud.add_credential(
        session=session, person_id=person_id, credential_create=body, actor=desk.actor
    )


@router.post("/credentials/{credential_id}/revoke", response_model=CredentialPublic)
def revoke_credential(
    credential_id: Annotated[int, Path(ge=1, le=2**62)], session: SessionDep, desk: DeskUser
) -> Credential:
    """Revoke a badge or pass for good."""
    return crud.revoke_credential(session=session, credential_id=credential_id, actor=desk.actor)


@router.post(
    "/people/{person_id}/face-templates", response_model=FaceTemplatePublic, status_code=201
)
def add_face_template(
    person_id: IdPath,
    body: FaceTemplateIn,
    session: SessionDep,
    settings: SettingsDep,
    desk: DeskUser,
) -> FaceTemplate:
    """Store a face template, encrypted at rest; no route ever returns it."""
    try:
        raw = base64.b64decode(body.template_b64, validate=True)
    except (binascii.Error, ValueError):
        raise InvalidError("template_b64 is not valid base64") from None
    return crud.add_face_template(
        session=session,
        person_id=person_id,
        template=raw,
        quality=body.quality,
        key=settings.template_key_bytes(),
        actor=desk.actor,
    )


@router.get("/people/{person_id}/face-templates", response_model=list[FaceTemplatePublic])
def list_face_templates(
    person_id: IdPath, session: SessionDep, desk: DeskUser
) -> list[FaceTemplate]:
    """Which templates exist (ids, quality, dates), never their content."""
    crud.get_person(session=session, person_id=person_id)
    return list(session.exec(select(FaceTemplate).where(FaceTemplate.person_id == person_id)).all())


@router.post("/people/{person_id}/competencies", status_code=204)
def set_competency(
    person_id: IdPath, body: PersonCompetencyCreate, session: SessionDep, desk: DeskUser
) -> None:
    """Record or renew a competency (e.g. ISPS training until a date)."""
    crud.add_competency(session=session, person_id=person_id, competency=body, actor=desk.actor)


@router.put("/people/{person_id}/groups/{group_id}", status_code=204)
def add_to_group(
    person_id: IdPath,
    group_id: Annotated[int, Path(ge=1, le=2**62)],
    session: SessionDep,
    desk: DeskUser,
) -> None:
    """Give a person an access group."""
    crud.add_to_group(session=session, person_id=person_id, group_id=group_id, actor=desk.actor)


@router.delete("/people/{person_id}/groups/{group_id}", status_code=204)
def remove_from_group(
    person_id: IdPath,
    group_id: Annotated[int, Path(ge=1, le=2**62)],
    session: SessionDep,
    desk: DeskUser,
) -> None:
    """Take an access group away (the person leaves the replicas of gates it opened)."""
    if not crud.remove_from_group(
        session=session, person_id=person_id, group_id=group_id, actor=desk.actor
    ):
        raise NotFoundError(f"person {person_id!r} does not have access group {group_id}")
