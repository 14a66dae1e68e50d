"""Add, list and remove persons of interest (audited; every site's gates resync)."""

import logging

from biometrics import template_to_bytes
from gate_protocol.messages import new_id
from sqlmodel import Session, col, select

from central_api.audit.chain import append_audit
from central_api.audit.privacy import keyed_hash
from central_api.enroll.faces import analyse_photo, decode_photo
from central_api.errors import InvalidError, NotFoundError
from central_api.models import PersonOfInterest, PersonOfInterestCreate, PersonOfInterestPublic
from central_api.replica.watchlist import bump_watchlist
from central_api.security.vault import encrypt_template

__all__ = ["add_person_of_interest", "list_persons_of_interest", "remove_person_of_interest"]

log = logging.getLogger(__name__)


def public(row: PersonOfInterest) -> PersonOfInterestPublic:
    """What the API shows of a person of interest (never the template)."""
    return PersonOfInterestPublic(
        id=row.id,
        entry_id=row.entry_id,
        label=row.label,
        reason=row.reason,
        entered_by=row.entered_by,
        valid_from=row.valid_from,
        valid_until=row.valid_until,
        created_at=row.created_at,
    )


def add_person_of_interest(
    *, session: Session, body: PersonOfInterestCreate, photo: bytes, key: bytes, actor: str
) -> PersonOfInterestPublic:
    """Encode the photo's one face and put it on the watchlist; the photo is not kept.

    Raises:
        InvalidError: The photo is no image, a bomb, or shows no face, several faces or a
            face too poor to encode (the reasons named); nothing is stored.
    """
    analysis = analyse_photo(decode_photo(photo))
    if not analysis.ok or analysis.encoding is None:
        raise InvalidError("the photo is refused: " + " ".join(analysis.messages))
    row_id = new_id()
    nonce, ciphertext = encrypt_template(
        key=key, person_id=f"poi:{row_id}", template=template_to_bytes(analysis.encoding)
    )
    row = PersonOfInterest(
        id=row_id,
        label=body.label,
        reason=body.reason,
        entered_by=actor,
        valid_from=body.valid_from,
        valid_until=body.valid_until,
        nonce=nonce,
        ciphertext=ciphertext,
    )
    session.add(row)
    append_audit(
        session=session,
        actor=actor,
        action="watchlist.poi_add",
        target=row.entry_id,
        after={"label": keyed_hash(row.label), "reason": keyed_hash(row.reason)},
    )
    bump_watchlist(session=session, reason="person of interest added")
    session.commit()
    session.refresh(row)
    return public(row)


def list_persons_of_interest(*, session: Session) -> list[PersonOfInterestPublic]:
    """Every person of interest, oldest first."""
    rows = session.exec(select(PersonOfInterest).order_by(col(PersonOfInterest.created_at))).all()
    return [public(row) for row in rows]


def remove_person_of_interest(*, session: Session, poi_id: str, actor: str) -> None:
    """Take a person of interest off the watchlist (the template goes with the row).

    Raises:
        NotFoundError: No such person of interest; nothing changes.
    """
    row = session.get(PersonOfInterest, poi_id)
    if row is None:
        raise NotFoundError(f"person of interest {poi_id!r} not found")
    entry_id = row.entry_id
    session.delete(row)
    append_audit(
        session=session,
        actor=actor,
        action="watchlist.poi_remove",
        target=entry_id,
        before={"label": keyed_hash(row.label), "reason": keyed_hash(row.reason)},
    )
    bump_watchlist(session=session, reason="person of interest removed")
    session.commit()
