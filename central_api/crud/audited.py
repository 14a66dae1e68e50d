"""One audited change: its rows, its audit entry, the gates' resync and the commit, together.

Every crud change ends the same way: the audit row joins the change's own transaction (so
there is never a change without its entry, nor an entry without its change), the replica
version is bumped when gates must learn of it, and one commit makes it all durable.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlmodel import Session, SQLModel

from central_api.audit.chain import append_audit
from central_api.replica.versions import bump_person_sites, bump_replica

__all__ = ["Resync", "commit_audited", "commit_field_change"]


@dataclass(frozen=True, slots=True)
class Resync:
    """Which gates must fetch a new replica: one person's records, or the whole site's."""

    site_id: str
    person_id: str | None = None

    @property
    def scope(self) -> str:
        """``person`` when one person's records changed, else ``site``."""
        return "site" if self.person_id is None else "person"


def commit_audited(
    session: Session,
    *,
    actor: str,
    action: str,
    target: str,
    before: Any = None,
    after: Any = None,
    rows: Iterable[SQLModel] = (),
    resync: Resync | None = None,
) -> None:
    """Add `rows`, audit the change, bump the replica (`resync`) and commit, in one transaction.

    Args:
        session: The session whose transaction holds the change.
        actor: Who did it (``user:NAME``, ``gate:ID`` or ``system``).
        action: What was done, e.g. ``person.revoke``.
        target: What it was done to, e.g. ``person:abc``.
        before: The state before (JSON-able) or None.
        after: The state after (JSON-able) or None.
        rows: Rows to add first (new or changed); rows added earlier need not be repeated.
        resync: The gates that must resync; None: the change is not in any replica.
    """
    for row in rows:
        session.add(row)
    append_audit(
        session=session, actor=actor, action=action, target=target, before=before, after=after
    )
    if resync is not None and resync.person_id is not None:
        # The person's records are in the replicas of every site that activated them.
        bump_person_sites(session=session, person_id=resync.person_id, site_ids=[resync.site_id])
    elif resync is not None:
        bump_replica(
            session=session,
            site_id=resync.site_id,
            person_id=resync.person_id,
            scope=resync.scope,
        )
    session.commit()


def commit_field_change(
    session: Session,
    *,
    row: SQLModel,
    field: str,
    value: Any,
    actor: str,
    action: str,
    target: str,
    resync: Resync | None = None,
) -> None:
    """Set one field of `row` and commit it audited with the field's value before and after."""
    before = getattr(row, field)
    setattr(row, field, value)
    commit_audited(
        session,
        actor=actor,
        action=action,
        target=target,
        before={field: before},
        after={field: value},
        rows=[row],
        resync=resync,
    )
