"""What ingest hands the live view: the gate messages it stored, already decoded.

Both doors of ingest lead here: the MQTT worker after it commits a batch, and the HTTP
routes by which gates send what the API lacks (``POST /api/v1/events``, ``/alarms``)
after theirs. Each tap gets `Ingested` messages (the site and gate the database knows,
the message decoded once), so a message reaches the live dashboard however it arrived
and is never decoded a second time. With several API processes (a shared subscription),
each process stores only its share of MQTT; every process's live connection then hands
the taps what it receives as raw bytes instead (`IngestTaps.received`).

Taps are called on ingest's threads (the worker's, a request's): they must not block.
"""

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from gate_protocol.messages import AccessEvent, AlarmRaised, GateState, NodeStatus

__all__ = ["GateMessage", "IngestTap", "IngestTaps", "Ingested"]

logger = logging.getLogger(__name__)
GateMessage = AccessEvent | AlarmRaised | NodeStatus | GateState


@dataclass(frozen=True, slots=True)
class Ingested:
    """A gate's message that ingest accepted (and stored, but a door state: that is live only)."""

    site_id: str
    gate_id: str
    message: GateMessage


class IngestTap(Protocol):
    """Something that watches ingest (the live dashboard's feed)."""

    def offer_ingested(self, messages: Sequence[Ingested]) -> None:
        """Take messages ingest stored, decoded; must not block."""
        ...

    def offer(self, topic: str, payload: bytes) -> None:
        """Take a raw message this process received but another one stores; must not block."""
        ...


class IngestTaps:
    """The taps of one process's ingest; a failing tap never stops storing."""

    def __init__(self) -> None:
        self._taps: list[IngestTap] = []

    def add(self, tap: IngestTap) -> None:
        """Also hand what ingest stores (and what the live connection receives) to `tap`."""
        self._taps.append(tap)

    def ingested(self, messages: Sequence[Ingested]) -> None:
        """Hand stored messages to every tap (after their commit)."""
        if not messages:
            return
        for tap in self._taps:
            try:
                tap.offer_ingested(messages)
            except Exception:  # a live-view problem must never stop storing
                logger.exception("ingest tap failed")

    def received(self, topic: str, payload: bytes) -> None:
        """Hand a raw message of the per-process live connection to every tap."""
        for tap in self._taps:
            try:
                tap.offer(topic, payload)
            except Exception:  # a live-view problem must never stop storing
                logger.exception("ingest tap failed")
