"""The agent as a node on the bus: its gate's topics and its retained status.

Both the loop (subscriptions, publishes) and the app (last will, goodbye) need them; they
are built here once, through gate_protocol.topics.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from gate_protocol.messages import NodeState, NodeStatus
from gate_protocol.replica import ReplicaIndex
from gate_protocol.topics import GateChannel, GateTopic, NodeKind, SyncTopic, build_topic

from gate_agent.decision.replica_policy import replica_current_at

__all__ = ["AGENT_VERSION", "AgentTopics", "agent_status", "offline_status"]

AGENT_VERSION = "0.1.0"


@dataclass(frozen=True, slots=True)
class AgentTopics:
    """The topic strings one gate's agent uses."""

    channel: dict[GateChannel, str]
    status: str
    sync: str

    @classmethod
    def of(cls, *, site: str, gate: str) -> AgentTopics:
        """Build every topic of this gate's agent."""
        return cls(
            channel={
                channel: build_topic(GateTopic(site, gate, channel))
                for channel in GateChannel
                if channel is not GateChannel.STATUS
            },
            status=build_topic(GateTopic(site, gate, GateChannel.STATUS, NodeKind.AGENT)),
            sync=build_topic(SyncTopic(site)),
        )

    def subscriptions(self) -> list[str]:
        """What the agent listens to: badge reads, acks, passages and sync notices."""
        return [
            self.channel[GateChannel.CREDENTIAL],
            self.channel[GateChannel.CMD_ACK],
            self.channel[GateChannel.PASSAGE],
            self.sync,
        ]


def agent_status(
    *,
    state: NodeState,
    since: datetime,
    index: ReplicaIndex | None = None,
    last_sync_at: datetime | None = None,
) -> NodeStatus:
    """The agent's retained NodeStatus (the offline one is also its last will).

    With a replica it carries the replica's version and when it was last known current,
    the instant the offline max-age rule counts from, so the dashboard shows that age.
    """
    return NodeStatus(
        node=NodeKind.AGENT,
        state=state,
        version=AGENT_VERSION,
        replica_version=index.snapshot.version if index is not None else None,
        replica_synced_at=(
            replica_current_at(index, last_sync_at=last_sync_at) if index is not None else None
        ),
        since=since,
    )


def offline_status() -> NodeStatus:
    """The agent's offline status, as of now (also its last will)."""
    return agent_status(state=NodeState.OFFLINE, since=datetime.now(UTC))
