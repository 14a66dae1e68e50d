"""The time zone a page shows its times in: that of the user's site (sites.timezone)."""

from sqlmodel import Session

from central_api.models import Site

__all__ = ["site_zone"]


def site_zone(session: Session, site_id: str | None) -> str | None:
    """The IANA zone of `site_id`; None for a site-wide user (the browser's zone then)."""
    if site_id is None:
        return None
    site = session.get(Site, site_id)
    return site.timezone if site is not None else None
