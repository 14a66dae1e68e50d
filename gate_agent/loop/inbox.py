"""What the agent loop's inbox carries: every thread talks to the loop only through these."""

from __future__ import annotations

from dataclasses import dataclass

from gate_agent.decision.presentation import Presentation, Verdict
from gate_agent.decision.replica_store import SyncResult
from gate_agent.face.identify import Ambiguous, Identified
from gate_agent.face.step import FaceOutcome
from gate_agent.outbox.confirm import ConfirmResult

__all__ = [
    "CodeSeen",
    "OutboxConfirmed",
    "FaceIdentified",
    "InboxItem",
    "MqttConnected",
    "MqttDisconnected",
    "MqttIncoming",
    "MqttPublished",
    "MqttSubscribed",
    "PresentationDecided",
    "ReplicaSynced",
    "Stop",
]


@dataclass(frozen=True, slots=True)
class MqttConnected:
    """The broker accepted the connection."""

    session_present: bool


@dataclass(frozen=True, slots=True)
class MqttDisconnected:
    """The connection was lost or refused (paho reconnects with backoff)."""

    reason: str


@dataclass(frozen=True, slots=True)
class MqttSubscribed:
    """The broker granted the agent's subscriptions (SUBACK)."""

    mid: int


@dataclass(frozen=True, slots=True)
class MqttIncoming:
    """A raw message from a subscribed topic, not yet validated."""

    topic: str
    payload: bytes


@dataclass(frozen=True, slots=True)
class MqttPublished:
    """The broker acknowledged (PUBACK) the publish with this message id."""

    mid: int


@dataclass(frozen=True, slots=True)
class CodeSeen:
    """The camera's scan worker decoded a code; `at` is the frame's monotonic time."""

    text: str
    at: float


@dataclass(frozen=True, slots=True)
class FaceIdentified:
    """At a face-only gate the tracker identified a face 1:N, or found it ambiguous."""

    result: Identified | Ambiguous


@dataclass(frozen=True, slots=True)
class PresentationDecided:
    """The decision worker's result for one presentation."""

    presentation: Presentation
    verdict: Verdict
    face: FaceOutcome | None
    decision_ms: float


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
    MqttConnected
    | MqttDisconnected
    | MqttIncoming
    | MqttPublished
    | MqttSubscribed
    | CodeSeen
    | FaceIdentified
    | PresentationDecided
    | ReplicaSynced
    | OutboxConfirmed
    | Stop
)
