"""The one thread that stores what the MQTT subscription receives.

The paho callback only calls `IngestWorker.enqueue`; the worker drains the queue in
batches of up to `batch` messages, validates each (`accept_message`), stores all the
batch's events with ONE ``INSERT ... ON CONFLICT (event_id) DO NOTHING`` and commits, and
only then acknowledges the batch's messages to the broker: a message is never acknowledged
before it is stored (or refused for good), so a crash loses nothing. A message it refuses,
or one that fails to store while the database works (a poison message), is counted, logged
and kept as a dead letter (`central_api.ingest.dead_letters`) in the same transaction, then
acknowledged; it never stops the loop nor comes back. While the PostgreSQL server cannot be
reached (a restart, a failover) the batch waits and is tried again until it is stored: left
unacknowledged, its messages would fill the broker's in-flight window of this connection
(``max_inflight_messages``) and nothing more would reach this worker before it reconnects.
After each commit, what was new is handed,
decoded, to the taps (`central_api.ingest.taps`: the live dashboard).
"""

import logging
import queue
import threading
from collections.abc import Callable

import psycopg
from gate_protocol.messages import AccessEvent
from gate_protocol.topics import GateChannel, GateTopic, TopicError, parse_topic
from sqlalchemy import Engine
from sqlalchemy.exc import DBAPIError, DisconnectionError
from sqlmodel import Session, col, select

from central_api.bus.mqtt import Ack
from central_api.ingest.dead_letters import (
    count_dead_letters,
    dead_letter,
    describe_error,
    keep_store_failure,
)
from central_api.ingest.store import (
    RejectedMessage,
    accept_message,
    store_event_batch,
    store_message,
)
from central_api.ingest.taps import GateMessage, Ingested, IngestTap, IngestTaps
from central_api.metrics import INGEST_QUEUE, INGEST_REJECTED_TOTAL
from central_api.models import Gate, Site

__all__ = ["ChannelHandler", "IngestWorker"]

logger = logging.getLogger(__name__)
_Item = tuple[str, bytes, Ack | None]
ChannelHandler = Callable[[str, bytes], object]
# Waits between tries of a batch while the database is away (doubling up to the maximum).
_RETRY_MIN_S = 0.2
_RETRY_MAX_S = 5.0


