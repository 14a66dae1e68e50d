"""People: enroll, change, suspend or revoke, credentials, face templates, competencies."""

from biometrics import TemplateError, template_from_bytes
from gate_protocol.messages import CredentialKind
from gate_protocol.passes.token import new_pass_id
from gate_protocol.records import PersonStatus
from sqlmodel import Session, col, select

from central_api.audit.privacy import keyed_hash, person_audit, person_changes
from central_api.crud.audited import Resync, commit_audited
from central_api.crud.sites import get_site
from central_api.db import utc_now
from central_api.errors import ConflictError, InvalidError, NotFoundError
from central_api.models import (
    AccessGroup,
    CompetencyType,
    Credential,
    CredentialCreate,
    FaceTemplate,
    Person,
    PersonAccessGroup,
    PersonCompetency,
    PersonCompetencyCreate,
    PersonCreate,
    PersonUpdate,
    SiteActivation,
)
from central_api.security.vault import encrypt_template

__all__ = [
    "TEMPLATE_BYTES",
    "add_competency",
    "add_credential",
    "add_face_template",
    "add_to_group",
    "create_person",
    "get_person",
    "is_credential_bound",
    "remove_from_group",
    "revoke_credential",
    "update_person",
]

TEMPLATE_BYTES = 512  # 128 little-endian float32 (biometrics.templates)


def get_person(*, session: Session, person_id: str) -> Person:
    """The person, or NotFoundError."""
    person = session.get(Person, person_id)
    if person is None:
        raise NotFoundError(f"person {person_id!r} not found")
    return person


def _check_window(valid_from: object, valid_until: object) -> None:
    if valid_from is not None and valid_until is not None and valid_until <= valid_from:  # type: ignore[operator]
        raise InvalidError("valid_until must be after valid_from")


def create_person(*, session: Session, person_create: PersonCreate, actor: str) -> Person:
    """Enroll a person, active at their site; the id is short and upper case (QR passes)."""
    get_site(session=session, site_id=person_create.site_id)
    _check_window(person_create.valid_from, person_create.valid_until)
    person = Person.model_validate(person_create, update={"id": new_pass_id()})
    session.add(person)
    session.flush()  # the activation refers to the person
    activation = SiteActivation(
        person_id=person.id,
        site_id=person.site_id,
        valid_from=person.valid_from,
        valid_until=person.valid_until,
        activated_by=actor,
    )
    commit_audited(
        session,
        actor=actor,
        action="person.create",
        target=f"person:{person.id}",
        after=person_audit(person.model_dump(mode="json")),
        rows=[activation],
        resync=Resync(person.site_id, person.id),
    )
    return person


def update_person(
    *, session: Session, person_id: str, person_update: PersonUpdate, actor: str
) -> Person:
    """Change a person; a status change to suspended or revoked reaches gates at once."""
    person = get_person(session=session, person_id=person_id)
    before = person.model_dump(mode="json")
    person.sqlmodel_update(person_update.model_dump(exclude_unset=True))
    _check_window(person.valid_from, person.valid_until)
    person.updated_at = utc_now()
    action = "person.update"
    if person_update.status is PersonStatus.REVOKED:
        action = "person.revoke"
    elif person_update.status is PersonStatus.SUSPENDED:
        action = "person.suspend"
    old, new = person_changes(before, person.model_dump(mode="json"))
    commit_audited(
        session,
        actor=actor,
        action=action,
        target=f"person:{person_id}",
        before=old,
        after=new,
        rows=[person],
        resync=Resync(person.site_id, person_id),
    )
    return person


def is_credential_bound(*, session: Session, kind: CredentialKind, ref: str) -> bool:
    """Whether a badge number or pass id is bound to anyone.

    Revoked credentials count: a number is never handed out twice.
    """
    found = session.exec(
        select(Credential.id).where(Credential.kind == kind, Credential.ref == ref)
    ).first()
    return found is not None


def add_credential(
    *, session: Session, person_id: str, credential_create: CredentialCreate, actor: str
) -> Credential:
    """Bind a badge or a QR pass id to a person (audited)."""
    person = get_person(session=session, person_id=person_id)
    if credential_create.kind is CredentialKind.FACE:
        raise InvalidError("a face is enrolled as a template, not as a credential")
    _check_window(credential_create.valid_from, credential_create.valid_until)
    if is_credential_bound(session=session, kind=credential_create.kind, ref=credential_create.ref):
        raise ConflictError(f"{credential_create.kind} {credential_create.ref!r} is already bound")
    credential = Credential.model_validate(credential_create, update={"person_id": person_id})
    session.add(credential)
    session.flush()  # the audit entry names the new row's id
    commit_audited(
        session,
        actor=actor,
        action="credential.bind",
        target=f"person:{person_id}",
        after={
            **credential_create.model_dump(mode="json"),
            "credential_id": credential.id,
            "ref": keyed_hash(credential.ref),
        },
        resync=Resync(person.site_id, person_id),
    )
    return credential


