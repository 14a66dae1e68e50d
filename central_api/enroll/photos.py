"""Photos to templates: quality feedback, the 1:N duplicate check, four-eyes confirmation.

A usable face that resembles someone else is not enrolled: it is held encrypted as a
`PendingFace` until a second desk user (not the one who captured it) confirms that these
are two different people, or rejects it. Both the hit and the decision are audited. The
search and the insert run under the enrollment lock (`face_lock`), so two desks saving the
same face at once cannot both miss each other.
"""

import secrets
from collections.abc import Sequence
from dataclasses import dataclass

from biometrics import template_from_bytes, template_to_bytes
from sqlalchemy import func
from sqlmodel import Session, select

from central_api.audit.chain import append_audit
from central_api.crud.people import add_face_template, get_person
from central_api.enroll.face_lock import lock_face_enrollment
from central_api.enroll.faces import PhotoAnalysis, analyse_photo, decode_photo
from central_api.enroll.gallery import DuplicateCandidate, FaceGallery
from central_api.enroll.schemas import CandidateOut, PhotoOutcome
from central_api.enroll.settings import MAX_TEMPLATES
from central_api.enroll.tables import PendingFace, RetainedPhoto
from central_api.enroll.watchlist_check import refuse_a_watchlisted_face
from central_api.errors import ConflictError, NotFoundError
from central_api.models import FaceTemplate, Person
from central_api.replica.versions import bump_person_sites
from central_api.security.stored_templates import usable_template
from central_api.security.vault import decrypt_template, encrypt_template

__all__ = [
    "PhotoContext",
    "add_photo",
    "check_photo",
    "confirm_pending",
    "count_templates",
    "delete_template",
    "candidates_out",
    "get_pending",
    "identify_photo",
    "reject_pending",
]


@dataclass(frozen=True)
class PhotoContext:
    """The keys and limits a photo is handled with."""

    gallery: FaceGallery
    template_key: bytes
    duplicate_threshold: float


def count_templates(*, session: Session, person_id: str) -> int:
    """How many face templates a person has."""
    statement = select(func.count()).where(FaceTemplate.person_id == person_id)
    return int(session.exec(statement).one())


def _usable_count(session: Session, row: FaceTemplate, key: bytes) -> int:
    rows = session.exec(select(FaceTemplate).where(FaceTemplate.person_id == row.person_id)).all()
    return sum(1 for other in rows if usable_template(key=key, row=other) is not None)


def _refuse_a_sixth(*, session: Session, person_id: str) -> None:
    if count_templates(session=session, person_id=person_id) >= MAX_TEMPLATES:
        raise ConflictError(f"{person_id} already has {MAX_TEMPLATES} templates: delete one first")


def _rejected(analysis: PhotoAnalysis) -> PhotoOutcome:
    return PhotoOutcome(
        status="rejected",
        reasons=[r.value for r in analysis.reasons],
        messages=analysis.messages,
        face_box=analysis.face_box,
    )


def check_photo(*, photo: bytes) -> tuple[PhotoOutcome, PhotoAnalysis]:
    """Judge a photo without storing anything (the desk's immediate feedback)."""
    analysis = analyse_photo(decode_photo(photo))
    if not analysis.ok:
        return _rejected(analysis), analysis
    outcome = PhotoOutcome(
        status="ok", quality=analysis.quality, face_box=analysis.face_box, messages=["Good photo."]
    )
    return outcome, analysis


