"""People at the desk: create in one transaction, find, summarise.

`create_enrolled_person` writes the person, company, access groups, competencies,
external id, badge and any face templates in ONE transaction with one replica bump: a
failure anywhere leaves nothing behind (the bulk import relies on it). The audit rows name
the person by id only, because the audit chain can never be erased and a name would
outlive the person's erasure.
"""

from collections.abc import Sequence
from dataclasses import dataclass

from gate_protocol.messages import CredentialKind
from gate_protocol.passes.token import new_pass_id
from sqlalchemy import func
from sqlmodel import Session, col, or_, select

from central_api.audit.chain import append_audit
from central_api.audit.privacy import keyed_hash
from central_api.crud.activations import site_access_groups
from central_api.crud.people import is_credential_bound
from central_api.crud.sites import get_site
from central_api.enroll.desk.days import (
    check_days,
    day_start,
    first_day,
    last_day,
    site_zone,
    until_instant,
)
from central_api.enroll.schemas import EnrollPersonIn, PersonSummary
from central_api.enroll.tables import DocumentRef, PersonExternalId
from central_api.errors import ConflictError, InvalidError
from central_api.models import (
    AccessGroup,
    Company,
    CompetencyType,
    Credential,
    FaceTemplate,
    Person,
    PersonAccessGroup,
    PersonCompetency,
    SiteActivation,
)
from central_api.replica.versions import bump_replica
from central_api.security.vault import encrypt_template

__all__ = [
    "ReadyTemplate",
    "company_id_named",
    "create_enrolled_person",
    "find_people",
    "person_by_external_id",
    "summarise_people",
]


@dataclass(frozen=True)
class ReadyTemplate:
    """A checked face template (512 bytes) with its quality score."""

    template: bytes
    quality: float


def company_id_named(*, session: Session, name: str | None) -> int | None:
    """The id of the company called `name`, created (not committed) if new; None: no name."""
    if name is None:
        return None
    company = session.exec(select(Company).where(Company.name == name)).first()
    if company is None:
        company = Company(name=name)
        session.add(company)
        session.flush()
    return company.id


def person_by_external_id(*, session: Session, site_id: str, external_id: str) -> str | None:
    """The person id enrolled under this external id at the site, if any."""
    row = session.exec(
        select(PersonExternalId).where(
            PersonExternalId.site_id == site_id, PersonExternalId.external_id == external_id
        )
    ).first()
    return row.person_id if row else None


def create_enrolled_person(
    *,
    session: Session,
    person_in: EnrollPersonIn,
    actor: str,
    templates: Sequence[ReadyTemplate] = (),
    template_key: bytes,
) -> Person:
    """Create a person with everything the desk knows, in one transaction.

    Raises:
        NotFoundError: Unknown site or access group.
        ConflictError: External id or badge already in use.
        InvalidError: The validity window ends before it starts; more than 5 templates.
    """
    person_in = _days_to_instants(session=session, person_in=person_in)
    _check_enrollment(session=session, person_in=person_in, templates=templates)
    groups = site_access_groups(
        session=session, site_id=person_in.site_id, names=person_in.access_groups
    )
    person = _add_person(session=session, person_in=person_in, actor=actor)
    _add_memberships(session=session, person=person, person_in=person_in, groups=groups)
    _add_identifiers(session=session, person=person, person_in=person_in)
    template_ids = _add_templates(
        session=session, person=person, templates=templates, template_key=template_key
    )
    append_audit(
        session=session,
        actor=actor,
        action="person.create",
        target=f"person:{person.id}",
        after={
            "kind": str(person.kind),
            "site_id": person.site_id,
            "company_id": person.company_id,
            "access_groups": [g.id for g in groups],
            "competencies": [c.name for c in person_in.competencies],
            "badge": keyed_hash(person_in.badge.number if person_in.badge else None),
            "template_ids": template_ids,
            "via": "enroll",
        },
    )
    bump_replica(session=session, site_id=person.site_id, person_id=person.id)
    session.commit()
    return person


