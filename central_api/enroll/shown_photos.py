"""The enrollment photo an operator may see beside a face decision: off unless the site says so.

Two rules must both hold before a photo leaves the database: the site keeps raw photos
(``PORTGATE_PHOTO_RETENTION_DAYS``, `central_api.enroll.settings`) so there is one to show,
and an admin has turned ``show_enrolled_photos`` on for the person's site (off by default,
privacy first; the change is audited). The photo is the person's newest kept one that has
not expired.
"""

from dataclasses import dataclass

from sqlmodel import Session, col, select

from central_api.crud.audited import commit_field_change
from central_api.db import utc_now
from central_api.enroll.privacy import read_photo
from central_api.enroll.tables import RetainedPhoto
from central_api.errors import NotFoundError
from central_api.models import Person, Site

__all__ = ["ShownPhoto", "set_show_enrolled_photos", "shown_photo"]


@dataclass(frozen=True, slots=True)
class ShownPhoto:
    """A decrypted photo and its content type."""

    content: bytes
    content_type: str


def set_show_enrolled_photos(*, session: Session, site_id: str, show: bool, actor: str) -> Site:
    """Turn the operators' view of enrollment photos on or off for a site (audited).

    Raises:
        NotFoundError: no such site (for this user).
    """
    site = session.get(Site, site_id)
    if site is None:
        raise NotFoundError(f"site {site_id!r} not found")
    commit_field_change(
        session,
        row=site,
        field="show_enrolled_photos",
        value=show,
        actor=actor,
        action="site.enrolled_photos",
        target=f"site:{site_id}",
    )
    session.refresh(site)
    return site


def shown_photo(*, session: Session, person_id: str, key: bytes) -> ShownPhoto:
    """The photo operators may see of `person_id`.

    Raises:
        NotFoundError: no such person, their site does not show photos, or none is kept
            (one message for all three: the answer tells nothing about the person).
    """
    person = session.get(Person, person_id)
    site = session.get(Site, person.site_id) if person is not None else None
    row = None
    if site is not None and site.show_enrolled_photos:
        row = session.exec(
            select(RetainedPhoto)
            .where(RetainedPhoto.person_id == person_id, col(RetainedPhoto.expires_at) > utc_now())
            .order_by(col(RetainedPhoto.created_at).desc(), col(RetainedPhoto.id).desc())
        ).first()
    if row is None:
        raise NotFoundError("no photo to show for this person")
    return ShownPhoto(read_photo(row=row, key=key), row.content_type)
