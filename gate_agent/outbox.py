"""The durable event outbox: every AccessEvent is on disk before anybody hears of it.

SQLite in WAL mode with ``synchronous=FULL``: a committed event survives a power cut. The
per-agent sequence number is taken in the same transaction as the event row, so it never
repeats after a crash. Before a gate is opened, the event-to-be is kept as a *draft* (keyed
by the OpenCommand's id): if the agent dies before the turnstile answers, the draft becomes
the event at the next start, so an opening is never left unrecorded. Rows stay until the
event is acknowledged (MQTT PUBACK or the API's event batch answer); acknowledged rows are
pruned down to the last thousand for diagnosis.

The outbox is used from one thread (the agent loop); SQLite connections are not shared.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from gate_protocol.messages import AccessEvent, Direction
from gate_protocol.records import LastPassage

__all__ = ["Outbox", "OutboxFull", "PendingEvent"]

_SCHEMA = """
CREATE TABLE IF NOT EXISTS events (
    seq INTEGER PRIMARY KEY,
    event_id TEXT NOT NULL UNIQUE,
    payload TEXT NOT NULL,
    sent INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS events_unsent ON events (sent, seq);
CREATE TABLE IF NOT EXISTS counters (name TEXT PRIMARY KEY, value INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS drafts (command_id TEXT PRIMARY KEY, payload TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS passages (
    person_id TEXT PRIMARY KEY, direction TEXT NOT NULL, at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS used_appointments (
    appointment_id TEXT PRIMARY KEY, used_at TEXT NOT NULL DEFAULT CURRENT_TIMESTAMP
);
"""
_KEEP_SENT = 1000


class OutboxFull(RuntimeError):
    """The outbox holds as many unsent events as it may: nothing more can be recorded."""


@dataclass(frozen=True, slots=True)
class PendingEvent:
    """An event waiting for its acknowledgement."""

    seq: int
    event: AccessEvent


class Outbox:
    """The SQLite outbox.

    Args:
        path: The database file (created with its folder).
        max_unsent: Unsent events beyond which `append` refuses.
    """

    def __init__(self, path: Path, *, max_unsent: int) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=FULL")
        self._db.executescript(_SCHEMA)
        self.max_unsent = max_unsent
        self._unsent = self._count_unsent()

    def close(self) -> None:
        """Close the database."""
        self._db.close()

    def _count_unsent(self) -> int:
        row = self._db.execute("SELECT COUNT(*) FROM events WHERE sent = 0").fetchone()
        return int(row[0])

    @property
    def unsent(self) -> int:
        """How many events wait for an acknowledgement."""
        return self._unsent

    @property
    def full(self) -> bool:
        """Whether the outbox is at its bound."""
        return self._unsent >= self.max_unsent

    def save_draft(self, command_id: str, event: AccessEvent) -> None:
        """Keep the event-to-be of an opening until its story is closed."""
        self._db.execute(
            "INSERT OR REPLACE INTO drafts (command_id, payload) VALUES (?, ?)",
            (command_id, event.model_dump_json()),
        )

    def mark_appointment_used(self, appointment_id: str) -> None:
        """Remember a one-time pass consumed by an offline grant (survives restarts)."""
        self._db.execute(
            "INSERT OR IGNORE INTO used_appointments (appointment_id) VALUES (?)",
            (appointment_id,),
        )

    def record_passage(self, person_id: str, passage: LastPassage) -> None:
        """Remember a person's last passage here (offline anti-passback; survives restarts)."""
        self._db.execute(
            "INSERT OR REPLACE INTO passages (person_id, direction, at) VALUES (?, ?, ?)",
            (person_id, passage.direction.value, passage.at.isoformat()),
        )

    def last_passages(self) -> dict[str, LastPassage]:
        """The last passage of each person through this gate."""
        rows = self._db.execute("SELECT person_id, direction, at FROM passages").fetchall()
        return {
            str(pid): LastPassage(direction=Direction(d), at=datetime.fromisoformat(at))
            for pid, d, at in rows
        }

    def used_appointments(self) -> frozenset[str]:
        """The one-time passes this gate consumed offline."""
        rows = self._db.execute("SELECT appointment_id FROM used_appointments").fetchall()
        return frozenset(str(row[0]) for row in rows)

    def drafts(self) -> list[tuple[str, AccessEvent]]:
        """Drafts left by a previous run (command id, event-to-be)."""
        rows = self._db.execute("SELECT command_id, payload FROM drafts ORDER BY rowid").fetchall()
        return [(str(cid), AccessEvent.model_validate_json(p)) for cid, p in rows]

    def append(
        self,
        build: Callable[[int], AccessEvent],
        *,
        reserve: int = 0,
        draft_id: str | None = None,
    ) -> AccessEvent:
        """Take the next sequence number, build the event with it and commit both.

        Args:
            build: Makes the event from its sequence number.
            reserve: Extra room beyond `max_unsent` (the denial that reports a full
                outbox may still be recorded there).
            draft_id: The draft this event replaces (deleted in the same transaction).

        Raises:
            OutboxFull: the unsent events reached the bound (plus `reserve`).
        """
        if self._unsent >= self.max_unsent + reserve and draft_id is None:
            raise OutboxFull(f"{self._unsent} unsent events")
        self._db.execute("BEGIN IMMEDIATE")
        try:
            row = self._db.execute("SELECT value FROM counters WHERE name = 'seq'").fetchone()
            seq = int(row[0]) + 1 if row is not None else 1
            event = build(seq)
            self._db.execute(
                "INSERT INTO counters (name, value) VALUES ('seq', ?) "
                "ON CONFLICT (name) DO UPDATE SET value = excluded.value",
                (seq,),
            )
            self._db.execute(
                "INSERT INTO events (seq, event_id, payload) VALUES (?, ?, ?)",
                (seq, event.event_id, event.model_dump_json()),
            )
            if draft_id is not None:
                self._db.execute("DELETE FROM drafts WHERE command_id = ?", (draft_id,))
            self._db.execute("COMMIT")
        except BaseException:
            self._db.execute("ROLLBACK")
            raise
        self._unsent += 1
        return event

    def pending(self, *, limit: int, after_seq: int = 0) -> list[PendingEvent]:
        """The oldest unsent events with a sequence number above `after_seq`."""
        rows = self._db.execute(
            "SELECT seq, payload FROM events WHERE sent = 0 AND seq > ? ORDER BY seq LIMIT ?",
            (after_seq, limit),
        ).fetchall()
        return [PendingEvent(int(seq), AccessEvent.model_validate_json(p)) for seq, p in rows]

    def mark_sent(self, seqs: Iterable[int]) -> int:
        """Mark events acknowledged; returns how many were newly marked."""
        marked = 0
        self._db.execute("BEGIN IMMEDIATE")
        try:
            for seq in seqs:
                cursor = self._db.execute(
                    "UPDATE events SET sent = 1 WHERE seq = ? AND sent = 0", (seq,)
                )
                marked += cursor.rowcount
            self._db.execute(
                "DELETE FROM events WHERE sent = 1 AND seq <= "
                "(SELECT COALESCE(MAX(seq), 0) FROM events) - ?",
                (_KEEP_SENT,),
            )
            self._db.execute("COMMIT")
        except BaseException:
            self._db.execute("ROLLBACK")
            raise
        self._unsent -= marked
        return marked

    def last_seq(self) -> int:
        """The last sequence number taken (0 before the first event)."""
        row = self._db.execute("SELECT value FROM counters WHERE name = 'seq'").fetchone()
        return int(row[0]) if row is not None else 0