def _days_to_instants(*, session: Session, person_in: EnrollPersonIn) -> EnrollPersonIn:
    """The desk's inclusive days as the instants stored, in the site's time zone."""
    if person_in.first_day is None and person_in.last_day is None:
        return person_in
    if person_in.valid_from is not None or person_in.valid_until is not None:
        raise InvalidError("give either days (first_day, last_day) or instants, not both")
    check_days(person_in.first_day, person_in.last_day)
    zone = site_zone(session, person_in.site_id)
    first, last = person_in.first_day, person_in.last_day
    return person_in.model_copy(
        update={
            "valid_from": day_start(first, zone) if first else None,
            "valid_until": until_instant(last, zone) if last else None,
        }
    )


def _check_enrollment(
    *, session: Session, person_in: EnrollPersonIn, templates: Sequence[ReadyTemplate]
) -> None:
    """Refuse what cannot be enrolled before anything is written (see the caller's Raises)."""
    get_site(session=session, site_id=person_in.site_id)
    if person_in.valid_from and person_in.valid_until:
        if person_in.valid_until <= person_in.valid_from:
            raise InvalidError("valid_until must be after valid_from")
    if len(templates) > 5:
        raise InvalidError("at most 5 face templates per person")
    if person_in.external_id and person_by_external_id(
        session=session, site_id=person_in.site_id, external_id=person_in.external_id
    ):
        raise ConflictError(f"external id {person_in.external_id!r} is already enrolled")
    if person_in.badge and is_credential_bound(
        session=session, kind=CredentialKind.BADGE, ref=person_in.badge.number
    ):
        raise ConflictError(f"badge {person_in.badge.number!r} is already bound")


def _add_person(*, session: Session, person_in: EnrollPersonIn, actor: str) -> Person:
    """The person row (and its company, made on first use) and its activation at the site."""
    person = Person(
        id=new_pass_id(),
        display_name=person_in.display_name,
        kind=person_in.kind,
        company_id=company_id_named(session=session, name=person_in.company),
        valid_from=person_in.valid_from,
        valid_until=person_in.valid_until,
        site_id=person_in.site_id,
        preferred_language=person_in.preferred_language,
    )
    session.add(person)
    session.flush()
    # Enrolled once for the port community, active at the enrolling site from the start.
    session.add(
        SiteActivation(
            person_id=person.id,
            site_id=person_in.site_id,
            valid_from=person_in.valid_from,
            valid_until=person_in.valid_until,
            activated_by=actor,
        )
    )
    return person


def _add_memberships(
    *, session: Session, person: Person, person_in: EnrollPersonIn, groups: list[AccessGroup]
) -> None:
    """The person's access groups and competencies (a new competency type made on first use)."""
    for group in groups:
        assert group.id is not None  # noqa: S101 (a stored row)
        session.add(PersonAccessGroup(person_id=person.id, group_id=group.id))
    for competency in person_in.competencies:
        if session.get(CompetencyType, competency.name) is None:
            session.add(CompetencyType(name=competency.name))
            session.flush()
        session.add(
            PersonCompetency(
                person_id=person.id, name=competency.name, valid_until=competency.valid_until
            )
        )


def _add_identifiers(*, session: Session, person: Person, person_in: EnrollPersonIn) -> None:
    """The person's external id and badge, when the desk gave them."""
    if person_in.external_id:
        session.add(
            PersonExternalId(
                site_id=person.site_id, external_id=person_in.external_id, person_id=person.id
            )
        )
    if person_in.badge:
        session.add(
            Credential(
                person_id=person.id,
                kind=CredentialKind.BADGE,
                ref=person_in.badge.number,
                badge_format=person_in.badge.badge_format,
            )
        )


