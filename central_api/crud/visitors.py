"""Visitors: pre-register a visit for a host, list visits, cancel one (all audited).

A visit makes the visitor a person of kind visitor at the visit's site, valid only in the
visit's window, with the access groups and the badge the desk gives; a QR pass is issued
for that person through the desk's pass issuing. Cancelling revokes the person and the
badge in the same transaction, so gates deny the visitor at their next sync.
"""

from gate_protocol.badges import badge_number_problem
from gate_protocol.messages import CredentialKind
from gate_protocol.passes.token import new_pass_id
from gate_protocol.records import PersonKind, PersonStatus
from sqlmodel import Session, col, select

from central_api.audit.privacy import keyed_hash
from central_api.crud.activations import activation_at
from central_api.crud.audited import Resync, commit_audited
from central_api.crud.people import is_credential_bound
from central_api.crud.sites import get_site
from central_api.db import utc_now
from central_api.errors import ConflictError, InvalidError, NotFoundError
from central_api.models import (
    AccessGroup,
    Credential,
    Person,
    PersonAccessGroup,
    Visitor,
    VisitorCreate,
    VisitorPublic,
    VisitorStatus,
)
from central_api.models.identity import ActivationStatus, SiteActivation

__all__ = ["cancel_visitor", "create_visitor", "get_visitor", "list_visitors", "visitor_public"]


def visitor_public(visitor: Visitor, person: Person) -> VisitorPublic:
    """The API view of a visit, with the visitor's name from their person."""
    return VisitorPublic.model_validate(visitor, update={"name": person.display_name})


def _check_host(session: Session, body: VisitorCreate) -> None:
    host = session.get(Person, body.host_person_id)
    activation = activation_at(session=session, person_id=body.host_person_id, site_id=body.site_id)
    if host is None or activation is None:
        raise InvalidError(f"host {body.host_person_id!r} is not a person of site {body.site_id!r}")
    if (
        host.status is not PersonStatus.ACTIVE
        or activation.status is not ActivationStatus.ACTIVE
        or host.kind is PersonKind.VISITOR
    ):
        raise InvalidError(
            f"host {body.host_person_id!r} is not active at site {body.site_id!r} "
            f"({host.status}, {host.kind}): a host is an active person who is no visitor"
        )


def _check_body(session: Session, body: VisitorCreate) -> list[AccessGroup]:
    """Everything a visit refers to exists and fits; nothing is written before this passes."""
    if body.valid_until <= body.valid_from:
        raise InvalidError("valid_until must be after valid_from")
    get_site(session=session, site_id=body.site_id)
    _check_host(session, body)
    groups = []
    for group_id in body.access_group_ids:
        group = session.get(AccessGroup, group_id)
        if group is None or group.site_id != body.site_id:
            raise InvalidError(f"access group {group_id} not found at site {body.site_id!r}")
        groups.append(group)
    if body.badge_number is not None:
        problem = badge_number_problem(body.badge_number, body.badge_format)
        if problem is not None:
            raise InvalidError(problem)
        if is_credential_bound(session=session, kind=CredentialKind.BADGE, ref=body.badge_number):
            raise ConflictError(f"badge {body.badge_number!r} is already bound")
    return groups


