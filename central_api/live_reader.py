"""The decision's live-state read on the event loop, through a few psycopg connections.

A warm decision needs one read (`LIVE_STATE_SQL`); made on the event loop it needs no
worker thread (whose hand-offs cost about as much CPU as the read) and no SQLAlchemy
layer. PostgreSQL only: SQLite has no asynchronous driver worth the name.

The reader never raises: any failure (no connection, a broken one, a read slower than
`timeout_s`) answers None, the connection is dropped, and the reader rests for
`rest_s` so that a database in trouble is not hammered with connects. The caller then
decides on a worker thread through the engine's pool, which has its own reconnect
handling (`central_api.db`), and whose failure is the request's answer.
"""

import asyncio
import logging
import re
import time
from datetime import datetime

import psycopg
from sqlalchemy import Engine

from central_api.decision_live_state import LIVE_STATE_SQL, LiveState, live_state_of

__all__ = ["LiveReader", "conninfo_of"]

logger = logging.getLogger(__name__)

# psycopg's placeholders for the statement's :name parameters.
_SQL = re.sub(r":(\w+)", r"%(\1)s", LIVE_STATE_SQL)


def conninfo_of(engine: Engine) -> str:
    """The libpq connection string of a PostgreSQL `engine` (its URL without the driver)."""
    return engine.url.set(drivername="postgresql").render_as_string(hide_password=False)


_Connection = psycopg.AsyncConnection[tuple[object, ...]]


class LiveReader:
    """Up to `size` autocommit connections, made on first use, shared by the loop's tasks.

    `reads` and `failures` count the reads answered and failed.
    """

    def __init__(
        self, conninfo: str, *, size: int = 8, timeout_s: float = 1.0, rest_s: float = 1.0
    ) -> None:
        """Configure the reader (nothing connects yet).

        Args:
            conninfo: libpq connection string (`conninfo_of`).
            size: Connections at most (reads beyond wait for one).
            timeout_s: A wait, connect or read slower than this fails (None answered).
            rest_s: After a failure, answer None at once for this long.
        """
        self._conninfo = conninfo
        self._slots = asyncio.Semaphore(size)
        self._timeout_s = timeout_s
        self._rest_s = rest_s
        self._idle: list[_Connection] = []
        self._closed = False
        self._resting_until = 0.0
        self.reads = 0
        self.failures = 0

    async def read(
        self, *, site_id: str, person_id: str | None, zone_id: str, before: datetime
    ) -> LiveState | None:
        """The live state (as `read_live_state` reads it), or None when it could not be read."""
        if self._closed or time.monotonic() < self._resting_until:
            return None
        params: dict[str, object] = {
            "site_id": site_id,
            "person_id": person_id,
            "zone_id": zone_id,
            "before": before,
        }
        try:
            async with asyncio.timeout(self._timeout_s), self._slots:
                row = await self._read_on_a_connection(params)
        except (OSError, TimeoutError, psycopg.Error) as exc:
            self.failures += 1
            self._resting_until = time.monotonic() + self._rest_s
            logger.warning("live-state read on the event loop failed (%s); using the pool", exc)
            return None
        if row is None:
            return None  # no such site: the thread path gives the caller its answer
        self.reads += 1
        return live_state_of(row)

    async def close(self) -> None:
        """Close the idle connections; those in use are closed when their reads end."""
        self._closed = True
        idle, self._idle = self._idle, []
        for connection in idle:
            await connection.close()

    async def _read_on_a_connection(self, params: dict[str, object]) -> tuple[object, ...] | None:
        connection = self._idle.pop() if self._idle else await self._connect()
        try:
            cursor = await connection.execute(_SQL, params)
            row = await cursor.fetchone()
        except BaseException:
            # Its state after a failure or a cancelled read is unknown: closed, not reused.
            await connection.close()
            raise
        if self._closed:
            await connection.close()
        else:
            self._idle.append(connection)
        return row

    async def _connect(self) -> _Connection:
        return await psycopg.AsyncConnection.connect(self._conninfo, autocommit=True)
