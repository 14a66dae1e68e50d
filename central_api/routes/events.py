"""Events and alarms for operators: read events, read and acknowledge alarms.

The port authority (no site) reads every site's events and alarms; it acknowledges none.

Gates send theirs through `central_api.routes.gate_uploads`.
"""

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Query
from sqlmodel import col, select

from central_api.alarms.ack import acknowledge_alarm as acknowledge
from central_api.deps import SessionDep
from central_api.errors import InvalidError
from central_api.models import AccessEventPublic, AccessEventRecord, Alarm, AlarmAck, AlarmPublic
from central_api.routes.params import IdPath
from central_api.security.auth import OperatorUser, WatchUser

__all__ = ["router"]

router = APIRouter(prefix="/api/v1", tags=["events"])


@router.get("/events", response_model=list[AccessEventPublic])
def list_events(
    session: SessionDep,
    user: WatchUser,
    gate_id: Annotated[str | None, Query(max_length=64)] = None,
    person_id: Annotated[str | None, Query(max_length=64)] = None,
    since: datetime | None = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> list[AccessEventRecord]:
    """Latest events first, optionally for one gate or person, after `since`."""
    statement = select(AccessEventRecord).order_by(col(AccessEventRecord.occurred_at).desc())
    if gate_id:
        statement = statement.where(AccessEventRecord.gate_id == gate_id)
    if person_id:
        statement = statement.where(AccessEventRecord.person_id == person_id)
    if since is not None:
        if since.tzinfo is None:
            raise InvalidError("since must carry a time zone (e.g. 2026-01-01T00:00:00Z)")
        statement = statement.where(col(AccessEventRecord.occurred_at) >= since)
    return list(session.exec(statement.limit(limit)).all())


@router.get("/alarms", response_model=list[AlarmPublic])
def list_alarms(
    session: SessionDep,
    user: WatchUser,
    open_only: bool = True,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> list[Alarm]:
    """Latest alarms first; by default only those not yet acknowledged."""
    statement = select(Alarm).order_by(col(Alarm.raised_at).desc()).limit(limit)
    if open_only:
        statement = statement.where(col(Alarm.acknowledged_at).is_(None))
    return list(session.exec(statement).all())


@router.post("/alarms/{alarm_id}/ack", response_model=AlarmPublic)
def acknowledge_alarm(
    alarm_id: IdPath,
    body: AlarmAck,
    session: SessionDep,
    user: OperatorUser,
) -> Alarm:
    """Acknowledge an alarm with a comment (audited; every replica's dashboard is told)."""
    return acknowledge(session=session, alarm_id=alarm_id, comment=body.comment, user=user)
