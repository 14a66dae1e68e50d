"""Getting the outbox to the API: events and alarms over MQTT, HTTP replay, confirmation.

Both kinds go one way, each through its own `OutboxSender`. The agent loop calls
`Delivery.tick` on every pass. While MQTT is up, stored rows are handed to paho (alarms
first: few, and the ones an operator must see). While it has been down for
`event_replay_after_s`, the oldest of them go over HTTP instead, with a growing pause when
the API is away too, so the loop is not tied up by one timeout after another. Every
`confirm_interval_s` the confirm worker is handed what was PUBACKed a while ago, to ask the
API whether it really has it (a PUBACK is not that proof); one job is out at a time.
"""

from __future__ import annotations

import logging
from typing import Protocol

from gate_protocol.messages import AccessEvent, AlarmRaised

from gate_agent.config import ApiConfig
from gate_agent.outbox.confirm import CONFIRM_BATCH, ConfirmJob, ConfirmResult
from gate_agent.outbox.sender import OutboxSender

__all__ = ["ConfirmQueue", "Delivery", "SideSender"]

_log = logging.getLogger(__name__)
_REPLAY_BACKOFF_MIN_S = 1.0
_REPLAY_BACKOFF_MAX_S = 60.0


class ConfirmQueue(Protocol):
    """The confirm worker's queue, as delivery sees it."""

    def confirm(self, job: ConfirmJob) -> bool:
        """Hand over one confirm job; False when one is still waiting."""
        ...


class SideSender(Protocol):
    """What goes out only while no event or alarm waits (an alarm's camera still)."""

    def pump_mqtt(self) -> int:
        """Hand the next messages to MQTT; returns how many."""
        ...

    def on_puback(self, mid: int) -> bool:
        """Take a PUBACK; False if the message id is not this sender's."""
        ...


class Delivery:
    """Moves the outbox's events and alarms to the API (used from the agent loop's thread only).

    Args:
        events: Delivers outbox events.
        alarms: Delivers outbox alarms.
        workers: The confirm worker's queue.
        api: The timing settings (replay delay, confirm interval).
        now: The loop's monotonic time at start.
        side: Senders pumped only once events and alarms are all out (camera stills).
    """

    def __init__(
        self,
        *,
        events: OutboxSender[AccessEvent],
        alarms: OutboxSender[AlarmRaised],
        workers: ConfirmQueue,
        api: ApiConfig,
        now: float,
        side: tuple[SideSender, ...] = (),
    ) -> None:
        self.events = events
        self._side = side
        self.alarms = alarms
        # In the order they go out: alarms first.
        self._senders: tuple[OutboxSender[AlarmRaised] | OutboxSender[AccessEvent], ...] = (
            alarms,
            events,
        )
        self._workers = workers
        self._api = api
        self._confirming = False
        self._next_replay = 0.0
        self._replay_backoff_s = _REPLAY_BACKOFF_MIN_S
        self._next_confirm = now + api.confirm_interval_s

    @property
    def confirming(self) -> bool:
        """Whether a confirm job is with the worker."""
        return self._confirming

    def on_puback(self, mid: int) -> None:
        """The broker acknowledged a message id (an event's or an alarm's)."""
        for sender in self._senders:
            if sender.on_puback(mid):
                return
        for side in self._side:
            if side.on_puback(mid):
                return

    def tick(self, *, now: float, connected: bool, disconnected_since: float | None) -> None:
        """Publish, replay over HTTP or ask for confirmation, as is due."""
        if connected:
            for sender in self._senders:
                sender.pump_mqtt()
            if not any(sender.unsent for sender in self._senders):
                for side in self._side:  # events and alarms first, always
                    side.pump_mqtt()
        elif (
            disconnected_since is not None
            and now - disconnected_since >= self._api.event_replay_after_s
            and now >= self._next_replay
            and any(sender.unsent for sender in self._senders)
        ):
            self._replay_over_http(now)
        if now >= self._next_confirm:
            self._next_confirm = now + self._api.confirm_interval_s
            self.request_confirm()

    def confirm_job(self) -> ConfirmJob | None:
        """The next rows to confirm (a batch of each kind that has some), if any.

        At most one job is out at a time: None while the worker has one.
        """
        if self._confirming:
            return None
        batches = tuple(b for b in (s.confirm_batch() for s in self._senders) if b is not None)
        if not batches:
            return None
        self._confirming = True
        return ConfirmJob(batches)

    def request_confirm(self) -> None:
        """Hand the confirm worker its next job, if there is one and it has none."""
        # The worker does the HTTP; the loop only reads the outbox and hands it the job.
        job = self.confirm_job()
        if job is not None and not self._workers.confirm(job):
            self._confirming = False  # it did not reach the worker: the next round retries

    def on_confirmed(self, result: ConfirmResult) -> int:
        """Take in what the confirm worker found out; returns how many rows were confirmed."""
        self._confirming = False
        marked = 0
        for outcome in result.outcomes:
            for sender in self._senders:
                if sender.kind is outcome.kind:
                    marked += sender.on_confirmed(outcome)
        if any(o.error is None and o.asked >= CONFIRM_BATCH for o in result.outcomes):
            # A backlog (a long outage's worth of PUBACKed rows): next batch at once.
            self.request_confirm()
        return marked

    def _replay_over_http(self, now: float) -> None:
        if sum(sender.replay_http() for sender in self._senders):
            self._replay_backoff_s = _REPLAY_BACKOFF_MIN_S
            return
        self._next_replay = now + self._replay_backoff_s
        self._replay_backoff_s = min(self._replay_backoff_s * 2, _REPLAY_BACKOFF_MAX_S)
