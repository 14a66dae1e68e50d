"""Publish what a commit changed, right after the commit (sync notices, open commands).

Service functions call `queue_after_commit`; the listener below publishes once the
transaction is durable, so a gate never fetches a version that is not there yet, and a
rolled-back change publishes nothing.
"""

import logging
from typing import Any

from gate_protocol.topics import Topic
from sqlalchemy import event
from sqlalchemy.orm import Session as OrmSession
from sqlmodel import Session

from central_api.mqtt_bus import MessageBus

__all__ = ["attach_bus", "queue_after_commit"]

logger = logging.getLogger(__name__)
_BUS_KEY = "portgate_bus"
_PENDING_KEY = "portgate_pending"


def attach_bus(session: Session, bus: MessageBus) -> Session:
    """Let `session` publish through `bus` after its commits; returns the session."""
    session.info[_BUS_KEY] = bus
    return session


def queue_after_commit(
    *, session: Session, topic: Topic, message: Any, retain: bool = False, key: str | None = None
) -> None:
    """Publish `message` on `topic` when the session's transaction commits.

    Args:
        session: The session whose commit releases the message.
        topic: Where to publish.
        message: A gate_protocol message model.
        retain: Retained publish (sync notices).
        key: Messages with the same key collapse to the last one (e.g. one notice per site).
    """
    pending: dict[object, tuple[Topic, Any, bool]] = session.info.setdefault(_PENDING_KEY, {})
    pending[key if key is not None else object()] = (topic, message, retain)


@event.listens_for(OrmSession, "after_commit")
def _publish_pending(session: OrmSession) -> None:
    pending = session.info.pop(_PENDING_KEY, None)
    bus: MessageBus | None = session.info.get(_BUS_KEY)
    if not pending or bus is None:
        return
    for topic, message, retain in pending.values():
        try:
            bus.publish(topic, message, retain=retain)
        except Exception:  # a broker hiccup must not fail a committed request
            logger.exception("publishing after commit failed")


@event.listens_for(OrmSession, "after_rollback")
def _drop_pending(session: OrmSession) -> None:
    session.info.pop(_PENDING_KEY, None)
