"""Acknowledging an alarm: once, with a comment, audited, and told to every API replica.

The update is conditional (``WHERE acknowledged_at IS NULL``), so two operators on two
replicas acknowledging the same alarm at once get one success and one conflict, never two
audit entries. After the commit the acknowledgement goes out on the site's alarm topic, so
the alarm leaves every replica's live dashboard at once.
"""

import logging
from datetime import datetime

from gate_protocol.messages import AlarmAcknowledged
from gate_protocol.topics import SiteAlarmTopic, TopicError
from pydantic import ValidationError
from sqlalchemy import update
from sqlmodel import Session, col, select

from central_api.audit.chain import append_audit
from central_api.bus.notify import queue_after_commit
from central_api.db import utc_now
from central_api.errors import ConflictError, NotFoundError
from central_api.models import Alarm
from central_api.security.auth import UserPrincipal

__all__ = ["acknowledge_alarm", "alarm_acknowledged", "mark_acknowledged"]

logger = logging.getLogger(__name__)


def acknowledge_alarm(
    *, session: Session, alarm_id: str, comment: str, user: UserPrincipal
) -> Alarm:
    """Acknowledge `alarm_id` as `user` and commit.

    Raises:
        NotFoundError: no such alarm.
        ConflictError: it is already acknowledged (by whom is in the message).
    """
    alarm = session.exec(select(Alarm).where(Alarm.alarm_id == alarm_id)).first()
    if alarm is None:
        raise NotFoundError(f"alarm {alarm_id!r} not found")
    if not mark_acknowledged(session=session, alarm=alarm, comment=comment, user=user):
        session.rollback()
        session.refresh(alarm)
        raise ConflictError(f"alarm already acknowledged by {alarm.acknowledged_by}")
    session.commit()
    session.refresh(alarm)
    return alarm


def mark_acknowledged(*, session: Session, alarm: Alarm, comment: str, user: UserPrincipal) -> bool:
    """Acknowledge `alarm` in the caller's transaction: audited, told after the commit.

    Returns False (and changes nothing) when it was acknowledged meanwhile; the caller
    rolls back and commits.
    """
    now = utc_now()
    done = session.exec(
        update(Alarm)
        .where(col(Alarm.id) == alarm.id, col(Alarm.acknowledged_at).is_(None))
        .values(acknowledged_by=user.username, acknowledged_at=now, ack_comment=comment)
    )
    if done.rowcount != 1:
        return False
    append_audit(
        session=session,
        actor=user.actor,
        action="alarm.ack",
        target=f"alarm:{alarm.alarm_id}",
        after={"kind": str(alarm.kind), "gate": alarm.gate_id, "comment": comment},
    )
    try:
        queue_after_commit(
            session=session,
            topic=SiteAlarmTopic(site=alarm.site_id),
            message=alarm_acknowledged(
                alarm_id=alarm.alarm_id, user=user.username, comment=comment, at=now
            ),
        )
    except (TopicError, ValidationError) as exc:
        logger.warning("acknowledgement of %s cannot be told live: %s", alarm.alarm_id, exc)
    return True


def alarm_acknowledged(
    *, alarm_id: str, user: str, comment: str, at: datetime
) -> AlarmAcknowledged:
    """The site-topic message of an acknowledgement."""
    return AlarmAcknowledged(
        alarm_id=alarm_id, acknowledged_by=user, acknowledged_at=at, comment=comment
    )
