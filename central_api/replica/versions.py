"""Replica versions: every change a gate must learn bumps its site's version.

`bump_replica` runs inside the changing transaction (a row lock on the site serialises
bumps on PostgreSQL) and queues a retained `SyncNotice` that goes out right after commit.
"""

from gate_protocol.messages import SyncNotice
from gate_protocol.topics import SyncTopic
from sqlalchemy import update
from sqlmodel import Session, col, select

from central_api.bus.notify import queue_after_commit
from central_api.db import utc_now
from central_api.models import ReplicaChange, Site, SiteActivation
from central_api.security.site_scope import unscoped

__all__ = ["bump_every_site", "bump_person_sites", "bump_replica", "person_site_ids"]


def bump_replica(
    *,
    session: Session,
    site_id: str,
    person_id: str | None = None,
    scope: str = "person",
    detail: dict[str, object] | None = None,
) -> int:
    """Increment the site's replica version, log what changed, queue the sync notice.

    Args:
        session: The session holding the change.
        site_id: The site whose gates must resync.
        person_id: The person whose records changed (None for site-wide changes).
        scope: ``person`` or ``site`` (gate policy, zone rules, threat level, keys).
        detail: Extra facts for the delta, e.g. ``{"template_ids": [...]}`` removed.

    Returns:
        The new replica version.
    """
    statement = (
        update(Site)
        .where(col(Site.id) == site_id)
        .values(replica_version=col(Site.replica_version) + 1)
        .returning(col(Site.replica_version))
    )
    version = int(session.exec(statement).scalar_one())
    session.add(
        ReplicaChange(
            site_id=site_id, version=version, person_id=person_id, scope=scope, detail=detail or {}
        )
    )
    queue_after_commit(
        session=session,
        topic=SyncTopic(site=site_id),
        message=SyncNotice(replica_version=version, at=utc_now()),
        retain=True,
        key=f"sync:{site_id}",
    )
    return version


def bump_every_site(*, session: Session, reason: str) -> dict[str, int]:
    """Bump every site's replica (site scope), e.g. after a migration changed what they hold.

    Returns:
        The new replica version of each site.
    """
    site_ids = list(session.exec(select(Site.id)).all())
    return {
        site_id: bump_replica(
            session=session, site_id=site_id, scope="site", detail={"reason": reason}
        )
        for site_id in site_ids
    }


def person_site_ids(*, session: Session, person_id: str) -> list[str]:
    """Every site with an activation of the person (whatever the session's site scope)."""
    with unscoped(session):
        statement = select(SiteActivation.site_id).where(SiteActivation.person_id == person_id)
        return sorted(set(session.exec(statement).all()))


def bump_person_sites(
    *,
    session: Session,
    person_id: str,
    site_ids: list[str],
    detail: dict[str, object] | None = None,
) -> None:
    """Bump `site_ids` and every site where the person is activated, once each.

    One identity is in the replicas of every site that activated it: a change of the
    person (status, erasure, a credential or template) must reach all of them.
    """
    sites = sorted({*site_ids, *person_site_ids(session=session, person_id=person_id)})
    for site_id in sites:
        bump_replica(session=session, site_id=site_id, person_id=person_id, detail=detail)
