"""Publishing the audit chain's head outside the database, now and then, from a thread.

At start, then whenever `every` rows were appended since the last publication (checked
each `poll_s`) or `interval_s` passed with the head moved, the head goes to a retained
MQTT message on the site's `AuditHeadTopic` and as one line to the append-only file. A
failure to publish is logged and retried on the next round: it never touches a request.
"""

import logging
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from gate_protocol.messages import AuditHead
from gate_protocol.topics import AuditHeadTopic
from sqlalchemy import Engine
from sqlmodel import Session

from central_api.audit.anchor import append_head_line, current_head
from central_api.bus.mqtt import MessageBus

__all__ = ["HeadPublisher", "HeadTargets"]

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class HeadTargets:
    """Where heads go: a site's retained topic on `bus` and/or an append-only file."""

    bus: MessageBus | None = None
    site: str | None = None
    file: Path | None = None

    @property
    def any(self) -> bool:
        """Whether there is anywhere to publish."""
        return (self.bus is not None and self.site is not None) or self.file is not None


class HeadPublisher:
    """Publishes the audit head from a daemon thread (`start`, `stop`) or on demand."""

    def __init__(
        self,
        *,
        engine: Engine,
        targets: HeadTargets,
        interval_s: float = 60.0,
        every: int = 100,
        poll_s: float = 5.0,
    ) -> None:
        """Configure (nothing runs before `start`).

        Args:
            engine: The database whose chain head is published.
            targets: Where to publish.
            interval_s: Publish at least this often while the head moves.
            every: Publish as soon as this many rows were appended since the last time.
            poll_s: How often the head is read (one row by primary key).
        """
        self._engine = engine
        self._targets = targets
        self._interval_s = interval_s
        self._every = every
        self._poll_s = min(poll_s, interval_s)
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._last: AuditHead | None = None
        self._last_at = 0.0

    def start(self) -> None:
        """Publish the head now, then keep publishing from a daemon thread."""
        if not self._targets.any:
            return
        self._thread = threading.Thread(target=self._run, name="audit-head", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Stop the thread (a publication in progress finishes first)."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=10)

    def publish_now(self) -> AuditHead:
        """Read the head and publish it to every target; returns what was published."""
        with Session(self._engine) as session:
            head = current_head(session)
        if self._targets.bus is not None and self._targets.site is not None:
            self._targets.bus.publish(AuditHeadTopic(site=self._targets.site), head, retain=True)
        if self._targets.file is not None:
            append_head_line(self._targets.file, head)
        self._last, self._last_at = head, time.monotonic()
        return head

    def _due(self) -> bool:
        if self._last is None:
            return True
        with Session(self._engine) as session:
            seq = current_head(session).seq
        moved = seq - self._last.seq
        if moved >= self._every:
            return True
        return moved != 0 and time.monotonic() - self._last_at >= self._interval_s

    def _run(self) -> None:
        while True:
            try:
                if self._due():
                    self.publish_now()
            except Exception:  # a database or file hiccup: try again next round
                logger.exception("publishing the audit head failed; retrying")
            if self._stop.wait(self._poll_s):
                return
