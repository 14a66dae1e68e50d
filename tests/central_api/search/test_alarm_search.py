"""GET /api/v1/alarms/search: kind, state, gate, site and time against the raw rows; pages."""

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlmodel import Session, col, select

from central_api.alarms.raise_alarm import raise_alarm
from central_api.models import Alarm, Role
from gate_protocol.messages import AlarmKind
from testkit.api.world import World

T0 = datetime(2026, 11, 22, 8, 0, tzinfo=UTC)
SEARCH = "/api/v1/alarms/search"


def seed(world: World, engine: Engine) -> list[Alarm]:
    """Five alarms (the second acknowledged), one at the other site; newest first."""
    specs = [
        (world.site, world.gate, AlarmKind.FORCED),
        (world.site, world.gate, AlarmKind.TAMPER),
        (world.site, world.gate2, AlarmKind.FORCED),
        (world.other_site, world.other_gate, AlarmKind.FORCED),
        (world.site, None, AlarmKind.INSIDER_PATTERN),
    ]
    with Session(engine, expire_on_commit=False) as session:
        for n, (site, gate, kind) in enumerate(specs):
            at = T0 + timedelta(minutes=n)
            raise_alarm(session=session, site_id=site, gate_id=gate, kind=kind, detail="x", at=at)
        session.commit()
        acked = session.exec(select(Alarm).where(Alarm.kind == AlarmKind.TAMPER)).one()
        acked.acknowledged_at, acked.acknowledged_by = T0 + timedelta(hours=1), "someone"
        session.add(acked)
        session.commit()
        query = select(Alarm).order_by(col(Alarm.raised_at).desc(), col(Alarm.id).desc())
        return list(session.exec(query).all())


def ids(client: TestClient, world: World, query: str) -> list[str]:
    answer = client.get(f"{SEARCH}?{query}", headers=world.user(Role.AUTHORITY))
    assert answer.status_code == 200, answer.text
    return [item["alarm_id"] for item in answer.json()["items"]]


def test_alarm_filters_match_the_raw_rows(client: TestClient, world: World, engine: Engine) -> None:
    alarms = seed(world, engine)
    cases: list[tuple[str, Callable[[Alarm], bool]]] = [
        ("", lambda a: True),
        ("kind=forced", lambda a: a.kind == AlarmKind.FORCED),
        ("state=open", lambda a: a.acknowledged_at is None),
        ("state=acknowledged", lambda a: a.acknowledged_at is not None),
        (f"gate={world.gate}", lambda a: a.gate_id == world.gate),
        (f"site={world.other_site}", lambda a: a.site_id == world.other_site),
        (
            "from=2026-11-22T08:01:00Z&to=2026-11-22T08:03:00Z",
            lambda a: T0 + timedelta(minutes=1) <= a.raised_at < T0 + timedelta(minutes=3),
        ),
        (f"kind=forced&state=open&gate={world.gate2}", lambda a: a.gate_id == world.gate2),
    ]
    for query, keep in cases:
        assert ids(client, world, query) == [a.alarm_id for a in alarms if keep(a)], query


def test_alarm_pages_and_bad_input(client: TestClient, world: World, engine: Engine) -> None:
    alarms = seed(world, engine)
    headers = world.user(Role.OPERATOR)
    first = client.get(f"{SEARCH}?limit=2", headers=headers).json()
    second = client.get(f"{SEARCH}?limit=2&cursor={first['next_cursor']}", headers=headers).json()
    third = client.get(f"{SEARCH}?limit=2&cursor={second['next_cursor']}", headers=headers).json()
    pages = [first, second, third]
    assert [i["alarm_id"] for p in pages for i in p["items"]] == [a.alarm_id for a in alarms]
    assert third["next_cursor"] is None
    for query, says in (
        ("kind=fire", "unknown alarm kind 'fire'"),
        ("state=closed", "unknown state 'closed'"),
        ("from=2026-11-23T00:00:00Z&to=2026-11-22T00:00:00Z", "is after to"),
        ("cursor=%%%", "malformed cursor"),
        ("limit=10000", "less than or equal to 500"),
    ):
        answer = client.get(f"{SEARCH}?{query}", headers=headers)
        assert answer.status_code == 422 and says in answer.text, query
    with Session(engine) as session:
        assert len(session.exec(select(Alarm)).all()) == len(alarms)
