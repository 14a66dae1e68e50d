"""One alarm per pattern occurrence: a pattern's alarm is keyed by the start of its detail.

The rogue-company and corruption patterns count things (drivers on a plate, companies of a
driver, reused passes, overrides) that keep growing after the threshold is crossed; each
further booking or denial must not raise the same alarm again. The key is the detail's
first words (which plate, which company, which operator), so the dedup needs no column
of its own and an operator reads the same key on the dashboard.
"""

from datetime import datetime

from gate_protocol.messages import AlarmKind
from sqlmodel import Session, col, select

from central_api.alarms.raise_alarm import raise_alarm
from central_api.models import Alarm

__all__ = ["raise_once"]


def raise_once(
    *,
    session: Session,
    site_id: str,
    key: str,
    since: datetime,
    detail: str,
    gate_id: str | None = None,
    person_id: str | None = None,
    lane: int | None = None,
    at: datetime | None = None,
) -> int:
    """Raise an insider alarm whose detail starts with `key`, unless one was since `since`.

    `detail` is appended to `key`. Returns 1 when an alarm was raised, else 0.
    """
    earlier = session.exec(
        select(Alarm.id)
        .where(
            Alarm.site_id == site_id,
            Alarm.kind == AlarmKind.INSIDER_PATTERN,
            col(Alarm.raised_at) >= since,
            col(Alarm.detail).startswith(key, autoescape=True),
        )
        .limit(1)
    ).first()
    if earlier is not None:
        return 0
    raise_alarm(
        session=session,
        site_id=site_id,
        gate_id=gate_id,
        kind=AlarmKind.INSIDER_PATTERN,
        person_id=person_id,
        lane=lane,
        at=at,
        detail=f"{key}{detail}",
    )
    return 1
