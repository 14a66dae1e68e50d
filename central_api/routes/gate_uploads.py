"""Gates confirm what the API has stored and send it what it lacks: events and alarms alike.

An agent keeps every event and alarm until the API confirms it, because a broker's PUBACK
is no proof of storage (a broker may acknowledge and then lose a message). It asks
``POST /api/v1/{events,alarms}/known`` about what it published some time ago, and sends the
unknown ones again (or, while MQTT is down, its oldest) with ``POST /api/v1/{events,alarms}``;
the API stores each id once, so a re-send is harmless. Both kinds take one path here; only
their tables and their stores differ. What is stored goes, decoded, to this process's
ingest taps after the commit, so the live dashboard shows it as it shows what came over
MQTT. An alarm that arrives this way reaches no broker topic, so each new one is also told
to every replica's dashboards on the site alarm topic after the commit. Agents in the field
speak these URLs and bodies: they stay as they are.
"""

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from fastapi import APIRouter, Request
from gate_protocol.api_models import (
    AlarmBatch,
    AlarmBatchResult,
    AlarmIdAnswer,
    AlarmIdQuery,
    EventBatch,
    EventBatchResult,
    EventIdAnswer,
    EventIdQuery,
)
from gate_protocol.messages import AccessEvent, AlarmNotice, AlarmRaised
from gate_protocol.topics import SiteAlarmTopic
from sqlmodel import Session, col, select

from central_api.bus.notify import queue_after_commit
from central_api.deps import SessionDep
from central_api.errors import ConflictError, InvalidError
from central_api.ingest.store import IngestResult, RejectedMessage, store_alarm, store_events
from central_api.ingest.taps import Ingested, IngestTaps
from central_api.models import AccessEventRecord, Alarm
from central_api.security.auth import GateAgent, GatePrincipal
from central_api.security.site_scope import unscoped

__all__ = ["router"]

logger = logging.getLogger(__name__)
router = APIRouter(prefix="/api/v1", tags=["events"])


@dataclass(frozen=True, slots=True)
class _Kind:
    """What differs between events and alarms here: the table and how a batch is stored."""

    noun: str
    table: type[AccessEventRecord] | type[Alarm]
    id_column: Any
    id_of: Callable[[Any], str]
    store: Callable[[Session, GatePrincipal, Sequence[Any]], IngestResult]


def _store_events(
    session: Session, gate: GatePrincipal, events: Sequence[AccessEvent]
) -> IngestResult:
    try:
        return store_events(
            session=session, site_id=gate.site_id, gate_id=gate.gate_id, events=events
        )
    except RejectedMessage as exc:
        raise InvalidError(str(exc)) from None


@router.post("/events/known", response_model=EventIdAnswer)
def post_known_events(body: EventIdQuery, session: SessionDep, gate: GateAgent) -> EventIdAnswer:
    """Which of the queried event ids of the calling gate are stored (others stay unrevealed)."""
    return EventIdAnswer(known=_known(_EVENTS, session, gate, body.event_ids))


@router.post("/alarms/known", response_model=AlarmIdAnswer)
def post_known_alarms(body: AlarmIdQuery, session: SessionDep, gate: GateAgent) -> AlarmIdAnswer:
    """Which of the queried alarm ids of the calling gate are stored (others stay unrevealed)."""
    return AlarmIdAnswer(known=_known(_ALARMS, session, gate, body.alarm_ids))


@router.post("/events", response_model=EventBatchResult)
def post_events(
    body: EventBatch, session: SessionDep, gate: GateAgent, request: Request
) -> EventBatchResult:
    """Store a batch of the calling gate's events once each (idempotent on event_id)."""
    result = _store(_EVENTS, session, gate, body.events, request)
    return EventBatchResult(stored=result.stored, duplicates=result.duplicates)


@router.post("/alarms", response_model=AlarmBatchResult)
def post_alarms(
    body: AlarmBatch, session: SessionDep, gate: GateAgent, request: Request
) -> AlarmBatchResult:
    """Store a batch of the calling gate's alarms once each (idempotent on alarm_id).

    An alarm_id the API holds for another gate refuses the whole batch (409): a gate key
    speaks only for its own gate's alarms.
    """
    result = _store(_ALARMS, session, gate, body.alarms, request)
    return AlarmBatchResult(stored=result.stored, duplicates=result.duplicates)


def _known(
    kind: _Kind, session: Session, gate: GatePrincipal, ids: Sequence[str]
) -> tuple[str, ...]:
    """The queried ids the calling gate has stored, in the order asked, each once."""
    # The id is unique (indexed), so this is one index lookup per id; the gate filter keeps
    # a gate from learning anything about another gate's messages.
    statement = select(kind.id_column).where(
        col(kind.id_column).in_(set(ids)),
        kind.table.site_id == gate.site_id,
        kind.table.gate_id == gate.gate_id,
    )
    stored = set(session.exec(statement).all())
    return tuple(i for i in dict.fromkeys(ids) if i in stored)


def _store(
    kind: _Kind, session: Session, gate: GatePrincipal, messages: Sequence[Any], request: Request
) -> IngestResult:
    """Store a batch, commit, and hand what was new to this process's ingest taps."""
    result = kind.store(session, gate, messages)
    session.commit()
    new = set(result.stored_ids)
    taps: IngestTaps | None = getattr(getattr(request.app.state, "ingest", None), "taps", None)
    if taps is not None and new:
        fresh = {kind.id_of(m): m for m in messages if kind.id_of(m) in new}
        taps.ingested([Ingested(gate.site_id, gate.gate_id, m) for m in fresh.values()])
    return result


def _store_alarms(
    session: Session, gate: GatePrincipal, alarms: Sequence[AlarmRaised]
) -> IngestResult:
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
    stored: list[str] = []
    for alarm in (a for a in alarms if unique.pop(a.alarm_id, None) is not None):
        if store_alarm(session=session, site_id=gate.site_id, gate_id=gate.gate_id, alarm=alarm):
            stored.append(alarm.alarm_id)
            queue_after_commit(
                session=session,
                topic=SiteAlarmTopic(site=gate.site_id),
                message=_notice(gate, alarm),
            )
    if stored:
        logger.info("gate %s sent %d alarms over HTTP the API lacked", gate.gate_id, len(stored))
    return IngestResult(len(stored), len(alarms) - len(stored), tuple(stored))


_EVENTS = _Kind(
    "events",
    AccessEventRecord,
    AccessEventRecord.event_id,
    lambda event: event.event_id,
    _store_events,
)
_ALARMS = _Kind("alarms", Alarm, Alarm.alarm_id, lambda alarm: alarm.alarm_id, _store_alarms)


def _notice(gate: GatePrincipal, alarm: AlarmRaised) -> AlarmNotice:
    return AlarmNotice(
        alarm_id=alarm.alarm_id,
        alarm=alarm.alarm,
        gate_id=gate.gate_id,
        lane=alarm.lane,
        at=alarm.at,
        detail=alarm.detail[:1000],
    )
