"""Publish what a commit changed, right after the commit (sync notices, open commands, alarms).

Service functions call `queue_after_commit`; the listener below publishes once the
transaction is durable, so a gate never fetches a version that is not there yet, and a
rolled-back change publishes nothing. A session publishes through the bus attached to it
(request sessions), else through its engine's bus (`attach_engine`: the ingest thread's
sessions, whose insider-pattern alarms must be told too). The engine's local taps see every
released message as well, so this process's live dashboard shows it without the broker.
"""

import logging
import weakref
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from gate_protocol.messages import encode_message
from gate_protocol.topics import Topic, build_topic
from sqlalchemy import Engine, event
from sqlalchemy.orm import Session as OrmSession
from sqlmodel import Session

from central_api.bus.mqtt import MessageBus

__all__ = ["LocalTap", "attach_bus", "attach_engine", "queue_after_commit"]

logger = logging.getLogger(__name__)
_BUS_KEY = "portgate_bus"
_PENDING_KEY = "portgate_pending"

LocalTap = Callable[[str, bytes], None]


@dataclass
class _EngineHooks:
    bus: MessageBus | None = None
    tap: LocalTap | None = None


_ENGINES: "weakref.WeakKeyDictionary[Engine, _EngineHooks]" = weakref.WeakKeyDictionary()


def attach_bus(session: Session, bus: MessageBus) -> Session:
    """Let `session` publish through `bus` after its commits; returns the session."""
    session.info[_BUS_KEY] = bus
    return session


def attach_engine(
    *, engine: Engine, bus: MessageBus | None = None, tap: LocalTap | None = None
) -> None:
    """Publish for `engine`'s sessions that have no bus of their own; hand releases to `tap`.

    Args:
        engine: The app's engine.
        bus: The bus of sessions without one (e.g. the ingest thread's).
        tap: Also gets every message released after a commit on `engine`, as
            ``(topic, payload)``, whichever bus published it (the live dashboard). It must
            not block.

    One app per engine: a later call for the same engine replaces the earlier bus and tap.
    """
    hooks = _ENGINES.setdefault(engine, _EngineHooks())
    hooks.bus, hooks.tap = bus, tap


def _hooks_of(session: OrmSession) -> _EngineHooks | None:
    bind = session.bind
    if bind is None:
        return None
    return _ENGINES.get(bind.engine)


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
    if not pending:
        return
    hooks = _hooks_of(session)
    bus: MessageBus | None = session.info.get(_BUS_KEY) or (hooks.bus if hooks else None)
    tap = hooks.tap if hooks else None
    for topic, message, retain in pending.values():
        try:
            if bus is not None:
                bus.publish(topic, message, retain=retain)
        except Exception:  # a broker hiccup must not fail a committed request
            logger.exception("publishing after commit failed")
        if tap is not None:
            try:
                tap(build_topic(topic), encode_message(message))
            except Exception:  # a live-view problem must not fail a committed request
                logger.exception("local tap after commit failed")


@event.listens_for(OrmSession, "after_rollback")
def _drop_pending(session: OrmSession) -> None:
    session.info.pop(_PENDING_KEY, None)
