"""Database reads of the dashboard: gates, people, event history, alarms, open requests."""

from collections.abc import Collection
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func
from sqlmodel import Session, col, or_, select

from central_api.dashboard.board import GateBoard, GateMeta, NodeView
from central_api.dashboard.views import PersonInfo, alarm_view, event_view
from central_api.models import (
    AccessEventRecord,
    Alarm,
    Company,
    Gate,
    NodeStatusRecord,
    OpenRequest,
    Person,
    Site,
)

__all__ = [
    "count_open_alarms",
    "list_event_views",
    "list_open_alarm_views",
    "list_pending_open_requests",
    "list_sites",
    "load_gate_metas",
    "load_people",
    "seed_board",
]

_MAX_LIMIT = 500


def load_gate_metas(*, session: Session) -> list[GateMeta]:
    """Every gate's static facts."""
    return [
        GateMeta(
            gate_id=g.id,
            site_id=g.site_id,
            zone_id=g.zone_id,
            name=g.name,
            lanes=g.lanes,
            replica_max_age_s=g.replica_max_age_s,
        )
        for g in session.exec(select(Gate).order_by(col(Gate.id))).all()
    ]


def load_people(*, session: Session, person_ids: Collection[str]) -> dict[str, PersonInfo]:
    """Name and company of these people (unknown ids are left out)."""
    ids = [pid for pid in set(person_ids) if pid]
    if not ids:
        return {}
    rows = session.exec(
        select(Person.id, Person.display_name, Company.name)
        .join(Company, col(Company.id) == col(Person.company_id), isouter=True)
        .where(col(Person.id).in_(ids))
    ).all()
    return {pid: PersonInfo(display_name=name, company=company) for pid, name, company in rows}


def list_sites(*, session: Session) -> list[dict[str, Any]]:
    """Sites with their threat level and replica version."""
    return [
        {
            "site_id": s.id,
            "name": s.name,
            "threat_level": s.threat_level,
            "replica_version": s.replica_version,
            "four_eyes_open": s.four_eyes_open,
            "show_enrolled_photos": s.show_enrolled_photos,
            "keep_alarm_stills": s.keep_alarm_stills,
            "still_retention_days": s.still_retention_days,
        }
        for s in session.exec(select(Site).order_by(col(Site.id))).all()
    ]


def _like_pattern(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def list_event_views(
    *,
    session: Session,
    gate_id: str | None = None,
    decision: str | None = None,
    person: str | None = None,
    limit: int = 100,
) -> list[dict[str, Any]]:
    """Newest events first; `person` matches a person id exactly or a name in part."""
    statement = select(AccessEventRecord).order_by(
        col(AccessEventRecord.occurred_at).desc(), col(AccessEventRecord.id).desc()
    )
    if gate_id:
        statement = statement.where(AccessEventRecord.gate_id == gate_id)
    if decision:
        statement = statement.where(AccessEventRecord.decision == decision)
    if person:
        named = select(Person.id).where(
            func.lower(Person.display_name).like(_like_pattern(person.lower()), escape="\\")
        )
        statement = statement.where(
            or_(
                col(AccessEventRecord.person_id) == person,
                col(AccessEventRecord.person_id).in_(named),
            )
        )
    records = session.exec(statement.limit(max(1, min(limit, _MAX_LIMIT)))).all()
    people = load_people(session=session, person_ids=[r.person_id for r in records if r.person_id])
    return [event_view(r, person=people.get(r.person_id) if r.person_id else None) for r in records]


def list_open_alarm_views(*, session: Session, limit: int = 200) -> list[dict[str, Any]]:
    """Unacknowledged alarms, newest first."""
    alarms = session.exec(
        select(Alarm)
        .where(col(Alarm.acknowledged_at).is_(None))
        .order_by(col(Alarm.raised_at).desc())
        .limit(limit)
    ).all()
    people = load_people(session=session, person_ids=[a.person_id for a in alarms if a.person_id])
    return [alarm_view(a, person=people.get(a.person_id) if a.person_id else None) for a in alarms]


def count_open_alarms(*, session: Session) -> int:
    """How many alarms nobody has acknowledged yet."""
    return int(
        session.exec(
            select(func.count()).select_from(Alarm).where(col(Alarm.acknowledged_at).is_(None))
        ).one()
    )


def list_pending_open_requests(
    *, session: Session, now: datetime, site_id: str | None = None
) -> list[dict[str, Any]]:
    """Remote opens waiting for a second operator (the last 5 minutes: older ones expire).

    Only those at `site_id`'s gates when given: open requests have no site column of their
    own, so the site scope cannot filter them; their gate's site does.
    """
    statement = (
        select(OpenRequest, Gate.site_id)
        .join(Gate, col(Gate.id) == col(OpenRequest.gate_id))
        .where(
            OpenRequest.status == "pending",
            col(OpenRequest.requested_at) > now - timedelta(minutes=5),
        )
        .order_by(col(OpenRequest.requested_at).desc())
    )
    if site_id is not None:
        statement = statement.where(Gate.site_id == site_id)
    rows = session.exec(statement).all()
    return [
        {
            "id": r.id,
            "site_id": site,
            "gate_id": r.gate_id,
            "lane": r.lane,
            "direction": str(r.direction),
            "reason": r.reason,
            "requested_by": r.requested_by,
            "requested_at": r.requested_at.isoformat(),
        }
        for r, site in rows
    ]


def seed_board(*, session: Session, board: GateBoard, now: datetime, wall_now: float) -> None:
    """Fill the board from storage: gates, last node status, last event and the last minute."""
    metas = load_gate_metas(session=session)
    board.set_gates(metas)
    for row in session.exec(select(NodeStatusRecord)).all():
        board.apply_status(
            row.gate_id,
            row.node,
            NodeView(
                state=row.state,
                since=row.since,
                version=row.version,
                replica_version=row.replica_version,
                replica_synced_at=row.replica_synced_at,
            ),
            seed=True,
        )
    for meta in metas:
        last = list_event_views(session=session, gate_id=meta.gate_id, limit=1)
        if last:
            board.set_last_event(meta.gate_id, last[0])
    recent = session.exec(
        select(AccessEventRecord.gate_id, AccessEventRecord.occurred_at).where(
            col(AccessEventRecord.occurred_at) > now - timedelta(seconds=60)
        )
    ).all()
    for gate_id, occurred_at in recent:
        board.count_event(gate_id, at=wall_now - (now - occurred_at).total_seconds())
    board.seeded = True