def create_visitor(*, session: Session, body: VisitorCreate, actor: str) -> VisitorPublic:
    """Register a visit: the visitor's person, groups, badge and the visit row, audited."""
    groups = _check_body(session, body)
    person = Person(
        id=new_pass_id(),
        display_name=body.name,
        kind=PersonKind.VISITOR,
        site_id=body.site_id,
        valid_from=body.valid_from,
        valid_until=body.valid_until,
        preferred_language=body.preferred_language,
    )
    visitor = Visitor(
        id=new_pass_id(),
        site_id=body.site_id,
        person_id=person.id,
        host_person_id=body.host_person_id,
        company=body.company,
        id_document_kind=body.id_document_kind,
        valid_from=body.valid_from,
        valid_until=body.valid_until,
        escort_required=body.escort_required,
        created_by=actor[:80],
    )
    session.add(person)
    session.flush()  # without ORM relationships, the rows that refer to it must come after
    # The visitor is an identity active only at the visited site, only for the visit.
    rows: list[Visitor | PersonAccessGroup | Credential | SiteActivation] = [
        SiteActivation(
            person_id=person.id,
            site_id=body.site_id,
            valid_from=body.valid_from,
            valid_until=body.valid_until,
            activated_by=actor[:80],
        ),
        *(PersonAccessGroup(person_id=person.id, group_id=g.id or 0) for g in groups),
    ]
    if body.badge_number is not None:
        rows.append(
            Credential(
                person_id=person.id,
                kind=CredentialKind.BADGE,
                ref=body.badge_number,
                badge_format=body.badge_format,
                valid_from=body.valid_from,
                valid_until=body.valid_until,
            )
        )
    rows.append(visitor)
    commit_audited(
        session,
        actor=actor,
        action="visitor.create",
        target=f"visitor:{visitor.id}",
        after={
            "person_id": person.id,
            "site_id": body.site_id,
            "host_person_id": body.host_person_id,
            "valid_from": body.valid_from.isoformat(),
            "valid_until": body.valid_until.isoformat(),
            "escort_required": body.escort_required,
            "id_document_kind": body.id_document_kind.value,
            "access_group_ids": body.access_group_ids,
            "badge": keyed_hash(body.badge_number),
        },
        rows=rows,
        resync=Resync(body.site_id, person.id),
    )
    return visitor_public(visitor, person)


def get_visitor(*, session: Session, visitor_id: str) -> tuple[Visitor, Person]:
    """The visit and its visitor, or NotFoundError (another site's visit is not there)."""
    visitor = session.get(Visitor, visitor_id)
    person = session.get(Person, visitor.person_id) if visitor is not None else None
    if visitor is None or person is None:
        raise NotFoundError(f"visitor {visitor_id!r} not found")
    return visitor, person


def list_visitors(
    *, session: Session, site_id: str | None, include_cancelled: bool, limit: int
) -> list[VisitorPublic]:
    """Visits, newest window first, optionally of one site and without cancelled ones."""
    statement = (
        select(Visitor, Person)
        .join(Person, col(Person.id) == col(Visitor.person_id))
        .order_by(col(Visitor.valid_from).desc())
        .limit(limit)
    )
    if site_id is not None:
        statement = statement.where(Visitor.site_id == site_id)
    if not include_cancelled:
        statement = statement.where(col(Visitor.status) == VisitorStatus.ACTIVE)
    return [visitor_public(v, p) for v, p in session.exec(statement).all()]


def cancel_visitor(*, session: Session, visitor_id: str, actor: str) -> VisitorPublic:
    """Cancel a visit: the visitor and their badges are revoked at once (audited).

    Raises:
        NotFoundError: No such visit (at the user's site).
        ConflictError: The visit is already cancelled.
    """
    visitor, person = get_visitor(session=session, visitor_id=visitor_id)
    if visitor.status is VisitorStatus.CANCELLED:
        raise ConflictError(f"visitor {visitor_id!r} is already cancelled")
    now = utc_now()
    visitor.status, visitor.cancelled_at = VisitorStatus.CANCELLED, now
    person.status, person.updated_at = PersonStatus.REVOKED, now
    badges = session.exec(
        select(Credential).where(
            Credential.person_id == person.id, col(Credential.revoked_at).is_(None)
        )
    ).all()
    for badge in badges:
        badge.revoked_at = now
    commit_audited(
        session,
        actor=actor,
        action="visitor.cancel",
        target=f"visitor:{visitor.id}",
        before={"status": VisitorStatus.ACTIVE.value},
        after={"status": VisitorStatus.CANCELLED.value, "person_id": person.id},
        rows=[visitor, person, *badges],
        resync=Resync(visitor.site_id, person.id),
    )
    return visitor_public(visitor, person)
