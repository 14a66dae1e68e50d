"""Gates ask which of their events the API has stored (a broker PUBACK is not that proof).

An agent keeps every event until the API confirms it: the broker may acknowledge an event
and then lose it (a crash that wipes the API's persistent session, say). The agent asks here
for the events it published some time ago and sends the unknown ones again over HTTP.
"""

from fastapi import APIRouter
from gate_protocol.api_models import EventIdAnswer, EventIdQuery
from sqlmodel import col, select

from central_api.deps import SessionDep
from central_api.models import AccessEventRecord
from central_api.security.auth import GateAgent

__all__ = ["router"]

router = APIRouter(prefix="/api/v1", tags=["events"])


@router.post("/events/known", response_model=EventIdAnswer)
def post_known_events(body: EventIdQuery, session: SessionDep, gate: GateAgent) -> EventIdAnswer:
    """Which of the queried event ids of the calling gate are stored (others stay unrevealed)."""
    # event_id is unique (indexed), so this is one index lookup per id; the gate filter keeps
    # a gate from learning anything about another gate's events.
    statement = select(AccessEventRecord.event_id).where(
        col(AccessEventRecord.event_id).in_(set(body.event_ids)),
        AccessEventRecord.site_id == gate.site_id,
        AccessEventRecord.gate_id == gate.gate_id,
    )
    stored = set(session.exec(statement).all())
    return EventIdAnswer(known=tuple(i for i in dict.fromkeys(body.event_ids) if i in stored))
