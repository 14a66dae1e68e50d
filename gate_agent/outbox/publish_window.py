"""The window of outbox rows handed to paho and not yet acknowledged by the broker (PUBACK).

Events and alarms leave their outbox tables the same way: in sequence order, at most a
window at a time (paho keeps what it was handed across reconnects, with its message ids),
each PUBACK naming the row it acknowledges. The senders own what happens next (mark it
published, wait for the API); this only tracks which message id stands for which row.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Protocol

from gate_protocol.messages import Message, encode_message

__all__ = ["Publisher", "PublishWindow"]


class Publisher(Protocol):
    """Publishes at QoS 1 and returns the message id (None: refused)."""

    def publish(self, topic: str, payload: bytes, *, retain: bool = False) -> int | None:
        """Publish one message."""
        ...


class PublishWindow:
    """Hands rows to MQTT in sequence order, a bounded number at a time.

    Args:
        publisher: The MQTT link.
        topic: Where the rows are published.
        window: Rows handed to MQTT and not yet acknowledged, at most.
    """

    def __init__(self, *, publisher: Publisher, topic: str, window: int) -> None:
        self._publisher = publisher
        self._topic = topic
        self._window = window
        self._seq_by_mid: dict[int, int] = {}
        self._highest_handed = 0

    @property
    def in_flight(self) -> int:
        """Rows handed to MQTT and not yet acknowledged."""
        return len(self._seq_by_mid)

    def pump(self, fetch: Callable[[int, int], Iterable[tuple[int, Message]]]) -> int:
        """Publish the next rows, up to the window; returns how many were handed to paho.

        Args:
            fetch: Given (limit, after_seq), the oldest unpublished rows as (seq, message),
                in sequence order.
        """
        room = self._window - len(self._seq_by_mid)
        if room <= 0:
            return 0
        handed = 0
        for seq, message in fetch(room, self._highest_handed):
            mid = self._publisher.publish(self._topic, encode_message(message))
            if mid is None:
                break  # paho refused (queue full, not connected): the rest waits its turn
            self._seq_by_mid[mid] = seq
            self._highest_handed = seq
            handed += 1
        return handed

    def acknowledge(self, mid: int) -> int | None:
        """The sequence number this PUBACK acknowledges; None if the mid is not ours."""
        return self._seq_by_mid.pop(mid, None)

    def reset(self) -> None:
        """Forget what paho holds (a new client): every unpublished row is handed again."""
        self._seq_by_mid.clear()
        self._highest_handed = 0
