"""A site's still rule: keep the stills its agents send with alarms, and for how long (admins)."""

from sqlmodel import Session

from central_api.crud.audited import commit_audited
from central_api.errors import NotFoundError
from central_api.models import Site

__all__ = ["DEFAULT_RETENTION_DAYS", "MAX_RETENTION_DAYS", "set_still_rule"]

DEFAULT_RETENTION_DAYS = 7
MAX_RETENTION_DAYS = 90


def set_still_rule(
    *, session: Session, site_id: str, keep: bool, retention_days: int, actor: str
) -> Site:
    """Switch keeping stills on or off for a site and set their retention (one audit row).

    Stills already kept keep the expiry they got on arrival; switching off hides them at
    once and the next purge deletes them (`central_api.stills.purge`).

    Raises:
        NotFoundError: no such site (for this user).
    """
    site = session.get(Site, site_id)
    if site is None:
        raise NotFoundError(f"site {site_id!r} not found")
    before = {"keep_alarm_stills": site.keep_alarm_stills, "days": site.still_retention_days}
    site.keep_alarm_stills = keep
    site.still_retention_days = retention_days
    commit_audited(
        session,
        actor=actor,
        action="site.alarm_stills",
        target=f"site:{site_id}",
        before=before,
        after={"keep_alarm_stills": keep, "days": retention_days},
        rows=[site],
    )
    session.refresh(site)
    return site
