"""The state read fresh for every central decision: data version, threat level, last passage."""

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from gate_protocol.messages import Decision, Direction
from gate_protocol.records import LastPassage
from sqlalchemy import Select, bindparam
from sqlmodel import Session, col, select

from central_api.db import UTCDateTime
from central_api.models import AccessEventRecord, DecisionDataVersion, Gate, Site

__all__ = ["LiveState", "last_passage", "read_live_state"]


def last_passage(
    *, session: Session, person_id: str, zone_id: str, before: datetime
) -> LastPassage | None:
    """The person's last granted passage through any gate of the zone (anti-passback)."""
    row = session.exec(
        select(AccessEventRecord.direction, AccessEventRecord.occurred_at)
        .join(Gate, col(Gate.id) == col(AccessEventRecord.gate_id))
        .where(
            AccessEventRecord.person_id == person_id,
            Gate.zone_id == zone_id,
            AccessEventRecord.decision == Decision.GRANTED,
            col(AccessEventRecord.passed).is_not(False),
            col(AccessEventRecord.occurred_at) <= before,
        )
        .order_by(col(AccessEventRecord.occurred_at).desc())
        .limit(1)
    ).first()
    if row is None:
        return None
    return LastPassage(direction=Direction(row[0]), at=row[1])


@dataclass(frozen=True, slots=True)
class LiveState:
    """What is read fresh for every decision, in one query."""

    data_version: int | None
    replica_version: int
    threat_level: int
    last: LastPassage | None


def _live_statement(*, with_person: bool) -> Select[Any]:
    """The live-state query, built once: every decision runs it, so it is not rebuilt."""
    version = (
        select(DecisionDataVersion.version).where(DecisionDataVersion.id == 1).scalar_subquery()
    )
    columns: list[Any] = [version, col(Site.replica_version), col(Site.threat_level)]
    if with_person:
        last = (
            select(AccessEventRecord.direction)
            .join(Gate, col(Gate.id) == col(AccessEventRecord.gate_id))
            .where(
                col(AccessEventRecord.person_id) == bindparam("person_id"),
                col(Gate.zone_id) == bindparam("zone_id"),
                AccessEventRecord.decision == Decision.GRANTED,
                col(AccessEventRecord.passed).is_not(False),
                col(AccessEventRecord.occurred_at) <= bindparam("before", type_=UTCDateTime),
            )
            .order_by(col(AccessEventRecord.occurred_at).desc())
            .limit(1)
        )
        columns.append(last.scalar_subquery())
        columns.append(last.with_only_columns(col(AccessEventRecord.occurred_at)).scalar_subquery())
    statement: Select[Any] = select(*columns).where(col(Site.id) == bindparam("site_id"))
    return statement


_WITH_PERSON = _live_statement(with_person=True)
_SITE_ONLY = _live_statement(with_person=False)


def read_live_state(
    *, session: Session, site_id: str, person_id: str | None, zone_id: str, before: datetime
) -> LiveState:
    """The data version, the site's threat level and replica version, the last passage.

    One round trip: the last passage is the person's last granted passage through the
    zone (anti-passback); the version says whether cached inputs are still current. Run
    as Core on the session's connection: the ORM layer adds nothing to a row of scalars.
    """
    connection = session.connection()
    if person_id is None:
        row = connection.execute(_SITE_ONLY, {"site_id": site_id}).one()
    else:
        row = connection.execute(
            _WITH_PERSON,
            {"site_id": site_id, "person_id": person_id, "zone_id": zone_id, "before": before},
        ).one()
    passage = None
    if person_id is not None and row[3] is not None and row[4] is not None:
        at = row[4] if row[4].tzinfo is not None else row[4].replace(tzinfo=UTC)
        passage = LastPassage(direction=Direction(row[3]), at=at)
    return LiveState(
        data_version=None if row[0] is None else int(row[0]),
        replica_version=int(row[1]),
        threat_level=int(row[2]),
        last=passage,
    )
