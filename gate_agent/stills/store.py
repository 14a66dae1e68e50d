"""Stills not yet acknowledged by the broker, on disk in their own file under a byte cap.

A file of its own beside the outbox (``<outbox>.stills``): the outbox's tables, its
counters and its disk-full ballast stay as they were, and the cap (`STILL_SPACE_BYTES`)
bounds what stills may ever take. A still that does not fit is dropped, never an event.
Used from the agent loop's thread only.
"""

from __future__ import annotations

import logging
import sqlite3
from pathlib import Path

__all__ = ["StillStore"]

_log = logging.getLogger(__name__)

_SCHEMA = """
CREATE TABLE IF NOT EXISTS stills (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    alarm_id TEXT NOT NULL UNIQUE,
    payload BLOB NOT NULL
);
"""


class StillStore:
    """The still file: the MQTT payload of each still, keyed by alarm id, oldest first.

    Args:
        path: The SQLite file (created with its folder).
        max_bytes: The most the payloads waiting here may take together.
    """

    def __init__(self, path: Path, *, max_bytes: int) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self._db = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=FULL")
        self._db.executescript(_SCHEMA)
        self._max_bytes = max_bytes

    @property
    def used_bytes(self) -> int:
        """What the waiting payloads take."""
        row = self._db.execute("SELECT COALESCE(SUM(LENGTH(payload)), 0) FROM stills").fetchone()
        return int(row[0])

    @property
    def waiting(self) -> int:
        """Stills not yet acknowledged by the broker."""
        return int(self._db.execute("SELECT COUNT(*) FROM stills").fetchone()[0])

    def add(self, alarm_id: str, payload: bytes) -> bool:
        """Keep one still until the broker has it; False if it does not fit (dropped)."""
        if self.used_bytes + len(payload) > self._max_bytes:
            return False
        try:
            self._db.execute(
                "INSERT OR IGNORE INTO stills (alarm_id, payload) VALUES (?, ?)",
                (alarm_id, payload),
            )
        except sqlite3.Error as exc:  # a full disk: the still goes, the gate carries on
            _log.warning("camera still for alarm %s not kept: %s", alarm_id, exc)
            return False
        return True

    def pending(self, *, limit: int, after_seq: int) -> list[tuple[int, bytes]]:
        """The oldest waiting stills after `after_seq`, as (seq, payload)."""
        rows = self._db.execute(
            "SELECT seq, payload FROM stills WHERE seq > ? ORDER BY seq LIMIT ?",
            (after_seq, limit),
        ).fetchall()
        return [(int(seq), bytes(payload)) for seq, payload in rows]

    def delete(self, seq: int) -> None:
        """Forget a still the broker acknowledged."""
        self._db.execute("DELETE FROM stills WHERE seq = ?", (seq,))

    def close(self) -> None:
        """Close the file."""
        self._db.close()