class IngestWorker:
    """The one thread that stores MQTT messages; the paho callback only calls `enqueue`."""

    def __init__(
        self, *, engine: Engine, maxsize: int = 50_000, batch: int = 500, tap_received: bool = True
    ) -> None:
        """Set the worker up (`start` runs it).

        Args:
            engine: Where to store.
            maxsize: Queue bound (a full queue makes paho's thread wait, then drops).
            batch: Most messages stored per transaction.
            tap_received: Hand what this worker stores from MQTT to the taps too (False
                when a separate live connection feeds them through `offer_live`).
        """
        self._engine = engine
        self._queue: queue.Queue[_Item | None] = queue.Queue(maxsize=maxsize)
        self._batch = batch
        self._tap_received = tap_received
        self._thread = threading.Thread(target=self._run, name="portgate-ingest", daemon=True)
        self.processed = 0
        self._idle = threading.Event()
        self._stopping = threading.Event()
        self.taps = IngestTaps()
        self._routes: dict[GateChannel, ChannelHandler] = {}

    def route(self, channel: GateChannel, handler: ChannelHandler) -> None:
        """Hand this channel's messages to `handler` on this thread (acknowledged after it).

        For messages that are not events (a camera still): the handler stores or refuses
        each itself and must not raise.
        """
        self._routes[channel] = handler

    def add_tap(self, tap: IngestTap) -> None:
        """Also hand what is stored to `tap` (the live dashboard); it must not block."""
        self.taps.add(tap)

    def enqueue(self, topic: str, payload: bytes, ack: Ack | None = None) -> None:
        """Queue one message (called on paho's network thread; waits at most 5 s if full).

        `ack` is called once the message is stored or refused for good; a message dropped
        because the queue is full is not acknowledged (the broker keeps it for us).
        """
        try:
            self._queue.put((topic, payload, ack), timeout=5)
        except queue.Full:
            INGEST_REJECTED_TOTAL.labels(reason="queue_full").inc()
            logger.error("ingest queue full: message on %s left to the broker", topic)
        INGEST_QUEUE.set(self._queue.qsize())

    def offer_live(self, topic: str, payload: bytes) -> None:
        """Hand one message to the taps only (the per-process live connection)."""
        self.taps.received(topic, payload)

    def start(self) -> None:
        """Start the storing thread (again, after a stop: an app's lifespan may rerun)."""
        if self._thread.is_alive():
            return
        self._stopping.clear()
        if self._thread.ident is not None:
            self._thread = threading.Thread(target=self._run, name="portgate-ingest", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 5.0) -> None:
        """Store what is queued, then stop (a batch waiting for the database is left)."""
        self._stopping.set()
        self._queue.put(None)
        self._thread.join(timeout)

    def wait_idle(self, timeout: float) -> bool:
        """Block until the queue is drained (tests and the benchmark)."""
        self._idle.clear()
        if self._queue.empty():
            self._queue.put_nowait(("", b"", None))  # a no-op marker that sets the idle flag
        return self._idle.wait(timeout)

    def _run(self) -> None:
        running = True
        while running:
            item = self._queue.get()
            items: list[_Item] = []
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

    def _store(self, items: list[_Item]) -> None:
        real = [item for item in items if item[0] and not self._routed(item)]
        if not real:
            return
        stored = self._store_all(real)
        if stored is None:
            stored = [
                one for topic, payload, ack in real if (one := self._store_one(topic, payload, ack))
            ]
        self.processed += len(real)
        if self._tap_received:
            self.taps.ingested(stored)

    def _routed(self, item: _Item) -> bool:
        channel = _channel_of(item[0]) if self._routes else None
        handler = self._routes.get(channel) if channel is not None else None
        if handler is None:
            return False
        handler(item[0], item[1])
        _ack_all([item])
        return True

    def _store_all(self, real: list[_Item]) -> list[Ingested] | None:
        """Store and acknowledge the batch in one transaction; None: store it one by one.

        While the database cannot be reached the batch is tried again (see the module
        docstring); a commit whose outcome was lost is safe to repeat: events are stored
        once per event_id.
        """
        delay = _RETRY_MIN_S
        while True:
            dead: list[str] = []
            try:
                with Session(self._engine) as session:
                    stored = self._store_batch(session, real, dead)
                    session.commit()
            except Exception as exc:
                if _server_gone(exc) and not self._stopping.is_set():
                    logger.warning(
                        "database unreachable, %d messages wait %.1f s: %s",
                        len(real),
                        delay,
                        describe_error(exc),
                    )
                    self._stopping.wait(delay)
                    delay = min(delay * 2, _RETRY_MAX_S)
                    continue
                logger.exception("ingest batch failed; storing its messages one by one")
                return None
            count_dead_letters(dead)
            _ack_all(real)
            return stored

    def _store_one(self, topic: str, payload: bytes, ack: Ack | None) -> Ingested | None:
        dead: list[str] = []
        try:
            with Session(self._engine) as session:
                stored = self._handle(session, topic, payload, dead)
                session.commit()
        except Exception as exc:
            INGEST_REJECTED_TOTAL.labels(reason="store_error").inc()
            logger.exception("message on %s could not be stored", topic[:200])
            if keep_store_failure(engine=self._engine, topic=topic, payload=payload, exc=exc):
                _ack_all([(topic, payload, ack)])
            # Else not acknowledged: the database is away, the broker delivers it again.
            return None
        count_dead_letters(dead)
        _ack_all([(topic, payload, ack)])
        return stored

    def _store_batch(self, session: Session, items: list[_Item], dead: list[str]) -> list[Ingested]:
        # Every gate of the batch and its site in two queries, held until the batch is
        # stored: accept_message and the insider checks then find them in the session's
        # identity map (which holds objects only as long as someone references them).
        gate_ids = {_gate_of(topic) for topic, _, _ in items} - {None}
        held: list[object] = []
        if gate_ids:
            gates = session.exec(select(Gate).where(col(Gate.id).in_(gate_ids))).all()
            site_ids = {gate.site_id for gate in gates}
            held = [*gates, *session.exec(select(Site).where(col(Site.id).in_(site_ids))).all()]
        events: list[tuple[str, str, AccessEvent]] = []
        stored: list[Ingested] = []
        for topic, payload, _ in items:
            accepted = self._accept(session, topic, payload, dead)
            if accepted is None:
                continue
            gate, message = accepted
            if isinstance(message, AccessEvent):
                events.append((gate.site_id, gate.id, message))
            elif not store_message(session=session, gate=gate, message=message):
                continue
            stored.append(Ingested(gate.site_id, gate.id, message))
        new_ids = set(store_event_batch(session=session, events=events).stored_ids)
        held.clear()
        # What is new, in the order received (an event stored before is not news).
        return [
            one
            for one in stored
            if not isinstance(one.message, AccessEvent) or one.message.event_id in new_ids
        ]

    @staticmethod
    def _accept(
        session: Session, topic: str, payload: bytes, dead: list[str]
    ) -> tuple[Gate, GateMessage] | None:
        """The message's gate and model, or None: refused, kept as a dead letter."""
        try:
            return accept_message(session=session, topic=topic, payload=payload)
        except RejectedMessage as exc:
            INGEST_REJECTED_TOTAL.labels(reason=exc.reason).inc()
            logger.warning("MQTT message on %s rejected: %s", topic[:200], exc)
            session.add(
                dead_letter(topic=topic, payload=payload, reason=exc.reason, error=str(exc))
            )
            dead.append(exc.reason)
            return None

    @classmethod
    def _handle(
        cls, session: Session, topic: str, payload: bytes, dead: list[str]
    ) -> Ingested | None:
        # Every rejection happens before the message writes anything, so no savepoint.
        accepted = cls._accept(session, topic, payload, dead)
        if accepted is None:
            return None
        gate, message = accepted
        if not store_message(session=session, gate=gate, message=message):
            return None
        return Ingested(gate.site_id, gate.id, message)


def _server_gone(exc: BaseException) -> bool:
    # The PostgreSQL server went away or refuses connections for now (a restart, a
    # failover): worth waiting for. Not SQLite's OperationalError, which also means a
    # database without our tables.
    if isinstance(exc, DisconnectionError):
        return True
    if isinstance(exc, DBAPIError):
        return exc.connection_invalidated or isinstance(exc.orig, psycopg.OperationalError)
    return False


def _channel_of(topic: str) -> GateChannel | None:
    try:
        parsed = parse_topic(topic)
    except TopicError:
        return None
    return parsed.channel if isinstance(parsed, GateTopic) else None


def _gate_of(topic: str) -> str | None:
    try:
        parsed = parse_topic(topic)
    except TopicError:
        return None
    return parsed.gate if isinstance(parsed, GateTopic) else None


def _ack_all(items: list[_Item]) -> None:
    for _, _, ack in items:
        if ack is not None:
            try:
                ack()
            except Exception:  # the broker link may be down; it redelivers then
                logger.exception("acknowledging an MQTT message failed")
