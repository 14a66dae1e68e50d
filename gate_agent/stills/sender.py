"""Stills to the broker: QoS 1, a small window, each row deleted at its PUBACK.

`gate_agent.outbox.delivery.Delivery` pumps this sender only while no event or alarm waits
to be published: stills go last. paho keeps what it was handed across reconnects, so a
still handed during an outage goes out when the broker is back; one never handed waits
on disk (`gate_agent.stills.store`), across restarts too.
"""

from __future__ import annotations

from gate_agent.outbox.publish_window import Publisher
from gate_agent.stills.store import StillStore

__all__ = ["StillSender"]


class StillSender:
    """Moves stills from their file to MQTT (used from the agent loop's thread only).

    Args:
        store: The still file.
        publisher: The MQTT link.
        topic: The gate's still topic.
        window: Stills handed to paho and not yet acknowledged, at most.
    """

    def __init__(self, *, store: StillStore, publisher: Publisher, topic: str, window: int = 2):
        self._store = store
        self._publisher = publisher
        self._topic = topic
        self._window = window
        self._seq_by_mid: dict[int, int] = {}
        self._highest_handed = 0
        self.sent = 0

    @property
    def unsent(self) -> int:
        """Stills on disk not yet acknowledged by the broker."""
        return self._store.waiting

    def pump_mqtt(self) -> int:
        """Hand the next stills to paho, up to the window; returns how many."""
        room = self._window - len(self._seq_by_mid)
        handed = 0
        if room <= 0:
            return 0
        for seq, payload in self._store.pending(limit=room, after_seq=self._highest_handed):
            mid = self._publisher.publish(self._topic, payload)
            if mid is None:
                break  # paho refused (not connected, queue full): it waits on disk
            self._seq_by_mid[mid] = seq
            self._highest_handed = seq
            handed += 1
        return handed

    def on_puback(self, mid: int) -> bool:
        """Delete the still behind this message id; False if the mid is not a still's."""
        seq = self._seq_by_mid.pop(mid, None)
        if seq is None:
            return False
        self._store.delete(seq)
        self.sent += 1
        return True
