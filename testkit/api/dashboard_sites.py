"""Two sites' users and data for the per-site dashboard tests: site A's secrets, B's viewers."""

from dataclasses import dataclass
from datetime import timedelta

import httpx
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlmodel import Session

from central_api.alarms.raise_alarm import raise_alarm
from central_api.config import Settings
from central_api.crud.people import create_person
from central_api.db import utc_now
from central_api.ingest.store import store_events
from central_api.models import PersonCreate, Role, User
from central_api.security.auth import create_token, hash_password
from gate_protocol.messages import (
    AccessEvent,
    AlarmKind,
    CredentialKind,
    DecidedBy,
    Decision,
    Direction,
    new_id,
)
from gate_protocol.reasons import ReasonCode
from gate_protocol.records import PersonKind
from testkit.api.world import PASSWORD, World

A_NAME, B_NAME = "Alma Site-A", "Bram Site-B"
A_DETAIL = "door forced at site A north-1"


def headers_of(settings: Settings, user: User) -> dict[str, str]:
    """A bearer header with a fresh access token of `user`."""
    token = create_token(settings=settings, user=user, minutes=5, purpose="access")
    return {"Authorization": f"Bearer {token}"}


def add_user(engine: Engine, username: str, role: Role, site: str | None) -> User:
    """A user with the shared test password, bound to `site` (None: every site)."""
    with Session(engine, expire_on_commit=False) as session:
        user = User(
            username=username, password_hash=hash_password(PASSWORD), role=role, site_id=site
        )
        session.add(user)
        session.commit()
        return user


def access_event(
    person_id: str | None,
    *,
    decision: Decision = Decision.GRANTED,
    minutes_ago: float = 0.5,
) -> AccessEvent:
    """An entry event `minutes_ago` by badge; a denial names an expired competency."""
    granted = decision is Decision.GRANTED
    return AccessEvent(
        event_id=new_id(),
        agent_seq=1,
        occurred_at=utc_now() - timedelta(minutes=minutes_ago),
        lane=0,
        direction=Direction.ENTRY,
        decision=decision,
        reason=ReasonCode.GRANTED if granted else ReasonCode.COMPETENCY_EXPIRED,
        person_id=person_id,
        credential_kind=CredentialKind.BADGE,
        decided_by=DecidedBy.CENTRAL,
        passed=True if granted else None,
    )


def add_person(session: Session, site: str, name: str) -> str:
    """A contractor at `site`; returns the person id."""
    person = create_person(
        session=session,
        person_create=PersonCreate(display_name=name, kind=PersonKind.CONTRACTOR, site_id=site),
        actor="test",
    )
    return person.id


@dataclass
class Viewers:
    """Request headers of the users who look at the dashboard."""

    a_operator: dict[str, str]
    b_operator: dict[str, str]
    b_admin: dict[str, str]
    admin: dict[str, str]


@dataclass
class SiteData:
    """What happened at each site: ids the other site must never see."""

    a_person: str
    b_person: str
    a_alarm: str
    a_events: list[str]
    b_event: str


def make_viewers(world: World, engine: Engine, settings: Settings) -> Viewers:
    """Headers of A's operator, B's operator and site admin, and the site-wide admin."""
    return Viewers(
        a_operator=headers_of(settings, add_user(engine, "op-a", Role.OPERATOR, world.site)),
        b_operator=headers_of(settings, add_user(engine, "op-b", Role.OPERATOR, world.other_site)),
        b_admin=headers_of(settings, add_user(engine, "admin-b", Role.ADMIN, world.other_site)),
        admin=world.user(Role.ADMIN),
    )


def seed_site_data(world: World, engine: Engine) -> SiteData:
    """A passage and a denial at A (muster, charts, tiles), an open alarm at A; one passage at B."""
    with Session(engine, expire_on_commit=False) as session:
        a_person = add_person(session, world.site, A_NAME)
        b_person = add_person(session, world.other_site, B_NAME)
        a_events = [access_event(a_person), access_event(a_person, decision=Decision.DENIED)]
        store_events(session=session, site_id=world.site, gate_id=world.gate, events=a_events)
        b_event = access_event(b_person)
        store_events(
            session=session, site_id=world.other_site, gate_id=world.other_gate, events=[b_event]
        )
        alarm = raise_alarm(
            session=session,
            site_id=world.site,
            gate_id=world.gate,
            kind=AlarmKind.FORCED,
            detail=A_DETAIL,
        )
        session.commit()
        return SiteData(
            a_person=a_person,
            b_person=b_person,
            a_alarm=alarm.alarm_id,
            a_events=[e.event_id for e in a_events],
            b_event=b_event.event_id,
        )


def secrets_of_a(world: World, data: SiteData) -> list[str]:
    """What site A's pages show and site B's users must never see."""
    return [
        world.gate,
        world.gate2,
        A_NAME,
        A_DETAIL,
        data.a_person,
        data.a_alarm,
        *data.a_events,
        f'"{world.site}"',
    ]


def get(client: TestClient, path: str, headers: dict[str, str]) -> httpx.Response:
    """GET `path` and assert it answered 200 (the body is in the message otherwise)."""
    answer: httpx.Response = client.get(path, headers=headers)
    assert answer.status_code == 200, f"{path}: {answer.status_code} {answer.text}"
    return answer
