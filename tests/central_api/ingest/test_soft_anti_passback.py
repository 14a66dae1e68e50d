"""Soft anti-passback: granted, the violation stored on the event, one alarm per event."""

from datetime import UTC, datetime, timedelta

from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlmodel import Session, select

from central_api.models import AccessEventRecord, Alarm, Role, Zone
from gate_protocol.records import AntiPassback
from testkit.api.decisions import enroll, query
from testkit.api.world import World, make_event


def _soft(engine: Engine, world: World) -> None:
    with Session(engine) as session:
        zone = session.get(Zone, world.zone)
        assert zone is not None
        zone.anti_passback = AntiPassback.SOFT
        session.add(zone)
        session.commit()


def _send(client: TestClient, world: World, *events: object) -> None:
    body = {"events": [e.model_dump(mode="json") for e in events]}  # type: ignore[attr-defined]
    stored = client.post("/api/v1/events", json=body, headers=world.gate_key())
    assert stored.status_code == 200, stored.text


def test_the_central_decision_grants_and_says_it_was_a_violation(
    client: TestClient, world: World, engine: Engine
) -> None:
    _soft(engine, world)
    person = enroll(engine, world, badge="50F7")
    first = client.post("/api/v1/decisions", json=query("50F7"), headers=world.gate_key())
    assert (first.json()["decision"], first.json()["anti_passback_violation"]) == (
        "granted",
        False,
    )
    entered = datetime.now(UTC) - timedelta(minutes=1)
    _send(client, world, make_event(1, person_id=person, occurred_at=entered, passed=True))
    again = client.post("/api/v1/decisions", json=query("50F7"), headers=world.gate_key()).json()
    assert (again["decision"], again["anti_passback_violation"]) == ("granted", True)
    out = client.post(
        "/api/v1/decisions", json=query("50F7", direction="exit"), headers=world.gate_key()
    ).json()
    assert (out["decision"], out["anti_passback_violation"]) == ("granted", False)


def test_a_flagged_event_is_stored_with_its_flag_and_raises_one_alarm(
    client: TestClient, world: World, engine: Engine
) -> None:
    person = enroll(engine, world, badge="50F8")
    flagged = make_event(2, person_id=person, lane=1, anti_passback_violation=True)
    plain = make_event(3, person_id=person)
    _send(client, world, flagged, plain)
    _send(client, world, flagged)  # the agent replays it: still one event, one alarm
    with Session(engine) as session:
        rows = session.exec(select(AccessEventRecord).order_by(AccessEventRecord.agent_seq)).all()
        alarms = session.exec(select(Alarm)).all()
    assert [(r.event_id, r.anti_passback_violation) for r in rows] == [
        ("ev-2", True),
        ("ev-3", False),
    ]
    assert [(a.kind, a.person_id, a.gate_id, a.lane) for a in alarms] == [
        ("anti_passback", person, world.gate, 1)
    ]
    assert "soft anti-passback" in alarms[0].detail
    shown = client.get("/api/v1/events", headers=world.user(Role.OPERATOR))
    assert shown.status_code == 200, shown.text
    assert {e["event_id"]: e["anti_passback_violation"] for e in shown.json()} == {
        "ev-2": True,
        "ev-3": False,
    }


def test_the_dashboard_shows_the_violation(
    client: TestClient, world: World, engine: Engine
) -> None:
    person = enroll(engine, world, badge="50F9")
    _send(client, world, make_event(4, person_id=person, anti_passback_violation=True))
    _send(client, world, make_event(5, person_id=person))
    shown = client.get("/dashboard/api/events", headers=world.user(Role.OPERATOR))
    assert shown.status_code == 200, shown.text
    assert {e["event_id"]: e["anti_passback_violation"] for e in shown.json()} == {
        "ev-4": True,
        "ev-5": False,
    }
    page = client.get("/static/dashboard.js", headers=world.user(Role.OPERATOR))
    assert "ev.anti_passback_violation" in page.text
