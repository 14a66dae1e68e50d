"""Storing what gates report: events (idempotent on event_id), alarms, node status.

Two doors lead here: ``POST /api/v1/events`` and ``/alarms`` (an agent replaying its
outbox, `central_api.routes.gate_uploads`) and the MQTT
subscription, whose paho callback only enqueues; one `IngestWorker` thread
(`central_api.ingest.worker`) stores. A
malformed message is counted (``portgate_ingest_rejected_total{reason}``), logged and
dropped; it never stops the loop.
"""

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, cast

import psycopg
from gate_protocol.messages import (
    AccessEvent,
    AlarmKind,
    AlarmRaised,
    GateState,
    MessageError,
    NodeState,
    NodeStatus,
    decode_message,
)
from gate_protocol.topics import GateChannel, GateTopic, TopicError, parse_topic
from psycopg.types.json import Json
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, SQLModel, col

from central_api.alarms.raise_alarm import raise_alarm
from central_api.audit.event_chain import event_leaf, seal_event_batch
from central_api.db import utc_now
from central_api.ingest.taps import GateMessage
from central_api.insider.checks import InsiderRules, check_event
from central_api.metrics import ALARMS_TOTAL, EVENTS_TOTAL
from central_api.models import AccessEventRecord, Alarm, Gate, NodeStatusRecord, Site
from central_api.replica.reported import ReportedReplica, replica_after

__all__ = [
    "IngestResult",
    "RejectedMessage",
    "accept_message",
    "decode_gate_message",
    "handle_message",
    "store_alarm",
    "store_event_batch",
    "store_events",
    "store_message",
    "store_status",
]

logger = logging.getLogger(__name__)
_EXPECTED: dict[
    GateChannel, type[AccessEvent] | type[AlarmRaised] | type[NodeStatus] | type[GateState]
] = {
    GateChannel.EVENT: AccessEvent,
    GateChannel.ALARM: AlarmRaised,
    GateChannel.STATUS: NodeStatus,
    GateChannel.STATE: GateState,  # validated for the live dashboard, not stored
}


class RejectedMessage(ValueError):
    """A message that is not stored; `reason` is the metric label."""

    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(f"{reason}: {detail}")
        self.reason = reason


@dataclass(frozen=True, slots=True)
class IngestResult:
    """How many events of a batch were new and how many were already stored."""

    stored: int
    duplicates: int
    stored_ids: tuple[str, ...] = ()


def _insert(session: Session, table: Any) -> Any:
    dialect = session.get_bind().dialect.name
    return (postgresql.insert if dialect == "postgresql" else sqlite.insert)(table)


# Events outside these bounds are garbage (or an attack on the time windows), not late.
EARLIEST_EVENT = datetime(2020, 1, 1, tzinfo=UTC)
MAX_CLOCK_AHEAD = timedelta(days=1)


def check_event_time(event: AccessEvent, *, now: datetime) -> None:
    """Refuse an event dated before 2020 or more than a day ahead of the API's clock."""
    if not EARLIEST_EVENT <= event.occurred_at <= now + MAX_CLOCK_AHEAD:
        raise RejectedMessage(
            "invalid",
            f"event {event.event_id}: occurred_at {event.occurred_at.isoformat()} is not a "
            "plausible time (before 2020 or more than a day ahead)",
        )


def store_events(
    *,
    session: Session,
    site_id: str,
    gate_id: str,
    events: Sequence[AccessEvent],
    received_at: datetime | None = None,
    rules: InsiderRules | None = None,
) -> IngestResult:
    """Insert one gate's events once each (ON CONFLICT DO NOTHING on event_id).

    Late events are welcome. Runs the insider-pattern checks on the new ones; the caller
    commits.

    Raises:
        RejectedMessage: an event's time is implausible (nothing of the batch is stored).
    """
    return store_event_batch(
        session=session,
        events=[(site_id, gate_id, event) for event in events],
        received_at=received_at,
        rules=rules,
    )


