"""The MQTT message models (docs/architecture.md, MQTT) and the one way to decode them.

Every payload carries ``schema_version``, ``kind`` (the discriminator) and a unique
``message_id``; domain ids (``command_id``, ``event_id``, ``alarm_id``) are separate because a
re-sent command or event keeps its domain id while the message is new. Models are frozen and
forbid unknown fields so that a typo on the wire fails loudly instead of being dropped.
"""

from enum import StrEnum
from typing import Annotated, Literal, TypeVar

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    TypeAdapter,
    ValidationError,
)

from gate_protocol.audit_head import AuditHead
from gate_protocol.ids import BadgeNumber, Id
from gate_protocol.message_base import (
    AckResult,
    AlarmKind,
    BadgeFormat,
    CredentialKind,
    DecidedBy,
    Decision,
    Direction,
    DoorState,
    NodeState,
    new_id,
)
from gate_protocol.message_base import MessageBase as _Message
from gate_protocol.reasons import ReasonCode
from gate_protocol.text import neutralised_text, refuse_unsafe_text
from gate_protocol.topics import NodeKind

__all__ = [
    "MAX_PAYLOAD_BYTES",
    "SCHEMA_VERSION",
    "AccessEvent",
    "AckResult",
    "AlarmAcknowledged",
    "AlarmKind",
    "AlarmNotice",
    "AlarmRaised",
    "AuditHead",
    "BadgeFormat",
    "CommandAck",
    "CredentialKind",
    "CredentialPresented",
    "DecidedBy",
    "Decision",
    "Direction",
    "DoorState",
    "GateState",
    "LaneState",
    "LatencyBreakdown",
    "Message",
    "MessageError",
    "MessageErrorReason",
    "NodeState",
    "NodeStatus",
    "OpenCommand",
    "Passage",
    "SyncNotice",
    "decode_message",
    "encode_message",
    "new_id",
]

SCHEMA_VERSION = 1
# Larger payloads are refused before JSON parsing: no legitimate message comes near it.
MAX_PAYLOAD_BYTES = 16 * 1024

Text = Annotated[str, StringConstraints(max_length=500), AfterValidator(neutralised_text)]
Lane = Annotated[int, Field(ge=0, le=63)]
Score = Annotated[float, Field(ge=0.0, le=10.0, allow_inf_nan=False)]
# A face model's name: encoder and alignment, e.g. "dlib_resnet_v1/68pt".
FaceModelId = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9._:/+-]{1,64}$")]


class CredentialPresented(_Message):
    """A badge was read at a gate's reader (bridge -> agent)."""

    kind: Literal["credential_presented"] = "credential_presented"
    badge_number: BadgeNumber
    format: BadgeFormat
    facility_code: Annotated[int, Field(ge=0, le=0xFFFF)] | None = None
    reader_id: Id
    lane: Lane
    read_at: AwareDatetime


class OpenCommand(_Message):
    """Open one lane once, before `expires_at`; signed (`gate_protocol.command_signing`)."""

    kind: Literal["open_command"] = "open_command"
    command_id: Id
    lane: Lane
    direction: Direction
    pulse_ms: Annotated[int, Field(ge=100, le=30_000)] = 3000
    issued_at: AwareDatetime
    expires_at: AwareDatetime
    issued_by: Id
    reason: Text | None = None
    key_id: Annotated[str, StringConstraints(pattern=r"^[0-9A-Z]{1,8}$")] | None = None
    signature: Annotated[str, StringConstraints(max_length=128)] | None = None


class CommandAck(_Message):
    """The bridge's answer to an OpenCommand; every command gets exactly one per delivery."""

    kind: Literal["command_ack"] = "command_ack"
    command_id: Id
    result: AckResult
    at: AwareDatetime
    detail: Text | None = None


class Passage(_Message):
    """Whether somebody passed after an opening (bridge -> agent)."""

    kind: Literal["passage"] = "passage"
    command_id: Id
    lane: Lane
    passed: bool
    at: AwareDatetime


class LatencyBreakdown(BaseModel):
    """Milliseconds spent in each step from credential to decision (absent: step not run)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    decode_ms: Annotated[float, Field(ge=0, le=600_000)] | None = None
    face_ms: Annotated[float, Field(ge=0, le=600_000)] | None = None
    liveness_ms: Annotated[float, Field(ge=0, le=600_000)] | None = None
    decision_ms: Annotated[float, Field(ge=0, le=600_000)] | None = None
    total_ms: Annotated[float, Field(ge=0, le=600_000)] | None = None


class AccessEvent(_Message):
    """The whole story of one presentation at a gate (agent -> API, at least once)."""

    kind: Literal["access_event"] = "access_event"
    event_id: Id
    agent_seq: Annotated[int, Field(ge=0)]
    occurred_at: AwareDatetime
    lane: Lane
    direction: Direction
    decision: Decision
    reason: ReasonCode
    reason_detail: Text | None = None
    person_id: Id | None = None
    credential_kind: CredentialKind
    credential_ref: Id | None = None
    face_score: Score | None = None
    liveness_score: Score | None = None
    # What a face decision used: the encoder and alignment (`biometrics` names it) and the
    # distance threshold; absent where no face was compared.
    face_model: FaceModelId | None = None
    face_threshold: Score | None = None
    decided_by: DecidedBy
    replica_version: Annotated[int, Field(ge=0)] | None = None
    command_id: Id | None = None
    passed: bool | None = None
    latency: LatencyBreakdown = Field(default_factory=LatencyBreakdown)
    anti_passback_violation: bool = False  # soft anti-passback: granted the same way twice


class AlarmRaised(_Message):
    """Something an operator must look at (bridge, agent or API)."""

    kind: Literal["alarm_raised"] = "alarm_raised"
    alarm_id: Id
    alarm: AlarmKind
    lane: Lane | None = None
    at: AwareDatetime
    detail: Text = ""


class AlarmNotice(_Message):
    """An alarm the API raised and stored (watchlist hit, insider pattern), on the site topic.

    API replicas tell each other, so every replica's live dashboard shows it at once.
    """

    kind: Literal["alarm_notice"] = "alarm_notice"
    alarm_id: Id
    alarm: AlarmKind
    gate_id: Id | None = None
    person_id: Id | None = None
    lane: Lane | None = None
    at: AwareDatetime
    detail: Annotated[str, StringConstraints(max_length=1000), AfterValidator(neutralised_text)] = (
        ""
    )


class AlarmAcknowledged(_Message):
    """An operator acknowledged an alarm (API -> API replicas, on the site alarm topic)."""

    kind: Literal["alarm_acknowledged"] = "alarm_acknowledged"
    alarm_id: Id
    acknowledged_by: Annotated[
        str, StringConstraints(min_length=1, max_length=64), AfterValidator(refuse_unsafe_text)
    ]
    acknowledged_at: AwareDatetime
    comment: Text = ""


class LaneState(BaseModel):
    """One lane of a gate."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    lane: Lane
    door: DoorState


