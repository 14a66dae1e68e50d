"""The gate board: what this process knows live about each gate, for the tiles.

Fed by the live feed (retained NodeStatus and last wills, retained GateState, events) and
seeded once from the database (stored node status, last events). Thread-safe: the feed
thread writes, request threads read.
"""

import bisect
import threading
import time
from collections import deque
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any

from gate_protocol.messages import GateState, NodeStatus

from central_api.replica.reported import ReportedReplica, replica_after

__all__ = ["GateBoard", "GateMeta", "NodeView", "replica_json"]

_RATE_WINDOW_S = 60.0
# A gate's replica_max_age_s when the board does not know the gate (the model's default).
DEFAULT_REPLICA_MAX_AGE_S = 24 * 3600
_MAX_TIMES = 100_000


def _when(view: dict[str, Any]) -> datetime:
    return datetime.fromisoformat(str(view["occurred_at"]))


@dataclass(frozen=True, slots=True)
class GateMeta:
    """A gate's static facts from the database."""

    gate_id: str
    site_id: str
    zone_id: str
    name: str
    lanes: int
    replica_max_age_s: int = DEFAULT_REPLICA_MAX_AGE_S


@dataclass(frozen=True, slots=True)
class NodeView:
    """A node's last reported status.

    `replica_synced_at` is when the agent's replica was last known current (the instant its
    offline max-age rule counts from); None when the agent did not say (no replica yet, or
    an older agent). Both replica fields change only by `replica_after`.
    """

    state: str
    since: datetime
    version: str
    replica_version: int | None
    replica_synced_at: datetime | None = None

    @property
    def replica(self) -> ReportedReplica:
        """The replica this status reports."""
        return ReportedReplica(self.replica_version, self.replica_synced_at)

    def as_json(self) -> dict[str, Any]:
        """JSON for the page."""
        return {
            "state": self.state,
            "since": self.since.isoformat(),
            "version": self.version,
            "replica_version": self.replica_version,
            "replica_synced_at": (
                self.replica_synced_at.isoformat() if self.replica_synced_at else None
            ),
        }


def replica_json(agent: NodeView | None, *, max_age_s: int, now: datetime) -> dict[str, Any]:
    """The tile's replica line: its age as the gate's offline max-age rule counts it.

    ``state`` is ``no_status`` (the agent never reported), ``never_synced`` (it has no
    replica), ``unknown`` (a version but no sync time: an older agent), ``current`` or
    ``stale`` (older than the gate's ``replica_max_age_s``: offline it would deny).
    """
    out: dict[str, Any] = {
        "state": "no_status",
        "version": None,
        "synced_at": None,
        "age_s": None,
        "max_age_s": max_age_s,
    }
    if agent is None:
        return out
    out["version"] = agent.replica_version
    if agent.replica_synced_at is not None:
        age = max((now - agent.replica_synced_at).total_seconds(), 0.0)
        out["synced_at"] = agent.replica_synced_at.isoformat()
        out["age_s"] = round(age, 1)
        out["state"] = "stale" if age > max_age_s else "current"
    else:
        out["state"] = "never_synced" if agent.replica_version is None else "unknown"
    return out


@dataclass
class _Live:
    nodes: dict[str, NodeView] = field(default_factory=dict)
    door: str | None = None
    tamper: bool = False
    lanes: list[dict[str, Any]] = field(default_factory=list)
    state_at: datetime | None = None
    last_event: dict[str, Any] | None = None
    event_times: deque[float] = field(default_factory=deque)


