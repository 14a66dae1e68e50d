"""The gate agent's Prometheus metrics (docs/production.md, monitoring).

Counted as they happen, on the loop thread: decisions by path and outcome, the face step's
and the decision's duration. Read at scrape time, from the scrape thread: frames read by
the camera, the outbox's depth and oldest waiting row (its own read-only connection to
the outbox file: the loop's connection stays the loop's), the replica's age, the MQTT
link's state and reconnects.
"""

from __future__ import annotations

import contextlib
import json
import logging
import math
import sqlite3
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from gate_protocol.message_base import DecidedBy
from prometheus_client import CollectorRegistry, Counter, Histogram
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from gate_agent.camera.frame_pump import PumpCounters
from gate_agent.decision.decider import PresentationDecided
from gate_agent.decision.presentation import Verdict
from gate_agent.decision.replica_policy import replica_current_at
from gate_agent.loop.node import AGENT_VERSION
from gate_agent.loop.state import LoopState

__all__ = ["AgentMetrics", "OutboxFile", "decision_path"]

_log = logging.getLogger(__name__)
# The outbox tables and the JSON field of each row's own time (events: occurred, alarms: raised).
_OUTBOX_TABLES = {"events": "$.occurred_at", "alarms": "$.at"}


def decision_path(verdict: Verdict, *, connected: bool) -> str:
    """central: the API decided; replica: the API was away; offline: so was the broker."""
    if verdict.decided_by is DecidedBy.CENTRAL:
        return "central"
    return "replica" if connected else "offline"


@dataclass(frozen=True, slots=True)
class OutboxFile:
    """Reads the outbox file's depth and oldest unconfirmed row, on a connection of its own."""

    path: Path

    def backlog(self, table: str) -> tuple[int, datetime | None]:
        """Rows the API has not confirmed yet, and the time of the oldest of them."""
        field = _OUTBOX_TABLES[table]
        uri = f"file:{self.path}?mode=ro"
        query = (
            f"SELECT COUNT(*), (SELECT payload FROM {table} WHERE confirmed = 0"  # noqa: S608
            f" ORDER BY seq LIMIT 1) FROM {table} WHERE confirmed = 0"
        )
        with contextlib.closing(sqlite3.connect(uri, uri=True, timeout=1.0)) as db:
            count, payload = db.execute(query).fetchone()
        if payload is None:
            return int(count), None
        stamp = json.loads(payload).get(field.removeprefix("$."))
        return int(count), datetime.fromisoformat(stamp) if stamp else None


class AgentMetrics(Collector):
    """One agent's metrics in a registry of its own.

    Args:
        site: The agent's site (a label of portgate_agent_info).
        gate: The agent's gate (likewise).
        state: The loop's state (MQTT link, reconnects, the replica view).
        outbox: The outbox file.
        frames: The frame pump's counters; None: the gate has no camera.
        clock: The wall clock (UTC, aware).
    """

    def __init__(
        self,
        *,
        site: str,
        gate: str,
        state: LoopState,
        outbox: OutboxFile,
        frames: PumpCounters | None,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._labels = {"site": site, "gate": gate, "version": AGENT_VERSION}
        self._state, self._outbox, self._frames, self._clock = state, outbox, frames, clock
        self.registry = CollectorRegistry()
        self.decisions = Counter(
            "portgate_agent_decisions",
            "Presentations decided, by path (central, replica, offline) and decision.",
            ["path", "decision"],
            registry=self.registry,
        )
        self.face_step = Histogram(
            "portgate_agent_face_step_seconds",
            "Time of the face step of a decision (verify and liveness).",
            buckets=(0.05, 0.1, 0.2, 0.3, 0.5, 0.75, 1.0, 1.5, 2.0, 3.0, 5.0),
            registry=self.registry,
        )
        self.decision_time = Histogram(
            "portgate_agent_decision_seconds",
            "Time to a verdict once the face step is done (API answer or replica).",
            buckets=(0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1.0, 2.0),
            registry=self.registry,
        )
        self.registry.register(self)

    def on_decided(self, item: PresentationDecided, verdict: Verdict) -> None:
        """Count a final verdict (on the loop thread, from the admission)."""
        path = decision_path(verdict, connected=self._state.connected)
        self.decisions.labels(path=path, decision=verdict.decision.value).inc()
        face = item.face
        if face is not None and face.face_ms is not None:
            self.face_step.observe((face.face_ms + (face.liveness_ms or 0.0)) / 1000)
        if item.decision_ms > 0:
            self.decision_time.observe(item.decision_ms / 1000)

    def collect(self) -> Iterator[Metric]:
        """The figures read at scrape time."""
        info = GaugeMetricFamily(
            "portgate_agent_info", "The agent's site, gate and version.", labels=list(self._labels)
        )
        info.add_metric(list(self._labels.values()), 1.0)
        yield info
        state = self._state
        yield GaugeMetricFamily(
            "portgate_agent_mqtt_connected",
            "1 while the agent's MQTT link is up.",
            value=1.0 if state.connected else 0.0,
        )
        yield CounterMetricFamily(
            "portgate_agent_mqtt_reconnects",
            "Times the MQTT link came up again after the first connection.",
            value=max(state.mqtt_connects - 1, 0),
        )
        if self._frames is not None:
            yield CounterMetricFamily(
                "portgate_agent_frames",
                "Frames read from the camera (rate: the frame loop's fps).",
                value=self._frames.frames_read,
            )
            yield CounterMetricFamily(
                "portgate_agent_frames_dropped",
                "Frames the code scanner had no time for.",
                value=self._frames.frames_dropped,
            )
        yield from self._replica()
        yield from self._backlog()

    def _replica(self) -> Iterator[Metric]:
        view = self._state.replica
        if view.index is None:
            return
        current = replica_current_at(view.index, last_sync_at=view.last_sync_at)
        yield GaugeMetricFamily(
            "portgate_agent_replica_age_seconds",
            "Since the replica was last known current (generated or confirmed by a sync).",
            value=max((self._clock() - current).total_seconds(), 0.0),
        )
        yield GaugeMetricFamily(
            "portgate_agent_replica_max_age_seconds",
            "The gate's offline max age: an older replica denies everybody.",
            value=float(view.index.snapshot.gate.replica_max_age_s),
        )

    def _backlog(self) -> Iterator[Metric]:
        depth = GaugeMetricFamily(
            "portgate_agent_outbox_depth",
            "Outbox rows the API has not confirmed yet, by kind.",
            labels=["kind"],
        )
        age = GaugeMetricFamily(
            "portgate_agent_outbox_oldest_age_seconds",
            "Age of the oldest outbox row the API has not confirmed (0: none), by kind.",
            labels=["kind"],
        )
        now = self._clock()
        for table in _OUTBOX_TABLES:
            try:
                count, oldest = self._outbox.backlog(table)
            except (sqlite3.Error, ValueError) as exc:
                _log.warning("metrics: outbox %s not readable: %s", table, exc)
                count, oldest = -1, None
            depth.add_metric([table], float(count) if count >= 0 else math.nan)
            seconds = (now - oldest).total_seconds() if oldest is not None else 0.0
            age.add_metric([table], max(seconds, 0.0))
        yield depth
        yield age
