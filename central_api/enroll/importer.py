"""One bulk-import row on the server: all photos checked first, then one transaction.

Nothing is written until every photo has been judged and the duplicate check has passed
(under the enrollment lock, so a desk enrolling the same face at the same moment is seen),
and then the person, their groups, competencies, badge, external id and templates go in
together (`create_enrolled_person`), so a failure never leaves half a person.
"""

from collections.abc import Sequence

from biometrics import template_to_bytes
from pydantic import ValidationError
from sqlmodel import Session

from central_api.enroll.face_lock import lock_face_enrollment
from central_api.enroll.faces import PhotoAnalysis
from central_api.enroll.gallery import DuplicateCandidate
from central_api.enroll.people import ReadyTemplate, create_enrolled_person, person_by_external_id
from central_api.enroll.photos import PhotoContext, check_photo
from central_api.enroll.schemas import EnrollPersonIn, ImportOutcome, PhotoOutcome
from central_api.enroll.settings import MAX_TEMPLATES
from central_api.errors import ServiceError

__all__ = ["import_person"]


def import_person(
    *,
    session: Session,
    person_json: str,
    photos: Sequence[tuple[str, bytes]],
    actor: str,
    context: PhotoContext,
) -> tuple[ImportOutcome, dict[str, bytes]]:
    """Import one person with their photos.

    Returns:
        The outcome, and the accepted photos by name (to keep them if the site does).
    """
    person_in = _parse_row(person_json)
    if isinstance(person_in, ImportOutcome):
        return person_in, {}
    refused = _refusal_before_photos(session=session, person_in=person_in, photos=photos)
    if refused is not None:
        return refused, {}
    outcomes: dict[str, PhotoOutcome] = {}
    usable = _usable_photos(photos, outcomes)
    if usable:
        exists = _lock_and_look_again(session=session, person_in=person_in)
        if exists is not None:
            return exists, {}
    checked = _templates_without_duplicates(
        session=session,
        context=context,
        usable=usable,
        outcomes=outcomes,
        site_id=person_in.site_id,
    )
    if isinstance(checked, ImportOutcome):
        return checked, {}
    ready, accepted = checked
    if not ready:
        return ImportOutcome(status="rejected", reason="no usable photo", photos=outcomes), {}
    try:
        person = create_enrolled_person(
            session=session,
            person_in=person_in,
            actor=actor,
            templates=ready,
            template_key=context.template_key,
        )
    except ServiceError as exc:
        session.rollback()
        return ImportOutcome(status="rejected", reason=exc.message, photos=outcomes), {}
    return ImportOutcome(status="created", person_id=person.id, photos=outcomes), accepted


def _parse_row(person_json: str) -> EnrollPersonIn | ImportOutcome:
    """The row's person, or its rejection naming the first invalid field."""
    try:
        return EnrollPersonIn.model_validate_json(person_json)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        return ImportOutcome(status="rejected", reason=f"{where}: {first['msg']}")


def _refusal_before_photos(
    *, session: Session, person_in: EnrollPersonIn, photos: Sequence[tuple[str, bytes]]
) -> ImportOutcome | None:
    """Already enrolled under its external id, no photo, or too many; None: go on."""
    if person_in.external_id:
        existing = person_by_external_id(
            session=session, site_id=person_in.site_id, external_id=person_in.external_id
        )
        if existing:
            return ImportOutcome(status="exists", person_id=existing)
    if not photos:
        return ImportOutcome(status="rejected", reason="no photo for this person")
    if len(photos) > MAX_TEMPLATES:
        return ImportOutcome(status="rejected", reason=f"more than {MAX_TEMPLATES} photos")
    return None


def _usable_photos(
    photos: Sequence[tuple[str, bytes]], outcomes: dict[str, PhotoOutcome]
) -> list[tuple[str, bytes, PhotoAnalysis]]:
    """The photos good enough to enroll; each refused one gets its outcome in `outcomes`."""
    usable: list[tuple[str, bytes, PhotoAnalysis]] = []
    for name, data in photos:
        try:
            outcome, analysis = check_photo(photo=data)
        except ServiceError as exc:
            outcomes[name] = PhotoOutcome(
                status="rejected", reasons=["unreadable"], messages=[exc.message]
            )
            continue
        if analysis.encoding is None or not analysis.ok:
            outcomes[name] = outcome
            continue
        usable.append((name, data, analysis))
    return usable


def _lock_and_look_again(*, session: Session, person_in: EnrollPersonIn) -> ImportOutcome | None:
    """Take the enrollment lock; "exists" (lock released) if the row was imported meanwhile."""
    # From the search to the commit, no desk may enroll a face (see face_lock).
    lock_face_enrollment(session=session)
    # A second import of the same row may have committed while we waited for the lock.
    if person_in.external_id:
        existing = person_by_external_id(
            session=session, site_id=person_in.site_id, external_id=person_in.external_id
        )
        if existing:
            session.rollback()
            return ImportOutcome(status="exists", person_id=existing)
    return None


def _templates_without_duplicates(
    *,
    session: Session,
    context: PhotoContext,
    usable: list[tuple[str, bytes, PhotoAnalysis]],
    outcomes: dict[str, PhotoOutcome],
    site_id: str,
) -> tuple[list[ReadyTemplate], dict[str, bytes]] | ImportOutcome:
    """The templates and accepted photos, or the rejection of a face already enrolled.

    When the nearest is an identity not active at the row's site, the rejection offers its
    activation there (one identity, many terminals) instead of a second enrollment.
    """
    ready: list[ReadyTemplate] = []
    accepted: dict[str, bytes] = {}
    for name, data, analysis in usable:
        assert analysis.encoding is not None  # noqa: S101 (usable photos are encoded)
        hits = context.gallery.find_duplicates(
            session=session,
            key=context.template_key,
            encoding=analysis.encoding,
            exclude_person="",
            threshold=context.duplicate_threshold,
        )
        if hits:
            session.rollback()  # releases the lock: nothing was written
            names = ", ".join(f"{h.person_id} ({h.distance:.2f})" for h in hits)
            outcomes[name] = PhotoOutcome(
                status="duplicate",
                messages=[f"resembles {names}: enroll at the desk with a second user"],
            )
            return _duplicate_outcome(hits[0], names=names, site_id=site_id, photos=outcomes)
        outcomes[name] = PhotoOutcome(status="accepted", quality=analysis.quality)
        ready.append(ReadyTemplate(template_to_bytes(analysis.encoding), analysis.quality))
        accepted[name] = data
    return ready, accepted


def _duplicate_outcome(
    nearest: DuplicateCandidate, *, names: str, site_id: str, photos: dict[str, PhotoOutcome]
) -> ImportOutcome:
    """A duplicate's rejection, offering the nearest identity's activation at `site_id`."""
    reason = f"possible duplicate of {names}"
    if site_id in nearest.sites:
        return ImportOutcome(status="rejected", reason=reason, photos=photos)
    where = ", ".join(nearest.sites) or "no site"
    offer = (
        f"{reason}: {nearest.person_id} is enrolled (active at {where}); activate that identity "
        f"here instead of a duplicate: portgate enroll person activate {nearest.person_id} "
        f"--site {site_id}"
    )
    return ImportOutcome(
        status="rejected", reason=offer, photos=photos, activate_person_id=nearest.person_id
    )