def _add_templates(
    *,
    session: Session,
    person: Person,
    templates: Sequence[ReadyTemplate],
    template_key: bytes,
) -> list[int | None]:
    """The face templates, encrypted for this person; their row ids, for the audit."""
    template_ids: list[int | None] = []
    for ready in templates:
        nonce, ciphertext = encrypt_template(
            key=template_key, person_id=person.id, template=ready.template
        )
        row = FaceTemplate(
            person_id=person.id, nonce=nonce, ciphertext=ciphertext, quality=ready.quality
        )
        session.add(row)
        session.flush()
        template_ids.append(row.id)
    return template_ids


def summarise_people(*, session: Session, people: Sequence[Person]) -> list[PersonSummary]:
    """The desk's view of these people (a few queries for any number of them)."""
    ids = [p.id for p in people]
    if not ids:
        return []
    counts = dict(
        session.exec(
            select(FaceTemplate.person_id, func.count())
            .where(col(FaceTemplate.person_id).in_(ids))
            .group_by(FaceTemplate.person_id)
        ).all()
    )
    badges: dict[str, list[str]] = {}
    for credential in session.exec(
        select(Credential).where(
            col(Credential.person_id).in_(ids),
            Credential.kind == CredentialKind.BADGE,
            col(Credential.revoked_at).is_(None),
        )
    ).all():
        badges.setdefault(credential.person_id, []).append(credential.ref)
    external = {
        row.person_id: row.external_id
        for row in session.exec(
            select(PersonExternalId).where(col(PersonExternalId.person_id).in_(ids))
        ).all()
    }
    company_ids = {p.company_id for p in people if p.company_id is not None}
    companies = {
        c.id: c.name
        for c in session.exec(select(Company).where(col(Company.id).in_(company_ids))).all()
    }
    zones = {site_id: site_zone(session, site_id) for site_id in {p.site_id for p in people}}
    return [
        PersonSummary(
            id=p.id,
            site_id=p.site_id,
            display_name=p.display_name,
            kind=p.kind,
            status=p.status,
            company=companies.get(p.company_id) if p.company_id is not None else None,
            valid_from=p.valid_from,
            valid_until=p.valid_until,
            # The page shows inclusive days: an exclusive end at midnight is the day before.
            first_day=first_day(p.valid_from, zones[p.site_id]),
            last_day=last_day(p.valid_until, zones[p.site_id]),
            external_id=external.get(p.id),
            templates=int(counts.get(p.id, 0)),
            badges=sorted(badges.get(p.id, [])),
            preferred_language=p.preferred_language,
        )
        for p in people
    ]


def find_people(
    *,
    session: Session,
    query: str | None,
    site_id: str | None,
    external_id: str | None,
    limit: int,
    document_ref: str | None = None,
) -> list[Person]:
    """People whose name, id, external id, badge, company or document matches, by name."""
    statement = select(Person).order_by(col(Person.display_name)).limit(limit)
    if site_id:  # the people activated at that site (one identity, many sites)
        statement = statement.where(
            col(Person.id).in_(
                select(SiteActivation.person_id).where(SiteActivation.site_id == site_id)
            )
        )
    if external_id:
        statement = statement.join(
            PersonExternalId, col(PersonExternalId.person_id) == col(Person.id)
        ).where(PersonExternalId.external_id == external_id)
    if query:
        badge_owners = select(Credential.person_id).where(
            Credential.kind == CredentialKind.BADGE, Credential.ref == query
        )
        external_owners = select(PersonExternalId.person_id).where(
            PersonExternalId.external_id == query
        )
        companies = select(Company.id).where(col(Company.name).icontains(query))
        # A typed document number matches through its keyed hash only (enroll.desk.documents).
        documents = select(DocumentRef.person_id).where(DocumentRef.ref == (document_ref or ""))
        statement = statement.where(
            or_(
                col(Person.display_name).icontains(query),
                col(Person.id) == query.upper(),
                col(Person.id).in_(badge_owners),
                col(Person.id).in_(external_owners),
                col(Person.company_id).in_(companies),
                col(Person.id).in_(documents),
            )
        )
    return list(session.exec(statement).all())
