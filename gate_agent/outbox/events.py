"""The durable event outbox: every AccessEvent is on disk before anybody hears of it.

SQLite in WAL mode with ``synchronous=FULL``: a committed event survives a power cut. The
per-agent sequence number is taken in the same transaction as the event row, so it never
repeats after a crash. Before a gate is opened, the event-to-be is kept as a *draft* (keyed
by the OpenCommand's id): if the agent dies before the turnstile answers, the draft becomes
the event at the next start, so an opening is never left unrecorded.

An event goes *unsent* -> *published* (the broker's PUBACK; the time is kept) -> *confirmed*
(the API said it stores it: an HTTP batch answer, or ``POST /api/v1/events/known``). A PUBACK
is no proof: a broker may acknowledge and then lose an event. Rows stay until confirmed;
confirmed rows are pruned down to the last thousand for diagnosis. The bound (`max_unsent`)
counts every event not yet confirmed, published or not: all of them occupy disk until then.
Outbox files written before confirmation existed are upgraded in place when opened. The
agent's alarms wait in the same file (`gate_agent.outbox.alarms`).

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

from gate_agent.outbox.alarms import AlarmOutbox

__all__ = ["Outbox", "OutboxFull", "PendingEvent"]

_SCHEMA = """
CREATE TABLE IF NOT EXISTS events (
    seq INTEGER PRIMARY KEY,
    event_id TEXT NOT NULL UNIQUE,
    payload TEXT NOT NULL,
    sent INTEGER NOT NULL DEFAULT 0,
    published_at REAL,
    confirmed INTEGER NOT NULL DEFAULT 0
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
# Columns added after the first release: (name, declaration) for ALTER TABLE ADD COLUMN.
_UPGRADES = (
    ("published_at", "REAL"),
    ("confirmed", "INTEGER NOT NULL DEFAULT 0"),
)
_INDEXES = "CREATE INDEX IF NOT EXISTS events_unconfirmed ON events (confirmed, sent, seq);"
_KEEP_CONFIRMED = 1000


class OutboxFull(RuntimeError):
    """The outbox holds as many unconfirmed events as it may: nothing more can be recorded."""


@dataclass(frozen=True, slots=True)
class PendingEvent:
    """An event waiting to be published or confirmed."""

    seq: int
    event: AccessEvent


class Outbox:
    """The SQLite outbox.

    Args:
        path: The database file (created with its folder).
        max_unsent: Events not yet confirmed by the API beyond which `append` refuses.
        max_alarms: Alarms waiting for their PUBACK, at most (`alarms`, same file).
    """

    def __init__(self, path: Path, *, max_unsent: int, max_alarms: int = 10_000) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=FULL")
        self._db.executescript(_SCHEMA)
        self._upgrade()
        self._db.executescript(_INDEXES)
        self.max_unsent = max_unsent
        self._unsent = self._count("sent = 0")
        self._unconfirmed = self._count("confirmed = 0")
        self.alarms = AlarmOutbox(self._db, max_alarms=max_alarms)

    def _upgrade(self) -> None:
        # An outbox from before confirmation: its rows marked sent were only PUBACKed, so
        # they stay unconfirmed (published_at NULL: ask the API about them at once).
        have = {str(row[1]) for row in self._db.execute("PRAGMA table_info(events)")}
        for name, declaration in _UPGRADES:
            if name not in have:
                self._db.execute(f"ALTER TABLE events ADD COLUMN {name} {declaration}")

    def close(self) -> None:
        """Close the database."""
        self._db.close()

    def _count(self, where: str) -> int:
        row = self._db.execute(f"SELECT COUNT(*) FROM events WHERE {where}").fetchone()  # noqa: S608
        return int(row[0])

    @property
    def unsent(self) -> int:
        """How many events wait to be published (no PUBACK or API answer yet)."""
        return self._unsent

    @property
    def unconfirmed(self) -> int:
        """How many events the API has not yet confirmed (published or not)."""
        return self._unconfirmed

    @property
    def full(self) -> bool:
        """Whether the outbox is at its bound (unconfirmed events)."""
        return self._unconfirmed >= self.max_unsent

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
            OutboxFull: the unconfirmed events reached the bound (plus `reserve`).
        """
        if self._unconfirmed >= self.max_unsent + reserve and draft_id is None:
            raise OutboxFull(f"{self._unconfirmed} unconfirmed events")
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
        self._unconfirmed += 1
        return event

    def pending(self, *, limit: int, after_seq: int = 0) -> list[PendingEvent]:
        """The oldest unsent events with a sequence number above `after_seq`."""
        rows = self._db.execute(
            "SELECT seq, payload FROM events WHERE sent = 0 AND seq > ? ORDER BY seq LIMIT ?",
            (after_seq, limit),
        ).fetchall()
        return [PendingEvent(int(seq), AccessEvent.model_validate_json(p)) for seq, p in rows]

    def published_unconfirmed(self, *, limit: int, published_before: float) -> list[PendingEvent]:
        """The oldest published, unconfirmed events published at or before `published_before`.

        Rows upgraded from an old outbox have no publication time and always qualify.
        """
        rows = self._db.execute(
            "SELECT seq, payload FROM events WHERE confirmed = 0 AND sent = 1"
            " AND (published_at IS NULL OR published_at <= ?) ORDER BY seq LIMIT ?",
            (published_before, limit),
        ).fetchall()
        return [PendingEvent(int(seq), AccessEvent.model_validate_json(p)) for seq, p in rows]

    def mark_published(self, seqs: Iterable[int], *, at: float) -> int:
        """Mark events published (the broker's PUBACK) at `at` (Unix time); returns how many."""
        cursor = self._db.executemany(
            "UPDATE events SET sent = 1, published_at = ? WHERE seq = ? AND sent = 0",
            [(at, seq) for seq in seqs],
        )
        self._unsent -= cursor.rowcount
        return cursor.rowcount

    def mark_confirmed(self, seqs: Iterable[int]) -> int:
        """Mark events confirmed (the API stores them); returns how many were newly marked."""
        params = [(seq,) for seq in seqs]
        self._db.execute("BEGIN IMMEDIATE")
        try:
            unsent = self._db.executemany(
                "UPDATE events SET sent = 1, confirmed = 1 WHERE seq = ? AND sent = 0",
                params,
            ).rowcount
            published = self._db.executemany(
                "UPDATE events SET confirmed = 1 WHERE seq = ? AND confirmed = 0", params
            ).rowcount
            self._db.execute(
                "DELETE FROM events WHERE confirmed = 1 AND seq <= "
                "(SELECT COALESCE(MAX(seq), 0) FROM events) - ?",
                (_KEEP_CONFIRMED,),
            )
            self._db.execute("COMMIT")
        except BaseException:
            self._db.execute("ROLLBACK")
            raise
        self._unsent -= unsent
        self._unconfirmed -= unsent + published
        return unsent + published

    def last_seq(self) -> int:
        """The last sequence number taken (0 before the first event)."""
        row = self._db.execute("SELECT value FROM counters WHERE name = 'seq'").fetchone()
        return int(row[0]) if row is not None else 0