class GateState(_Message):
    """The retained physical state of a gate (bridge -> all)."""

    kind: Literal["gate_state"] = "gate_state"
    door: DoorState
    tamper: bool = False
    lanes: Annotated[tuple[LaneState, ...], Field(max_length=64)] = ()
    readers_offline: Annotated[tuple[Id, ...], Field(max_length=64)] = ()
    at: AwareDatetime


class NodeStatus(_Message):
    """A node's retained online/offline status; the offline one is also its last will."""

    kind: Literal["node_status"] = "node_status"
    node: NodeKind
    state: NodeState
    version: Annotated[str, StringConstraints(max_length=40), AfterValidator(neutralised_text)]
    replica_version: Annotated[int, Field(ge=0)] | None = None
    # When the agent's replica was last known current: generated, or confirmed by its last
    # sync, whichever is later. The offline max-age rule counts the replica's age from it.
    # None: no replica yet, a bridge, a last will, or an agent from before this field.
    replica_synced_at: AwareDatetime | None = None
    since: AwareDatetime


class SyncNotice(_Message):
    """A new replica version exists for this site; agents fetch their delta over HTTP."""

    kind: Literal["sync_notice"] = "sync_notice"
    replica_version: Annotated[int, Field(ge=0)]
    at: AwareDatetime


Message = Annotated[
    CredentialPresented
    | OpenCommand
    | CommandAck
    | Passage
    | AccessEvent
    | AlarmRaised
    | AlarmNotice
    | AlarmAcknowledged
    | GateState
    | NodeStatus
    | SyncNotice
    | AuditHead,
    Field(discriminator="kind"),
]
_MESSAGE_ADAPTER: TypeAdapter[Message] = TypeAdapter(Message)
M = TypeVar("M", bound=_Message)


class MessageErrorReason(StrEnum):
    """Why a payload was refused; receivers count drops by this label."""

    OVERSIZED = "oversized"
    MALFORMED_JSON = "malformed_json"
    UNKNOWN_KIND = "unknown_kind"
    INVALID = "invalid"
    UNEXPECTED_KIND = "unexpected_kind"


class MessageError(ValueError):
    """A payload that does not decode to a valid PortGate message."""

    def __init__(self, reason: MessageErrorReason, detail: str) -> None:
        super().__init__(f"{reason.value}: {detail}")
        self.reason = reason
        self.detail = detail


def decode_message(payload: bytes | str, expected: type[M] | None = None) -> Message:
    """Validate a raw MQTT payload and return the typed message.

    Args:
        payload: The raw payload bytes (UTF-8 JSON).
        expected: If given, the only message class accepted (e.g. a bridge wants OpenCommand).

    Raises:
        MessageError: oversized, not JSON, unknown kind, invalid fields or unexpected kind.
    """
    raw = payload.encode() if isinstance(payload, str) else payload
    if len(raw) > MAX_PAYLOAD_BYTES:
        raise MessageError(MessageErrorReason.OVERSIZED, f"{len(raw)} bytes > {MAX_PAYLOAD_BYTES}")
    try:
        message = _MESSAGE_ADAPTER.validate_json(raw)
    except ValidationError as exc:
        raise _classify(exc) from None
    if expected is not None and not isinstance(message, expected):
        raise MessageError(
            MessageErrorReason.UNEXPECTED_KIND, f"got {message.kind}, want {expected.__name__}"
        )
    return message


def _classify(exc: ValidationError) -> MessageError:
    first = exc.errors(include_url=False, include_input=False)[0]
    kind = first["type"]
    where = ".".join(str(part) for part in first["loc"])
    if kind == "json_invalid":
        return MessageError(MessageErrorReason.MALFORMED_JSON, "payload is not valid JSON")
    if kind in ("union_tag_invalid", "union_tag_not_found", "model_attributes_type"):
        return MessageError(MessageErrorReason.UNKNOWN_KIND, first["msg"])
    return MessageError(MessageErrorReason.INVALID, f"{where}: {first['msg']}")


def encode_message(message: _Message) -> bytes:
    """Serialise a message for the wire (compact UTF-8 JSON)."""
    return message.model_dump_json(exclude_none=False).encode()
