"""Many gates' MQTT layers without cameras: the agent's own `MqttLink`, one per gate.

Each simulated gate does on the bus what an agent's loop does (gate_agent/loop): on every
(re)connect it subscribes to its gate's topics and the site's sync topic and publishes its
retained online status; the retained `SyncNotice` it then receives is its resync (the agent
would fetch the replica named by it). Used by the broker-restart fault test and bench.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime

from gate_agent.links.bus import MqttConnected, MqttEvent, MqttIncoming
from gate_agent.links.mqtt_link import MqttLink
from gate_agent.loop.node import AgentTopics, agent_status
from gate_protocol.messages import (
    MessageError,
    NodeState,
    SyncNotice,
    decode_message,
    encode_message,
)
from gate_protocol.mqtt_connection import MqttConnection

__all__ = ["GateSwarm", "SwarmGate"]


@dataclass
class SwarmGate:
    """One simulated gate: its link, how often it connected, the sync version it has seen."""

    gate: str
    topics: AgentTopics
    link: MqttLink | None = None
    connects: int = 0
    version: int = -1
    synced_at: float | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def put_nowait(self, item: MqttEvent, /) -> None:
        """The link's events (paho's thread): what the agent loop would do with them."""
        if isinstance(item, MqttConnected):
            assert self.link is not None  # noqa: S101 (set before start)
            with self._lock:
                self.connects += 1
            self.link.subscribe(self.topics.subscriptions())
            status = agent_status(state=NodeState.ONLINE, since=datetime.now(UTC))
            self.link.publish(self.topics.status, encode_message(status), retain=True)
        elif isinstance(item, MqttIncoming) and item.topic == self.topics.sync:
            try:
                notice = decode_message(item.payload, SyncNotice)
            except MessageError:
                return
            if isinstance(notice, SyncNotice):
                with self._lock:
                    self.version = max(self.version, notice.replica_version)
                    self.synced_at = time.monotonic()


@dataclass
class GateSwarm:
    """`gates` simulated gates of `site` on an anonymous broker at 127.0.0.1:`port`."""

    port: int
    site: str
    gates: int
    reconnect_min_s: float = 1.0
    reconnect_max_s: float = 30.0
    first: int = 1  # the first gate's number (a slice of a larger swarm: gate_processes.py)
    members: list[SwarmGate] = field(default_factory=list)

    def start(self) -> None:
        """Create and connect every gate (connections are made in the background)."""
        for number in range(self.first, self.first + self.gates):
            gate = f"s{number:04d}"
            member = SwarmGate(gate=gate, topics=AgentTopics.of(site=self.site, gate=gate))
            member.link = MqttLink(
                inbox=member,
                client_id=f"swarm-{self.site}-{gate}",
                connection=MqttConnection(host="127.0.0.1", port=self.port, keepalive_s=30),
                reconnect_min_s=self.reconnect_min_s,
                reconnect_max_s=self.reconnect_max_s,
            )
            self.members.append(member)
            member.link.start()

    def synced(self, version: int) -> int:
        """How many gates have seen sync notice `version` (or a later one)."""
        return sum(1 for m in self.members if m.version >= version)

    def connects(self) -> list[int]:
        """Each gate's connect count."""
        return [m.connects for m in self.members]

    def stop(self) -> None:
        """Disconnect every gate."""
        for member in self.members:
            if member.link is not None:
                member.link.stop()