def store_event_batch(
    *,
    session: Session,
    events: Sequence[tuple[str, str, AccessEvent]],
    received_at: datetime | None = None,
    rules: InsiderRules | None = None,
) -> IngestResult:
    """Insert ``(site, gate, event)`` triples of any gates with ONE statement, once each.

    A duplicate event_id (stored before, or twice in `events`) is stored once; the first
    occurrence wins. Insider checks and ``portgate_events_total`` see only new events, in
    the order they occurred; the caller commits.

    Raises:
        RejectedMessage: an event's time is implausible (nothing of the batch is stored).
    """
    if not events:
        return IngestResult(0, 0)
    received = received_at or utc_now()
    for _, _, event in events:
        check_event_time(event, now=received)
    unique: dict[str, dict[str, Any]] = {}
    for site_id, gate_id, event in events:
        if event.event_id not in unique:
            unique[event.event_id] = _event_row(
                site_id=site_id, gate_id=gate_id, event=event, received_at=received
            )
    for row in unique.values():
        row["chain_leaf"] = event_leaf(row)
    new_ids = _insert_new(session, list(unique.values()))
    # One audit entry (the batch's Merkle root) for the new rows, in the same transaction.
    seal_event_batch(
        session=session, leaves=[(event_id, unique[event_id]["chain_leaf"]) for event_id in new_ids]
    )
    # The rows just inserted, rebuilt from what was sent (no second round trip). Built
    # without validating again: each row is a validated AccessEvent's fields (validation
    # was a fifth of the ingest thread's time).
    new_rows = sorted(
        (AccessEventRecord.model_construct(**unique[event_id]) for event_id in new_ids),
        key=lambda record: record.occurred_at,
    )
    checks = rules or InsiderRules()
    # Held for the loop, so that the checks' session.get(Site) finds them in the session.
    sites = [session.get(Site, site_id) for site_id in {r.site_id for r in new_rows}]
    for record in new_rows:
        EVENTS_TOTAL.labels(decision=record.decision, gate=record.gate_id).inc()
        check_event(session=session, event=record, rules=checks)
        if record.anti_passback_violation:
            _raise_soft_apb_alarm(session=session, event=record)
    del sites
    return IngestResult(len(new_ids), len(events) - len(new_ids), new_ids)


def _raise_soft_apb_alarm(*, session: Session, event: AccessEventRecord) -> None:
    """A grant through soft anti-passback: the guard is told (once: only new events get here)."""
    raise_alarm(
        session=session,
        site_id=event.site_id,
        gate_id=event.gate_id,
        kind=AlarmKind.ANTI_PASSBACK,
        detail=(
            f"soft anti-passback at {event.gate_id}: granted {event.direction} although the "
            f"last passage was {event.direction} too (event {event.event_id})"
        ),
        person_id=event.person_id,
        lane=event.lane,
        at=event.occurred_at,
    )


def _insert_new(session: Session, rows: list[dict[str, Any]]) -> tuple[str, ...]:
    """INSERT the rows, skipping stored event_ids; returns the event_ids that were new."""
    table = SQLModel.metadata.tables[AccessEventRecord.__tablename__]
    statement = (
        _insert(session, table)
        .on_conflict_do_nothing(index_elements=["event_id"])
        .returning(table.c.event_id)
    )
    connection = session.connection()
    if connection.dialect.name != "postgresql":
        # One compiled statement, many parameter sets: multi-row VALUES with RETURNING.
        return tuple(connection.execute(statement, rows).scalars())
    # PostgreSQL: psycopg's executemany pipelines one short prepared INSERT per row (one
    # network round trip); SQLAlchemy's multi-row VALUES would make psycopg re-parse a
    # statement of thousands of placeholders for every batch, the larger cost.
    sql = str(statement.compile(dialect=connection.dialect, column_keys=list(rows[0])))
    params = [{**row, "latency": Json(row["latency"])} for row in rows]
    raw = cast("psycopg.Connection[Any]", connection.connection.dbapi_connection)
    new_ids: list[str] = []
    with raw.cursor() as cursor:
        cursor.executemany(sql, params, returning=True)
        while True:
            new_ids.extend(str(found[0]) for found in cursor.fetchall())
            if not cursor.nextset():
                break
    return tuple(new_ids)


def _event_row(
    *, site_id: str, gate_id: str, event: AccessEvent, received_at: datetime
) -> dict[str, Any]:
    latency = event.latency.model_dump()
    return {
        "event_id": event.event_id,
        "site_id": site_id,
        "gate_id": gate_id,
        "agent_seq": event.agent_seq,
        "occurred_at": event.occurred_at,
        "received_at": received_at,
        "lane": event.lane,
        "direction": event.direction.value,
        "decision": event.decision.value,
        "reason": event.reason.value,
        "reason_detail": event.reason_detail,
        "person_id": event.person_id,
        "credential_kind": event.credential_kind.value,
        "credential_ref": event.credential_ref,
        "face_score": event.face_score,
        "liveness_score": event.liveness_score,
        "face_model": event.face_model,
        "face_threshold": event.face_threshold,
        "decided_by": event.decided_by.value,
        "replica_version": event.replica_version,
        "command_id": event.command_id,
        "passed": event.passed,
        "latency_ms": latency.get("total_ms"),
        "latency": latency,
        "anti_passback_violation": event.anti_passback_violation,
    }


