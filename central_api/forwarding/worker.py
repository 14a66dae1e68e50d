"""The forwarding worker: read after the cursor, send a bounded batch, then move the cursor.

The cursor moves in the same transaction that reads nothing else, and only after
`send_batch` confirmed the batch, so a collector that is down, refuses TLS or resets
loses nothing: the same rows go again on the next try (exponential backoff, at most a
minute). A batch that reached the collector just before the process died is sent again
after the restart: delivery is at-least-once, and each line carries its row's id.
"""

from __future__ import annotations

import logging
import socket
import threading
from collections.abc import Callable

from sqlalchemy import Engine
from sqlmodel import Session

from central_api.db import utc_now
from central_api.forwarding.records import Kind, rows_after
from central_api.forwarding.sender import DeliveryError, send_batch
from central_api.forwarding.settings import ForwardingSettings
from central_api.forwarding.syslog_format import (
    BodyFormat,
    SyslogRecord,
    cef_body,
    frame,
    json_body,
    syslog_line,
)
from central_api.forwarding.tables import ForwardCursor

__all__ = ["BATCH", "ForwardingWorker"]

log = logging.getLogger(__name__)

BATCH = 200
_MAX_BACKOFF_S = 60.0
_VERSION = "0.1.0"


class ForwardingWorker:
    """Forwards the configured kinds to one syslog target on its own thread."""

    def __init__(
        self,
        *,
        engine: Engine,
        settings: ForwardingSettings,
        poll_s: float = 1.0,
        hostname: str | None = None,
        send: Callable[..., None] = send_batch,
    ) -> None:
        self._engine = engine
        self._settings = settings
        self._poll_s = poll_s
        self._hostname = hostname or socket.gethostname()
        self._send = send
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def _body(self, record: SyslogRecord) -> str:
        if self._settings.body is BodyFormat.CEF:
            return cef_body(record, version=_VERSION)
        return json_body(record)

    def forward_once(self, kind: Kind) -> int:
        """Send the next batch of `kind`; the number of rows delivered (0: none waited).

        Raises:
            DeliveryError: the batch did not arrive; the cursor did not move.
        """
        target = self._settings.target
        with Session(self._engine) as session:
            cursor = session.get(ForwardCursor, (kind.value, target.name))
            last_id = cursor.last_id if cursor is not None else 0
            rows = rows_after(session, kind, last_id, BATCH)
        if not rows:
            return 0
        frames = [
            frame(syslog_line(record, self._body(record), hostname=self._hostname))
            for _, record in rows
        ]
        self._send(target, frames)
        with Session(self._engine) as session:
            cursor = session.get(ForwardCursor, (kind.value, target.name))
            if cursor is None:
                cursor = ForwardCursor(kind=kind.value, target=target.name)
            cursor.last_id = max(cursor.last_id, rows[-1][0])
            cursor.updated_at = utc_now()
            session.add(cursor)
            session.commit()
        return len(rows)

    def forward_all(self) -> int:
        """Forward every kind until nothing waits; the rows delivered.

        Raises:
            DeliveryError: a batch did not arrive (batches before it stay delivered).
        """
        total = 0
        for kind in self._settings.kinds:
            while sent := self.forward_once(kind):
                total += sent
        return total

    def _run(self) -> None:
        backoff = self._poll_s
        while not self._stop.is_set():
            try:
                self.forward_all()
                backoff = self._poll_s
            except DeliveryError as exc:
                log.error("forwarding paused, nothing lost, retry in %.0f s: %s", backoff, exc)
                self._stop.wait(backoff)
                backoff = min(backoff * 2, _MAX_BACKOFF_S)
                continue
            except Exception:  # a database hiccup must not end forwarding for good
                log.exception("forwarding failed, retry in %.0f s", backoff)
            self._stop.wait(self._poll_s)

    def start(self) -> None:
        """Start the thread (daemon: a stuck collector never holds the process)."""
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name="portgate-forwarding", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Stop the thread and wait for it."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=30)
            self._thread = None
