"""The live feed: what this process stores or receives, turned into board updates and hub items.

`LiveFeed.offer_ingested` takes what this process's ingest stored, already decoded, from
MQTT and from gates' HTTP re-sends alike (`central_api.ingest.taps`); `LiveFeed.offer`
takes raw messages this process receives but does not store (the site alarm topic, the
per-process live connection when several processes share the MQTT subscription) and every
message this process itself releases after a commit (the local tap of
`central_api.bus.notify`). Both only do a non-blocking ``put_nowait`` on a bounded queue;
one feed thread decodes what is raw, names the person, updates the gate board and
publishes to the hub. Every API replica subscribes to the broker itself, so every
replica's browsers see every event that reaches the broker, whichever replica's insert
won, and every alarm an API replica raised or acknowledged (site alarm topic); an event a
gate re-sends over HTTP is shown by the replica that stored it. Duplicates (at-least-once
delivery, and a replica's own notice arriving both locally and back from the broker) are
dropped here by id. Every hub item is tagged with its site, so each browser gets only what
its user may see (`LiveHub`).
"""

import logging
import queue
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Sequence
from typing import Any

from gate_protocol.messages import (
    AccessEvent,
    AlarmAcknowledged,
    AlarmNotice,
    AlarmRaised,
    GateState,
    Message,
    MessageError,
    NodeStatus,
    decode_message,
)
from gate_protocol.topics import SiteAlarmTopic, TopicError, parse_topic
from sqlalchemy import Engine
from sqlmodel import Session

from central_api.dashboard.board import GateBoard, GateMeta
from central_api.dashboard.hub import LiveHub, LiveItem
from central_api.dashboard.queries import load_gate_metas, load_people
from central_api.dashboard.views import (
    PersonInfo,
    ack_view_from_message,
    alarm_view_from_message,
    alarm_view_from_notice,
    event_view_from_message,
)
from central_api.ingest.store import RejectedMessage, decode_gate_message
from central_api.ingest.taps import Ingested

__all__ = ["LiveFeed"]

logger = logging.getLogger(__name__)
_SEEN_IDS = 20_000
_PEOPLE_KEPT = 50_000
_BATCH = 500  # messages handled together at most
_GATE_REFRESH_S = 5.0


_Raw = tuple[str, bytes]
# A message of the site alarm topic (an API replica's alarm or acknowledgement).
_SiteMessage = tuple[str, Message]


