"""Durable alarms: every AlarmRaised the agent raises stays on disk until the API has it.

Alarms live in the event outbox's SQLite file (WAL, ``synchronous=FULL``), in their own
table, in the order they were raised, and go the way events go (`gate_agent.outbox.sender`):
`AlarmSender` hands them to MQTT (QoS 1) a window at a time and marks each *published* on its
PUBACK. A PUBACK only says the broker has it, so the row stays until the API confirms it: the
confirm worker (`gate_agent.outbox.confirm`) asks ``POST /api/v1/alarms/known`` about alarms
published over the grace period ago and sends the unknown ones again over HTTP; what the API
stores is deleted. While MQTT has been down a while, `replay_http` sends the oldest alarms
over ``POST /api/v1/alarms`` instead, and the API's answer confirms them. The API stores an
alarm once per ``alarm_id``, so a re-send is harmless. The table is bounded: an alarm beyond
it is refused, counted and logged. A table from before confirmation is upgraded in place.
"""

from __future__ import annotations

import logging
import sqlite3
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Protocol

from gate_protocol.api_models import AlarmBatchResult
from gate_protocol.messages import AlarmRaised, Message

from gate_agent.links.api_client import ApiError
from gate_agent.outbox.publish_window import Publisher, PublishWindow

__all__ = ["AlarmApi", "AlarmOutbox", "AlarmSender", "PendingAlarm"]

_log = logging.getLogger(__name__)
_SCHEMA = """
CREATE TABLE IF NOT EXISTS alarms (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    alarm_id TEXT NOT NULL UNIQUE,
    payload TEXT NOT NULL,
    published_at REAL
);
"""


@dataclass(frozen=True, slots=True)
class PendingAlarm:
    """An alarm the API has not confirmed yet, with its place in the order it was raised."""

    seq: int
    alarm: AlarmRaised


def _pending(rows: Iterable[tuple[int, str]]) -> list[PendingAlarm]:
    return [PendingAlarm(int(s), AlarmRaised.model_validate_json(p)) for s, p in rows]


class AlarmOutbox:
    """The alarm table of the outbox database (used from the agent loop's thread only).

    Args:
        db: The outbox's connection (autocommit; each write is its own transaction).
        max_alarms: Alarms not yet confirmed by the API, at most.
    """

    def __init__(self, db: sqlite3.Connection, *, max_alarms: int) -> None:
        self._db = db
        self._db.executescript(_SCHEMA)
        columns = {row[1] for row in self._db.execute("PRAGMA table_info(alarms)")}
        if "published_at" not in columns:
            # A table from when a PUBACK deleted the alarm: what is left was never published.
            self._db.execute("ALTER TABLE alarms ADD COLUMN published_at REAL")
        self.max_alarms = max_alarms
        self._count = int(self._db.execute("SELECT COUNT(*) FROM alarms").fetchone()[0])

    @property
    def waiting(self) -> int:
        """Alarms on disk not yet confirmed by the API."""
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
        """The oldest unpublished alarms with a sequence number above `after_seq`."""
        return _pending(
            self._db.execute(
                "SELECT seq, payload FROM alarms WHERE published_at IS NULL AND seq > ?"
                " ORDER BY seq LIMIT ?",
                (after_seq, limit),
            ).fetchall()
        )

    def oldest(self, *, limit: int) -> list[PendingAlarm]:
        """The oldest alarms, published or not (an HTTP replay sends them all)."""
        return _pending(
            self._db.execute(
                "SELECT seq, payload FROM alarms ORDER BY seq LIMIT ?", (limit,)
            ).fetchall()
        )

    def published_unconfirmed(self, *, limit: int, published_before: float) -> list[PendingAlarm]:
        """The oldest alarms the broker acknowledged at or before `published_before`."""
        return _pending(
            self._db.execute(
                "SELECT seq, payload FROM alarms WHERE published_at <= ? ORDER BY seq LIMIT ?",
                (published_before, limit),
            ).fetchall()
        )

    def mark_published(self, seq: int, *, at: float) -> bool:
        """Note the broker's PUBACK (Unix time); False if the alarm is gone or was marked."""
        cursor = self._db.execute(
            "UPDATE alarms SET published_at = ? WHERE seq = ? AND published_at IS NULL", (at, seq)
        )
        return cursor.rowcount > 0

    def delete(self, seqs: Iterable[int]) -> int:
        """Forget alarms the API confirmed; returns how many were there."""
        cursor = self._db.executemany("DELETE FROM alarms WHERE seq = ?", [(s,) for s in seqs])
        self._count -= cursor.rowcount
        return cursor.rowcount


