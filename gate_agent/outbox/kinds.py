"""The two kinds of outbox row: access events and alarms, one design with its names filled in.

An `OutboxKind` is everything that differs between them: the table and id column that hold
them on disk, the counter their sequence numbers come from, how a row's payload is read
back and the HTTP wire that stores them at the API. Everything else (the durable table,
the sender, the confirmation) is one code path for both.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Generic, TypeVar

from gate_protocol.messages import AccessEvent, AlarmRaised

from gate_agent.links.api_client import ALARM_UPLOAD, EVENT_UPLOAD, Upload

__all__ = ["ALARMS", "EVENTS", "OutboxKind"]

M = TypeVar("M", AccessEvent, AlarmRaised)


@dataclass(frozen=True, slots=True)
class OutboxKind(Generic[M]):
    """What the outbox needs to know about one kind of message.

    Attributes:
        table: The SQLite table of its rows.
        id_column: The column of its domain id (unique; the API stores each id once).
        counter: The row of the ``counters`` table its sequence numbers come from.
        read: Rebuilds a message from its stored JSON.
        id_of: The message's domain id.
        upload: How it reaches the API over HTTP.
    """

    table: str
    id_column: str
    counter: str
    read: Callable[[str], M]
    id_of: Callable[[M], str]
    upload: Upload[M]

    @property
    def noun(self) -> str:
        """The kind in log lines ("events", "alarms")."""
        return self.upload.noun


EVENTS: OutboxKind[AccessEvent] = OutboxKind(
    table="events",
    id_column="event_id",
    counter="seq",  # the name from before alarms had a counter of their own
    read=AccessEvent.model_validate_json,
    id_of=lambda event: event.event_id,
    upload=EVENT_UPLOAD,
)
ALARMS: OutboxKind[AlarmRaised] = OutboxKind(
    table="alarms",
    id_column="alarm_id",
    counter="alarms",
    read=AlarmRaised.model_validate_json,
    id_of=lambda alarm: alarm.alarm_id,
    upload=ALARM_UPLOAD,
)
