"""Delivers outbox events: over MQTT (QoS 1, published on PUBACK), or over HTTP in batches.

Only a window of events is handed to paho at a time; paho keeps them across reconnects with
their message ids, and each PUBACK marks its event *published* (with the time). A PUBACK is
not proof the API stored the event, so published events stay in the outbox until confirmed:
every so often the loop takes a `ConfirmJob` of events published more than the grace period
ago and hands it to the confirm worker (`gate_agent.outbox.confirm`), whose `ConfirmResult`
comes back through the inbox. While MQTT has been down for a while and the API answers, the
oldest unsent events go to ``POST /api/v1/events`` instead; the API's answer confirms them
at once (it stores each event_id once, so an event that also arrives over MQTT is harmless).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

from gate_protocol.messages import Message

from gate_agent.links.api_client import ApiClient, ApiError
from gate_agent.outbox.alarms import PendingAlarm
from gate_agent.outbox.confirm import CONFIRM_BATCH, ConfirmJob, ConfirmResult
from gate_agent.outbox.events import Outbox
from gate_agent.outbox.publish_window import Publisher, PublishWindow

__all__ = ["EventSender", "Publisher"]

_log = logging.getLogger(__name__)


class EventSender:
    """Moves events from the outbox to the API (used from the agent loop's thread only).

    Args:
        outbox: The durable outbox (owned by the agent loop's thread).
        publisher: The MQTT link.
        topic: The gate's event topic.
        window: Events handed to MQTT and not yet acknowledged, at most.
        api: The API client for HTTP replay.
        batch_size: Events per HTTP batch.
        confirm_grace_s: Published events are checked with the API only this long after
            their PUBACK (the API's ingest usually has them by then).
        wall: The wall clock (Unix time; publication times survive restarts).
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
        confirm_grace_s: float = 3.0,
        wall: Callable[[], float] = time.time,
    ) -> None:
        self._outbox = outbox
        self._mqtt = PublishWindow(publisher=publisher, topic=topic, window=window)
        self._api = api
        self._batch_size = batch_size
        self._confirm_grace_s = confirm_grace_s
        self._wall = wall
        self._confirming = False
        self.replayed_over_http = 0
        self.confirmed_known = 0
        self.resent_unknown = 0

    @property
    def in_flight(self) -> int:
        """Events handed to MQTT and not yet acknowledged."""
        return self._mqtt.in_flight

    @property
    def confirming(self) -> bool:
        """Whether a confirm job is with the worker."""
        return self._confirming

    def pump_mqtt(self) -> int:
        """Hand the next unsent events to MQTT, up to the window; returns how many."""
        return self._mqtt.pump(self._unpublished)

    def _unpublished(self, limit: int, after_seq: int) -> list[tuple[int, Message]]:
        return [(p.seq, p.event) for p in self._outbox.pending(limit=limit, after_seq=after_seq)]

    def on_puback(self, mid: int) -> bool:
        """Mark the event behind this message id published; False if the mid is not an event."""
        seq = self._mqtt.acknowledge(mid)
        if seq is None:
            return False
        self._outbox.mark_published([seq], at=self._wall())
        return True

    def reset_mqtt(self) -> None:
        """Forget what paho holds (a new client): every unsent event is handed again."""
        self._mqtt.reset()

    def confirm_job(
        self, alarms: Callable[[], tuple[PendingAlarm, ...]] = tuple
    ) -> ConfirmJob | None:
        """The next events to confirm (published over the grace period ago), if any.

        `alarms` gives the alarms to confirm in the same job (`AlarmSender.confirm_batch`).
        At most one job is out at a time: None while the worker has one.
        """
        if self._confirming:
            return None
        pending = self._outbox.published_unconfirmed(
            limit=CONFIRM_BATCH, published_before=self._wall() - self._confirm_grace_s
        )
        also = alarms()
        if not pending and not also:
            return None
        self._confirming = True
        return ConfirmJob(tuple(pending), also)

    def confirm_dropped(self) -> None:
        """The job from `confirm_job` did not reach the worker: the next round retries."""
        self._confirming = False

    def on_confirmed(self, result: ConfirmResult) -> int:
        """Mark what the worker confirmed; returns how many events were newly confirmed."""
        self._confirming = False
        marked = self._outbox.mark_confirmed(result.confirmed)
        self.confirmed_known += result.known
        self.resent_unknown += result.resent
        if result.resent:
            _log.warning("re-sent %d events the API did not have (PUBACKed)", result.resent)
        if result.error is not None:
            _log.info(
                "confirming %d events: %d confirmed, then %s",
                result.asked,
                len(result.confirmed),
                result.error,
            )
        return marked

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
        # The API answered for the batch: stored is confirmed, no need to ask again.
        marked = self._outbox.mark_confirmed(p.seq for p in pending)
        self.replayed_over_http += marked
        _log.info(
            "replayed %d events over HTTP (%d new, %d duplicates)",
            len(pending),
            result.stored,
            result.duplicates,
        )
        return marked
