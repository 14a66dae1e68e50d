"""The enrollment photo an operator may see beside a face decision: off unless the site says so.

Two rules must both hold before a photo leaves the database: the site keeps raw photos
(``PORTGATE_PHOTO_RETENTION_DAYS``, `central_api.enroll.settings`) so there is one to show,
and an admin has turned ``show_enrolled_photos`` on for the person's site (off by default,
privacy first; the change is audited). The photo is the person's newest kept one that has
not expired.

Every view is audited (`record_photo_view`, ``person.photo_viewed``: the viewer, the person,
the page), at most one row per viewer, person and page in `VIEW_WINDOW_MINUTES`: the live
board shows the same face many times a minute, and a row per request would bury the audit
log. The window is kept in the API's database (`limits` over
`central_api.security.throttle_storage`), so every worker process of one API shares it.
"""

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any, Literal
from urllib.parse import quote

from limits import RateLimitItemPerMinute
from limits.strategies import MovingWindowRateLimiter
from sqlalchemy import Engine, exists
from sqlmodel import Session, col, select

from central_api.audit.chain import append_audit
from central_api.crud.audited import commit_field_change
from central_api.db import utc_now
from central_api.enroll.privacy import read_photo
from central_api.enroll.tables import RetainedPhoto
from central_api.errors import NotFoundError
from central_api.models import Person, Site
from central_api.security.throttle_storage import SqlThrottleStorage

__all__ = [
    "VIEW_WINDOW_MINUTES",
    "PhotoPage",
    "ShownPhoto",
    "people_with_shown_photos",
    "photo_url",
    "record_photo_view",
    "set_show_enrolled_photos",
    "shown_photo",
    "with_photo_urls",
]

# The pages that show enrollment photos; a photo URL names its page for the audit row.
PhotoPage = Literal["dashboard", "context", "search"]
VIEW_WINDOW_MINUTES = 10
_VIEW_WINDOW = RateLimitItemPerMinute(1, VIEW_WINDOW_MINUTES)


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


def _kept_photo_exists() -> Any:
    return exists().where(
        col(RetainedPhoto.person_id) == col(Person.id), col(RetainedPhoto.expires_at) > utc_now()
    )


def people_with_shown_photos(*, session: Session, person_ids: Iterable[str]) -> set[str]:
    """Those of `person_ids` whose photo `shown_photo` would give now (one query)."""
    wanted = set(person_ids)
    if not wanted:
        return set()
    rows = session.exec(
        select(Person.id)
        .join(Site, col(Site.id) == col(Person.site_id))
        .where(col(Person.id).in_(wanted), col(Site.show_enrolled_photos), _kept_photo_exists())
    ).all()
    return set(rows)


def photo_url(person_id: str, page: PhotoPage) -> str:
    """The URL of a person's shown photo, as `page` asks for it."""
    return f"/dashboard/api/enrolled-photos/{quote(person_id, safe='')}?page={page}"


def _face_decisions(items: list[dict[str, Any]], sites: set[str]) -> Iterator[dict[str, Any]]:
    # A face decision compared a face (it has a score), as on the live board.
    for item in items:
        if item.get("face_score") is not None and item.get("person_id"):
            if item.get("site_id") in sites:
                yield item


def with_photo_urls(*, session: Session, items: list[dict[str, Any]], page: PhotoPage) -> None:
    """Add ``photo_url`` to each face decision of `items` whose photo operators may see.

    Both the event's site and the person's site must show photos, and a kept photo must
    exist; other items get no ``photo_url`` key at all.
    """
    site_ids = {str(item["site_id"]) for item in items}
    showing = set(
        session.exec(
            select(Site.id).where(col(Site.id).in_(site_ids), col(Site.show_enrolled_photos))
        ).all()
    )
    faces = list(_face_decisions(items, showing))
    shown = people_with_shown_photos(
        session=session, person_ids={str(item["person_id"]) for item in faces}
    )
    for item in faces:
        if item["person_id"] in shown:
            item["photo_url"] = photo_url(str(item["person_id"]), page)


def record_photo_view(
    *, session: Session, engine: Engine, actor: str, person_id: str, page: PhotoPage | None
) -> bool:
    """Audit that `actor` saw `person_id`'s photo on `page`, once per window; True: a row.

    The window's entry is taken first (so two workers never both write one); if the audit
    row then fails, the entry is given back, so the next view writes it.
    """
    limiter = MovingWindowRateLimiter(SqlThrottleStorage(engine))
    keys = ("photo_view", actor, person_id, page or "")
    if not limiter.hit(_VIEW_WINDOW, *keys):
        return False
    try:
        append_audit(
            session=session,
            actor=actor,
            action="person.photo_viewed",
            target=f"person:{person_id}",
            after={"page": page},
        )
        session.commit()
    except Exception:
        session.rollback()
        limiter.clear(_VIEW_WINDOW, *keys)
        raise
    return True
