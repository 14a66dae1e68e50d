"""The alarms report: alarms by kind, time to acknowledge per operator shift, open ones.

An alarm belongs to the period it was raised in and to the shift (UTC) it was raised in:
the shift on duty when it came. Time to acknowledge is acknowledged_at - raised_at; the
median is the middle value (the mean of the two middle ones), p95 the nearest-rank 95th
percentile. Open alarms are those of the period nobody has acknowledged yet.
"""

import math
import statistics
from collections.abc import Sequence
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import func
from sqlalchemy import select as wide_select
from sqlmodel import Session, col, select

from central_api.models import Alarm
from central_api.reports.model import Chart, Table
from central_api.reports.period import Period, Shifts
from central_api.reports.sql import count_when, within

__all__ = ["alarm_tables", "nearest_rank"]

_MAX_OPEN_LISTED = 500


def nearest_rank(values: Sequence[float], percent: float) -> float:
    """The nearest-rank `percent` percentile of non-empty `values`."""
    ordered = sorted(values)
    rank = max(1, math.ceil(percent / 100 * len(ordered)))
    return ordered[rank - 1]


def alarm_tables(session: Session, period: Period, shifts: Shifts) -> tuple[Table, ...]:
    """Every table of the alarms report over `period`."""
    return (
        _by_kind(session, period),
        _ack_by_shift(session, period, shifts),
        _open(session, period),
    )


def _by_kind(session: Session, period: Period) -> Table:
    acknowledged = col(Alarm.acknowledged_at).is_not(None)
    rows = session.exec(
        select(Alarm.kind, func.count(), count_when(acknowledged), count_when(~acknowledged))
        .where(within(col(Alarm.raised_at), period.start, period.end))
        .group_by(col(Alarm.kind))
    ).all()
    ordered = sorted(((str(k), int(n), int(a), int(o)) for k, n, a, o in rows), key=_most_first)
    return Table(
        key="kinds",
        title="Alarms by kind",
        columns=("kind", "raised", "acknowledged", "open"),
        rows=ordered,
        chart=Chart(label_column=0, value_columns=(2, 3), stacked=True),
    )


def _most_first(row: tuple[str, int, int, int]) -> tuple[int, str]:
    return (-row[1], row[0])


def _ack_by_shift(session: Session, period: Period, shifts: Shifts) -> Table:
    # Acknowledged alarms are few next to events: their times are read and ranked here,
    # the same way on SQLite (no percentile function) and PostgreSQL.
    pairs = session.exec(
        select(Alarm.raised_at, Alarm.acknowledged_at).where(
            within(col(Alarm.raised_at), period.start, period.end),
            col(Alarm.acknowledged_at).is_not(None),
        )
    ).all()
    waits: dict[str, list[float]] = {label: [] for label in shifts.labels()}
    for raised, acked in pairs:
        waits[shifts.of(raised, period.zone)].append(_seconds(raised, acked))
    rows = [
        (
            label,
            len(values),
            round(statistics.median(values), 1) if values else None,
            round(nearest_rank(values, 95), 1) if values else None,
        )
        for label, values in waits.items()
    ]
    return Table(
        key="ack_by_shift",
        title=f"Time to acknowledge per operator shift ({period.zone}), seconds",
        columns=("shift", "acknowledged", "median s", "p95 s"),
        rows=rows,
        chart=Chart(label_column=0, value_columns=(2, 3)),
        note="shift = when the alarm was raised; p95 by nearest rank",
    )


def _seconds(raised: datetime, acked: datetime | None) -> float:
    assert acked is not None  # noqa: S101 (selected where acknowledged)
    return (acked - raised).total_seconds()


def _open(session: Session, period: Period) -> Table:
    rows = session.execute(
        wide_select(
            col(Alarm.raised_at),
            col(Alarm.site_id),
            col(Alarm.gate_id),
            col(Alarm.kind),
            col(Alarm.alarm_id),
        )
        .where(
            within(col(Alarm.raised_at), period.start, period.end),
            col(Alarm.acknowledged_at).is_(None),
        )
        .order_by(col(Alarm.raised_at), col(Alarm.id))
        .limit(_MAX_OPEN_LISTED)
    ).all()
    zone = ZoneInfo(period.zone)
    return Table(
        key="open",
        title="Open alarms (not acknowledged)",
        columns=(f"raised at ({period.zone})", "site", "gate", "kind", "alarm"),
        rows=[
            (r.astimezone(zone).isoformat(timespec="seconds"), s, g, str(k), a)
            for r, s, g, k, a in rows
        ],
        note=f"the oldest {_MAX_OPEN_LISTED} are listed; the count is in 'Alarms by kind'",
    )
