"""Gates confirm their alarms with the API and send it the ones it lacks over HTTP.

Like events (`central_api.routes.event_confirm`): a broker's PUBACK does not prove the API
stored an alarm, so an agent keeps each alarm until it asks ``POST /api/v1/alarms/known``,
and sends the unknown ones (or, while MQTT is down, all of them) with ``POST /api/v1/alarms``.
The batch goes through the MQTT ingest's own `store_alarm` (once per alarm_id); an alarm that
arrives this way reaches no broker topic, so each new one is told live to the dashboards
on the site alarm topic after the commit.
"""

import logging

from fastapi import APIRouter
from gate_protocol.api_models import AlarmBatch, AlarmBatchResult, AlarmIdAnswer, AlarmIdQuery
from gate_protocol.messages import AlarmNotice, AlarmRaised
from gate_protocol.topics import SiteAlarmTopic
from sqlmodel import Session, col, select

from central_api.bus.notify import queue_after_commit
from central_api.deps import SessionDep
from central_api.errors import ConflictError
from central_api.ingest.store import store_alarm
from central_api.models import Alarm
from central_api.security.auth import GateAgent, GatePrincipal
from central_api.security.site_scope import unscoped

__all__ = ["router", "store_gate_alarms"]

logger = logging.getLogger(__name__)
router = APIRouter(prefix="/api/v1", tags=["events"])


@router.post("/alarms/known", response_model=AlarmIdAnswer)
def post_known_alarms(body: AlarmIdQuery, session: SessionDep, gate: GateAgent) -> AlarmIdAnswer:
    """Which of the queried alarm ids of the calling gate are stored (others stay unrevealed)."""
    statement = select(Alarm.alarm_id).where(
        col(Alarm.alarm_id).in_(set(body.alarm_ids)),
        Alarm.site_id == gate.site_id,
        Alarm.gate_id == gate.gate_id,
    )
    stored = set(session.exec(statement).all())
    return AlarmIdAnswer(known=tuple(i for i in dict.fromkeys(body.alarm_ids) if i in stored))


@router.post("/alarms", response_model=AlarmBatchResult)
def post_alarms(body: AlarmBatch, session: SessionDep, gate: GateAgent) -> AlarmBatchResult:
    """Store a batch of the calling gate's alarms once each (idempotent on alarm_id).

    An alarm_id the API holds for another gate refuses the whole batch (409): a gate key
    speaks only for its own gate's alarms.
    """
    result = store_gate_alarms(session=session, gate=gate, alarms=body.alarms)
    session.commit()
    return result


def store_gate_alarms(
    *, session: Session, gate: GatePrincipal, alarms: tuple[AlarmRaised, ...]
) -> AlarmBatchResult:
    """Store one gate's alarms once each and queue their live notices; the caller commits.

    Raises:
        ConflictError: an alarm_id of the batch is stored for another gate (nothing stored).
    """
    unique = {alarm.alarm_id: alarm for alarm in reversed(alarms)}
    # alarm_id is unique across the API: seen from every site, as a uniqueness check must.
    with unscoped(session):
        foreign = session.exec(
            select(Alarm.alarm_id).where(
                col(Alarm.alarm_id).in_(set(unique)),
                (col(Alarm.gate_id) != gate.gate_id)
                | (col(Alarm.gate_id).is_(None))
                | (col(Alarm.site_id) != gate.site_id),
            )
        ).first()
    if foreign is not None:
        raise ConflictError(f"alarm {foreign} belongs to another gate")
    stored = 0
    for alarm in (a for a in alarms if unique.pop(a.alarm_id, None) is not None):
        if store_alarm(session=session, site_id=gate.site_id, gate_id=gate.gate_id, alarm=alarm):
            stored += 1
            queue_after_commit(
                session=session,
                topic=SiteAlarmTopic(site=gate.site_id),
                message=_notice(gate, alarm),
            )
    if stored:
        logger.info("gate %s sent %d alarms over HTTP the API lacked", gate.gate_id, stored)
    return AlarmBatchResult(stored=stored, duplicates=len(alarms) - stored)


def _notice(gate: GatePrincipal, alarm: AlarmRaised) -> AlarmNotice:
    return AlarmNotice(
        alarm_id=alarm.alarm_id,
        alarm=alarm.alarm,
        gate_id=gate.gate_id,
        lane=alarm.lane,
        at=alarm.at,
        detail=alarm.detail[:1000],
    )