class AlarmApi(Protocol):
    """The API call that stores alarms (the real one is `gate_agent.links.api_client.ApiClient`)."""

    def send_alarms(self, alarms: list[AlarmRaised]) -> AlarmBatchResult:
        """Store a batch of this gate's alarms (idempotent on alarm_id)."""
        ...


class AlarmSender:
    """Publishes stored alarms in order, replays them over HTTP, forgets what the API has.

    Args:
        alarms: The alarm table.
        publisher: The MQTT link.
        topic: The gate's alarm topic.
        window: Alarms handed to MQTT and not yet acknowledged, at most.
        api: The API client for HTTP replay (None: alarms wait for MQTT).
        batch_size: Alarms per HTTP batch (and per confirm round).
        confirm_grace_s: Published alarms are checked with the API only this long after
            their PUBACK (the API's ingest usually has them by then).
        wall: The wall clock (Unix time; publication times survive restarts).
    """

    def __init__(
        self,
        *,
        alarms: AlarmOutbox,
        publisher: Publisher,
        topic: str,
        window: int = 20,
        api: AlarmApi | None = None,
        batch_size: int = 100,
        confirm_grace_s: float = 3.0,
        wall: Callable[[], float] = time.time,
    ) -> None:
        self._alarms = alarms
        self._mqtt = PublishWindow(publisher=publisher, topic=topic, window=window)
        self._api = api
        self._batch_size = batch_size
        self._confirm_grace_s = confirm_grace_s
        self._wall = wall
        self.replayed_over_http = 0
        self.resent_unknown = 0

    @property
    def in_flight(self) -> int:
        """Alarms handed to MQTT and not yet acknowledged."""
        return self._mqtt.in_flight

    def pump_mqtt(self) -> int:
        """Hand the next stored alarms to MQTT, up to the window; returns how many."""
        if not self._alarms.waiting:
            return 0
        return self._mqtt.pump(self._unpublished)

    def _unpublished(self, limit: int, after_seq: int) -> list[tuple[int, Message]]:
        return [(p.seq, p.alarm) for p in self._alarms.pending(limit=limit, after_seq=after_seq)]

    def on_puback(self, mid: int) -> bool:
        """Mark the alarm behind this message id published; False if the mid is not an alarm."""
        seq = self._mqtt.acknowledge(mid)
        if seq is None:
            return False
        self._alarms.mark_published(seq, at=self._wall())
        return True

    def confirm_batch(self) -> tuple[PendingAlarm, ...]:
        """Published alarms to check with the API (PUBACKed over the grace period ago)."""
        return tuple(
            self._alarms.published_unconfirmed(
                limit=self._batch_size, published_before=self._wall() - self._confirm_grace_s
            )
        )

    def on_confirmed(self, seqs: Iterable[int], *, resent: int = 0) -> int:
        """Forget the alarms the API now stores; returns how many were deleted."""
        self.resent_unknown += resent
        if resent:
            _log.warning("re-sent %d alarms the API did not have (PUBACKed)", resent)
        return self._alarms.delete(seqs)

    def replay_http(self) -> int:
        """Send the oldest alarms over HTTP (MQTT is down); returns how many the API stored."""
        if self._api is None or not self._alarms.waiting:
            return 0
        pending = self._alarms.oldest(limit=self._batch_size)
        try:
            result = self._api.send_alarms([p.alarm for p in pending])
        except ApiError as exc:
            _log.info("alarm replay over HTTP failed: %s", exc)
            return 0
        # The API answered for the batch: stored now, nothing left to confirm.
        deleted = self._alarms.delete(p.seq for p in pending)
        self.replayed_over_http += deleted
        _log.info(
            "replayed %d alarms over HTTP (%d new, %d duplicates)",
            len(pending),
            result.stored,
            result.duplicates,
        )
        return deleted