class LiveFeed:
    """Push what ingest stored or received to the board and the hub, off ingest's path."""

    def __init__(
        self,
        *,
        engine: Engine,
        hub: LiveHub,
        board: GateBoard,
        maxsize: int = 10_000,
        person_ttl_s: float = 60.0,
    ) -> None:
        self._engine = engine
        self._hub = hub
        self._board = board
        self._queue: queue.Queue[_Raw | Ingested | None] = queue.Queue(maxsize=maxsize)
        self._person_ttl = person_ttl_s
        self._people: dict[str, tuple[float, PersonInfo | None]] = {}
        self._seen: OrderedDict[str, None] = OrderedDict()
        self._gates_loaded_at = -_GATE_REFRESH_S
        self._thread: threading.Thread | None = None
        self._start_lock = threading.Lock()
        self.dropped = 0
        self.handled = 0

    def offer(self, topic: str, payload: bytes) -> None:
        """Take one raw message; never blocks (a full queue drops it for the live view only)."""
        self._put((topic, payload))

    def offer_ingested(self, messages: Sequence[Ingested]) -> None:
        """Take what ingest stored, decoded; never blocks (like `offer`)."""
        for message in messages:
            self._put(message)

    def _put(self, item: _Raw | Ingested) -> None:
        self.start()
        try:
            self._queue.put_nowait(item)
        except queue.Full:
            self.dropped += 1
            if self.dropped % 1000 == 1:
                logger.warning("live feed queue full: %d messages skipped so far", self.dropped)

    def start(self) -> None:
        """Start the feed thread once (daemon: it holds nothing that must be flushed)."""
        if self._thread is not None:
            return
        with self._start_lock:
            if self._thread is None:
                thread = threading.Thread(target=self._run, name="portgate-live", daemon=True)
                thread.start()
                self._thread = thread

    def stop(self, timeout: float = 2.0) -> None:
        """Stop the feed thread."""
        if self._thread is not None:
            self._queue.put(None)
            self._thread.join(timeout)
            self._thread = None

    def wait_idle(self, timeout: float) -> bool:
        """Block until everything offered so far is handled (tests)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self._queue.unfinished_tasks == 0:
                return True
            time.sleep(0.01)
        return False

    def _run(self) -> None:
        while True:
            items = [self._queue.get()]
            # What waits is handled together: its people are named in one query.
            while len(items) < _BATCH:
                try:
                    items.append(self._queue.get_nowait())
                except queue.Empty:
                    break
            try:
                self.handle_batch([item for item in items if item is not None])
            finally:
                for _ in items:
                    self._queue.task_done()
            if None in items:
                return

    def handle(self, topic: str, payload: bytes) -> None:
        """Decode one message and publish what the browsers need."""
        self.handle_batch([(topic, payload)])

    def handle_batch(self, items: Sequence[_Raw | Ingested]) -> None:
        """Decode what is raw, name the people in one query, publish (the feed thread's body).

        One bad message never stops the others or the live view: it is logged and skipped.
        """
        decoded: list[Ingested | _SiteMessage] = []
        for item in items:
            try:
                one = item if isinstance(item, Ingested) else self._decode(*item)
            except Exception:
                logger.exception("live feed could not decode a message")
                continue
            if one is not None:
                decoded.append(one)
        people = {_person_of(one) for one in decoded}
        try:
            self._load_people(people)
        except Exception:  # the people are then looked up one by one
            logger.exception("live feed could not name a batch's people")
        for one in decoded:
            try:
                if isinstance(one, Ingested):
                    self._apply(one)
                else:
                    self._handle_site_alarm(*one)
            except Exception:
                logger.exception("live feed could not handle a message")

    @staticmethod
    def _decode(topic: str, payload: bytes) -> Ingested | _SiteMessage | None:
        """The message of a topic the live view shows, or None."""
        try:
            parsed = parse_topic(topic)
        except TopicError:
            return None
        if isinstance(parsed, SiteAlarmTopic):
            try:
                return parsed.site, decode_message(payload)
            except MessageError:
                logger.warning("undecodable message on the site alarm topic of %s", parsed.site)
                return None
        try:  # a gate's message that another process stores: decoded by ingest's rules
            gate_topic, message = decode_gate_message(topic, payload)
        except RejectedMessage:
            return None  # the process that stores it counts and logs the rejection
        return Ingested(gate_topic.site, gate_topic.gate, message)

    def _apply(self, ingested: Ingested) -> None:
        """Update the board and publish one gate's message."""
        message = ingested.message
        meta = self._gate(ingested.gate_id)
        if meta is None or meta.site_id != ingested.site_id:
            return
        self.handled += 1
        gate_id, site_id = meta.gate_id, meta.site_id
        if isinstance(message, AccessEvent):
            if self._seen_before("e:" + message.event_id):
                return
            person = self._person(message.person_id)
            view = event_view_from_message(message, site_id=site_id, gate_id=gate_id, person=person)
            self._board.apply_event(gate_id, view)
            self._publish("event", lambda: view, site_id=site_id)
            self._publish_tile(gate_id, site_id)
        elif isinstance(message, AlarmRaised):
            if self._seen_before("a:" + message.alarm_id):
                return
            self._publish(
                "alarm",
                lambda: alarm_view_from_message(message, site_id=site_id, gate_id=gate_id),
                site_id=site_id,
            )
        elif isinstance(message, NodeStatus):
            # The status's node matched its topic's (decode_gate_message checks it).
            if self._board.apply_node_status(gate_id, message):
                self._publish_tile(gate_id, site_id)
        elif isinstance(message, GateState) and self._board.apply_state(gate_id, message):
            self._publish_tile(gate_id, site_id)

    def _handle_site_alarm(self, site_id: str, message: Message) -> None:
        if isinstance(message, AlarmNotice):
            if message.gate_id is not None:
                meta = self._gate(message.gate_id)
                if meta is None or meta.site_id != site_id:
                    return
            if self._seen_before("a:" + message.alarm_id):
                return
            self.handled += 1
            person = self._person(message.person_id)
            self._publish(
                "alarm",
                lambda: alarm_view_from_notice(message, site_id=site_id, person=person),
                site_id=site_id,
            )
        elif isinstance(message, AlarmAcknowledged):
            if self._seen_before("k:" + message.alarm_id):
                return
            self.handled += 1
            self._publish(
                "alarm_ack",
                lambda: ack_view_from_message(message, site_id=site_id),
                site_id=site_id,
            )

    def _publish(self, channel: str, build: Callable[[], dict[str, Any]], *, site_id: str) -> None:
        # The site is the gate's (or the alarm topic's) as the database knows it, so a
        # site-bound viewer's stream gets exactly what their site's database rows show.
        # Built and serialised only while someone may see it: every API worker receives
        # every gate message, and most of the time no browser watches a given worker.
        if self._hub.watched(site_id):
            self._hub.publish(LiveItem.of(channel, build(), site_id=site_id))

    def _publish_tile(self, gate_id: str, site_id: str) -> None:
        self._publish("gate", lambda: self._board.tile(gate_id), site_id=site_id)

    def _seen_before(self, key: str) -> bool:
        if key in self._seen:
            return True
        self._seen[key] = None
        if len(self._seen) > _SEEN_IDS:
            self._seen.popitem(last=False)
        return False

    def _gate(self, gate_id: str) -> GateMeta | None:
        meta = self._board.meta(gate_id)
        now = time.monotonic()
        if meta is None and now - self._gates_loaded_at >= _GATE_REFRESH_S:
            # A gate added since we last looked (rate-limited: unknown ids cannot hammer the DB).
            self._gates_loaded_at = now
            with Session(self._engine) as session:
                self._board.set_gates(load_gate_metas(session=session))
            meta = self._board.meta(gate_id)
        return meta

    def _person(self, person_id: str | None) -> PersonInfo | None:
        if not person_id:
            return None
        cached = self._people.get(person_id)
        if cached is None or time.monotonic() - cached[0] >= self._person_ttl:
            self._load_people({person_id})
            cached = self._people.get(person_id)
        return None if cached is None else cached[1]

    def _load_people(self, person_ids: set[str | None]) -> None:
        """Look up, in one query, the people not named recently (an unknown one as None)."""
        now = time.monotonic()
        wanted = [
            person_id
            for person_id in person_ids
            if person_id
            and (
                (cached := self._people.get(person_id)) is None
                or now - cached[0] >= self._person_ttl
            )
        ]
        if not wanted:
            return
        with Session(self._engine) as session:
            found = load_people(session=session, person_ids=wanted)
        if len(self._people) + len(wanted) > _PEOPLE_KEPT:
            self._people.clear()
        for person_id in wanted:
            self._people[person_id] = (now, found.get(person_id))


def _person_of(one: Ingested | _SiteMessage) -> str | None:
    """Whom a message names on the live view (an event's person, an API alarm's)."""
    message = one.message if isinstance(one, Ingested) else one[1]
    return message.person_id if isinstance(message, AccessEvent | AlarmNotice) else None
