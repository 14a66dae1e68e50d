"""Chart data: events per gate per minute, and denials by reason (drawn in the browser)."""

from collections import Counter
from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

from gate_protocol.messages import Decision
from gate_protocol.reasons import ReasonCode, describe_reason
from sqlalchemy import func
from sqlmodel import Session, col, select

from central_api.models import AccessEventRecord

__all__ = ["bucket_per_minute", "chart_data", "denials_by_reason", "events_per_gate_minute"]

MAX_HOURS = 24


def _floor_minute(value: datetime) -> datetime:
    return value.replace(second=0, microsecond=0)


def bucket_per_minute(
    rows: Iterable[tuple[str, datetime]], *, start: datetime, minutes: int
) -> dict[str, list[int]]:
    """Count ``(gate_id, at)`` rows into `minutes` one-minute buckets from `start` (pure)."""
    series: dict[str, list[int]] = {}
    for gate_id, at in rows:
        index = int((at - start).total_seconds() // 60)
        if 0 <= index < minutes:
            series.setdefault(gate_id, [0] * minutes)[index] += 1
    return dict(sorted(series.items()))


def events_per_gate_minute(*, session: Session, now: datetime, hours: int) -> dict[str, Any]:
    """Per-minute event counts for each gate over the last `hours` hours."""
    minutes = hours * 60
    end = _floor_minute(now) + timedelta(minutes=1)
    start = end - timedelta(minutes=minutes)
    rows = session.exec(
        select(AccessEventRecord.gate_id, AccessEventRecord.occurred_at).where(
            col(AccessEventRecord.occurred_at) >= start, col(AccessEventRecord.occurred_at) < end
        )
    ).all()
    series = bucket_per_minute(rows, start=start, minutes=minutes)
    return {
        "start": start.isoformat(),
        "minutes": minutes,
        "series": [{"gate_id": gate, "counts": counts} for gate, counts in series.items()],
    }


def denials_by_reason(*, session: Session, now: datetime, hours: int) -> list[dict[str, Any]]:
    """How many denials of each reason in the last `hours` hours, most frequent first."""
    rows = session.exec(
        select(AccessEventRecord.reason, func.count())
        .where(
            AccessEventRecord.decision == Decision.DENIED.value,
            col(AccessEventRecord.occurred_at) >= now - timedelta(hours=hours),
        )
        .group_by(col(AccessEventRecord.reason))
    ).all()
    counts = Counter({ReasonCode(reason): int(n) for reason, n in rows})
    return [
        {"reason": code.value, "text": describe_reason(code), "count": n}
        for code, n in sorted(counts.items(), key=lambda item: (-item[1], item[0].value))
    ]


def chart_data(*, session: Session, now: datetime, hours: int = MAX_HOURS) -> dict[str, Any]:
    """Both charts over the last `hours` (1 to 24) hours."""
    if not 1 <= hours <= MAX_HOURS:
        raise ValueError(f"hours must be 1 to {MAX_HOURS}")
    return {
        "hours": hours,
        "events_per_minute": events_per_gate_minute(session=session, now=now, hours=hours),
        "denials_by_reason": denials_by_reason(session=session, now=now, hours=hours),
    }
