"""Alarms the API raises itself (watchlist hits, insider patterns), stored like any other.

Each one is also told on the site's alarm topic once its transaction commits, so that every
API replica's live dashboard shows it at once, not only the replica that raised it.
"""

import logging
from datetime import datetime

from gate_protocol.messages import AlarmKind, AlarmNotice, new_id
from gate_protocol.topics import SiteAlarmTopic, TopicError
from pydantic import ValidationError
from sqlmodel import Session

from central_api.bus.notify import queue_after_commit
from central_api.db import utc_now
from central_api.metrics import ALARMS_TOTAL
from central_api.models import Alarm

__all__ = ["alarm_notice", "raise_alarm"]

logger = logging.getLogger(__name__)


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
    """Add an alarm with its explanation to the caller's transaction (told after commit)."""
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
    try:
        queue_after_commit(
            session=session, topic=SiteAlarmTopic(site=site_id), message=alarm_notice(alarm)
        )
    except (TopicError, ValidationError) as exc:
        # Stored all the same: other replicas' pages show it at their next poll.
        logger.warning("alarm %s cannot be told live: %s", alarm.alarm_id, exc)
    return alarm


def alarm_notice(alarm: Alarm) -> AlarmNotice:
    """The site-topic message of a stored alarm."""
    return AlarmNotice(
        alarm_id=alarm.alarm_id,
        alarm=alarm.kind,
        gate_id=alarm.gate_id,
        person_id=alarm.person_id,
        lane=alarm.lane,
        at=alarm.raised_at,
        detail=alarm.detail,
    )
