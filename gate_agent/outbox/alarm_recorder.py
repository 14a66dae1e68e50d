"""Raising an alarm at the gate: on disk in the outbox first, then published when connected."""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Callable
from datetime import datetime

from gate_protocol.messages import AlarmKind, AlarmRaised, new_id

from gate_agent.outbox.delivery import Delivery
from gate_agent.outbox.rows import OutboxFull, OutboxRows

__all__ = ["AlarmRecorder"]

_log = logging.getLogger(__name__)


class AlarmRecorder:
    """Records the alarms the agent raises (used from the agent loop's thread only).

    Args:
        rows: The outbox's alarm table.
        delivery: Publishes what the outbox holds.
        connected: Whether the MQTT link is up now.
        drops: The agent's drop counters (`alarm:outbox_full`).
        clock: The wall clock (UTC, aware).
        on_recorded: Told of each alarm once it is on disk (the camera still's taker).
    """

    def __init__(
        self,
        *,
        rows: OutboxRows[AlarmRaised],
        delivery: Delivery,
        connected: Callable[[], bool],
        drops: Counter[str],
        clock: Callable[[], datetime],
        on_recorded: Callable[[AlarmRaised], None] | None = None,
    ) -> None:
        self._on_recorded = on_recorded
        self._rows = rows
        self._delivery = delivery
        self._connected = connected
        self._drops = drops
        self._clock = clock

    def __call__(self, kind: AlarmKind, detail: str, *, lane: int | None = None) -> None:
        """Raise one alarm: stored, then handed to the broker if the link is up."""
        alarm = AlarmRaised(
            alarm_id=new_id(), alarm=kind, lane=lane, at=self._clock(), detail=detail
        )
        # On disk before it is published, like events: a crash or an outage loses none.
        try:
            self._rows.append(alarm)
        except OutboxFull:
            self._drops["alarm:outbox_full"] += 1
            _log.error("alarm outbox full: %s alarm not recorded", kind.value)
            return
        if self._on_recorded is not None:
            self._on_recorded(alarm)
        if self._connected():
            self._delivery.alarms.pump_mqtt()
