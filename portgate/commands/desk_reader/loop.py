"""Cards from the desk's OSDP reader to the API, one at a time, on the caller's thread.

libosdp's event callback only enqueues (the driver's `emit`); `run_reads` takes the reads
off the queue and posts them, so a slow API never blocks the reader's refresh thread.
"""

import logging
import queue
import threading
from collections.abc import Callable

from firmware_bridge.drivers.base import CardPresented, DriverEvent, Emit

__all__ = ["CardQueue", "run_reads"]

logger = logging.getLogger(__name__)


class CardQueue:
    """What the driver emits, kept to the card reads (tamper and inputs mean nothing here)."""

    def __init__(self, maxsize: int = 16) -> None:
        self._queue: queue.Queue[CardPresented] = queue.Queue(maxsize=maxsize)

    @property
    def emit(self) -> Emit:
        """The driver's callback: enqueue a card read, drop one when the queue is full."""

        def emit(event: DriverEvent) -> None:
            if isinstance(event, CardPresented):
                try:
                    self._queue.put_nowait(event)
                except queue.Full:
                    logger.warning("desk reader: a card read was dropped (queue full)")

        return emit

    def get(self, timeout: float) -> CardPresented | None:
        """The next card read, or None after `timeout` seconds."""
        try:
            return self._queue.get(timeout=timeout)
        except queue.Empty:
            return None


def run_reads(
    *,
    cards: CardQueue,
    post: Callable[[str, str | None], None],
    stop: threading.Event,
    on_read: Callable[[str], None] = lambda number: None,
) -> None:
    """Post every card read until `stop` is set (`post(number, badge_format)`)."""
    while not stop.is_set():
        card = cards.get(timeout=0.2)
        if card is None:
            continue
        post(card.card.badge_number, card.card.format.value)
        on_read(card.card.badge_number)
