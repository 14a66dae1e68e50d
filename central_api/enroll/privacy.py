"""GDPR: erase a person everywhere, export everything held about them, keep photos briefly.

Erasure deletes the person and every row bound to them in one transaction and bumps the
replica of every site that activated the identity: each gate's next delta lists the person
as deleted (and `apply_delta` drops their credentials, appointments and templates along),
and the retained `SyncNotice` tells the agents to fetch it at once. Access events and alarms
keep the bare person id as the site's security record; once the person row is gone that id
names nobody.
"""

from datetime import datetime, timedelta
from typing import Any

from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from sqlalchemy import delete
from sqlmodel import Session, col, select

from central_api.audit.chain import append_audit
from central_api.crud.people import get_person
from central_api.db import utc_now
from central_api.enroll.tables import (
    DeskNote,
    DocumentRef,
    IssuedPass,
    MobilePassLink,
    PendingFace,
    PersonExternalId,
    RetainedPhoto,
)
from central_api.models import (
    AccessEventRecord,
    AccessGroup,
    Alarm,
    Appointment,
    AuditEntry,
    Company,
    Credential,
    DocumentCheck,
    FaceTemplate,
    HrMember,
    PersonAccessGroup,
    PersonCompetency,
    SiteActivation,
    WatchlistEntry,
)
from central_api.replica.versions import bump_person_sites, person_site_ids

__all__ = ["erase_person", "export_person", "keep_photo", "purge_expired", "read_photo"]

_ERASED_TABLES: tuple[tuple[str, Any], ...] = (
    ("passes", IssuedPass),
    ("mobile_pass_links", MobilePassLink),
    ("pending_faces", PendingFace),
    ("retained_photos", RetainedPhoto),
    ("external_ids", PersonExternalId),
    ("face_templates", FaceTemplate),
    ("credentials", Credential),
    ("competencies", PersonCompetency),
    ("access_groups", PersonAccessGroup),
    ("appointments", Appointment),
    ("watchlist_entries", WatchlistEntry),
    ("document_checks", DocumentCheck),
    ("site_activations", SiteActivation),
    ("desk_notes", DeskNote),
    ("document_refs", DocumentRef),
    # What HR said about them (name, e-mail): the HR sync enrolls them anew if HR lists them.
    ("hr_members", HrMember),
)


def erase_person(*, session: Session, person_id: str, actor: str) -> dict[str, int]:
    """Delete a person and everything bound to them (audited by id and counts only).

    Returns:
        How many rows of each kind were deleted.
    """
    person = get_person(session=session, person_id=person_id)
    # Every site that activated the identity, read before its activations go.
    sites = [person.site_id, *person_site_ids(session=session, person_id=person_id)]
    counts: dict[str, int] = {}
    for name, table in _ERASED_TABLES:
        result = session.exec(delete(table).where(col(table.person_id) == person_id))
        counts[name] = int(result.rowcount or 0)
    session.delete(person)
    session.flush()
    append_audit(
        session=session,
        actor=actor,
        action="person.erase",
        target=f"person:{person_id}",
        after=counts,
    )
    bump_person_sites(session=session, person_id=person_id, site_ids=sites, detail={"erased": True})
    session.commit()
    return counts


def _rows(session: Session, table: Any, person_id: str, *exclude: str) -> list[dict[str, Any]]:
    rows = session.exec(select(table).where(col(table.person_id) == person_id)).all()
    return [row.model_dump(mode="json", exclude=set(exclude), warnings=False) for row in rows]


def export_person(*, session: Session, person_id: str, actor: str) -> dict[str, Any]:
    """Everything held about a person (subject access request), as JSON-able data.

    Face templates and kept photos are listed (id, quality, dates) but their content is
    not copied into the export: it is biometric data that the file would spread.
    """
    person = get_person(session=session, person_id=person_id)
    company = session.get(Company, person.company_id) if person.company_id else None
    group_ids = [
        g.group_id
        for g in session.exec(
            select(PersonAccessGroup).where(PersonAccessGroup.person_id == person_id)
        ).all()
    ]
    groups = session.exec(select(AccessGroup).where(col(AccessGroup.id).in_(group_ids))).all()
    audit = session.exec(
        select(AuditEntry)
        .where(AuditEntry.target == f"person:{person_id}")
        .order_by(col(AuditEntry.seq))
    ).all()
    export: dict[str, Any] = {
        "exported_at": utc_now().isoformat(),
        "person": person.model_dump(mode="json", warnings=False),
        "company": company.name if company else None,
        "external_ids": _rows(session, PersonExternalId, person_id, "id"),
        "access_groups": [{"id": g.id, "name": g.name} for g in groups],
        "competencies": _rows(session, PersonCompetency, person_id, "id"),
        "credentials": _rows(session, Credential, person_id),
        "appointments": _rows(session, Appointment, person_id),
        "passes": _rows(session, IssuedPass, person_id),
        "face_templates": _rows(session, FaceTemplate, person_id, "nonce", "ciphertext"),
        "retained_photos": _rows(session, RetainedPhoto, person_id, "nonce", "ciphertext"),
        "access_events": _rows(session, AccessEventRecord, person_id),
        "alarms": _rows(session, Alarm, person_id),
        "hr_members": _rows(session, HrMember, person_id, "id"),
        "audit": [
            {"seq": a.seq, "at": a.at.isoformat(), "actor": a.actor, "action": a.action}
            for a in audit
        ],
    }
    append_audit(session=session, actor=actor, action="person.export", target=f"person:{person_id}")
    session.commit()
    return export


def keep_photo(
    *,
    session: Session,
    person_id: str,
    template_id: int | None,
    photo: bytes,
    key: bytes,
    days: int,
    now: datetime | None = None,
) -> RetainedPhoto:
    """Store a raw photo encrypted (AES-GCM, person id as associated data) for `days`."""
    import secrets  # noqa: PLC0415

    at = now or utc_now()
    nonce = secrets.token_bytes(12)
    row = RetainedPhoto(
        person_id=person_id,
        template_id=template_id,
        nonce=nonce,
        ciphertext=AESGCM(key).encrypt(nonce, photo, f"photo:{person_id}".encode()),
        created_at=at,
        expires_at=at + timedelta(days=days),
    )
    session.add(row)
    session.commit()
    return row


def read_photo(*, row: RetainedPhoto, key: bytes) -> bytes:
    """Decrypt a kept photo."""
    return AESGCM(key).decrypt(row.nonce, row.ciphertext, f"photo:{row.person_id}".encode())


def purge_expired(
    *, session: Session, now: datetime | None = None, pending_hours: int = 24
) -> dict[str, int]:
    """Delete kept photos past their retention and faces pending too long (audited)."""
    at = now or utc_now()
    photos = session.exec(delete(RetainedPhoto).where(col(RetainedPhoto.expires_at) <= at))
    pending = session.exec(
        delete(PendingFace).where(
            col(PendingFace.created_at) <= at - timedelta(hours=pending_hours)
        )
    )
    counts = {"photos": int(photos.rowcount or 0), "pending_faces": int(pending.rowcount or 0)}
    if any(counts.values()):
        append_audit(session=session, actor="system", action="photo.purge", after=counts)
    session.commit()
    return counts
