"""A recording MessageBus for bridge service tests (the real one is tested against mosquitto)."""

import threading
import time
from collections.abc import Callable
from typing import Any

from pydantic import BaseModel

from firmware_bridge.bus import BusConnected, BusItem, BusMessage
from gate_protocol.messages import decode_message
from gate_protocol.topics import GateTopic, Topic, build_topic


class RecordingBus:
    """A MessageBus that records what the bridge publishes and delivers what a test injects."""

    def __init__(self) -> None:
        self.published: list[tuple[Topic, Any, bool]] = []
        self.subscriptions: list[str] = []
        self._deliver: Callable[[BusItem], None] | None = None
        self._cond = threading.Condition()
        self.stopped_with: Any = None

    def start(self, deliver: Callable[[BusItem], None]) -> None:
        """Keep the bridge's delivery callback and tell it the bus is connected."""
        self._deliver = deliver
        deliver(BusConnected(session_present=False))

    def subscribe(self, filters: list[str]) -> None:
        """Record the filters."""
        self.subscriptions.extend(filters)

    def publish(self, *, topic: Topic, message: BaseModel, retain: bool = False) -> None:
        """Record the message as a receiver would decode it (it must validate)."""
        decoded = decode_message(message.model_dump_json())  # what goes on the wire validates
        with self._cond:
            self.published.append((topic, decoded, retain))
            self._cond.notify_all()

    def stop(self, *, farewell: Any = None) -> None:
        """Record the farewell message."""
        self.stopped_with = farewell

    def inject(self, topic: GateTopic | str, payload: bytes) -> None:
        """Deliver `payload` on `topic` to the bridge, as if the broker had sent it."""
        assert self._deliver is not None
        name = topic if isinstance(topic, str) else build_topic(topic)
        self._deliver(BusMessage(topic=name, payload=payload))

    def of_kind(self, kind: type) -> list[Any]:
        """The published messages of type `kind`, in order."""
        with self._cond:
            return [m for _, m, _ in self.published if isinstance(m, kind)]

    def wait_for(self, predicate: Callable[[], bool], timeout: float = 3.0) -> bool:
        """Wait until `predicate()` holds; whether it did within `timeout` seconds."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while not predicate():
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self._cond.wait(min(left, 0.05))
        return True
