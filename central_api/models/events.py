"""What gates report: access events, alarms, node status; and the replica change log."""

from datetime import datetime

from gate_protocol.messages import AlarmKind, CredentialKind, DecidedBy, Decision, Direction
from gate_protocol.reasons import ReasonCode
from sqlalchemy import JSON, Index
from sqlmodel import Field, SQLModel

from central_api.db import utc_now
from central_api.models.common import enum_column, time_field

__all__ = [
    "AccessEventRecord",
    "AccessEventPublic",
    "Alarm",
    "AlarmAck",
    "AlarmPublic",
    "NodeStatusRecord",
    "ReplicaChange",
]


class AccessEventRecord(SQLModel, table=True):
    """One stored AccessEvent; `event_id` is unique, so a replayed event is stored once."""

    __tablename__ = "access_event"
    __table_args__ = (
        Index("ix_access_event_person_time", "person_id", "occurred_at"),
        Index("ix_access_event_gate_time", "gate_id", "occurred_at"),
        # Event search (migration 0026): keyset order, reason + time.
        Index("ix_access_event_time_id", "occurred_at", "id"),
        Index("ix_access_event_reason_time", "reason", "occurred_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    event_id: str = Field(max_length=64, unique=True)
    site_id: str = Field(max_length=64, index=True)
    gate_id: str = Field(max_length=64)
    agent_seq: int
    occurred_at: datetime = time_field()
    received_at: datetime = time_field(default_factory=utc_now)
    lane: int
    direction: Direction = enum_column(Direction)
    decision: Decision = enum_column(Decision)
    reason: ReasonCode = enum_column(ReasonCode)
    reason_detail: str | None = Field(default=None, max_length=500)
    person_id: str | None = Field(default=None, max_length=64)
    credential_kind: CredentialKind = enum_column(CredentialKind)
    credential_ref: str | None = Field(default=None, max_length=64)
    face_score: float | None = None
    liveness_score: float | None = None
    # The face encoder and alignment, and the distance threshold, a face decision used.
    face_model: str | None = Field(default=None, max_length=64)
    face_threshold: float | None = None
    decided_by: DecidedBy = enum_column(DecidedBy)
    replica_version: int | None = None
    command_id: str | None = Field(default=None, max_length=64)
    passed: bool | None = None
    latency_ms: float | None = None
    latency: dict[str, float | None] = Field(default_factory=dict, sa_type=JSON)
    # Granted although soft anti-passback saw the same direction twice.
    anti_passback_violation: bool = False
    # This row's Merkle leaf (central_api.audit.event_chain): an edit names its event.
    chain_leaf: str | None = Field(default=None, max_length=64)


class AccessEventPublic(SQLModel):
    """An event as the API shows it."""

    event_id: str
    site_id: str
    gate_id: str
    agent_seq: int
    occurred_at: datetime
    received_at: datetime
    lane: int
    direction: Direction
    decision: Decision
    reason: ReasonCode
    reason_detail: str | None
    person_id: str | None
    credential_kind: CredentialKind
    decided_by: DecidedBy
    face_score: float | None
    liveness_score: float | None
    face_model: str | None = None
    face_threshold: float | None = None
    latency_ms: float | None
    anti_passback_violation: bool = False


class Alarm(SQLModel, table=True):
    """An alarm from a bridge, an agent or the API's insider-pattern checks."""

    # Alarm search (migration 0026): keyset order, gate + time.
    __table_args__ = (
        Index("ix_alarm_time_id", "raised_at", "id"),
        Index("ix_alarm_gate_time", "gate_id", "raised_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    alarm_id: str = Field(max_length=64, unique=True)
    site_id: str = Field(max_length=64, index=True)
    gate_id: str | None = Field(default=None, max_length=64)
    kind: AlarmKind = enum_column(AlarmKind)
    lane: int | None = None
    raised_at: datetime = time_field()
    received_at: datetime = time_field(default_factory=utc_now)
    detail: str = Field(default="", max_length=1000)
    person_id: str | None = Field(default=None, max_length=64)
    acknowledged_by: str | None = Field(default=None, max_length=64)
    acknowledged_at: datetime | None = time_field(default=None)
    ack_comment: str | None = Field(default=None, max_length=500)


class AlarmAck(SQLModel):
    """An operator acknowledges an alarm, with a comment."""

    comment: str = Field(min_length=1, max_length=500)


class AlarmPublic(SQLModel):
    """An alarm as the API shows it."""

    alarm_id: str
    site_id: str
    gate_id: str | None
    kind: AlarmKind
    lane: int | None
    raised_at: datetime
    detail: str
    person_id: str | None
    acknowledged_by: str | None
    acknowledged_at: datetime | None
    ack_comment: str | None


class NodeStatusRecord(SQLModel, table=True):
    """The last status each gate node (agent, bridge) reported.

    Its replica fields change only by `central_api.replica.reported.replica_after`.
    """

    gate_id: str = Field(primary_key=True, max_length=64)
    node: str = Field(primary_key=True, max_length=16)
    site_id: str = Field(max_length=64)
    state: str = Field(max_length=16)
    version: str = Field(default="", max_length=40)
    replica_version: int | None = None
    replica_synced_at: datetime | None = time_field(default=None)
    since: datetime = time_field()
    received_at: datetime = time_field(default_factory=utc_now)


class ReplicaChange(SQLModel, table=True):
    """Person `person_id` changed at site replica version `version` (feeds replica deltas)."""

    __tablename__ = "replica_change"
    __table_args__ = (Index("ix_replica_change_site_version", "site_id", "version"),)

    id: int | None = Field(default=None, primary_key=True)
    site_id: str = Field(max_length=64)
    version: int
    person_id: str | None = Field(default=None, max_length=64)
    scope: str = Field(default="person", max_length=16)
    detail: dict[str, object] = Field(default_factory=dict, sa_type=JSON)
