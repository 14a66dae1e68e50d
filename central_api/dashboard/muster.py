"""Who is on site now, per zone, from passages (granted events where somebody passed).

A person is in a zone when their latest passage through one of that zone's gates was an
entry. Passages older than the look-back window are ignored, so somebody whose exit was
never recorded drops off the list after that long instead of staying forever.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from gate_protocol.messages import Decision, Direction
from sqlmodel import Session, col, select

from central_api.dashboard.queries import load_people
from central_api.models import AccessEventRecord, Gate, Zone

__all__ = ["MusterEntry", "Passage", "fold_presence", "load_muster", "muster_rows"]

DEFAULT_LOOKBACK = timedelta(days=14)


@dataclass(frozen=True, slots=True)
class Passage:
    """One person through one gate of a zone, one way."""

    person_id: str
    zone_id: str
    gate_id: str
    direction: Direction
    at: datetime
    event_id: str = ""


@dataclass(frozen=True, slots=True)
class MusterEntry:
    """A person present in a zone since their entry."""

    zone_id: str
    zone_name: str
    person_id: str
    display_name: str
    company: str | None
    gate_id: str
    since: datetime

    def as_json(self) -> dict[str, Any]:
        """JSON for the page."""
        return {
            "zone_id": self.zone_id,
            "zone_name": self.zone_name,
            "person_id": self.person_id,
            "display_name": self.display_name,
            "company": self.company,
            "gate_id": self.gate_id,
            "since": self.since.isoformat(),
        }


def fold_presence(passages: Iterable[Passage]) -> list[Passage]:
    """The entries that are each person's latest passage in their zone (in any input order)."""
    latest: dict[tuple[str, str], Passage] = {}
    for passage in passages:
        key = (passage.person_id, passage.zone_id)
        current = latest.get(key)
        # Ties (same instant) go to the later event id so the result does not depend on order.
        if current is None or (passage.at, passage.event_id) > (current.at, current.event_id):
            latest[key] = passage
    present = [p for p in latest.values() if p.direction is Direction.ENTRY]
    return sorted(present, key=lambda p: (p.zone_id, p.at, p.person_id))


def load_muster(
    *,
    session: Session,
    now: datetime,
    site_id: str | None = None,
    lookback: timedelta = DEFAULT_LOOKBACK,
) -> list[MusterEntry]:
    """Everybody on site now, by zone then entry time."""
    statement = (
        select(AccessEventRecord, Gate.zone_id)
        .join(Gate, col(Gate.id) == col(AccessEventRecord.gate_id))
        .where(
            AccessEventRecord.decision == Decision.GRANTED.value,
            col(AccessEventRecord.passed).is_(True),
            col(AccessEventRecord.person_id).is_not(None),
            col(AccessEventRecord.occurred_at) > now - lookback,
        )
    )
    if site_id:
        statement = statement.where(AccessEventRecord.site_id == site_id)
    passages = [
        Passage(
            person_id=str(event.person_id),
            zone_id=zone_id,
            gate_id=event.gate_id,
            direction=Direction(event.direction),
            at=event.occurred_at,
            event_id=event.event_id,
        )
        for event, zone_id in session.exec(statement).all()
    ]
    present = fold_presence(passages)
    people = load_people(session=session, person_ids=[p.person_id for p in present])
    zones = {z.id: z.name for z in session.exec(select(Zone)).all()}
    return [
        MusterEntry(
            zone_id=p.zone_id,
            zone_name=zones.get(p.zone_id, p.zone_id),
            person_id=p.person_id,
            display_name=people[p.person_id].display_name if p.person_id in people else "?",
            company=people[p.person_id].company if p.person_id in people else None,
            gate_id=p.gate_id,
            since=p.at,
        )
        for p in present
    ]


def muster_rows(entries: Iterable[MusterEntry]) -> list[list[object]]:
    """The CSV rows of a muster list (header first)."""
    rows: list[list[object]] = [
        ["zone", "zone_name", "person_id", "name", "company", "entry_gate", "since_utc"]
    ]
    rows.extend(
        [
            e.zone_id,
            e.zone_name,
            e.person_id,
            e.display_name,
            e.company or "",
            e.gate_id,
            e.since.isoformat(),
        ]
        for e in entries
    )
    return rows
