"""A world to report on: events, alarms, companies, appointments, remote opens, incidents.

Rows are stored directly (they stand for what gates and operators did earlier), drawn
from a seeded random generator so every reason, kind, hour and shift turns up, and some
fall just outside the period and at the other site, where a report must not count them.
"""

import random
from datetime import UTC, datetime, timedelta

from sqlalchemy import Engine
from sqlmodel import Session

from central_api.config import Settings
from central_api.incidents.tables import Incident, IncidentKind, IncidentStatus
from central_api.incidents.tlp import Tlp
from central_api.models import (
    AccessEventRecord,
    Alarm,
    Appointment,
    Company,
    OpenRequest,
    Person,
    Role,
    SiteActivation,
    User,
)
from central_api.security.auth import create_token, hash_password
from gate_protocol.messages import AlarmKind, CredentialKind, DecidedBy, Decision, Direction
from gate_protocol.reasons import ReasonCode
from gate_protocol.records import PersonKind
from testkit.api.world import PASSWORD, World

__all__ = ["PERIOD_END", "PERIOD_START", "seed_report_world", "site_user"]

PERIOD_START = datetime(2026, 11, 1, tzinfo=UTC)
PERIOD_END = datetime(2026, 12, 1, tzinfo=UTC)
# Rows from a week before to a week after the period: the edges are crossed.
_SPAN_START = PERIOD_START - timedelta(days=7)
_SPAN_S = int((PERIOD_END - _SPAN_START).total_seconds()) + 7 * 86400


def _moment(rng: random.Random) -> datetime:
    return _SPAN_START + timedelta(seconds=rng.randrange(_SPAN_S))


def seed_report_world(engine: Engine, world: World, *, events: int = 400, seed: int = 20) -> None:
    """Store a month's worth of varied rows at the world's two sites (and around the month)."""
    rng = random.Random(seed)
    with Session(engine) as session:
        people = _people(session, world)
        session.commit()
        _events(session, world, rng, people, events)
        _alarms(session, world, rng, people)
        _appointments(session, world, rng, people)
        _opens(session, world, rng)
        _incidents(session, world, rng)
        session.commit()


def _people(session: Session, world: World) -> list[tuple[str, str]]:
    """(person id, site) of each person; companies 1 and 2 at the world's site, 3 at the other."""
    companies = [
        Company(id=1, name="North Sea Haulage"),
        Company(id=2, name="=Quay Contractors"),  # a name a spreadsheet would run
        Company(id=3, name="Amstel Transport"),
        Company(id=4, name="Nobody Here Ltd"),
    ]
    session.add_all(companies)
    session.flush()
    people = [
        ("drv-1", 1, PersonKind.DRIVER, world.site),
        ("drv-2", 1, PersonKind.DRIVER, world.site),
        ("ctr-1", 2, PersonKind.CONTRACTOR, world.site),
        ("ctr-2", 2, PersonKind.CONTRACTOR, world.site),
        ("drv-3", 3, PersonKind.DRIVER, world.other_site),
        ("staff-1", None, PersonKind.STAFF, world.site),
    ]
    for pid, company, kind, site in people:
        session.add(Person(id=pid, display_name=pid, kind=kind, company_id=company, site_id=site))
    session.flush()  # the people before their activations (no ORM relationship orders them)
    for pid, _, _, site in people:
        session.add(SiteActivation(person_id=pid, site_id=site, activated_by="test"))
    return [(pid, site) for pid, _, _, site in people]


