"""What the agent loop knows of its gate's world, shared with the parts it drives."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from gate_agent.decision.decider import ReplicaView

__all__ = ["LoopState"]


@dataclass
class LoopState:
    """The loop's state: changed only on the loop's thread.

    Other threads read `replica`, which the loop replaces whole, never edits in place.

    Attributes:
        replica: The replica view decisions are made on.
        connected: The MQTT link is up.
        subscribed: The broker granted the agent's subscriptions.
        mqtt_connects: How often the MQTT link came up (metrics: reconnects).
        drops: What the loop dropped or refused, by label.
    """

    replica: ReplicaView
    connected: bool = False
    subscribed: bool = False
    mqtt_connects: int = 0
    drops: Counter[str] = field(default_factory=Counter)
