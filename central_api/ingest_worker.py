"""The one thread that stores what the MQTT subscription receives.

The paho callback only calls `IngestWorker.enqueue`; the worker drains the queue in
batches, validates each message (`accept_message`) and stores events with one INSERT per
gate per batch. A message it refuses is counted and logged; it never stops the loop.
"""

import logging
import queue
import threading
from collections.abc import Callable
from typing import Any

from gate_protocol.messages import AccessEvent
from sqlalchemy import Engine
from sqlmodel import Session

from central_api.ingest import (
    RejectedMessage,
    accept_message,
    handle_message,
    store_events,
    store_message,
)
from central_api.metrics import INGEST_QUEUE, INGEST_REJECTED_TOTAL
from central_api.models import Gate

__all__ = ["IngestWorker"]

logger = logging.getLogger(__name__)


class IngestWorker:
    """The one thread that stores MQTT messages; the paho callback only calls `enqueue`."""

    def __init__(self, *, engine: Engine, maxsize: int = 50_000, batch: int = 500) -> None:
        self._engine = engine
        self._queue: queue.Queue[tuple[str, bytes] | None] = queue.Queue(maxsize=maxsize)
        self._batch = batch
        self._thread = threading.Thread(target=self._run, name="portgate-ingest", daemon=True)
        self.processed = 0
        self._idle = threading.Event()
        self._taps: list[Callable[[str, bytes], None]] = []

    def add_tap(self, tap: Callable[[str, bytes], None]) -> None:
        """Also hand every received message to `tap` (the live dashboard); it must not block."""
        self._taps.append(tap)

    def enqueue(self, topic: str, payload: bytes) -> None:
        """Queue one message (called on paho's network thread; waits at most 5 s if full)."""
        try:
            self._queue.put((topic, payload), timeout=5)
        except queue.Full:
            INGEST_REJECTED_TOTAL.labels(reason="queue_full").inc()
            logger.error("ingest queue full: message on %s dropped", topic)
        INGEST_QUEUE.set(self._queue.qsize())
        for tap in self._taps:
            try:
                tap(topic, payload)
            except Exception:  # a live-view problem must never stop storing
                logger.exception("ingest tap failed")

    def start(self) -> None:
        """Start the storing thread (again, after a stop: an app's lifespan may rerun)."""
        if self._thread.is_alive():
            return
        if self._thread.ident is not None:
            self._thread = threading.Thread(target=self._run, name="portgate-ingest", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 5.0) -> None:
        """Store what is queued, then stop."""
        self._queue.put(None)
        self._thread.join(timeout)

    def wait_idle(self, timeout: float) -> bool:
        """Block until the queue is drained (tests and the benchmark)."""
        self._idle.clear()
        if self._queue.empty():
            self._queue.put_nowait(("", b""))  # a no-op marker that sets the idle flag
        return self._idle.wait(timeout)

    def _run(self) -> None:
        running = True
        while running:
            item = self._queue.get()
            items: list[tuple[str, bytes]] = []
            while True:
                if item is None:
                    running = False
                    break
                items.append(item)
                if len(items) >= self._batch:
                    break
                try:
                    item = self._queue.get_nowait()
                except queue.Empty:
                    break
            self._store(items)
            INGEST_QUEUE.set(self._queue.qsize())
            if self._queue.empty():
                self._idle.set()

    def _store(self, items: list[tuple[str, bytes]]) -> None:
        real = [(topic, payload) for topic, payload in items if topic]
        if not real:
            return
        try:
            with Session(self._engine) as session:
                # Events go in one INSERT per gate; alarms and statuses one by one.
                events: dict[tuple[str, str], list[AccessEvent]] = {}
                for topic, payload in real:
                    accepted = self._accept(session, topic, payload)
                    if accepted is None:
                        continue
                    gate, message = accepted
                    if isinstance(message, AccessEvent):
                        events.setdefault((gate.site_id, gate.id), []).append(message)
                    else:
                        store_message(session=session, gate=gate, message=message)
                for (site_id, gate_id), group in events.items():
                    store_events(session=session, site_id=site_id, gate_id=gate_id, events=group)
                session.commit()
        except Exception:
            logger.exception("ingest batch failed; storing its messages one by one")
            for topic, payload in real:
                try:
                    with Session(self._engine) as session:
                        self._handle(session, topic, payload)
                        session.commit()
                except Exception:
                    INGEST_REJECTED_TOTAL.labels(reason="store_error").inc()
                    logger.exception("message on %s could not be stored", topic)
        self.processed += len(real)

    @staticmethod
    def _accept(session: Session, topic: str, payload: bytes) -> tuple[Gate, Any] | None:
        try:
            return accept_message(session=session, topic=topic, payload=payload)
        except RejectedMessage as exc:
            INGEST_REJECTED_TOTAL.labels(reason=exc.reason).inc()
            logger.warning("MQTT message on %s rejected: %s", topic[:200], exc)
            return None

    @staticmethod
    def _handle(session: Session, topic: str, payload: bytes) -> None:
        # Every rejection happens before the message writes anything, so no savepoint.
        try:
            handle_message(session=session, topic=topic, payload=payload)
        except RejectedMessage as exc:
            INGEST_REJECTED_TOTAL.labels(reason=exc.reason).inc()
            logger.warning("MQTT message on %s rejected: %s", topic[:200], exc)