def revoke_credential(*, session: Session, credential_id: int, actor: str) -> Credential:
    """Revoke a badge or pass for good (audited; gates learn within a second)."""
    credential = session.get(Credential, credential_id)
    # Credentials are reached through their person, whose lookup is site-scoped: another
    # site's credential is not there for a site-bound user, revoked or not.
    person = session.get(Person, credential.person_id) if credential else None
    if credential is None or person is None:
        raise NotFoundError(f"credential {credential_id} not found")
    if credential.revoked_at is None:
        credential.revoked_at = utc_now()
        commit_audited(
            session,
            actor=actor,
            action="credential.revoke",
            target=f"person:{credential.person_id}",
            after={
                "credential_id": credential.id,
                "kind": str(credential.kind),
                "ref": keyed_hash(credential.ref),
            },
            rows=[credential],
            resync=Resync(person.site_id, person.id),
        )
    return credential


def add_face_template(
    *,
    session: Session,
    person_id: str,
    template: bytes,
    quality: float | None,
    key: bytes,
    actor: str,
) -> FaceTemplate:
    """Store one face template encrypted (the template itself is never logged or audited)."""
    person = get_person(session=session, person_id=person_id)
    try:
        template_from_bytes(template)  # size, finite values, a dlib-like norm
    except TemplateError as exc:
        raise InvalidError(str(exc)) from None
    nonce, ciphertext = encrypt_template(key=key, person_id=person_id, template=template)
    row = FaceTemplate(person_id=person_id, nonce=nonce, ciphertext=ciphertext, quality=quality)
    session.add(row)
    session.flush()  # the audit entry names the new row's id
    commit_audited(
        session,
        actor=actor,
        action="face.enroll",
        target=f"person:{person_id}",
        after={"template_id": row.id, "quality": quality},
        resync=Resync(person.site_id, person_id),
    )
    return row


def add_competency(
    *, session: Session, person_id: str, competency: PersonCompetencyCreate, actor: str
) -> PersonCompetency:
    """Record or renew a competency (creating its type on first use)."""
    person = get_person(session=session, person_id=person_id)
    if session.get(CompetencyType, competency.name) is None:
        session.add(CompetencyType(name=competency.name))
        session.flush()
    row = session.exec(
        select(PersonCompetency).where(
            PersonCompetency.person_id == person_id, PersonCompetency.name == competency.name
        )
    ).first()
    if row is None:
        row = PersonCompetency(person_id=person_id, name=competency.name)
    row.valid_until = competency.valid_until
    commit_audited(
        session,
        actor=actor,
        action="competency.set",
        target=f"person:{person_id}",
        after=competency.model_dump(mode="json"),
        rows=[row],
        resync=Resync(person.site_id, person_id),
    )
    return row


def add_to_group(*, session: Session, person_id: str, group_id: int, actor: str) -> None:
    """Give a person an access group (audited)."""
    get_person(session=session, person_id=person_id)
    group = session.get(AccessGroup, group_id)
    # A group of a site where the identity is activated (any of its sites, not only the first).
    active_there = (
        group is not None
        and session.exec(
            select(SiteActivation.id).where(
                SiteActivation.person_id == person_id, SiteActivation.site_id == group.site_id
            )
        ).first()
    )
    if group is None or not active_there:
        raise NotFoundError(f"access group {group_id} not found at a site of the person")
    exists = session.exec(
        select(PersonAccessGroup).where(
            PersonAccessGroup.person_id == person_id, col(PersonAccessGroup.group_id) == group_id
        )
    ).first()
    if exists is not None:
        return
    commit_audited(
        session,
        actor=actor,
        action="person.group_add",
        target=f"person:{person_id}",
        after={"group_id": group_id, "group": group.name},
        rows=[PersonAccessGroup(person_id=person_id, group_id=group_id)],
        resync=Resync(group.site_id, person_id),
    )


def remove_from_group(*, session: Session, person_id: str, group_id: int, actor: str) -> bool:
    """Take an access group away (audited); returns whether the person had it.

    A person who thereby loses a gate's zone leaves that gate's replica, templates and all.
    """
    person = get_person(session=session, person_id=person_id)
    row = session.exec(
        select(PersonAccessGroup).where(
            PersonAccessGroup.person_id == person_id, col(PersonAccessGroup.group_id) == group_id
        )
    ).first()
    if row is None:
        return False
    session.delete(row)
    commit_audited(
        session,
        actor=actor,
        action="person.group_remove",
        target=f"person:{person_id}",
        after={"group_id": group_id},
        resync=Resync(person.site_id, person_id),
    )
    return True
