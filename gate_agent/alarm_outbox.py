"""Durable alarms: every AlarmRaised the agent raises is on disk before it is published.

Alarms live in the event outbox's SQLite file (WAL, ``synchronous=FULL``), in their own
table, in the order they were raised. `AlarmSender` hands them to MQTT (QoS 1) a window at a
time and deletes each on its PUBACK; after a restart or a broker outage the rest are
published again in order. The API stores an alarm once per ``alarm_id``, so a re-publish is
harmless. The table is bounded: an alarm beyond it is refused, counted and logged.

The API has no HTTP route that accepts or confirms alarms from a gate, so the broker's PUBACK
is the confirmation here (events wait for the API's own word; see `gate_agent.outbox`).
"""

from __future__ import annotations

import logging
import sqlite3
from dataclasses import dataclass
from typing import Protocol

from gate_protocol.messages import AlarmRaised, encode_message

__all__ = ["AlarmOutbox", "AlarmSender", "PendingAlarm"]

_log = logging.getLogger(__name__)
_SCHEMA = """
CREATE TABLE IF NOT EXISTS alarms (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    alarm_id TEXT NOT NULL UNIQUE,
    payload TEXT NOT NULL
);
"""


@dataclass(frozen=True, slots=True)
class PendingAlarm:
    """An alarm waiting for its PUBACK, with its place in the order it was raised."""

    seq: int
    alarm: AlarmRaised


class AlarmOutbox:
    """The alarm table of the outbox database (used from the agent loop's thread only).

    Args:
        db: The outbox's connection (autocommit; each write is its own transaction).
        max_alarms: Alarms waiting for their PUBACK, at most.
    """

    def __init__(self, db: sqlite3.Connection, *, max_alarms: int) -> None:
        self._db = db
        self._db.executescript(_SCHEMA)
        self.max_alarms = max_alarms
        self._count = int(self._db.execute("SELECT COUNT(*) FROM alarms").fetchone()[0])

    @property
    def waiting(self) -> int:
        """Alarms on disk not yet acknowledged by the broker."""
        return self._count

    def append(self, alarm: AlarmRaised) -> bool:
        """Commit an alarm; False (nothing written) when the table is full."""
        if self._count >= self.max_alarms:
            return False
        cursor = self._db.execute(
            "INSERT OR IGNORE INTO alarms (alarm_id, payload) VALUES (?, ?)",
            (alarm.alarm_id, alarm.model_dump_json()),
        )
        self._count += cursor.rowcount
        return True

    def pending(self, *, limit: int, after_seq: int = 0) -> list[PendingAlarm]:
        """The oldest alarms with a sequence number above `after_seq`."""
        rows = self._db.execute(
            "SELECT seq, payload FROM alarms WHERE seq > ? ORDER BY seq LIMIT ?",
            (after_seq, limit),
        ).fetchall()
        return [PendingAlarm(int(s), AlarmRaised.model_validate_json(p)) for s, p in rows]

    def delete(self, seq: int) -> bool:
        """Forget an acknowledged alarm; False if it was not there."""
        cursor = self._db.execute("DELETE FROM alarms WHERE seq = ?", (seq,))
        self._count -= cursor.rowcount
        return cursor.rowcount > 0


class Publisher(Protocol):
    """Publishes at QoS 1 and returns the message id (None: refused)."""

    def publish(self, topic: str, payload: bytes, *, retain: bool = False) -> int | None:
        """Publish one message."""
        ...


class AlarmSender:
    """Publishes stored alarms in order and deletes each on its PUBACK.

    Args:
        alarms: The alarm table.
        publisher: The MQTT link.
        topic: The gate's alarm topic.
        window: Alarms handed to MQTT and not yet acknowledged, at most.
    """

    def __init__(
        self, *, alarms: AlarmOutbox, publisher: Publisher, topic: str, window: int = 20
    ) -> None:
        self._alarms = alarms
        self._publisher = publisher
        self._topic = topic
        self._window = window
        self._seq_by_mid: dict[int, int] = {}
        self._highest_handed = 0

    @property
    def in_flight(self) -> int:
        """Alarms handed to MQTT and not yet acknowledged."""
        return len(self._seq_by_mid)

    def pump_mqtt(self) -> int:
        """Hand the next stored alarms to MQTT, up to the window; returns how many."""
        room = self._window - len(self._seq_by_mid)
        if room <= 0 or not self._alarms.waiting:
            return 0
        handed = 0
        for pending in self._alarms.pending(limit=room, after_seq=self._highest_handed):
            mid = self._publisher.publish(self._topic, encode_message(pending.alarm))
            if mid is None:
                break
            self._seq_by_mid[mid] = pending.seq
            self._highest_handed = pending.seq
            handed += 1
        return handed

    def on_puback(self, mid: int) -> bool:
        """Delete the alarm behind this message id; False if the mid is not an alarm."""
        seq = self._seq_by_mid.pop(mid, None)
        if seq is None:
            return False
        self._alarms.delete(seq)
        return True
