"""The decision's live-state read on the event loop: concurrent reads share one statement.

A warm decision needs one read (the live state); made on the event loop it needs no
worker thread (whose hand-offs cost about as much CPU as the read) and no SQLAlchemy
layer. PostgreSQL only: SQLite has no asynchronous driver worth the name.

Reads asked while the connections are busy wait together and go out as one statement
(`LIVE_STATES_SQL`, up to `max_batch` decisions): under load the statement's fixed cost
(a round trip, a snapshot, the executor's start) and the loop's I/O are paid once per
batch instead of once per decision. An idle gate's read goes out on the next turn of the
loop, alone. Every read's statement starts after it was asked, so it sees every passage
committed before the request came.

The reader never raises: any failure (no connection, a broken one, a read slower than
`timeout_s`) answers None, the connection is dropped, the reads waiting then are answered
None too, and the reader rests for `rest_s` so that a database in trouble is not
hammered with connects. The caller then decides on a worker thread through the engine's
pool, which has its own reconnect handling (`central_api.db`), and whose failure is the
request's answer.
"""

import asyncio
import logging
import time
from dataclasses import dataclass, field
from datetime import datetime

import psycopg
from sqlalchemy import Engine

from central_api.decisions.live_state import LIVE_STATES_SQL, LiveState, live_state_of

__all__ = ["LiveReader", "conninfo_of"]

logger = logging.getLogger(__name__)


def conninfo_of(engine: Engine) -> str:
    """The libpq connection string of a PostgreSQL `engine` (its URL without the driver)."""
    return engine.url.set(drivername="postgresql").render_as_string(hide_password=False)


_Connection = psycopg.AsyncConnection[tuple[object, ...]]
_Row = tuple[object, ...]
_FAILURES = (OSError, TimeoutError, psycopg.Error)


@dataclass(slots=True)
class _Asked:
    """One decision's read, waiting for its batch."""

    site_id: str
    person_id: str | None
    zone_id: str
    before: datetime
    answer: "asyncio.Future[_Row | None]" = field(repr=False)


class LiveReader:
    """Up to `size` autocommit connections, made on first use, each running batches of reads.

    `reads` and `failures` count the reads answered and failed; `batches` the statements
    run.
    """

    def __init__(
        self,
        conninfo: str,
        *,
        size: int = 4,
        timeout_s: float = 1.0,
        rest_s: float = 1.0,
        max_batch: int = 64,
    ) -> None:
        """Configure the reader (nothing connects yet).

        Args:
            conninfo: libpq connection string (`conninfo_of`).
            size: Connections at most, each with one statement in flight at a time.
            timeout_s: A read not answered in this long fails (None answered); so does a
                connect or statement slower than this.
            rest_s: After a failure, answer None at once for this long.
            max_batch: Reads at most in one statement.
        """
        self._conninfo = conninfo
        self._size = size
        self._timeout_s = timeout_s
        self._rest_s = rest_s
        self._max_batch = max_batch
        self._idle: list[_Connection] = []
        self._waiting: list[_Asked] = []
        self._runners = 0
        self._runner_due = False  # a runner was started and has not taken its batch yet
        self._tasks: set[asyncio.Task[None]] = set()
        self._closed = False
        self._resting_until = 0.0
        self.reads = 0
        self.failures = 0
        self.batches = 0

    async def read(
        self, *, site_id: str, person_id: str | None, zone_id: str, before: datetime
    ) -> LiveState | None:
        """The live state (as `read_live_state` reads it), or None when it could not be read."""
        if self._closed or time.monotonic() < self._resting_until:
            return None
        asked = _Asked(
            site_id, person_id, zone_id, before, asyncio.get_running_loop().create_future()
        )
        self._waiting.append(asked)
        self._start_runner()
        try:
            async with asyncio.timeout(self._timeout_s):
                row = await asked.answer
        except _FAILURES as exc:
            self.failures += 1
            self._resting_until = max(self._resting_until, time.monotonic() + self._rest_s)
            logger.warning("live-state read on the event loop failed (%s); using the pool", exc)
            return None
        if row is None:
            return None  # no such site: the thread path gives the caller its answer
        self.reads += 1
        return live_state_of(row[1:])

    async def close(self) -> None:
        """Close the idle connections; those in use are closed when their batches end."""
        self._closed = True
        # Reads still waiting for a batch are answered None now, not at their timeout.
        self._fail(self._waiting, ConnectionError("live-state reader closed"))
        self._waiting = []
        idle, self._idle = self._idle, []
        for connection in idle:
            await connection.close()

    def _start_runner(self) -> None:
        """Start a runner for the waiting reads, unless one is due or all connections run."""
        if self._runner_due or self._runners >= self._size or not self._waiting:
            return
        self._runners += 1
        self._runner_due = True
        # Started, not run: the reads asked in this turn of the loop join its first batch.
        task = asyncio.get_running_loop().create_task(self._run())
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _run(self) -> None:
        """Take the waiting reads in batches on one connection until none wait."""
        connection: _Connection | None = None
        try:
            while self._waiting and not self._closed:
                self._runner_due = False
                batch = [a for a in self._waiting[: self._max_batch] if not a.answer.done()]
                del self._waiting[: self._max_batch]
                self._start_runner()  # more than one batch waits: another connection helps
                if not batch:
                    continue
                try:
                    async with asyncio.timeout(self._timeout_s):
                        if connection is None:
                            connection = self._idle.pop() if self._idle else await self._connect()
                        rows = await self._read_batch(connection, batch)
                except BaseException as exc:
                    # Its state after a failure or a cancelled read is unknown: not reused.
                    if connection is not None:
                        await _close_quietly(connection)
                        connection = None
                    failed = exc if isinstance(exc, Exception) else ConnectionError("cancelled")
                    self._fail(batch + self._waiting, failed)
                    self._waiting = []
                    if not isinstance(exc, Exception):
                        raise
                    continue
                self.batches += 1
                for i, asked in enumerate(batch, start=1):
                    if not asked.answer.done():
                        asked.answer.set_result(rows.get(i))
        finally:
            self._runners -= 1
            self._runner_due = False
            if connection is not None:
                if self._closed:
                    await _close_quietly(connection)
                else:
                    self._idle.append(connection)
            self._start_runner()  # reads asked while this one was finishing

    async def _read_batch(self, connection: _Connection, batch: list[_Asked]) -> dict[int, _Row]:
        """Run one statement for `batch`: its rows by 1-based position."""
        params = {
            "site_ids": [a.site_id for a in batch],
            "person_ids": [a.person_id for a in batch],
            "zone_ids": [a.zone_id for a in batch],
            "befores": [a.before for a in batch],
        }
        cursor = await connection.execute(LIVE_STATES_SQL, params)
        return {int(row[0]): row for row in await cursor.fetchall()}  # type: ignore[call-overload]

    @staticmethod
    def _fail(batch: list[_Asked], exc: Exception) -> None:
        for asked in batch:
            if not asked.answer.done():
                asked.answer.set_exception(exc)

    async def _connect(self) -> _Connection:
        return await psycopg.AsyncConnection.connect(self._conninfo, autocommit=True)


async def _close_quietly(connection: _Connection) -> None:
    """Close a connection whose state is unknown; a broken one may fail to close cleanly."""
    try:
        await connection.close()
    except (OSError, psycopg.Error):
        logger.debug("closing a failed live-state connection failed too", exc_info=True)
