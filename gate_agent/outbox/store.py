"""The outbox file: events and alarms durable until the API has them, and the gate's memory.

One SQLite file in WAL mode with ``synchronous=FULL`` (a committed row survives a power
cut) holds the two outbox tables, each an `OutboxRows` of its kind (`events`, `alarms`:
one design, see `gate_agent.outbox.rows`), and what the gate must remember across
restarts. Before a gate is opened, the event-to-be is kept as a *draft* (keyed by the
OpenCommand's id): if the agent dies before the turnstile answers, the draft becomes the
event at the next start, so an opening is never left unrecorded. Offline anti-passback
(each person's last passage here) and the one-time passes consumed offline live here too.

The outbox is used from one thread (the agent loop); SQLite connections are not shared.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

from gate_protocol.messages import AccessEvent, AlarmRaised, Direction
from gate_protocol.records import LastPassage

from gate_agent.outbox.disk import Ballast
from gate_agent.outbox.kinds import ALARMS, EVENTS
from gate_agent.outbox.rows import DiskFull, OutboxRows, is_disk_full

__all__ = ["Outbox"]

_SCHEMA = """
CREATE TABLE IF NOT EXISTS drafts (command_id TEXT PRIMARY KEY, payload TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS passages (
    person_id TEXT PRIMARY KEY, direction TEXT NOT NULL, at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS used_appointments (
    appointment_id TEXT PRIMARY KEY, used_at TEXT NOT NULL DEFAULT CURRENT_TIMESTAMP
);
"""


class Outbox:
    """The SQLite outbox file.

    Attributes:
        events: The access events, each on disk before anybody hears of it.
        alarms: The alarms the agent raised, likewise.

    Args:
        path: The database file (created with its folder).
        max_unsent: Events not yet confirmed by the API beyond which recording refuses.
        max_alarms: Alarms not yet confirmed by the API, at most.
    """

    def __init__(self, path: Path, *, max_unsent: int, max_alarms: int = 10_000) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=FULL")
        self._db.executescript(_SCHEMA)
        self.events: OutboxRows[AccessEvent] = OutboxRows(self._db, EVENTS, max_rows=max_unsent)
        self.alarms: OutboxRows[AlarmRaised] = OutboxRows(self._db, ALARMS, max_rows=max_alarms)
        self.ballast = Ballast(path.with_name(path.name + ".ballast"))

    def reclaim(self) -> None:
        """Fold the WAL into the database and truncate it: on a full disk, its room comes back."""
        try:
            self._db.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
        except sqlite3.Error as exc:
            if not is_disk_full(exc):
                raise

    @property
    def disk_full(self) -> bool:
        """Whether the volume ran out of room and has not given the ballast back yet."""
        return not self.ballast.space_returned()

    def close(self) -> None:
        """Close the database."""
        self._db.close()

    def save_draft(self, command_id: str, event: AccessEvent) -> None:
        """Keep the event-to-be of an opening until its story is closed.

        Raises:
            DiskFull: no room on the volume (nothing written: do not open).
        """
        try:
            self._db.execute(
                "INSERT OR REPLACE INTO drafts (command_id, payload) VALUES (?, ?)",
                (command_id, event.model_dump_json()),
            )
        except sqlite3.Error as exc:
            if is_disk_full(exc):
                raise DiskFull("no room on the outbox's volume for the opening's draft") from exc
            raise

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

    def finish_draft(self, command_id: str, build: Callable[[int], AccessEvent]) -> AccessEvent:
        """Record the event that replaces a draft, deleting the draft in the same transaction.

        Recorded even when the outbox is full: the opening it tells of already happened.
        """

        def delete_draft(db: sqlite3.Connection) -> None:
            db.execute("DELETE FROM drafts WHERE command_id = ?", (command_id,))

        return self.events.append(build, bounded=False, alongside=delete_draft)
