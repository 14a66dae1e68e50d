"""Getting the outbox to the API: events and alarms over MQTT, HTTP replay, confirmation.

The agent loop calls `Delivery.tick` on every pass. While MQTT is up, stored alarms and
events are handed to paho (alarms first: few, and the ones an operator must see). While it
has been down for `event_replay_after_s`, the oldest of them go over HTTP instead, with a
growing pause when the API is away too, so the loop is not tied up by one timeout after
another. Every `confirm_interval_s` the confirm worker is handed what was PUBACKed a while
ago, to ask the API whether it really has it (a PUBACK is not that proof).
"""

from __future__ import annotations

import logging

from gate_agent.config import ApiConfig
from gate_agent.loop.workers import WorkQueue
from gate_agent.outbox.alarms import AlarmSender
from gate_agent.outbox.confirm import CONFIRM_BATCH, ConfirmResult
from gate_agent.outbox.events import Outbox
from gate_agent.outbox.sender import EventSender

__all__ = ["Delivery"]

_log = logging.getLogger(__name__)
_REPLAY_BACKOFF_MIN_S = 1.0
_REPLAY_BACKOFF_MAX_S = 60.0


class Delivery:
    """Moves the outbox's events and alarms to the API (used from the agent loop's thread only).

    Args:
        outbox: The durable outbox (events and alarms).
        events: Delivers outbox events.
        alarms: Delivers outbox alarms.
        workers: The confirm worker's queue.
        api: The timing settings (replay delay, confirm interval).
        now: The loop's monotonic time at start.
    """

    def __init__(
        self,
        *,
        outbox: Outbox,
        events: EventSender,
        alarms: AlarmSender,
        workers: WorkQueue,
        api: ApiConfig,
        now: float,
    ) -> None:
        self._outbox = outbox
        self.events = events
        self.alarms = alarms
        self._workers = workers
        self._api = api
        self._next_replay = 0.0
        self._replay_backoff_s = _REPLAY_BACKOFF_MIN_S
        self._next_confirm = now + api.confirm_interval_s

    def on_puback(self, mid: int) -> None:
        """The broker acknowledged a message id (an event's or an alarm's)."""
        if not self.events.on_puback(mid):
            self.alarms.on_puback(mid)

    def tick(self, *, now: float, connected: bool, disconnected_since: float | None) -> None:
        """Publish, replay over HTTP or ask for confirmation, as is due."""
        if connected:
            self.alarms.pump_mqtt()
            self.events.pump_mqtt()
        elif (
            disconnected_since is not None
            and now - disconnected_since >= self._api.event_replay_after_s
            and now >= self._next_replay
            and (self._outbox.unsent or self._outbox.alarms.waiting)
        ):
            self._replay_over_http(now)
        if now >= self._next_confirm:
            self._next_confirm = now + self._api.confirm_interval_s
            self._request_confirm()

    def on_confirmed(self, result: ConfirmResult) -> None:
        """Take in what the confirm worker found out."""
        self.events.on_confirmed(result)
        self.alarms.on_confirmed(result.alarms_confirmed, resent=result.alarms_resent)
        if result.alarm_error is not None:
            _log.info("confirming alarms: %s", result.alarm_error)
        if result.error is None and result.asked >= CONFIRM_BATCH:
            # A backlog (a long outage's worth of PUBACKed events): next batch at once.
            self._request_confirm()

    def _request_confirm(self) -> None:
        # The worker does the HTTP; the loop only reads the outbox and hands it the job.
        job = self.events.confirm_job(self.alarms.confirm_batch)
        if job is not None and not self._workers.confirm(job):
            self.events.confirm_dropped()

    def _replay_over_http(self, now: float) -> None:
        alarms = self.alarms.replay_http()
        if self.events.replay_http() + alarms:
            self._replay_backoff_s = _REPLAY_BACKOFF_MIN_S
            return
        self._next_replay = now + self._replay_backoff_s
        self._replay_backoff_s = min(self._replay_backoff_s * 2, _REPLAY_BACKOFF_MAX_S)
