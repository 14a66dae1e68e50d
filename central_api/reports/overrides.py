"""The overrides report: remote opens with their reasons, four-eyes pairs, per operator.

Remote opens have no site column: their gate's site counts (a site-scoped session sees
only its own gates, so only their opens). The period is the time the open was asked for.
"""

from sqlalchemy import ColumnElement, func
from sqlmodel import Session, col, select

from central_api.models import Gate, OpenRequest
from central_api.reports.model import Chart, Table
from central_api.reports.period import Period
from central_api.reports.sql import within

__all__ = ["override_tables"]

_MAX_LISTED = 2000


def override_tables(session: Session, period: Period) -> tuple[Table, ...]:
    """Every table of the overrides report over `period`."""
    return (_opens(session, period), _pairs(session, period), _per_operator(session, period))


def _in_period(period: Period) -> ColumnElement[bool]:
    return within(col(OpenRequest.requested_at), period.start, period.end)


def _opens(session: Session, period: Period) -> Table:
    rows = session.exec(
        select(OpenRequest, Gate.site_id)
        .join(Gate, col(Gate.id) == col(OpenRequest.gate_id))
        .where(_in_period(period))
        .order_by(col(OpenRequest.requested_at), col(OpenRequest.id))
        .limit(_MAX_LISTED)
    ).all()
    return Table(
        key="opens",
        title="Remote opens",
        columns=(
            "requested at (UTC)",
            "site",
            "gate",
            "lane",
            "status",
            "requested by",
            "approved by",
            "reason",
        ),
        rows=[
            (
                r.requested_at.isoformat(timespec="seconds"),
                site,
                r.gate_id,
                r.lane,
                r.status,
                r.requested_by,
                r.approved_by,
                r.reason,
            )
            for r, site in rows
        ],
    )


def _pairs(session: Session, period: Period) -> Table:
    rows = session.exec(
        select(OpenRequest.requested_by, OpenRequest.approved_by, func.count())
        .join(Gate, col(Gate.id) == col(OpenRequest.gate_id))
        .where(_in_period(period), col(OpenRequest.approved_by).is_not(None))
        .group_by(col(OpenRequest.requested_by), col(OpenRequest.approved_by))
        .order_by(col(OpenRequest.requested_by), col(OpenRequest.approved_by))
    ).all()
    return Table(
        key="pairs",
        title="Four-eyes pairs (requested by, approved by)",
        columns=("requested by", "approved by", "opens"),
        rows=[(a, b, int(n)) for a, b, n in rows],
    )


def _per_operator(session: Session, period: Period) -> Table:
    asked = session.exec(
        select(OpenRequest.requested_by, func.count())
        .join(Gate, col(Gate.id) == col(OpenRequest.gate_id))
        .where(_in_period(period))
        .group_by(col(OpenRequest.requested_by))
    ).all()
    approved = session.exec(
        select(OpenRequest.approved_by, func.count())
        .join(Gate, col(Gate.id) == col(OpenRequest.gate_id))
        .where(_in_period(period), col(OpenRequest.approved_by).is_not(None))
        .group_by(col(OpenRequest.approved_by))
    ).all()
    counts: dict[str, list[int]] = {}
    for asker, n in asked:
        counts.setdefault(asker, [0, 0])[0] = int(n)
    for approver, n in approved:
        counts.setdefault(str(approver), [0, 0])[1] = int(n)
    return Table(
        key="operators",
        title="Remote opens per operator",
        columns=("operator", "requested", "approved as second"),
        rows=[(name, r, a) for name, (r, a) in sorted(counts.items())],
        chart=Chart(label_column=0, value_columns=(1, 2)),
    )
