"""A `limits` storage on the API's own database, so every worker process counts together.

`limits` ships storages for memory, Redis, Memcached and MongoDB, none for SQL; PortGate
runs on SQLite or PostgreSQL only, so the login throttle keeps its entries in the
`throttle_entry` table (migration 0018) through this backend. It supports the moving
window (`MovingWindowSupport`: one row per entry, counted over the window) and, for the
`Storage` interface's sake, counters (rows that expire together).

Each acquisition takes a lock on its key for its transaction, so two workers counting the
same account cannot both take the last entry: PostgreSQL a transaction-level advisory lock
on the key's hash, SQLite the database write lock (a write that changes nothing, as
``BEGIN IMMEDIATE`` would; see `central_api.enroll.face_lock`). Times are this host's
Unix clock, as with every `limits` storage; the workers of one API share a host.
"""

import hashlib
import time

from limits.storage import MovingWindowSupport, Storage
from sqlalchemy import Connection, Engine, delete, func, insert, select, text
from sqlalchemy.exc import SQLAlchemyError

from central_api.models import ThrottleEntry

__all__ = ["SqlThrottleStorage"]

_TABLE = ThrottleEntry.__table__  # type: ignore[attr-defined]


def _lock_key(connection: Connection, key: str) -> None:
    dialect = connection.dialect.name
    if dialect == "postgresql":
        digest = hashlib.sha256(b"portgate.throttle:" + key.encode()).digest()[:8]
        lock = int.from_bytes(digest, "big", signed=True)
        connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": lock})
    elif dialect == "sqlite":
        connection.execute(text("UPDATE throttle_entry SET id = id WHERE 1 = 0"))
    else:  # pragma: no cover - PortGate runs on these two only
        raise RuntimeError(f"no throttle lock for the {dialect} database")


def _live_count(connection: Connection, key: str, since: float) -> tuple[float | None, int]:
    row = connection.execute(
        select(func.min(_TABLE.c.at), func.count())
        .where(_TABLE.c.key == key)
        .where(_TABLE.c.at >= since)
        .where(_TABLE.c.expires_at > time.time())
    ).one()
    return row[0], int(row[1])


class SqlThrottleStorage(Storage, MovingWindowSupport):
    """`limits` storage in the `throttle_entry` table of `engine`'s database."""

    STORAGE_SCHEME = None  # built with an engine, never from a storage URI

    def __init__(self, engine: Engine) -> None:
        """Count in `engine`'s database (migrated to 0018 or later)."""
        super().__init__(None)
        self._engine = engine

    @property
    def base_exceptions(self) -> type[Exception] | tuple[type[Exception], ...]:
        """What the database raises (wrapped by `limits` when asked)."""
        return SQLAlchemyError

    def acquire_entry(self, key: str, limit: int, expiry: int, amount: int = 1) -> bool:
        """Take `amount` entries in `key`'s moving window of `expiry` s, if `limit` allows."""
        if amount > limit:
            return False
        with self._engine.begin() as connection:
            _lock_key(connection, key)
            now = time.time()
            connection.execute(delete(_TABLE).where(_TABLE.c.expires_at <= now))
            _, taken = _live_count(connection, key, now - expiry)
            if taken + amount > limit:
                return False
            self._insert(connection, key, now, now + expiry, amount)
        return True

    def get_moving_window(self, key: str, limit: int, expiry: int) -> tuple[float, int]:
        """The oldest entry's time in `key`'s window and how many entries it holds."""
        now = time.time()
        with self._engine.connect() as connection:
            oldest, taken = _live_count(connection, key, now - expiry)
        return (oldest if oldest is not None else now), taken

    def incr(self, key: str, expiry: int, amount: int = 1) -> int:
        """Add `amount` to `key`'s counter, which expires `expiry` s after its first entry."""
        with self._engine.begin() as connection:
            _lock_key(connection, key)
            now = time.time()
            connection.execute(delete(_TABLE).where(_TABLE.c.expires_at <= now))
            first = connection.execute(
                select(func.min(_TABLE.c.expires_at)).where(_TABLE.c.key == key)
            ).scalar()
            self._insert(connection, key, now, first or now + expiry, amount)
            return _live_count(connection, key, 0.0)[1]

    def get(self, key: str) -> int:
        """`key`'s counter (its entries not yet expired)."""
        with self._engine.connect() as connection:
            return _live_count(connection, key, 0.0)[1]

    def get_expiry(self, key: str) -> float:
        """When `key`'s counter expires (now when it has none)."""
        with self._engine.connect() as connection:
            ends = connection.execute(
                select(func.max(_TABLE.c.expires_at)).where(_TABLE.c.key == key)
            ).scalar()
        return float(ends) if ends is not None else time.time()

    def check(self) -> bool:
        """Whether the database answers."""
        try:
            with self._engine.connect() as connection:
                connection.execute(text("SELECT 1"))
        except SQLAlchemyError:
            return False
        return True

    def reset(self) -> int | None:
        """Forget every entry of every key; how many rows went."""
        with self._engine.begin() as connection:
            return connection.execute(delete(_TABLE)).rowcount

    def clear(self, key: str) -> None:
        """Forget `key`'s entries (a success ends an account's run of failures)."""
        with self._engine.begin() as connection:
            connection.execute(delete(_TABLE).where(_TABLE.c.key == key))

    @staticmethod
    def _insert(connection: Connection, key: str, at: float, ends: float, amount: int) -> None:
        rows = [{"key": key, "at": at, "expires_at": ends}] * amount
        connection.execute(insert(_TABLE), rows)
