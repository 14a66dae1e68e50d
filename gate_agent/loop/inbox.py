"""What the agent loop's inbox carries: every thread talks to the loop only through these.

Each item is defined by the part that produces it (the MQTT link's events in
`links.bus`, a decoded code in `camera.frame_pump`, a face-only identification in
`face.identify`, a decision in `decision.decider`); the ones only the loop's own workers
produce are here. `InboxItem` is the union the loop handles.
"""

from __future__ import annotations

from dataclasses import dataclass

from gate_agent.camera.frame_pump import CodeSeen
from gate_agent.decision.decider import PresentationDecided
from gate_agent.decision.replica_store import SyncResult
from gate_agent.face.identify import FaceIdentified
from gate_agent.links.bus import MqttEvent
from gate_agent.outbox.confirm import ConfirmResult

__all__ = ["InboxItem", "OutboxConfirmed", "ReplicaSynced", "Stop"]


@dataclass(frozen=True, slots=True)
class ReplicaSynced:
    """The sync worker stored a new replica."""

    result: SyncResult


@dataclass(frozen=True, slots=True)
class OutboxConfirmed:
    """The confirm worker's answer: which published events and alarms the API stores."""

    result: ConfirmResult


@dataclass(frozen=True, slots=True)
class Stop:
    """Leave the loop."""


InboxItem = (
    MqttEvent
    | CodeSeen
    | FaceIdentified
    | PresentationDecided
    | ReplicaSynced
    | OutboxConfirmed
    | Stop
)
