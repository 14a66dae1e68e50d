"""Engine and sessions: SQLite (WAL, busy timeout, foreign keys) or PostgreSQL, by URL.

On SQLite the driver starts a transaction at the first write, so reads never hold the
database lock and writers queue on it (busy timeout). Code that must read-then-write
atomically takes the write lock first (see `central_api.audit.chain.append_audit`), as
``BEGIN IMMEDIATE`` would do for that one transaction.

PostgreSQL connections are not pinged on every checkout (``pool_pre_ping`` costs a round
trip per request). A pooled connection that PostgreSQL closed — a restart, a failover,
``pg_terminate_backend``, an idle timeout — has something waiting on its socket (the
server's FATAL message, then end-of-file); a zero-timeout ``select`` at checkout sees
that, and only then is the connection pinged and, if dead, replaced before the request
uses it. (A silently vanished peer is not detected before use; a ping would hang there
too.)
"""

import select as select_io
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import DateTime, Engine, event
from sqlalchemy.engine import Dialect
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.pool import ConnectionPoolEntry, PoolProxiedConnection
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


def make_engine(url: str, *, pool_size: int = 10, autocommit: bool = False) -> Engine:
    """Create the engine for `url`; SQLite gets WAL, foreign keys and BEGIN IMMEDIATE.

    Args:
        url: SQLAlchemy URL (``sqlite:///file.db`` or ``postgresql+psycopg://...``).
        pool_size: PostgreSQL connection pool size.
        autocommit: PostgreSQL connections in autocommit, from the start (a read-only
            pool: switching a pooled connection per checkout costs CPU every time).
    """
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 10})
        event.listen(engine, "connect", _sqlite_on_connect)
        return engine
    options: dict[str, Any] = {"isolation_level": "AUTOCOMMIT"} if autocommit else {}
    engine = create_engine(url, pool_size=pool_size, max_overflow=pool_size, **options)
    dialect = engine.dialect

    def check_alive(
        dbapi_connection: Any, record: ConnectionPoolEntry, proxy: PoolProxiedConnection
    ) -> None:
        if not _has_pending_input(dbapi_connection):
            return
        try:
            dialect.do_ping(dbapi_connection)
        except Exception as exc:
            # The pool discards this connection and checks out (or opens) another.
            raise DisconnectionError("the server closed this pooled connection") from exc

    event.listen(engine, "checkout", check_alive)
    return engine


def _has_pending_input(dbapi_connection: Any) -> bool:
    # An idle connection receives nothing unless the server is dropping it.
    try:
        readable, _, _ = select_io.select([dbapi_connection.fileno()], [], [], 0)
    except Exception:  # closed or unusable descriptor: let the ping decide
        return True
    return bool(readable)


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
