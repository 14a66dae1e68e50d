"""One durable outbox table: the rows of one kind (events or alarms) until the API has them.

A row is committed before anybody hears of it (the file is WAL with ``synchronous=FULL``),
with a sequence number taken from its kind's counter in the same transaction, so numbers
never repeat after a crash. A row goes *unsent* -> *published* (the broker's PUBACK; the
time is kept) -> *confirmed* (the API said it stores it: an HTTP batch answer, or its
``/known`` answer). A PUBACK is no proof: a broker may acknowledge and then lose a message,
so rows stay until confirmed; confirmed rows are pruned down to the last thousand for
diagnosis. The bound counts every row not yet confirmed, published or not: all of them
occupy disk until then. Tables written by earlier releases are upgraded in place when
opened, keeping every row that was waiting.

Used from one thread (the agent loop's); the connection is the outbox file's.
"""

from __future__ import annotations

import errno
import sqlite3
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Generic

from gate_agent.outbox.kinds import M, OutboxKind

__all__ = ["DiskFull", "OutboxFull", "OutboxRows", "Pending", "is_disk_full"]

_KEEP_CONFIRMED = 1000
# Columns added after a table's first release: name, declaration, and how rows already on
# disk get their value. An alarm table had only published_at: a row with one was PUBACKed.
_UPGRADES = (
    ("published_at", "REAL", None),
    ("confirmed", "INTEGER NOT NULL DEFAULT 0", None),
    (
        "sent",
        "INTEGER NOT NULL DEFAULT 0",
        "UPDATE {table} SET sent = 1 WHERE published_at IS NOT NULL",
    ),
)
_SQL = {
    "create": """
        CREATE TABLE IF NOT EXISTS {table} (
            seq INTEGER PRIMARY KEY,
            {id_column} TEXT NOT NULL UNIQUE,
            payload TEXT NOT NULL,
            sent INTEGER NOT NULL DEFAULT 0,
            published_at REAL,
            confirmed INTEGER NOT NULL DEFAULT 0
        );
        CREATE TABLE IF NOT EXISTS counters (name TEXT PRIMARY KEY, value INTEGER NOT NULL);
    """,
    "indexes": """
        CREATE INDEX IF NOT EXISTS {table}_unsent ON {table} (sent, seq);
        CREATE INDEX IF NOT EXISTS {table}_unconfirmed ON {table} (confirmed, sent, seq);
    """,
    # A counter of its own from the table's last row (alarm tables had AUTOINCREMENT).
    "seed": "INSERT OR IGNORE INTO counters (name, value)"
    " SELECT ?, COALESCE(MAX(seq), 0) FROM {table}",
    "count": "SELECT COUNT(*) FROM {table} WHERE {where}",
    "insert": "INSERT INTO {table} (seq, {id_column}, payload) VALUES (?, ?, ?)",
    "pending": "SELECT seq, payload FROM {table} WHERE sent = 0 AND seq > ? ORDER BY seq LIMIT ?",
    # Rows upgraded from a table without publication times have none and are always due.
    "published": "SELECT seq, payload FROM {table} WHERE confirmed = 0 AND sent = 1"
    " AND (published_at IS NULL OR published_at <= ?) ORDER BY seq LIMIT ?",
    "mark_published": "UPDATE {table} SET sent = 1, published_at = ? WHERE seq = ? AND sent = 0",
    "confirm_unsent": "UPDATE {table} SET sent = 1, confirmed = 1 WHERE seq = ? AND sent = 0",
    "confirm_published": "UPDATE {table} SET confirmed = 1 WHERE seq = ? AND confirmed = 0",
    "prune": "DELETE FROM {table} WHERE confirmed = 1 AND seq <= "
    "(SELECT COALESCE(MAX(seq), 0) FROM {table}) - ?",
}


class OutboxFull(RuntimeError):
    """The table holds as many unconfirmed rows as it may: nothing more can be recorded."""


class DiskFull(OutboxFull):
    """The outbox's volume has no room for the write (SQLITE_FULL); nothing was written."""


def is_disk_full(exc: BaseException) -> bool:
    """Whether `exc` is SQLite (or the OS) refusing a write for want of space."""
    if isinstance(exc, sqlite3.Error):
        code = getattr(exc, "sqlite_errorcode", None)
        return code == sqlite3.SQLITE_FULL or "disk is full" in str(exc)
    return isinstance(exc, OSError) and exc.errno == errno.ENOSPC


def _rollback(db: sqlite3.Connection) -> None:
    # SQLite may already have rolled back (SQLITE_FULL does): a second ROLLBACK would raise
    # and hide the error that matters.
    if db.in_transaction:
        db.execute("ROLLBACK")


@dataclass(frozen=True, slots=True)
class Pending(Generic[M]):
    """A row waiting to be published or confirmed, with its place in the order of its kind."""

    seq: int
    message: M


