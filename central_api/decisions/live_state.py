"""The state read fresh for every central decision: data version, threat level, last passage.

An escorted visitor's decision also reads their host's recent grants at the gate
(`read_host_presentations`).
"""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from gate_protocol.messages import Decision, Direction
from gate_protocol.records import HostPresentation, LastPassage
from sqlalchemy import Integer, String, bindparam, column, text
from sqlmodel import Session, col, select

from central_api.db import UTCDateTime
from central_api.models import AccessEventRecord

__all__ = [
    "LIVE_STATES_SQL",
    "LIVE_STATE_SQL",
    "LiveState",
    "live_state_of",
    "read_host_presentations",
    "read_live_state",
]


@dataclass(frozen=True, slots=True)
class LiveState:
    """What is read fresh for every decision, in one query."""

    data_version: int | None
    replica_version: int
    threat_level: int
    last: LastPassage | None
    # Only for an escorted visitor: the host's grants at the gate within its escort window.
    recent: tuple[HostPresentation, ...] = ()


# The anti-passback filter: the last granted passage through the zone not known to have
# not happened (`passed` false is a grant the person did not use). A NULL person finds none.
_LAST_PASSAGE = """
     FROM access_event JOIN gate ON gate.id = access_event.gate_id
    WHERE access_event.person_id = {person} AND gate.zone_id = {zone}
      AND access_event.decision = 'granted' AND access_event.passed IS NOT false
      AND access_event.occurred_at <= {before}
    ORDER BY access_event.occurred_at DESC LIMIT 1"""

_ONE_PASSAGE = _LAST_PASSAGE.format(person=":person_id", zone=":zone_id", before=":before")

# Composed of the constants above only; every value is a bound parameter.
LIVE_STATE_SQL = f"""
SELECT
  (SELECT version FROM decision_data_version WHERE id = 1) AS data_version,
  site.replica_version,
  site.threat_level,
  (SELECT access_event.direction {_ONE_PASSAGE}) AS last_direction,
  (SELECT access_event.occurred_at {_ONE_PASSAGE}) AS last_at
FROM site
WHERE site.id = :site_id
"""  # noqa: S608
"""The one read every decision makes, for one decision (SQLite and PostgreSQL).

Written out once for both ways it runs alone: through SQLAlchemy (`read_live_state`) and
on the event loop through psycopg. The columns are those of `live_state_of`.
"""

LIVE_STATES_SQL = f"""
SELECT
  asked.i,
  (SELECT version FROM decision_data_version WHERE id = 1) AS data_version,
  site.replica_version,
  site.threat_level,
  passage.direction,
  passage.occurred_at
FROM unnest(%(site_ids)s::text[], %(person_ids)s::text[], %(zone_ids)s::text[],
            %(befores)s::timestamptz[])
     WITH ORDINALITY AS asked(site_id, person_id, zone_id, not_after, i)
JOIN site ON site.id = asked.site_id
LEFT JOIN LATERAL (
  SELECT access_event.direction, access_event.occurred_at
  {_LAST_PASSAGE.format(person="asked.person_id", zone="asked.zone_id", before="asked.not_after")}
) AS passage ON true
"""  # noqa: S608
"""The same read for many decisions at once, in psycopg's placeholders (PostgreSQL only).

Four arrays of one entry per decision; each answered row starts with the entry's 1-based
position, followed by `LIVE_STATE_SQL`'s columns (none for an unknown site). One
statement is one snapshot, taken after every decision in it was asked.
"""

_LIVE_STATE = (
    text(LIVE_STATE_SQL)
    .bindparams(bindparam("before", type_=UTCDateTime))
    .columns(
        column("data_version", Integer),
        column("replica_version", Integer),
        column("threat_level", Integer),
        column("last_direction", String),
        column("last_at", UTCDateTime),
    )
)


def live_state_of(row: Sequence[Any]) -> LiveState:
    """The `LiveState` of a `LIVE_STATE_SQL` row."""
    passage = None
    if row[3] is not None and row[4] is not None:
        at = row[4] if row[4].tzinfo is not None else row[4].replace(tzinfo=UTC)
        passage = LastPassage(direction=Direction(row[3]), at=at.astimezone(UTC))
    return LiveState(
        data_version=None if row[0] is None else int(row[0]),
        replica_version=int(row[1]),
        threat_level=int(row[2]),
        last=passage,
    )


def read_live_state(
    *, session: Session, site_id: str, person_id: str | None, zone_id: str, before: datetime
) -> LiveState:
    """The data version, the site's threat level and replica version, the last passage.

    One round trip: the last passage is the person's last granted passage through the
    zone (anti-passback); the version says whether cached inputs are still current. Run
    on the session's connection: the ORM layer adds nothing to a row of scalars.
    """
    row = (
        session.connection()
        .execute(
            _LIVE_STATE,
            {"site_id": site_id, "person_id": person_id, "zone_id": zone_id, "before": before},
        )
        .one()
    )
    return live_state_of(row)


def read_host_presentations(
    *, session: Session, gate_id: str, host_id: str, window_s: int, now: datetime
) -> tuple[HostPresentation, ...]:
    """The host's granted presentations at `gate_id` (any lane) in the window before `now`.

    From the stored events: the host's event reaches the API over MQTT right after their
    grant, well within an escort window.
    """
    rows = session.exec(
        select(AccessEventRecord.lane, AccessEventRecord.occurred_at).where(
            AccessEventRecord.gate_id == gate_id,
            AccessEventRecord.person_id == host_id,
            AccessEventRecord.decision == Decision.GRANTED,
            col(AccessEventRecord.occurred_at) >= now - timedelta(seconds=window_s),
            col(AccessEventRecord.occurred_at) <= now,
        )
    ).all()
    return tuple(
        HostPresentation(
            person_id=host_id,
            lane=lane,
            at=(at if at.tzinfo is not None else at.replace(tzinfo=UTC)).astimezone(UTC),
        )
        for lane, at in rows
    )
