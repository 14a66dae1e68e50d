"""Desk routes for people: create, find, erase, subject-access export, form options.

Changes of existing people (`PATCH /api/v1/people/{id}`, revocation included), badges
(`POST /api/v1/people/{id}/credentials`) and competencies stay on the people routes of
`central_api.routes.people`; these routes add what the desk needs on top.
"""

from typing import Annotated, Any

from fastapi import APIRouter, Query
from gate_protocol.records import PersonKind
from sqlmodel import col, select

from central_api.crud.people import get_person
from central_api.deps import SessionDep, SettingsDep
from central_api.enroll.deps import EnrollSessionDep, EnrollSettingsDep, GalleryDep
from central_api.enroll.people import create_enrolled_person, find_people, summarise_people
from central_api.enroll.privacy import erase_person, export_person
from central_api.enroll.schemas import EnrollOptions, EnrollPersonIn, PersonSummary
from central_api.enroll.tables import PersonExternalId
from central_api.models import AccessGroup, CompetencyType, Gate, Site
from central_api.routes.desk.documents import document_lookup
from central_api.routes.params import IdPath
from central_api.security.auth import DeskUser

__all__ = ["router"]

router = APIRouter(prefix="/api/v1/enroll", tags=["enrollment"])


@router.get("/options", response_model=EnrollOptions)
def enroll_options(session: SessionDep, desk: DeskUser, enroll: EnrollSettingsDep) -> EnrollOptions:
    """Sites, access groups, gates and competencies for the desk's forms."""
    return EnrollOptions(
        sites=[{"id": s.id, "name": s.name} for s in session.exec(select(Site)).all()],
        access_groups=[
            {"id": g.id, "name": g.name, "site_id": g.site_id}
            for g in session.exec(select(AccessGroup).order_by(col(AccessGroup.name))).all()
        ],
        gates=[
            {"id": g.id, "site_id": g.site_id, "name": g.name}
            for g in session.exec(select(Gate).order_by(col(Gate.id))).all()
        ],
        competencies=[c.name for c in session.exec(select(CompetencyType)).all()],
        kinds=[k.value for k in PersonKind],
        photo_retention_days=enroll.photo_retention_days,
    )


@router.post("/people", response_model=PersonSummary, status_code=201)
def enroll_person(
    body: EnrollPersonIn,
    session: EnrollSessionDep,
    settings: SettingsDep,
    desk: DeskUser,
) -> PersonSummary:
    """Create a person with company, validity, access groups, competencies, badge."""
    person = create_enrolled_person(
        session=session,
        person_in=body,
        actor=desk.actor,
        template_key=settings.template_key_bytes(),
    )
    return summarise_people(session=session, people=[person])[0]


@router.get("/people", response_model=list[PersonSummary])
def search_people(
    session: SessionDep,
    settings: SettingsDep,
    desk: DeskUser,
    q: Annotated[str | None, Query(max_length=120)] = None,
    site_id: Annotated[str | None, Query(max_length=64)] = None,
    external_id: Annotated[str | None, Query(max_length=64)] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
) -> list[PersonSummary]:
    """Find people by name, person id, external id, badge number, company or document number."""
    people = find_people(
        session=session,
        query=q,
        site_id=site_id,
        external_id=external_id,
        limit=limit,
        document_ref=document_lookup(settings, q),
    )
    return summarise_people(session=session, people=people)


@router.get("/external-ids", response_model=dict[str, str])
def list_external_ids(
    session: SessionDep,
    desk: DeskUser,
    site_id: Annotated[str, Query(min_length=1, max_length=64)],
) -> dict[str, str]:
    """Every external id enrolled at a site, to its person id (a resumed import skips them)."""
    rows = session.exec(select(PersonExternalId).where(PersonExternalId.site_id == site_id)).all()
    return {row.external_id: row.person_id for row in rows}


@router.get("/people/{person_id}", response_model=PersonSummary)
def get_person_summary(person_id: IdPath, session: SessionDep, desk: DeskUser) -> PersonSummary:
    """One person as the desk sees them."""
    person = get_person(session=session, person_id=person_id)
    return summarise_people(session=session, people=[person])[0]


@router.delete("/people/{person_id}", response_model=dict[str, int])
def erase(
    person_id: IdPath, session: EnrollSessionDep, gallery: GalleryDep, desk: DeskUser
) -> dict[str, int]:
    """Erase a person everywhere (GDPR Art. 17); gates drop them with the next delta."""
    counts = erase_person(session=session, person_id=person_id, actor=desk.actor)
    gallery.forget(person_id)
    return counts


@router.get("/people/{person_id}/export")
def export(person_id: IdPath, session: SessionDep, desk: DeskUser) -> dict[str, Any]:
    """Everything held about a person as JSON (GDPR Art. 15 subject access request)."""
    return export_person(session=session, person_id=person_id, actor=desk.actor)
