"""Alarms the API raises itself (watchlist hits, insider patterns), stored like any other."""

from datetime import datetime

from gate_protocol.messages import AlarmKind, new_id
from sqlmodel import Session

from central_api.db import utc_now
from central_api.metrics import ALARMS_TOTAL
from central_api.models import Alarm

__all__ = ["raise_alarm"]


def raise_alarm(
    *,
    session: Session,
    site_id: str,
    gate_id: str | None,
    kind: AlarmKind,
    detail: str,
    person_id: str | None = None,
    lane: int | None = None,
    at: datetime | None = None,
) -> Alarm:
    """Add an alarm with its explanation to the caller's transaction."""
    alarm = Alarm(
        alarm_id=new_id(),
        site_id=site_id,
        gate_id=gate_id,
        kind=kind,
        lane=lane,
        raised_at=at or utc_now(),
        detail=detail[:1000],
        person_id=person_id,
    )
    session.add(alarm)
    ALARMS_TOTAL.labels(kind=kind.value).inc()
    return alarm
