"""The rows a SIEM receives (access events, alarms, audit rows) and the fields of each.

Audit rows go out without their ``before``/``after`` bodies: the SIEM learns who did what
to which target, with the row's chain hash to check it against the audit log; what a row
may say about a person stays in the database (central_api.audit.privacy).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from enum import StrEnum
from typing import Any

from gate_protocol.messages import Decision
from sqlmodel import Session, col, select

from central_api.forwarding.syslog_format import SyslogRecord
from central_api.models import AccessEventRecord, Alarm, AuditEntry

__all__ = ["Kind", "rows_after"]


class Kind(StrEnum):
    """What can be forwarded; each has its own cursor."""

    EVENT = "event"
    ALARM = "alarm"
    AUDIT = "audit"


def _event(row: AccessEventRecord) -> SyslogRecord:
    granted = row.decision is Decision.GRANTED
    return SyslogRecord(
        kind=Kind.EVENT,
        at=row.occurred_at,
        severity=6 if granted else 5,  # informational, notice
        signature=f"access:{row.decision.value}",
        name=f"access {row.decision.value} ({row.reason.value})",
        fields={
            "id": row.id,
            "event_id": row.event_id,
            "site_id": row.site_id,
            "gate_id": row.gate_id,
            "lane": row.lane,
            "direction": row.direction.value,
            "decision": row.decision.value,
            "reason": row.reason.value,
            "person_id": row.person_id,
            "credential_kind": row.credential_kind.value,
            "decided_by": row.decided_by.value,
            "passed": row.passed,
        },
    )


def _alarm(row: Alarm) -> SyslogRecord:
    return SyslogRecord(
        kind=Kind.ALARM,
        at=row.raised_at,
        severity=2,  # critical: someone has to look
        signature=f"alarm:{row.kind.value}",
        name=f"alarm {row.kind.value}",
        fields={
            "id": row.id,
            "alarm_id": row.alarm_id,
            "site_id": row.site_id,
            "gate_id": row.gate_id,
            "lane": row.lane,
            "alarm_kind": row.kind.value,
            "detail": row.detail,
            "person_id": row.person_id,
        },
    )


def _audit(row: AuditEntry) -> SyslogRecord:
    return SyslogRecord(
        kind=Kind.AUDIT,
        at=row.at,
        severity=5,  # notice
        signature=f"audit:{row.action}",
        name=f"audit {row.action}",
        fields={
            "id": row.id,
            "seq": row.seq,
            "actor": row.actor,
            "action": row.action,
            "target": row.target,
            "hash": row.hash,
        },
    )


_TABLES: dict[Kind, tuple[Any, Callable[[Any], SyslogRecord]]] = {
    Kind.EVENT: (AccessEventRecord, _event),
    Kind.ALARM: (Alarm, _alarm),
    Kind.AUDIT: (AuditEntry, _audit),
}


def rows_after(
    session: Session, kind: Kind, last_id: int, limit: int
) -> Sequence[tuple[int, SyslogRecord]]:
    """Up to `limit` rows of `kind` with an id above `last_id`, in id order, as records."""
    table, to_record = _TABLES[kind]
    rows = session.exec(
        select(table).where(col(table.id) > last_id).order_by(col(table.id)).limit(limit)
    ).all()
    return [(int(row.id), to_record(row)) for row in rows]