def _events(
    session: Session, world: World, rng: random.Random, people: list[tuple[str, str]], n: int
) -> None:
    gates = {world.site: [world.gate, world.gate2], world.other_site: [world.other_gate]}
    denials = [r for r in ReasonCode if r is not ReasonCode.GRANTED]
    for i in range(n):
        person, site = rng.choice(people)
        granted = rng.random() < 0.6
        session.add(
            AccessEventRecord(
                event_id=f"rep-ev-{i}",
                site_id=site,
                gate_id=rng.choice(gates[site]),
                agent_seq=i,
                occurred_at=_moment(rng),
                lane=0,
                direction=Direction.ENTRY,
                decision=Decision.GRANTED if granted else Decision.DENIED,
                reason=ReasonCode.GRANTED if granted else rng.choice(denials),
                person_id=person if rng.random() < 0.9 else None,
                credential_kind=CredentialKind.BADGE,
                decided_by=DecidedBy.REPLICA if rng.random() < 0.2 else DecidedBy.CENTRAL,
                passed=rng.choice([True, True, None, False]) if granted else None,
                anti_passback_violation=granted and rng.random() < 0.05,
            )
        )


def _alarms(
    session: Session, world: World, rng: random.Random, people: list[tuple[str, str]]
) -> None:
    for i in range(120):
        person, site = rng.choice(people)
        raised = _moment(rng)
        acked = raised + timedelta(seconds=rng.randrange(5, 3600)) if rng.random() < 0.8 else None
        session.add(
            Alarm(
                alarm_id=f"rep-al-{i}",
                site_id=site,
                gate_id=world.gate if site == world.site else world.other_gate,
                kind=rng.choice(list(AlarmKind)),
                raised_at=raised,
                person_id=person,
                acknowledged_by="operator-user" if acked else None,
                acknowledged_at=acked,
                ack_comment="seen" if acked else None,
            )
        )


def _appointments(
    session: Session, world: World, rng: random.Random, people: list[tuple[str, str]]
) -> None:
    for i in range(40):
        person, site = rng.choice(people)
        start = _moment(rng)
        session.add(
            Appointment(
                id=f"rep-ap-{i}",
                site_id=site,
                person_id=person,
                window_start=start,
                window_end=start + timedelta(hours=2),
                used_at=start + timedelta(minutes=30) if rng.random() < 0.5 else None,
            )
        )


def _opens(session: Session, world: World, rng: random.Random) -> None:
    operators = ["ops-anna", "ops-ben", "ops-cem"]
    for i in range(30):
        gate = rng.choice([world.gate, world.gate2, world.other_gate])
        asker = rng.choice(operators)
        approver = rng.choice([o for o in operators if o != asker] + [None])
        session.add(
            OpenRequest(
                id=f"rep-op-{i}",
                gate_id=gate,
                lane=0,
                direction=Direction.ENTRY,
                reason=f"truck stuck at barrier {i}" if i % 7 else "=HYPERLINK(evil)",
                requested_by=asker,
                requested_at=_moment(rng),
                approved_by=approver,
                status=rng.choice(["issued", "pending", "expired"]) if approver else "issued",
            )
        )


def _incidents(session: Session, world: World, rng: random.Random) -> None:
    for i in range(12):
        named = rng.sample([1, 2, 3], k=rng.randrange(0, 3))
        session.add(
            Incident(
                id=f"rep-in-{i}",
                kind=rng.choice(list(IncidentKind)),
                occurred_at=_moment(rng),
                site_id=rng.choice([world.site, world.other_site]),
                companies=[{"id": c, "name": f"company {c}"} for c in named],
                narrative="seen at the gate",
                tlp=Tlp.AMBER,
                status=IncidentStatus.FILED,
                created_by="test",
            )
        )


def site_user(engine: Engine, settings: Settings, role: Role, site: str) -> dict[str, str]:
    """The bearer header of a new user of `role` bound to `site`."""
    with Session(engine, expire_on_commit=False) as session:
        user = User(
            username=f"{role.value}-{site}",
            password_hash=hash_password(PASSWORD),
            role=role,
            site_id=site,
        )
        session.add(user)
        session.commit()
        token = create_token(settings=settings, user=user, minutes=5, purpose="access")
    return {"Authorization": f"Bearer {token}"}