def add_photo(
    *, session: Session, person_id: str, photo: bytes, actor: str, context: PhotoContext
) -> tuple[PhotoOutcome, PhotoAnalysis]:
    """Check a photo and, when it is good and nobody else's, store its template.

    Raises:
        NotFoundError: No such person.
        ConflictError: The person already has the maximum of 5 templates, or the face is
            on the watchlist (alarmed and audited first).
    """
    person = get_person(session=session, person_id=person_id)
    _refuse_a_sixth(session=session, person_id=person_id)
    outcome, analysis = check_photo(photo=photo)
    if analysis.encoding is None or not analysis.ok:
        return outcome, analysis
    refuse_a_watchlisted_face(
        session=session,
        person=person,
        encoding=analysis.encoding,
        key=context.template_key,
        actor=actor,
    )
    # From the search to the commit, no other desk may enroll a face (see face_lock).
    lock_face_enrollment(session=session)
    _refuse_a_sixth(session=session, person_id=person_id)
    key = context.template_key
    own = context.gallery.own_distance(
        session=session, key=key, encoding=analysis.encoding, person_id=person_id
    )
    hits = context.gallery.find_duplicates(
        session=session,
        key=key,
        encoding=analysis.encoding,
        exclude_person=person_id,
        threshold=context.duplicate_threshold,
    )
    template = template_to_bytes(analysis.encoding)
    if hits:
        held = _hold_for_confirmation(
            session=session,
            person=person,
            template=template,
            analysis=analysis,
            own_distance=own,
            hits=hits,
            actor=actor,
            key=key,
        )
        return held, analysis
    saved = _save_template(
        session=session,
        person_id=person_id,
        template=template,
        analysis=analysis,
        own_distance=own,
        actor=actor,
        key=key,
    )
    return saved, analysis


def _save_template(
    *,
    session: Session,
    person_id: str,
    template: bytes,
    analysis: PhotoAnalysis,
    own_distance: float | None,
    actor: str,
    key: bytes,
) -> PhotoOutcome:
    """Enroll a face that resembles nobody else (`add_face_template` audits and commits)."""
    row = add_face_template(
        session=session,
        person_id=person_id,
        template=template,
        quality=analysis.quality,
        key=key,
        actor=actor,
    )
    return PhotoOutcome(
        status="accepted",
        quality=analysis.quality,
        face_box=analysis.face_box,
        template_id=row.id,
        templates=count_templates(session=session, person_id=person_id),
        own_distance=own_distance,
        messages=["Template saved."],
    )


def _hold_for_confirmation(
    *,
    session: Session,
    person: Person,
    template: bytes,
    analysis: PhotoAnalysis,
    own_distance: float | None,
    hits: Sequence[DuplicateCandidate],
    actor: str,
    key: bytes,
) -> PhotoOutcome:
    """Hold a face that resembles others as a `PendingFace` (audited, committed)."""
    nonce, ciphertext = encrypt_template(key=key, person_id=person.id, template=template)
    candidates = [{"person_id": h.person_id, "distance": h.distance} for h in hits]
    pending = PendingFace(
        id=secrets.token_urlsafe(12),
        person_id=person.id,
        nonce=nonce,
        ciphertext=ciphertext,
        quality=analysis.quality,
        candidates=candidates,
        requested_by=actor,
    )
    session.add(pending)
    append_audit(
        session=session,
        actor=actor,
        action="face.duplicate_hit",
        target=f"person:{person.id}",
        after={"pending_id": pending.id, "candidates": candidates},
    )
    session.commit()
    return PhotoOutcome(
        status="duplicate",
        quality=analysis.quality,
        face_box=analysis.face_box,
        pending_id=pending.id,
        own_distance=own_distance,
        messages=[
            "This face resembles someone already enrolled: a second desk user must "
            "confirm that these are different people.",
            _ACTIVATE_INSTEAD,
        ],
        candidates=candidates_out(hits),
    )


_ACTIVATE_INSTEAD = (
    "If it is the same person, they are enrolled in the port community once: activate "
    "that identity at your site (its activate route) instead of keeping a second record."
)


def candidates_out(hits: Sequence[DuplicateCandidate]) -> list[CandidateOut]:
    """The hits as the desk sees them: each identity, its sites and its activation route."""
    return [
        CandidateOut(
            person_id=h.person_id,
            display_name=h.display_name,
            distance=h.distance,
            sites=list(h.sites),
            activate=f"/api/v1/people/{h.person_id}/activations",
        )
        for h in hits
    ]