class GateBoard:
    """Per-gate live state and the tile JSON built from it."""

    def __init__(self, *, clock: Any = time.time) -> None:
        self._lock = threading.Lock()
        self._meta: dict[str, GateMeta] = {}
        self._live: dict[str, _Live] = {}
        self._clock = clock
        self.seeded = False

    def set_gates(self, gates: list[GateMeta]) -> None:
        """Replace the known gates' static facts."""
        with self._lock:
            self._meta = {gate.gate_id: gate for gate in gates}

    def meta(self, gate_id: str) -> GateMeta | None:
        """A known gate's facts, or None."""
        with self._lock:
            return self._meta.get(gate_id)

    def _get(self, gate_id: str) -> _Live:
        return self._live.setdefault(gate_id, _Live())

    def apply_status(self, gate_id: str, node: str, view: NodeView, *, seed: bool = False) -> bool:
        """Record a node status; True if the tile changed.

        The broker delivers one topic's messages in order, so the latest arrival wins, not
        the latest ``since``: a last will is composed when the node connects, so its
        ``since`` is older than the "online" it replaces. Such a will gets the time it
        arrived instead. A `seed` (from storage) never overrides what arrived live.
        """
        with self._lock:
            live = self._get(gate_id)
            current = live.nodes.get(node)
            if seed and current is not None:
                return False
            if current is not None:
                if view.state == "offline" and view.since < current.since:
                    view = replace(view, since=datetime.now(UTC))
                replica = replica_after(
                    current.replica, offline=view.state == "offline", reported=view.replica
                )
                view = replace(
                    view, replica_version=replica.version, replica_synced_at=replica.synced_at
                )
            if current == view:
                return False
            live.nodes[node] = view
            return True

    def apply_node_status(self, gate_id: str, status: NodeStatus) -> bool:
        """Record a NodeStatus message (online, or the offline last will)."""
        view = NodeView(
            state=status.state.value,
            since=status.since,
            version=status.version,
            replica_version=status.replica_version,
            replica_synced_at=status.replica_synced_at,
        )
        return self.apply_status(gate_id, status.node.value, view)

    def apply_state(self, gate_id: str, state: GateState) -> bool:
        """Record the retained door state unless an older one arrives late."""
        with self._lock:
            live = self._get(gate_id)
            if live.state_at is not None and live.state_at > state.at:
                return False
            live.door, live.tamper, live.state_at = state.door.value, state.tamper, state.at
            live.lanes = [{"lane": lane.lane, "door": lane.door.value} for lane in state.lanes]
            return True

    def apply_event(self, gate_id: str, view: dict[str, Any]) -> None:
        """A live event: count it for the rate and keep it as the gate's last event."""
        self.count_event(gate_id)
        self.set_last_event(gate_id, view)

    def count_event(self, gate_id: str, *, at: float | None = None) -> None:
        """Count one event (at wall-clock `at`, default now) for the events-per-minute rate."""
        when = self._clock() if at is None else at
        with self._lock:
            times = self._get(gate_id).event_times
            # Kept sorted so the rate is a prune from the left plus len(); live events come
            # in time order, only seeding from storage may insert in the middle.
            if not times or when >= times[-1]:
                times.append(when)
            else:
                times.insert(bisect.bisect_right(times, when), when)
            if len(times) > _MAX_TIMES:
                times.popleft()

    def set_last_event(self, gate_id: str, view: dict[str, Any]) -> None:
        """Keep `view` as the gate's last event unless a newer one is already there."""
        with self._lock:
            live = self._get(gate_id)
            previous = live.last_event
            if previous is None or _when(view) >= _when(previous):
                live.last_event = view

    def tile(self, gate_id: str) -> dict[str, Any]:
        """The tile JSON of one gate."""
        with self._lock:
            return self._tile(gate_id)

    def tiles(self, *, site_id: str | None = None) -> list[dict[str, Any]]:
        """The tiles of `site_id`'s gates (None: every known gate), sorted by site then gate.

        The board is shared by every user of this process, so it is filtered here: the
        request's site-scoped session does not reach in-memory state.
        """
        with self._lock:
            ids = sorted(
                (g for g, meta in self._meta.items() if site_id is None or meta.site_id == site_id),
                key=lambda g: (self._meta[g].site_id, g),
            )
            return [self._tile(gate_id) for gate_id in ids]

    def _tile(self, gate_id: str) -> dict[str, Any]:
        meta = self._meta.get(gate_id)
        live = self._live.get(gate_id) or _Live()
        now = self._clock()
        while live.event_times and live.event_times[0] < now - _RATE_WINDOW_S:
            live.event_times.popleft()
        future = len(live.event_times) - bisect.bisect_right(live.event_times, now)
        agent, bridge = live.nodes.get("agent"), live.nodes.get("bridge")
        return {
            "gate_id": gate_id,
            "name": meta.name if meta and meta.name else gate_id,
            "site_id": meta.site_id if meta else None,
            "zone_id": meta.zone_id if meta else None,
            "lanes": meta.lanes if meta else None,
            "online": agent is not None and agent.state == "online",
            "agent": agent.as_json() if agent else None,
            "bridge": bridge.as_json() if bridge else None,
            "replica": replica_json(
                agent,
                max_age_s=meta.replica_max_age_s if meta else DEFAULT_REPLICA_MAX_AGE_S,
                now=datetime.fromtimestamp(now, UTC),
            ),
            "door": live.door,
            "tamper": live.tamper,
            "lane_states": live.lanes,
            "state_at": live.state_at.isoformat() if live.state_at else None,
            "last_event": live.last_event,
            "events_per_minute": len(live.event_times) - future,
        }