class OutboxRows(Generic[M]):
    """The rows of one kind in the outbox file.

    Args:
        db: The outbox file's connection (autocommit; each write is its own transaction).
        kind: Which rows (events or alarms).
        max_rows: Rows not yet confirmed by the API beyond which `append` refuses.
    """

    def __init__(self, db: sqlite3.Connection, kind: OutboxKind[M], *, max_rows: int) -> None:
        self._db = db
        self.kind: OutboxKind[M] = kind
        self.max_rows = max_rows
        self._sql = {
            name: sql.format(table=kind.table, id_column=kind.id_column, where="{where}")
            for name, sql in _SQL.items()
        }
        self._db.executescript(self._sql["create"])
        self._upgrade()
        self._db.executescript(self._sql["indexes"])
        self._db.execute(self._sql["seed"], (kind.counter,))
        self._unmarked: list[tuple[float, int]] = []
        self._unsent = self._count("sent = 0")
        self._unconfirmed = self._count("confirmed = 0")

    def _upgrade(self) -> None:
        have = {str(row[1]) for row in self._db.execute(f"PRAGMA table_info({self.kind.table})")}
        missing = [upgrade for upgrade in _UPGRADES if upgrade[0] not in have]
        if not missing:
            return
        self._db.execute("BEGIN IMMEDIATE")
        try:
            for name, declaration, backfill in missing:
                self._db.execute(f"ALTER TABLE {self.kind.table} ADD COLUMN {name} {declaration}")
                if backfill is not None:
                    self._db.execute(backfill.format(table=self.kind.table))
            self._db.execute("COMMIT")
        except BaseException:
            _rollback(self._db)
            raise

    def _count(self, where: str) -> int:
        row = self._db.execute(self._sql["count"].format(where=where)).fetchone()
        return int(row[0])

    @property
    def unsent(self) -> int:
        """Rows waiting to be published (no PUBACK or API answer yet)."""
        return self._unsent

    @property
    def unconfirmed(self) -> int:
        """Rows the API has not confirmed yet (published or not)."""
        return self._unconfirmed

    @property
    def full(self) -> bool:
        """Whether the table is at its bound (unconfirmed rows)."""
        return self._unconfirmed >= self.max_rows

    def append(
        self,
        build: Callable[[int], M] | M,
        *,
        reserve: int = 0,
        bounded: bool = True,
        alongside: Callable[[sqlite3.Connection], object] | None = None,
    ) -> M:
        """Take the next sequence number, build the message with it and commit both.

        Args:
            build: The message, or what makes it from its sequence number (an event
                carries its number).
            reserve: Extra room beyond `max_rows` (the denial that reports a full outbox
                may still be recorded there).
            bounded: False for a row that must be recorded whatever the bound (an
                opening that already happened).
            alongside: More writes to commit in the same transaction.

        Raises:
            OutboxFull: the unconfirmed rows reached the bound (plus `reserve`).
        """
        if bounded and self._unconfirmed >= self.max_rows + reserve:
            raise OutboxFull(f"{self._unconfirmed} unconfirmed {self.kind.noun}")
        self._db.execute("BEGIN IMMEDIATE")
        try:
            seq = self.last_seq() + 1
            message = build(seq) if callable(build) else build
            self._db.execute(
                "UPDATE counters SET value = ? WHERE name = ?", (seq, self.kind.counter)
            )
            self._db.execute(
                self._sql["insert"], (seq, self.kind.id_of(message), message.model_dump_json())
            )
            if alongside is not None:
                alongside(self._db)
            self._db.execute("COMMIT")
        except BaseException as exc:
            _rollback(self._db)
            if is_disk_full(exc):
                raise DiskFull(f"no room on the outbox's volume for {self.kind.noun}") from exc
            raise
        self._unsent += 1
        self._unconfirmed += 1
        return message

    def _read(self, rows: Iterable[tuple[int, str]]) -> list[Pending[M]]:
        return [Pending(int(seq), self.kind.read(payload)) for seq, payload in rows]

    def pending(self, *, limit: int, after_seq: int = 0) -> list[Pending[M]]:
        """The oldest unsent rows with a sequence number above `after_seq`."""
        return self._read(self._db.execute(self._sql["pending"], (after_seq, limit)).fetchall())

    def published_unconfirmed(self, *, limit: int, published_before: float) -> list[Pending[M]]:
        """The oldest published, unconfirmed rows published at or before `published_before`."""
        cursor = self._db.execute(self._sql["published"], (published_before, limit))
        return self._read(cursor.fetchall())

    def mark_published(self, seqs: Iterable[int], *, at: float) -> int:
        """Mark rows published (the broker's PUBACK) at `at` (Unix time); returns how many.

        On a full disk the marks are kept in memory and written with the next call (the row
        stays unsent meanwhile: at worst it is sent again, and the API keeps one).
        """
        params = [*self._unmarked, *((at, seq) for seq in seqs)]
        try:
            cursor = self._db.executemany(self._sql["mark_published"], params)
        except sqlite3.Error as exc:
            if not is_disk_full(exc):
                raise
            self._unmarked = params
            return 0
        self._unmarked = []
        self._unsent -= cursor.rowcount
        return cursor.rowcount

    def retry_marks(self, *, at: float) -> int:
        """Write the publication marks a full disk held back; returns how many."""
        return self.mark_published([], at=at) if self._unmarked else 0

    def mark_confirmed(self, seqs: Iterable[int]) -> int:
        """Mark rows confirmed (the API stores them); returns how many were newly marked."""
        params = [(seq,) for seq in seqs]
        self._db.execute("BEGIN IMMEDIATE")
        try:
            unsent = self._db.executemany(self._sql["confirm_unsent"], params).rowcount
            published = self._db.executemany(self._sql["confirm_published"], params).rowcount
            self._db.execute(self._sql["prune"], (_KEEP_CONFIRMED,))
            self._db.execute("COMMIT")
        except BaseException as exc:
            _rollback(self._db)
            if is_disk_full(exc):
                return 0  # still unconfirmed: asked again with the next batch
            raise
        self._unsent -= unsent
        self._unconfirmed -= unsent + published
        return unsent + published

    def last_seq(self) -> int:
        """The last sequence number taken (0 before the first row)."""
        row = self._db.execute(
            "SELECT value FROM counters WHERE name = ?", (self.kind.counter,)
        ).fetchone()
        return int(row[0]) if row is not None else 0
