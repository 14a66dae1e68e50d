"""The access report: passages per site, gate, zone and hour; decisions by reason; refusals.

A passage is a grant whose person walked through (`passed` not false: a grant that timed
out at the turnstile is no passage). Offline decisions are those a gate's replica made
while the API was away (`decided_by = replica`). Tailgating cues are the gates'
`tailgating` alarms raised in the period.
"""

from gate_protocol.messages import AlarmKind, DecidedBy, Decision
from gate_protocol.reasons import ReasonCode, describe_reason
from sqlalchemy import ColumnElement, func
from sqlalchemy import select as wide_select
from sqlmodel import Session, col, select

from central_api.models import AccessEventRecord, Alarm, Gate
from central_api.reports.model import Chart, Table
from central_api.reports.period import Period
from central_api.reports.sql import count_when, local_hour_key, within

__all__ = ["access_tables"]

_EVENT = AccessEventRecord


def _granted() -> ColumnElement[bool]:
    return col(_EVENT.decision) == Decision.GRANTED


def _passage() -> ColumnElement[bool]:
    return _granted() & ((col(_EVENT.passed).is_(None)) | (col(_EVENT.passed).is_(True)))


def _denied() -> ColumnElement[bool]:
    return col(_EVENT.decision) == Decision.DENIED


def access_tables(session: Session, period: Period) -> tuple[Table, ...]:
    """Every table of the access report over `period` (on a site-scoped session: one site)."""
    return (
        _summary(session, period),
        _per_site(session, period),
        _per_gate(session, period),
        _per_zone(session, period),
        _per_hour(session, period),
        _by_reason(session, period),
    )


def _summary(session: Session, period: Period) -> Table:
    in_period = within(col(_EVENT.occurred_at), period.start, period.end)
    row = session.execute(
        wide_select(
            func.count(),
            count_when(_granted()),
            count_when(_denied()),
            count_when(_passage()),
            count_when(col(_EVENT.decided_by) == DecidedBy.REPLICA),
            count_when(col(_EVENT.reason) == ReasonCode.LIVENESS_FAILED),
            count_when(col(_EVENT.reason) == ReasonCode.FACE_MISMATCH),
            count_when(col(_EVENT.anti_passback_violation).is_(True)),
        ).where(in_period)
    ).one()
    cues = session.exec(
        select(func.count())
        .select_from(Alarm)
        .where(
            col(Alarm.kind) == AlarmKind.TAILGATING,
            within(col(Alarm.raised_at), period.start, period.end),
        )
    ).one()
    names = (
        "decisions",
        "grants",
        "denials",
        "passages",
        "offline decisions",
        "liveness refusals",
        "face-mismatch refusals",
        "soft anti-passback passages",
    )
    rows = [(name, int(value)) for name, value in zip(names, row, strict=True)]
    rows.append(("tailgating cues", int(cues)))
    return Table(key="summary", title="Summary", columns=("figure", "count"), rows=rows)


def _per_site(session: Session, period: Period) -> Table:
    """One row per site: the port authority's comparison of its terminals."""
    rows = session.execute(
        wide_select(
            col(_EVENT.site_id),
            func.count(),
            count_when(_passage()),
            count_when(_denied()),
            count_when(col(_EVENT.decided_by) == DecidedBy.REPLICA),
        )
        .where(within(col(_EVENT.occurred_at), period.start, period.end))
        .group_by(col(_EVENT.site_id))
        .order_by(col(_EVENT.site_id))
    ).all()
    return Table(
        key="sites",
        title="Per site",
        columns=("site", "decisions", "passages", "denials", "offline decisions"),
        rows=[(s, int(n), int(p), int(d), int(o)) for s, n, p, d, o in rows],
    )


def _per_gate(session: Session, period: Period) -> Table:
    rows = session.execute(
        wide_select(
            col(_EVENT.site_id),
            col(_EVENT.gate_id),
            col(Gate.zone_id),
            count_when(_passage()),
            count_when(_granted()),
            count_when(_denied()),
            count_when(col(_EVENT.decided_by) == DecidedBy.REPLICA),
        )
        .join(Gate, col(Gate.id) == col(_EVENT.gate_id), isouter=True)
        .where(within(col(_EVENT.occurred_at), period.start, period.end))
        .group_by(col(_EVENT.site_id), col(_EVENT.gate_id), col(Gate.zone_id))
        .order_by(col(_EVENT.site_id), col(_EVENT.gate_id))
    ).all()
    return Table(
        key="gates",
        title="Passages per gate",
        columns=("site", "gate", "zone", "passages", "grants", "denials", "offline decisions"),
        rows=[(s, g, z, int(p), int(gr), int(d), int(o)) for s, g, z, p, gr, d, o in rows],
        chart=Chart(label_column=1, value_columns=(4, 5), stacked=True),
    )


def _per_zone(session: Session, period: Period) -> Table:
    rows = session.exec(
        select(Gate.zone_id, count_when(_passage()), count_when(_denied()))
        .join(Gate, col(Gate.id) == col(_EVENT.gate_id))
        .where(within(col(_EVENT.occurred_at), period.start, period.end))
        .group_by(col(Gate.zone_id))
        .order_by(col(Gate.zone_id))
    ).all()
    return Table(
        key="zones",
        title="Passages per zone",
        columns=("zone", "passages", "denials"),
        rows=[(z, int(p), int(d)) for z, p, d in rows],
        chart=Chart(label_column=0, value_columns=(1,)),
    )


def _per_hour(session: Session, period: Period) -> Table:
    key, local_hour = local_hour_key(session, col(_EVENT.occurred_at), period.zone)
    counted: dict[int, tuple[int, int]] = {}
    for k, p, d in session.exec(
        select(key, count_when(_passage()), count_when(_denied()))
        .where(within(col(_EVENT.occurred_at), period.start, period.end))
        .group_by(key)
    ).all():
        passages, denials = counted.get(local_hour(k), (0, 0))
        counted[local_hour(k)] = (passages + int(p), denials + int(d))
    return Table(
        key="hours",
        title=f"Passages per hour of day ({period.zone})",
        columns=("hour", "passages", "denials"),
        rows=[(f"{h:02d}", *counted.get(h, (0, 0))) for h in range(24)],
        chart=Chart(label_column=0, value_columns=(1, 2), stacked=True),
    )


def _by_reason(session: Session, period: Period) -> Table:
    rows = session.exec(
        select(_EVENT.decision, _EVENT.reason, func.count())
        .where(within(col(_EVENT.occurred_at), period.start, period.end))
        .group_by(col(_EVENT.decision), col(_EVENT.reason))
    ).all()
    ordered = sorted(
        ((str(d), str(r), int(n)) for d, r, n in rows), key=lambda row: (row[0], -row[2], row[1])
    )
    return Table(
        key="reasons",
        title="Grants and denials by reason",
        columns=("decision", "reason", "count", "meaning"),
        rows=[(d, r, n, _meaning(r)) for d, r, n in ordered],
        chart=Chart(label_column=1, value_columns=(2,), only=(0, Decision.DENIED.value)),
    )


def _meaning(reason: str) -> str:
    try:
        return describe_reason(ReasonCode(reason))
    except ValueError:
        return ""  # a reason this version does not know
