"""An alarm's context on one screen: the alarm, the last events at its gate, its site's photo rule.

What an operator needs to judge an alarm without leaving it: who passed that gate just
before (and just after, while the door was still held), whether the site lets operators
see a person's enrollment photo, and whether a camera still is kept (the route asks
`central_api.stills`, a room above this one; without one the screen says so rather than
leaving a blank).
"""

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlmodel import Session, col, select

from central_api.dashboard.queries import load_people
from central_api.dashboard.views import alarm_view, event_view
from central_api.errors import NotFoundError
from central_api.models import AccessEventRecord, Alarm, Site

__all__ = ["AFTER_ALARM", "CONTEXT_EVENTS", "AlarmContext", "alarm_context"]

CONTEXT_EVENTS = 10
"""How many of the gate's events the screen lists."""

AFTER_ALARM = timedelta(minutes=2)
"""Events this long after the alarm still belong to it (a door held, a tailgater)."""


@dataclass(frozen=True, slots=True)
class AlarmContext:
    """The alarm as the dashboard shows it, its gate's last events and the photo rule."""

    alarm: dict[str, Any]
    events: list[dict[str, Any]]
    photos_shown: bool
    still_kept: bool = False


def _gate_events(session: Session, alarm: Alarm) -> list[dict[str, Any]]:
    if alarm.gate_id is None:
        return []  # a site-wide alarm (insider pattern): no one gate to look at
    records = session.exec(
        select(AccessEventRecord)
        .where(
            AccessEventRecord.gate_id == alarm.gate_id,
            col(AccessEventRecord.occurred_at) <= alarm.raised_at + AFTER_ALARM,
        )
        .order_by(col(AccessEventRecord.occurred_at).desc(), col(AccessEventRecord.id).desc())
        .limit(CONTEXT_EVENTS)
    ).all()
    people = load_people(session=session, person_ids=[r.person_id for r in records if r.person_id])
    return [event_view(r, person=people.get(r.person_id) if r.person_id else None) for r in records]


def alarm_context(*, session: Session, alarm_id: str) -> AlarmContext:
    """The context of `alarm_id` (another site's alarm is hidden by the scoped session).

    Raises:
        NotFoundError: no such alarm (for this user).
    """
    alarm = session.exec(select(Alarm).where(Alarm.alarm_id == alarm_id)).first()
    if alarm is None:
        raise NotFoundError(f"alarm {alarm_id!r} not found")
    people = load_people(session=session, person_ids=[alarm.person_id] if alarm.person_id else [])
    site = session.get(Site, alarm.site_id)
    return AlarmContext(
        alarm=alarm_view(alarm, person=people.get(alarm.person_id or "")),
        events=_gate_events(session, alarm),
        photos_shown=bool(site and site.show_enrolled_photos),
    )
