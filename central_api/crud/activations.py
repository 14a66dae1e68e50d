"""One identity across terminals: activate an enrolled person at a site, change, deactivate.

The identity (templates, documents checked, employer) is enrolled once; each site's desk
activates it for its own site with that site's validity and access groups. A site-bound
user acts for their own site only; the identity itself is found across sites (it is not
yet visible at a site that has not activated it).
"""

from collections.abc import Sequence
from datetime import datetime

from sqlmodel import Session, col, delete, or_, select

from central_api.crud.audited import Resync, commit_audited
from central_api.crud.people import get_person
from central_api.crud.sites import get_site
from central_api.errors import ConflictError, ForbiddenError, InvalidError, NotFoundError
from central_api.models import (
    AccessGroup,
    DocumentCheck,
    DocumentCheckCreate,
    Person,
    PersonAccessGroup,
    SiteActivation,
    SiteActivationCreate,
    SiteActivationUpdate,
)
from central_api.security.site_scope import unscoped

__all__ = [
    "activate_person",
    "activation_at",
    "deactivate_person",
    "list_activations",
    "record_document_check",
    "site_access_groups",
    "update_activation",
]


def _check_window(valid_from: datetime | None, valid_until: datetime | None) -> None:
    if valid_from is not None and valid_until is not None and valid_until <= valid_from:
        raise InvalidError("valid_until must be after valid_from")


def _own_site(user_site: str | None, site_id: str) -> None:
    """A site-bound user acts for their own site only."""
    if user_site is not None and user_site != site_id:
        raise ForbiddenError(f"you may act for site {user_site!r} only, not {site_id!r}")


def activation_at(*, session: Session, person_id: str, site_id: str) -> SiteActivation | None:
    """The person's activation at the site (any status), if any."""
    return session.exec(
        select(SiteActivation).where(
            SiteActivation.person_id == person_id, SiteActivation.site_id == site_id
        )
    ).first()


def site_access_groups(
    *, session: Session, site_id: str, names: Sequence[str]
) -> list[AccessGroup]:
    """The site's access groups named by name or id, once each.

    Raises:
        NotFoundError: A name that is no group of this site (another site's included).
    """
    groups: list[AccessGroup] = []
    for name in names:
        statement = select(AccessGroup).where(AccessGroup.site_id == site_id)
        if name.isdigit():
            statement = statement.where(
                or_(col(AccessGroup.id) == int(name), AccessGroup.name == name)
            )
        else:
            statement = statement.where(AccessGroup.name == name)
        group = session.exec(statement).first()
        if group is None:
            raise NotFoundError(f"access group {name!r} not found at site {site_id!r}")
        if group not in groups:
            groups.append(group)
    return groups


def activate_person(
    *,
    session: Session,
    person_id: str,
    activation: SiteActivationCreate,
    user_site: str | None,
    actor: str,
) -> SiteActivation:
    """Activate an enrolled identity at a site, with the site's access groups (audited).

    Raises:
        ForbiddenError: A site-bound user activates for another site.
        NotFoundError: Unknown identity, site or access group.
        ConflictError: The identity is already activated at the site.
        InvalidError: The validity window ends before it starts.
    """
    _own_site(user_site, activation.site_id)
    get_site(session=session, site_id=activation.site_id)
    _check_window(activation.valid_from, activation.valid_until)
    with unscoped(session):
        person = session.get(Person, person_id)
        if person is None:
            raise NotFoundError(f"person {person_id!r} not found")
        if activation_at(session=session, person_id=person_id, site_id=activation.site_id):
            raise ConflictError(f"{person_id} is already activated at {activation.site_id!r}")
    groups = site_access_groups(
        session=session, site_id=activation.site_id, names=activation.access_groups
    )
    row = SiteActivation(
        person_id=person_id,
        site_id=activation.site_id,
        valid_from=activation.valid_from,
        valid_until=activation.valid_until,
        activated_by=actor,
    )
    memberships = [PersonAccessGroup(person_id=person_id, group_id=g.id or 0) for g in groups]
    commit_audited(
        session,
        actor=actor,
        action="person.activate",
        target=f"person:{person_id}",
        after={
            "site_id": activation.site_id,
            "valid_from": row.valid_from.isoformat() if row.valid_from else None,
            "valid_until": row.valid_until.isoformat() if row.valid_until else None,
            "access_groups": [g.id for g in groups],
        },
        rows=[row, *memberships],
        resync=Resync(activation.site_id, person_id),
    )
    return row


def list_activations(*, session: Session, person_id: str) -> list[SiteActivation]:
    """The person's activations (a site-bound session sees its own site's only)."""
    get_person(session=session, person_id=person_id)
    statement = (
        select(SiteActivation)
        .where(SiteActivation.person_id == person_id)
        .order_by(col(SiteActivation.site_id))
    )
    return list(session.exec(statement).all())


def _get_activation(*, session: Session, person_id: str, site_id: str) -> SiteActivation:
    row = activation_at(session=session, person_id=person_id, site_id=site_id)
    if row is None:
        raise NotFoundError(f"{person_id} is not activated at {site_id!r}")
    return row


def update_activation(
    *,
    session: Session,
    person_id: str,
    site_id: str,
    change: SiteActivationUpdate,
    actor: str,
) -> SiteActivation:
    """Suspend or resume a person at one site, or change the site's window (audited)."""
    row = _get_activation(session=session, person_id=person_id, site_id=site_id)
    before = row.model_dump(mode="json", include={"status", "valid_from", "valid_until"})
    row.sqlmodel_update(change.model_dump(exclude_unset=True))
    _check_window(row.valid_from, row.valid_until)
    if row.status is None:
        raise InvalidError("status must be active or suspended")
    commit_audited(
        session,
        actor=actor,
        action="person.activation_update",
        target=f"person:{person_id}",
        before={"site_id": site_id, **before},
        after={
            "site_id": site_id,
            **row.model_dump(mode="json", include={"status", "valid_from", "valid_until"}),
        },
        rows=[row],
        resync=Resync(site_id, person_id),
    )
    return row


def deactivate_person(*, session: Session, person_id: str, site_id: str, actor: str) -> None:
    """End the identity's activation at a site and its access groups there (audited).

    The identity stays enrolled (and active at its other sites); the site's gates drop it.
    """
    row = _get_activation(session=session, person_id=person_id, site_id=site_id)
    group_ids = select(AccessGroup.id).where(AccessGroup.site_id == site_id)
    session.exec(
        delete(PersonAccessGroup).where(
            col(PersonAccessGroup.person_id) == person_id,
            col(PersonAccessGroup.group_id).in_(group_ids),
        )
    )
    session.delete(row)
    commit_audited(
        session,
        actor=actor,
        action="person.deactivate",
        target=f"person:{person_id}",
        after={"site_id": site_id},
        resync=Resync(site_id, person_id),
    )


def record_document_check(
    *, session: Session, person_id: str, check: DocumentCheckCreate, actor: str
) -> DocumentCheck:
    """Record which identity document the desk checked (kind, who, when; no image, no number)."""
    get_person(session=session, person_id=person_id)
    row = DocumentCheck(person_id=person_id, kind=check.kind, checked_by=actor)
    commit_audited(
        session,
        actor=actor,
        action="person.document_check",
        target=f"person:{person_id}",
        after={"kind": str(check.kind)},
        rows=[row],
    )
    return row
