"""The persistent set of executed OpenCommand ids: a command opens a lane at most once.

SQLite in WAL mode with ``synchronous=FULL``: the id is on disk before the relay moves, so
that neither an MQTT redelivery nor a restart can replay a command. Ids are pruned by age
(older than the retention, when any such command is long expired) and by count.
"""

import sqlite3
import threading
from pathlib import Path

__all__ = ["CommandLog"]

_PRUNE_EVERY = 100


class CommandLog:
    """Executed command ids with the wall-clock time (epoch seconds) they were executed."""

    def __init__(self, *, path: Path, retention_s: float, max_entries: int) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self._retention_s = retention_s
        self._max_entries = max_entries
        self._lock = threading.Lock()
        self._inserts = 0
        self._db = sqlite3.connect(str(path), isolation_level=None, check_same_thread=False)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=FULL")
        self._db.execute(
            "CREATE TABLE IF NOT EXISTS executed ("
            " command_id TEXT PRIMARY KEY, executed_at REAL NOT NULL)"
        )
        self._db.execute("CREATE INDEX IF NOT EXISTS executed_at ON executed(executed_at)")

    def record_once(self, *, command_id: str, now: float) -> bool:
        """Record `command_id`; False if it was already recorded (do not execute it)."""
        with self._lock:
            cursor = self._db.execute(
                "INSERT OR IGNORE INTO executed(command_id, executed_at) VALUES (?, ?)",
                (command_id, now),
            )
            fresh = cursor.rowcount == 1
            if fresh:
                self._inserts += 1
                if self._inserts % _PRUNE_EVERY == 0:
                    self._prune(now=now)
            return fresh

    def contains(self, command_id: str) -> bool:
        """Whether `command_id` was executed (and is still remembered)."""
        with self._lock:
            row = self._db.execute(
                "SELECT 1 FROM executed WHERE command_id = ?", (command_id,)
            ).fetchone()
        return row is not None

    def prune(self, *, now: float) -> int:
        """Forget ids older than the retention and beyond the size bound; return how many."""
        with self._lock:
            return self._prune(now=now)

    def __len__(self) -> int:
        with self._lock:
            (count,) = self._db.execute("SELECT COUNT(*) FROM executed").fetchone()
        return int(count)

    def close(self) -> None:
        """Close the database."""
        with self._lock:
            self._db.close()

    def _prune(self, *, now: float) -> int:
        removed = self._db.execute(
            "DELETE FROM executed WHERE executed_at < ?", (now - self._retention_s,)
        ).rowcount
        removed += self._db.execute(
            "DELETE FROM executed WHERE command_id IN (SELECT command_id FROM executed"
            " ORDER BY executed_at DESC LIMIT -1 OFFSET ?)",
            (self._max_entries,),
        ).rowcount
        return int(removed)
