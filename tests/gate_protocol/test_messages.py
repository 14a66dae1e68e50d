import json
from datetime import UTC, datetime, timedelta

import pytest
from pydantic import ValidationError

from gate_protocol.messages import (
    MAX_PAYLOAD_BYTES,
    AccessEvent,
    AckResult,
    AlarmAcknowledged,
    AlarmKind,
    AlarmNotice,
    AlarmRaised,
    AuditHead,
    BadgeFormat,
    CommandAck,
    CredentialKind,
    CredentialPresented,
    DecidedBy,
    Decision,
    Direction,
    DoorState,
    GateState,
    LaneState,
    LatencyBreakdown,
    MessageError,
    MessageErrorReason,
    NodeState,
    NodeStatus,
    OpenCommand,
    Passage,
    SyncNotice,
    decode_message,
    encode_message,
)
from gate_protocol.reasons import ReasonCode
from gate_protocol.topics import NodeKind

NOW = datetime(2026, 11, 22, 8, 30, tzinfo=UTC)

SAMPLES = [
    CredentialPresented(
        badge_number="00A1B2C3",
        format=BadgeFormat.WIEGAND26,
        facility_code=12,
        reader_id="r1",
        lane=0,
        read_at=NOW,
    ),
    OpenCommand(
        command_id="c-1",
        lane=1,
        direction=Direction.ENTRY,
        issued_at=NOW,
        expires_at=NOW + timedelta(seconds=5),
        issued_by="agent.g1",
    ),
    CommandAck(command_id="c-1", result=AckResult.OPENED, at=NOW),
    Passage(command_id="c-1", lane=1, passed=True, at=NOW),
    AccessEvent(
        event_id="e-1",
        agent_seq=7,
        occurred_at=NOW,
        lane=1,
        direction=Direction.ENTRY,
        decision=Decision.DENIED,
        reason=ReasonCode.COMPETENCY_EXPIRED,
        reason_detail="ISPS expired 2026-10-01",
        person_id="p-1",
        credential_kind=CredentialKind.BADGE,
        credential_ref="00A1B2C3",
        face_score=0.31,
        liveness_score=0.9,
        decided_by=DecidedBy.REPLICA,
        replica_version=42,
        latency=LatencyBreakdown(decode_ms=3.5, face_ms=80.0, decision_ms=2.0, total_ms=90.1),
    ),
    AlarmRaised(alarm_id="a-1", alarm=AlarmKind.FORCED, lane=0, at=NOW, detail="door forced"),
    AlarmNotice(
        alarm_id="a-2",
        alarm=AlarmKind.WATCHLIST,
        gate_id="north-1",
        person_id="p-1",
        lane=1,
        at=NOW,
        detail="watchlist hit: " + "x" * 900,
    ),
    AlarmAcknowledged(
        alarm_id="a-2", acknowledged_by="ops.anna", acknowledged_at=NOW, comment="guard sent"
    ),
    GateState(
        door=DoorState.CLOSED,
        lanes=(LaneState(lane=0, door=DoorState.CLOSED), LaneState(lane=1, door=DoorState.HELD)),
        readers_offline=("reader-a1",),
        at=NOW,
    ),
    NodeStatus(node=NodeKind.AGENT, state=NodeState.ONLINE, version="0.1.0", since=NOW),
    SyncNotice(replica_version=43, at=NOW),
    AuditHead(seq=7, hash="ab" * 32, at=NOW),
]


@pytest.mark.parametrize("message", SAMPLES, ids=lambda m: m.kind)
def test_every_message_round_trips(message: object) -> None:
    wire = encode_message(message)  # type: ignore[arg-type]
    decoded = decode_message(wire)
    assert decoded == message
    body = json.loads(wire)
    assert body["schema_version"] == 1
    assert body["kind"] == decoded.kind
    assert len(body["message_id"]) == 32


def test_sample_list_covers_every_kind() -> None:
    from gate_protocol.schema import build_message_schema

    kinds = set(build_message_schema()["x-topics"])
    assert {m.kind for m in SAMPLES} == kinds


def test_expected_kind_is_enforced() -> None:
    wire = encode_message(SAMPLES[2])
    assert isinstance(decode_message(wire, CommandAck), CommandAck)
    with pytest.raises(MessageError) as caught:
        decode_message(wire, OpenCommand)
    assert caught.value.reason is MessageErrorReason.UNEXPECTED_KIND


