"""Delivers outbox events: over MQTT (QoS 1, marked sent on PUBACK), or over HTTP in batches.

Only a window of events is handed to paho at a time; paho keeps them across reconnects with
their message ids, and each PUBACK marks its event sent. While MQTT has been down for a while
and the API answers, the oldest unsent events go to ``POST /api/v1/events`` instead (the API
stores each event_id once, so an event that later also arrives over MQTT is harmless).
"""

from __future__ import annotations

import logging
from typing import Protocol

from gate_protocol.messages import encode_message

from gate_agent.api_client import ApiClient, ApiError
from gate_agent.outbox import Outbox

__all__ = ["EventSender", "Publisher"]

_log = logging.getLogger(__name__)


class Publisher(Protocol):
    """Publishes at QoS 1 and returns the message id (None: refused)."""

    def publish(self, topic: str, payload: bytes, *, retain: bool = False) -> int | None:
        """Publish one message."""
        ...


class EventSender:
    """Moves events from the outbox to the API.

    Args:
        outbox: The durable outbox (owned by the agent loop's thread).
        publisher: The MQTT link.
        topic: The gate's event topic.
        window: Events handed to MQTT and not yet acknowledged, at most.
        api: The API client for HTTP replay.
        batch_size: Events per HTTP batch.
    """

    def __init__(
        self,
        *,
        outbox: Outbox,
        publisher: Publisher,
        topic: str,
        window: int,
        api: ApiClient,
        batch_size: int,
    ) -> None:
        self._outbox = outbox
        self._publisher = publisher
        self._topic = topic
        self._window = window
        self._api = api
        self._batch_size = batch_size
        self._seq_by_mid: dict[int, int] = {}
        self._highest_handed = 0
        self.replayed_over_http = 0

    @property
    def in_flight(self) -> int:
        """Events handed to MQTT and not yet acknowledged."""
        return len(self._seq_by_mid)

    def pump_mqtt(self) -> int:
        """Hand the next unsent events to MQTT, up to the window; returns how many."""
        room = self._window - len(self._seq_by_mid)
        if room <= 0:
            return 0
        handed = 0
        for pending in self._outbox.pending(limit=room, after_seq=self._highest_handed):
            mid = self._publisher.publish(self._topic, encode_message(pending.event))
            if mid is None:
                break
            self._seq_by_mid[mid] = pending.seq
            self._highest_handed = pending.seq
            handed += 1
        return handed

    def on_puback(self, mid: int) -> bool:
        """Mark the event behind this message id sent; False if the mid is not an event."""
        seq = self._seq_by_mid.pop(mid, None)
        if seq is None:
            return False
        self._outbox.mark_sent([seq])
        return True

    def reset_mqtt(self) -> None:
        """Forget what paho holds (a new client): every unsent event is handed again."""
        self._seq_by_mid.clear()
        self._highest_handed = 0

    def replay_http(self) -> int:
        """Send one batch of the oldest unsent events over HTTP; returns how many were acked."""
        pending = self._outbox.pending(limit=self._batch_size)
        if not pending:
            return 0
        try:
            result = self._api.send_events([p.event for p in pending])
        except ApiError as exc:
            _log.info("event replay over HTTP failed: %s", exc)
            return 0
        marked = self._outbox.mark_sent(p.seq for p in pending)
        self.replayed_over_http += marked
        _log.info(
            "replayed %d events over HTTP (%d new, %d duplicates)",
            len(pending),
            result.stored,
            result.duplicates,
        )
        return marked
