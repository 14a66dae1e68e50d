"""Desk route for a checked identity document: recorded, findable by its number, never kept.

The number is normalised as the community's identity references do
(`central_api.community.identity`); the desk keeps a keyed hash of it to find the person
again (`central_api.enroll.desk.documents`). Where the installation is in a community, the
person also gets their community identity reference, so bans shared for that document
apply (as `POST /api/v1/people/{id}/document-checks` does).
"""

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field
from sqlmodel import select

from central_api.community.identity import normalise_document_number
from central_api.community.refs import reference_keys, set_identity_ref
from central_api.config import Settings
from central_api.deps import SessionDep, SettingsDep
from central_api.enroll.desk.documents import desk_document_ref, record_document
from central_api.errors import InvalidError
from central_api.models import DocumentCheck, DocumentKind
from central_api.models.community import Community
from central_api.routes.params import IdPath
from central_api.security.auth import DeskUser

__all__ = ["document_lookup", "router"]

router = APIRouter(prefix="/api/v1/enroll/people/{person_id}", tags=["enrollment"])


class DeskDocumentIn(BaseModel):
    """An identity document the desk has in hand: its kind and number."""

    model_config = ConfigDict(extra="forbid")

    kind: DocumentKind
    document_number: str = Field(min_length=1, max_length=64)


def document_lookup(settings: Settings, text: str | None) -> str | None:
    """The desk's lookup hash of `text` if it reads as a document number, else None."""
    if not text:
        return None
    try:
        normalised = normalise_document_number(text)
    except ValueError:
        return None
    return desk_document_ref(settings.template_key_bytes(), normalised)


@router.post("/documents", response_model=DocumentCheck, status_code=201)
def record_checked_document(
    person_id: IdPath,
    body: DeskDocumentIn,
    session: SessionDep,
    settings: SettingsDep,
    desk: DeskUser,
) -> DocumentCheck:
    """Record the document checked; the desk finds the person by its number from now on."""
    try:
        normalised = normalise_document_number(body.document_number)
    except ValueError as exc:
        raise InvalidError(str(exc)) from None
    in_community = session.exec(select(Community)).first() is not None
    # The community's keys are checked before anything is written.
    keys = reference_keys(session, settings, normalised) if in_community else None
    row = record_document(
        session=session,
        person_id=person_id,
        kind=body.kind,
        ref=desk_document_ref(settings.template_key_bytes(), normalised),
        actor=desk.actor,
    )
    if keys is not None:
        set_identity_ref(
            session, keys, person_id=person_id, document_number=normalised, actor=desk.actor
        )
        session.refresh(row)
    return row
