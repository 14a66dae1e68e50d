"""One identity across terminals: a person's activations per site, identity documents checked."""

from fastapi import APIRouter, Response

from central_api.community.refs import reference_keys, set_identity_ref
from central_api.crud import activations as crud
from central_api.deps import SessionDep, SettingsDep
from central_api.models import (
    DocumentCheck,
    DocumentCheckCreate,
    SiteActivation,
    SiteActivationCreate,
    SiteActivationPublic,
    SiteActivationUpdate,
)
from central_api.routes.params import IdPath
from central_api.security.auth import DeskUser

__all__ = ["router"]

router = APIRouter(prefix="/api/v1", tags=["people"])


@router.post(
    "/people/{person_id}/activations", response_model=SiteActivationPublic, status_code=201
)
def activate_person(
    person_id: IdPath, body: SiteActivationCreate, session: SessionDep, desk: DeskUser
) -> SiteActivation:
    """Activate an enrolled identity at a site (a site's desk: its own site only)."""
    return crud.activate_person(
        session=session,
        person_id=person_id,
        activation=body,
        user_site=desk.site_id,
        actor=desk.actor,
    )


@router.get("/people/{person_id}/activations", response_model=list[SiteActivationPublic])
def list_activations(
    person_id: IdPath, session: SessionDep, desk: DeskUser
) -> list[SiteActivation]:
    """Where the person is activated (a site's user sees its own site's activation only)."""
    return crud.list_activations(session=session, person_id=person_id)


@router.patch("/people/{person_id}/activations/{site_id}", response_model=SiteActivationPublic)
def update_activation(
    person_id: IdPath,
    site_id: IdPath,
    body: SiteActivationUpdate,
    session: SessionDep,
    desk: DeskUser,
) -> SiteActivation:
    """Suspend or resume the person at one site, or change the site's validity."""
    return crud.update_activation(
        session=session, person_id=person_id, site_id=site_id, change=body, actor=desk.actor
    )


@router.delete("/people/{person_id}/activations/{site_id}", status_code=204)
def deactivate_person(
    person_id: IdPath, site_id: IdPath, session: SessionDep, desk: DeskUser
) -> Response:
    """End the activation at a site: its gates drop the person, the identity stays."""
    crud.deactivate_person(session=session, person_id=person_id, site_id=site_id, actor=desk.actor)
    return Response(status_code=204)


@router.post("/people/{person_id}/document-checks", status_code=201)
def record_document_check(
    person_id: IdPath,
    body: DocumentCheckCreate,
    session: SessionDep,
    settings: SettingsDep,
    desk: DeskUser,
) -> DocumentCheck:
    """Record which identity document was checked (kind, by whom, when; never an image).

    With `document_number` (in a community only) the person also gets its keyed identity
    reference, so bans shared for that document apply (docs/sharing.md); the number itself
    is never stored.
    """
    number = body.document_number
    keys = None if number is None else reference_keys(session, settings, number)
    row = crud.record_document_check(
        session=session, person_id=person_id, check=body, actor=desk.actor
    )
    if keys is not None and number is not None:
        set_identity_ref(
            session, keys, person_id=person_id, document_number=number, actor=desk.actor
        )
        session.refresh(row)
    return row