def identify_photo(
    *, session: Session, photo: bytes, context: PhotoContext
) -> tuple[PhotoOutcome, PhotoAnalysis]:
    """Search the port community for this face before enrolling anyone (nothing is stored).

    A hit names the existing identity and its activation route: the desk activates it
    at its site instead of enrolling the person a second time.
    """
    outcome, analysis = check_photo(photo=photo)
    if analysis.encoding is None or not analysis.ok:
        return outcome, analysis
    hits = context.gallery.find_duplicates(
        session=session,
        key=context.template_key,
        encoding=analysis.encoding,
        exclude_person="",
        threshold=context.duplicate_threshold,
    )
    if not hits:
        outcome.messages = ["Nobody in the port community has this face: enroll them."]
        return outcome, analysis
    outcome.messages = ["This person is already enrolled in the port community.", _ACTIVATE_INSTEAD]
    outcome.candidates = candidates_out(hits)
    return outcome, analysis


def get_pending(session: Session, pending_id: str) -> PendingFace:
    """The pending face `pending_id` (NotFoundError when decided, expired or unknown)."""
    pending = session.get(PendingFace, pending_id)
    if pending is None:
        raise NotFoundError(f"pending face {pending_id!r} not found (decided or expired)")
    return pending


def confirm_pending(
    *, session: Session, pending_id: str, confirmer: str, template_key: bytes
) -> PhotoOutcome:
    """A second desk user confirms a duplicate hit: the template is enrolled (audited).

    Raises:
        ConflictError: The confirmer is the user who captured the face, or 5 templates exist.
    """
    pending = get_pending(session, pending_id)
    if confirmer == pending.requested_by:
        raise ConflictError("a second desk user must confirm: not the one who captured the face")
    person_id = pending.person_id
    if count_templates(session=session, person_id=person_id) >= MAX_TEMPLATES:
        raise ConflictError(f"{person_id} already has {MAX_TEMPLATES} templates")
    template = decrypt_template(
        key=template_key, person_id=person_id, nonce=pending.nonce, ciphertext=pending.ciphertext
    )
    template_from_bytes(template)  # refuse a damaged row before it reaches gates
    append_audit(
        session=session,
        actor=confirmer,
        action="face.duplicate_confirm",
        target=f"person:{person_id}",
        after={
            "pending_id": pending.id,
            "requested_by": pending.requested_by,
            "candidates": pending.candidates,
        },
    )
    quality = pending.quality
    session.delete(pending)
    row = add_face_template(
        session=session,
        person_id=person_id,
        template=template,
        quality=quality,
        key=template_key,
        actor=confirmer,
    )
    return PhotoOutcome(
        status="accepted",
        quality=quality,
        template_id=row.id,
        templates=count_templates(session=session, person_id=person_id),
        messages=["Confirmed by a second desk user; template saved."],
    )


def reject_pending(*, session: Session, pending_id: str, actor: str) -> None:
    """Drop a face held for confirmation (audited): it is not enrolled."""
    pending = get_pending(session, pending_id)
    append_audit(
        session=session,
        actor=actor,
        action="face.duplicate_reject",
        target=f"person:{pending.person_id}",
        after={"pending_id": pending.id, "requested_by": pending.requested_by},
    )
    session.delete(pending)
    session.commit()


def delete_template(
    *, session: Session, person_id: str, template_id: int, key: bytes, actor: str
) -> None:
    """Delete one template (and its kept photo), never the last usable one (1 to 5 are kept).

    A broken template (stored before templates were checked) never counts as the one
    kept, so the desk can always delete it.
    """
    person = get_person(session=session, person_id=person_id)
    row = session.get(FaceTemplate, template_id)
    if row is None or row.person_id != person_id:
        raise NotFoundError(f"template {template_id} of {person_id} not found")
    if usable_template(key=key, row=row) is not None and _usable_count(session, row, key) <= 1:
        raise ConflictError("a person keeps at least one template: add the new photo first")
    for photo in session.exec(
        select(RetainedPhoto).where(RetainedPhoto.template_id == template_id)
    ).all():
        session.delete(photo)
    session.delete(row)
    append_audit(
        session=session,
        actor=actor,
        action="face.delete",
        target=f"person:{person_id}",
        after={"template_id": template_id},
    )
    bump_person_sites(
        session=session,
        person_id=person_id,
        site_ids=[person.site_id],
        detail={"template_ids": [template_id]},
    )
    session.commit()