def store_alarm(*, session: Session, site_id: str, gate_id: str, alarm: AlarmRaised) -> bool:
    """Insert an alarm once (ON CONFLICT DO NOTHING on alarm_id); True if it was new.

    A new alarm is counted in ``portgate_alarms_total{kind}``.
    """
    statement = (
        _insert(session, Alarm)
        .values(
            alarm_id=alarm.alarm_id,
            site_id=site_id,
            gate_id=gate_id,
            kind=alarm.alarm.value,
            lane=alarm.lane,
            raised_at=alarm.at,
            received_at=utc_now(),
            detail=alarm.detail,
        )
        .on_conflict_do_nothing(index_elements=["alarm_id"])
        .returning(col(Alarm.alarm_id))
    )
    new = session.exec(statement).first() is not None
    if new:  # counted as the API's own alarms are (`raise_alarm`); a duplicate is not
        ALARMS_TOTAL.labels(kind=alarm.alarm.value).inc()
    return new


def store_status(*, session: Session, site_id: str, gate_id: str, status: NodeStatus) -> None:
    """Remember a node's latest status (an older one does not overwrite a newer one).

    Its replica is kept by `replica_after`, the rule the gate board follows too.
    """
    row = session.get(NodeStatusRecord, (gate_id, status.node.value))
    if row is not None and row.since > status.since:
        return
    before = None if row is None else ReportedReplica(row.replica_version, row.replica_synced_at)
    if row is None:
        row = NodeStatusRecord(
            gate_id=gate_id, node=status.node.value, site_id=site_id, state="", since=status.since
        )
    replica = replica_after(
        before,
        offline=status.state is NodeState.OFFLINE,
        reported=ReportedReplica(status.replica_version, status.replica_synced_at),
    )
    row.state = status.state.value
    row.version = status.version
    row.replica_version, row.replica_synced_at = replica.version, replica.synced_at
    row.since = status.since
    row.received_at = utc_now()
    session.add(row)


def decode_gate_message(topic: str, payload: bytes) -> tuple[GateTopic, GateMessage]:
    """Decode one MQTT message of a gate against its topic (no database needed).

    Raises:
        RejectedMessage: bad topic, undecodable payload, wrong kind for the channel, a
            status whose node differs from the topic's.
    """
    try:
        parsed = parse_topic(topic)
    except TopicError as exc:
        raise RejectedMessage("bad_topic", str(exc)) from None
    if not isinstance(parsed, GateTopic) or parsed.channel not in _EXPECTED:
        raise RejectedMessage("bad_topic", f"not an ingest topic: {topic}")
    try:
        message = decode_message(payload, _EXPECTED[parsed.channel])
    except MessageError as exc:
        raise RejectedMessage(exc.reason.value, exc.detail) from None
    if isinstance(message, NodeStatus) and parsed.node is not None and parsed.node != message.node:
        raise RejectedMessage("invalid", "status node differs from the topic's node")
    return parsed, cast("GateMessage", message)


def accept_message(*, session: Session, topic: str, payload: bytes) -> tuple[Gate, GateMessage]:
    """Validate one MQTT message against its topic; returns ``(gate, message)``.

    Raises:
        RejectedMessage: bad topic, undecodable payload, wrong kind for the channel, unknown
            gate or a gate of another site, implausible event time.
    """
    parsed, message = decode_gate_message(topic, payload)
    gate = session.get(Gate, parsed.gate)
    # The broker's ACL lets a gate publish only under its own topics; the topic's site must
    # also be the gate's site, or one site could write into another's records.
    if gate is None or gate.site_id != parsed.site:
        raise RejectedMessage("unknown_gate", f"no gate {parsed.gate!r} at site {parsed.site!r}")
    if isinstance(message, AccessEvent):
        check_event_time(message, now=utc_now())
    return gate, message


def store_message(*, session: Session, gate: Gate, message: GateMessage) -> bool:
    """Store one accepted message (events one by one: see IngestWorker for batches).

    Returns False for an event or alarm stored before (nothing new to show).
    """
    if isinstance(message, AccessEvent):
        return (
            store_events(
                session=session, site_id=gate.site_id, gate_id=gate.id, events=[message]
            ).stored
            > 0
        )
    if isinstance(message, AlarmRaised):
        return store_alarm(session=session, site_id=gate.site_id, gate_id=gate.id, alarm=message)
    if isinstance(message, NodeStatus):
        store_status(session=session, site_id=gate.site_id, gate_id=gate.id, status=message)
    return True


def handle_message(*, session: Session, topic: str, payload: bytes) -> str:
    """Validate and store one MQTT message; returns its kind, or raises RejectedMessage."""
    gate, message = accept_message(session=session, topic=topic, payload=payload)
    store_message(session=session, gate=gate, message=message)
    return str(message.kind)
