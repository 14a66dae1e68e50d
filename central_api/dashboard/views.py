"""Shape events, alarms and people into the JSON the dashboard page renders (pure).

The browser writes every value with ``textContent``; nothing here is HTML. Face templates
and credential numbers never appear: the page shows the credential *kind* only.
"""

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from gate_protocol.messages import AccessEvent, AlarmAcknowledged, AlarmNotice, AlarmRaised
from gate_protocol.reasons import ReasonCode, describe_reason

from central_api.models import AccessEventRecord, Alarm

__all__ = [
    "PersonInfo",
    "ack_view_from_message",
    "alarm_view",
    "alarm_view_from_message",
    "alarm_view_from_notice",
    "event_view",
    "event_view_from_message",
]


@dataclass(frozen=True, slots=True)
class PersonInfo:
    """What an operator may see of a person: name and company."""

    display_name: str
    company: str | None


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def _event(
    *,
    source: AccessEvent | AccessEventRecord,
    site_id: str,
    gate_id: str,
    latency_ms: float | None,
    received_at: datetime | None,
    person: PersonInfo | None,
) -> dict[str, Any]:
    reason = ReasonCode(source.reason)
    return {
        "event_id": source.event_id,
        "site_id": site_id,
        "gate_id": gate_id,
        "lane": source.lane,
        "direction": str(source.direction),
        "decision": str(source.decision),
        "reason": reason.value,
        "reason_text": describe_reason(reason, source.reason_detail),
        "person_id": source.person_id,
        "person_name": person.display_name if person else None,
        "company": person.company if person else None,
        "credential_kind": str(source.credential_kind),
        "face_score": source.face_score,
        "liveness_score": source.liveness_score,
        "face_model": source.face_model,
        "face_threshold": source.face_threshold,
        "decided_by": str(source.decided_by),
        "replica_version": source.replica_version,
        "passed": source.passed,
        "anti_passback_violation": bool(source.anti_passback_violation),
        "latency_ms": latency_ms,
        "occurred_at": _iso(source.occurred_at),
        "received_at": _iso(received_at),
    }


def event_view_from_message(
    event: AccessEvent, *, site_id: str, gate_id: str, person: PersonInfo | None
) -> dict[str, Any]:
    """A live event straight from MQTT."""
    return _event(
        source=event,
        site_id=site_id,
        gate_id=gate_id,
        latency_ms=event.latency.total_ms,
        received_at=None,
        person=person,
    )


def event_view(record: AccessEventRecord, *, person: PersonInfo | None) -> dict[str, Any]:
    """A stored event (history and filters)."""
    return _event(
        source=record,
        site_id=record.site_id,
        gate_id=record.gate_id,
        latency_ms=record.latency_ms,
        received_at=record.received_at,
        person=person,
    )


def alarm_view(alarm: Alarm, *, person: PersonInfo | None = None) -> dict[str, Any]:
    """A stored alarm."""
    return {
        "alarm_id": alarm.alarm_id,
        "site_id": alarm.site_id,
        "gate_id": alarm.gate_id,
        "kind": str(alarm.kind),
        "lane": alarm.lane,
        "raised_at": _iso(alarm.raised_at),
        "detail": alarm.detail,
        "person_id": alarm.person_id,
        "person_name": person.display_name if person else None,
        "acknowledged_by": alarm.acknowledged_by,
        "acknowledged_at": _iso(alarm.acknowledged_at),
        "ack_comment": alarm.ack_comment,
    }


def alarm_view_from_message(alarm: AlarmRaised, *, site_id: str, gate_id: str) -> dict[str, Any]:
    """A live alarm straight from MQTT (not acknowledged yet by definition)."""
    return {
        "alarm_id": alarm.alarm_id,
        "site_id": site_id,
        "gate_id": gate_id,
        "kind": alarm.alarm.value,
        "lane": alarm.lane,
        "raised_at": _iso(alarm.at),
        "detail": alarm.detail,
        "person_id": None,
        "person_name": None,
        "acknowledged_by": None,
        "acknowledged_at": None,
        "ack_comment": None,
    }


def alarm_view_from_notice(
    notice: AlarmNotice, *, site_id: str, person: PersonInfo | None
) -> dict[str, Any]:
    """A live alarm raised by an API replica (watchlist, insider pattern)."""
    return {
        "alarm_id": notice.alarm_id,
        "site_id": site_id,
        "gate_id": notice.gate_id,
        "kind": notice.alarm.value,
        "lane": notice.lane,
        "raised_at": _iso(notice.at),
        "detail": notice.detail,
        "person_id": notice.person_id,
        "person_name": person.display_name if person else None,
        "acknowledged_by": None,
        "acknowledged_at": None,
        "ack_comment": None,
    }


def ack_view_from_message(ack: AlarmAcknowledged, *, site_id: str) -> dict[str, Any]:
    """A live acknowledgement, made on this or another API replica."""
    return {
        "alarm_id": ack.alarm_id,
        "site_id": site_id,
        "acknowledged_by": ack.acknowledged_by,
        "acknowledged_at": _iso(ack.acknowledged_at),
        "ack_comment": ack.comment,
    }
