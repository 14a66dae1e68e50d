"""What the agent's parts see of the MQTT link.

The `Bus` they publish on, and the events the link puts in the loop's inbox (paho's
callbacks only enqueue these).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

__all__ = [
    "Bus",
    "MqttConnected",
    "MqttDisconnected",
    "MqttEvent",
    "MqttEventSink",
    "MqttIncoming",
    "MqttPublished",
    "MqttSubscribed",
]


class Bus(Protocol):
    """The MQTT side the agent loop uses."""

    def publish(self, topic: str, payload: bytes, *, retain: bool = False) -> int | None:
        """Publish at QoS 1; the message id, or None when refused."""
        ...

    def subscribe(self, topics: list[str]) -> None:
        """Subscribe at QoS 1."""
        ...


@dataclass(frozen=True, slots=True)
class MqttConnected:
    """The broker accepted the connection."""

    session_present: bool


@dataclass(frozen=True, slots=True)
class MqttDisconnected:
    """The connection was lost or refused (paho reconnects with backoff)."""

    reason: str


@dataclass(frozen=True, slots=True)
class MqttSubscribed:
    """The broker granted the agent's subscriptions (SUBACK)."""

    mid: int


@dataclass(frozen=True, slots=True)
class MqttIncoming:
    """A raw message from a subscribed topic, not yet validated."""

    topic: str
    payload: bytes


@dataclass(frozen=True, slots=True)
class MqttPublished:
    """The broker acknowledged (PUBACK) the publish with this message id."""

    mid: int


MqttEvent = MqttConnected | MqttDisconnected | MqttIncoming | MqttPublished | MqttSubscribed


class MqttEventSink(Protocol):
    """Where the link puts its events: the agent loop's inbox."""

    def put_nowait(self, item: MqttEvent, /) -> None:
        """Enqueue one event without blocking."""
        ...
