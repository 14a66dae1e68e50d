"""Port bans as gates see them: the bans in force, a person's ban records, where to resync.

Below `crud` (which issues and lifts bans) so that the replica's person records, the
decision inputs and a gate's face watchlist can all read bans through these functions.
"""

from collections import defaultdict
from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime

from gate_protocol.records import PortBanRecord
from sqlmodel import Session, col, or_, select

from central_api.models import (
    AccessGroup,
    Appointment,
    BanStatus,
    Person,
    PersonAccessGroup,
    PortBan,
)
from central_api.replica.id_lists import many_ids
from central_api.replica.versions import person_site_ids

__all__ = [
    "MAX_BANS_PER_PERSON",
    "ActiveBan",
    "active_bans",
    "ban_records",
    "ban_sites",
    "unended_bans",
]

MAX_BANS_PER_PERSON = 32  # PersonRecord.port_bans' limit


@dataclass(frozen=True, slots=True)
class ActiveBan:
    """A ban that denies now (or, from `unended_bans`, later): whom, which ban, its window."""

    person_id: str
    ban_id: str
    legal_reference: str
    valid_from: datetime | None = None
    valid_until: datetime | None = None


def active_bans(session: Session, now: datetime) -> list[ActiveBan]:
    """The bans in force at `now` (confirmed, started, not ended, not lifted), by person."""
    rows = session.exec(
        select(PortBan)
        .where(
            col(PortBan.status) == BanStatus.ACTIVE,
            col(PortBan.valid_from) <= now,
            or_(col(PortBan.valid_until).is_(None), col(PortBan.valid_until) > now),
        )
        .order_by(col(PortBan.person_id), col(PortBan.valid_from))
    ).all()
    return [ActiveBan(row.person_id, row.id, row.legal_reference) for row in rows]


def unended_bans(session: Session, now: datetime) -> list[ActiveBan]:
    """The confirmed, unlifted bans not ended at `now` (in force or still to come), by person.

    What a gate's watchlist gallery carries, with each ban's window: the gate screens a
    banned face only inside it, so a ban's start and end need no resync.
    """
    rows = session.exec(
        select(PortBan)
        .where(
            col(PortBan.status) == BanStatus.ACTIVE,
            or_(col(PortBan.valid_until).is_(None), col(PortBan.valid_until) > now),
        )
        .order_by(col(PortBan.person_id), col(PortBan.valid_from))
    ).all()
    return [
        ActiveBan(row.person_id, row.id, row.legal_reference, row.valid_from, row.valid_until)
        for row in rows
    ]


def ban_records(
    *, session: Session, person_ids: Collection[str]
) -> dict[str, tuple[PortBanRecord, ...]]:
    """The confirmed, unlifted bans of these people (future ones too: `decide` reads the window)."""
    ids = list(person_ids)
    if not ids:
        return {}
    rows = session.exec(
        select(PortBan)
        .where(col(PortBan.person_id).in_(many_ids(ids)), col(PortBan.status) == BanStatus.ACTIVE)
        .order_by(col(PortBan.valid_from).desc())
    ).all()
    found: dict[str, list[PortBanRecord]] = defaultdict(list)
    for row in rows:
        if len(found[row.person_id]) < MAX_BANS_PER_PERSON:
            found[row.person_id].append(
                PortBanRecord(
                    ban_id=row.id,
                    legal_reference=row.legal_reference,
                    valid_from=row.valid_from,
                    valid_until=row.valid_until,
                )
            )
    return {person_id: tuple(bans) for person_id, bans in found.items()}


def ban_sites(*, session: Session, person_id: str) -> list[str]:
    """The sites whose gates may let this person pass, so their replicas must resync.

    The one place that answers it: the person's own site, and every site where an access
    group or an appointment of theirs puts them in a gate's replica (the replica builder's
    `allowed_person_ids` reads those two), and every site where the identity is activated.
    """
    sites = set(session.exec(select(Person.site_id).where(Person.id == person_id)).all())
    sites.update(person_site_ids(session=session, person_id=person_id))
    sites.update(
        session.exec(
            select(AccessGroup.site_id)
            .join(PersonAccessGroup, col(PersonAccessGroup.group_id) == col(AccessGroup.id))
            .where(PersonAccessGroup.person_id == person_id)
        ).all()
    )
    sites.update(
        session.exec(select(Appointment.site_id).where(Appointment.person_id == person_id)).all()
    )
    return sorted(sites)
