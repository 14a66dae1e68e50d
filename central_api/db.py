"""Engine and sessions: SQLite (WAL, busy timeout, foreign keys) or PostgreSQL, by URL.

On SQLite the driver starts a transaction at the first write, so reads never hold the
database lock and writers queue on it (busy timeout). Code that must read-then-write
atomically takes the write lock first (see `central_api.audit.append_audit`), as
``BEGIN IMMEDIATE`` would do for that one transaction.
"""

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import DateTime, Engine, event
from sqlalchemy.engine import Dialect
from sqlalchemy.pool import ConnectionPoolEntry
from sqlalchemy.types import TypeDecorator
from sqlmodel import Session, create_engine

__all__ = ["UTCDateTime", "is_postgres", "make_engine", "session_scope", "utc_now"]

_SQLITE_BUSY_TIMEOUT_MS = 10_000


def utc_now() -> datetime:
    """The current time, timezone-aware in UTC."""
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """A timestamp stored in UTC and always read back timezone-aware (SQLite drops zones)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        """Refuse naive datetimes; store UTC."""
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime: PortGate stores only timezone-aware times")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        """Attach UTC to what SQLite hands back naive."""
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def is_postgres(engine: Engine) -> bool:
    """Whether `engine` talks to PostgreSQL."""
    return engine.dialect.name == "postgresql"


def make_engine(url: str, *, pool_size: int = 10) -> Engine:
    """Create the engine for `url`; SQLite gets WAL, foreign keys and BEGIN IMMEDIATE.

    Args:
        url: SQLAlchemy URL (``sqlite:///file.db`` or ``postgresql+psycopg://...``).
        pool_size: PostgreSQL connection pool size.
    """
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 10})
        event.listen(engine, "connect", _sqlite_on_connect)
        return engine
    return create_engine(url, pool_size=pool_size, max_overflow=pool_size, pool_pre_ping=True)


def _sqlite_on_connect(dbapi_connection: Any, record: ConnectionPoolEntry) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute(f"PRAGMA busy_timeout={_SQLITE_BUSY_TIMEOUT_MS}")
    cursor.close()


def session_scope(engine: Engine) -> Iterator[Session]:
    """Yield one session (a FastAPI dependency body and a worker helper)."""
    with Session(engine, expire_on_commit=False) as session:
        yield session
