"""The in-process live hub: one producer (the ingest tap), many SSE clients.

Each client owns a bounded asyncio queue on its event loop. `LiveHub.publish` may be called
from any thread; it serialises the item once and hands it to each loop with
``call_soon_threadsafe``, so the producer never waits for a client. A client whose queue is
full is dropped (its stream ends; the browser reconnects and reloads a snapshot) rather than
slowing everyone else down.

Items carry the site they are about and clients the site they may see: a site-bound user's
stream gets its own site's items only, a site-wide admin's gets them all. An item about no
site (none is published so far) reaches site-wide clients only, so a forgotten site fails
closed.
"""

import asyncio
import json
import logging
import threading
from dataclasses import dataclass, field
from typing import Any

from prometheus_client import Counter, Gauge

__all__ = ["LiveHub", "LiveItem", "Subscription"]

logger = logging.getLogger(__name__)

LIVE_CLIENTS = Gauge("portgate_dashboard_clients", "Live dashboard streams connected now.")
LIVE_DROPPED = Counter(
    "portgate_dashboard_clients_dropped_total", "Live streams dropped because they fell behind."
)


@dataclass(frozen=True, slots=True)
class LiveItem:
    """One message for the browsers: an SSE event name, its JSON text and its site."""

    channel: str
    text: str
    site_id: str | None = None

    @classmethod
    def of(cls, channel: str, data: Any, *, site_id: str | None = None) -> "LiveItem":
        """Serialise `data` once (every client that may see `site_id` gets the same text)."""
        text = json.dumps(data, separators=(",", ":"), default=str)
        return cls(channel=channel, text=text, site_id=site_id)

    def to_sse(self) -> str:
        """The Server-Sent Events frame (JSON has no raw newlines, so one data line)."""
        return f"event: {self.channel}\ndata: {self.text}\n\n"


@dataclass(eq=False)
class Subscription:
    """One client's queue; `None` in the queue ends its stream.

    `site_id` is the one site the client may see; None: every site (a site-wide admin).
    """

    loop: asyncio.AbstractEventLoop
    queue: "asyncio.Queue[LiveItem | None]"
    site_id: str | None = None
    dropped: bool = field(default=False)

    def wants(self, item: LiveItem) -> bool:
        """Whether this client may see `item`."""
        return self.site_id is None or item.site_id == self.site_id

    async def next_item(self, idle_s: float) -> LiveItem | None:
        """The next item, or None after `idle_s` seconds of silence (or when dropped)."""
        try:
            return await asyncio.wait_for(self.queue.get(), idle_s)
        except TimeoutError:
            return None


class LiveHub:
    """Fan-out of live items to subscribed clients with bounded per-client queues."""

    def __init__(self, *, client_queue_size: int = 500, max_clients: int = 500) -> None:
        if client_queue_size < 1 or max_clients < 1:
            raise ValueError("queue size and client limit must be at least 1")
        self._size = client_queue_size
        self._max = max_clients
        self._lock = threading.Lock()
        self._subs: set[Subscription] = set()
        self.published = 0
        self.dropped = 0

    @property
    def client_count(self) -> int:
        """How many clients are subscribed."""
        with self._lock:
            return len(self._subs)

    def subscribe(self, *, site_id: str | None = None) -> Subscription:
        """Register a client of `site_id` (None: every site) on the running event loop."""
        loop = asyncio.get_running_loop()
        sub = Subscription(loop=loop, queue=asyncio.Queue(maxsize=self._size), site_id=site_id)
        with self._lock:
            if len(self._subs) >= self._max:
                raise OverflowError(f"too many live clients (limit {self._max})")
            self._subs.add(sub)
            LIVE_CLIENTS.set(len(self._subs))
        return sub

    def watched(self, site_id: str | None) -> bool:
        """Whether any client now may see `site_id` (nothing to build for the browsers if not)."""
        with self._lock:
            return any(sub.site_id is None or sub.site_id == site_id for sub in self._subs)

    def unsubscribe(self, sub: Subscription) -> None:
        """Forget a client (idempotent)."""
        with self._lock:
            self._subs.discard(sub)
            LIVE_CLIENTS.set(len(self._subs))

    def publish(self, item: LiveItem) -> None:
        """Offer `item` to every client that may see its site; never blocks, from any thread."""
        with self._lock:
            subs = [sub for sub in self._subs if sub.wants(item)]
        self.published += 1
        by_loop: dict[asyncio.AbstractEventLoop, list[Subscription]] = {}
        for sub in subs:
            by_loop.setdefault(sub.loop, []).append(sub)
        for loop, group in by_loop.items():
            try:
                loop.call_soon_threadsafe(self._deliver, group, item)
            except RuntimeError:  # the loop is closed: its clients are gone
                for sub in group:
                    self.unsubscribe(sub)

    def _deliver(self, group: list[Subscription], item: LiveItem) -> None:
        for sub in group:
            if sub.dropped or not sub.wants(item):
                continue
            try:
                sub.queue.put_nowait(item)
            except asyncio.QueueFull:
                self._drop(sub)

    def _drop(self, sub: Subscription) -> None:
        sub.dropped = True
        self.unsubscribe(sub)
        self.dropped += 1
        LIVE_DROPPED.inc()
        logger.warning("live dashboard client fell %d items behind: dropped", self._size)
        # Make room for the end marker so the client's generator finishes promptly.
        while not sub.queue.empty():
            sub.queue.get_nowait()
        sub.queue.put_nowait(None)