@pytest.mark.parametrize(
    ("payload", "reason"),
    [
        (b"{", MessageErrorReason.MALFORMED_JSON),
        (b"", MessageErrorReason.MALFORMED_JSON),
        (b"\xff\xfe", MessageErrorReason.MALFORMED_JSON),
        (b'{"kind": "self_destruct"}', MessageErrorReason.UNKNOWN_KIND),
        (b'{"schema_version": 1}', MessageErrorReason.UNKNOWN_KIND),
        (b"[]", MessageErrorReason.INVALID),
        (b"null", MessageErrorReason.INVALID),
        (b'{"kind": "passage"}', MessageErrorReason.INVALID),
        (b" " * (MAX_PAYLOAD_BYTES + 1), MessageErrorReason.OVERSIZED),
    ],
)
def test_bad_payloads_get_a_typed_error(payload: bytes, reason: MessageErrorReason) -> None:
    with pytest.raises(MessageError) as caught:
        decode_message(payload)
    assert caught.value.reason is reason


def _mutated(message: object, **changes: object) -> bytes:
    body = json.loads(encode_message(message))  # type: ignore[arg-type]
    body.update(changes)
    return json.dumps(body).encode()


@pytest.mark.parametrize(
    "changes",
    [
        {"schema_version": 2},
        {"unexpected": "field"},
        {"expires_at": "2026-11-22T08:30:05"},  # naive time: ambiguous across time zones
        {"lane": -1},
        {"lane": 64},
        {"pulse_ms": 0},
        {"command_id": ""},
        {"command_id": "a/b"},
        {"command_id": "x" * 65},
        {"direction": "sideways"},
        {"message_id": None},
    ],
)
def test_invalid_open_commands_are_refused(changes: dict[str, object]) -> None:
    with pytest.raises(MessageError) as caught:
        decode_message(_mutated(SAMPLES[1], **changes))
    assert caught.value.reason is MessageErrorReason.INVALID


def test_event_scores_must_be_finite() -> None:
    wire = encode_message(SAMPLES[4]).replace(b'"face_score":0.31', b'"face_score":NaN')
    with pytest.raises(MessageError):
        decode_message(wire)


def test_messages_are_immutable() -> None:
    with pytest.raises(ValidationError):
        SAMPLES[1].lane = 3  # type: ignore[misc]


def test_message_ids_are_unique() -> None:
    ids = {SyncNotice(replica_version=1, at=NOW).message_id for _ in range(1000)}
    assert len(ids) == 1000


def test_badge_numbers_are_hex_only() -> None:
    with pytest.raises(ValidationError):
        CredentialPresented(
            badge_number="12; DROP", format=BadgeFormat.RAW, reader_id="r", lane=0, read_at=NOW
        )


def test_node_status_without_a_replica_sync_time_still_decodes() -> None:
    # Agents from before `replica_synced_at` send no such field: still a valid status.
    old = (
        b'{"schema_version":1,"message_id":"m-1","kind":"node_status","node":"agent",'
        b'"state":"online","version":"0.0.9","replica_version":4,'
        b'"since":"2026-11-20T10:00:00Z"}'
    )
    status = decode_message(old, NodeStatus)
    assert isinstance(status, NodeStatus)
    assert status.replica_version == 4 and status.replica_synced_at is None
    synced = NodeStatus(
        node=NodeKind.AGENT,
        state=NodeState.ONLINE,
        version="0.1.0",
        replica_version=5,
        replica_synced_at=NOW,
        since=NOW,
    )
    assert decode_message(encode_message(synced)) == synced
    with pytest.raises(MessageError):
        decode_message(
            old.replace(b'"since"', b'"replica_synced_at":"2026-11-20T10:00:00","since"')
        )  # naive time: refused


def test_alarm_notices_refuse_what_the_api_would_not_store() -> None:
    with pytest.raises(ValidationError):
        AlarmNotice(alarm_id="a-1", alarm=AlarmKind.WATCHLIST, at=NOW, detail="x" * 1001)
    with pytest.raises(ValidationError):
        AlarmNotice(alarm_id="a-1", alarm=AlarmKind.WATCHLIST, at=NOW, gate_id="bad/gate")
    with pytest.raises(ValidationError):
        AlarmAcknowledged(alarm_id="a-1", acknowledged_by="", acknowledged_at=NOW)
    # A site-wide notice without a gate (an API alarm about a person only) is fine.
    notice = AlarmNotice(alarm_id="a-1", alarm=AlarmKind.INSIDER_PATTERN, at=NOW)
    assert decode_message(encode_message(notice), AlarmNotice) == notice
