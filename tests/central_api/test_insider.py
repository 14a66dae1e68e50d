from datetime import UTC, datetime, timedelta

from api_world import World, make_event
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlmodel import Session, select

from central_api.insider import distance_m
from central_api.models import Alarm
from gate_protocol.messages import Decision
from gate_protocol.reasons import ReasonCode

T0 = datetime(2026, 11, 22, 8, 0, tzinfo=UTC)


def post(client: TestClient, world: World, gate: str, *events: object) -> None:
    answer = client.post(
        "/api/v1/events",
        json={"events": [e.model_dump(mode="json") for e in events]},  # type: ignore[attr-defined]
        headers=world.gate_key(gate),
    )
    assert answer.status_code == 200, answer.text


def alarms(engine: Engine) -> list[Alarm]:
    with Session(engine) as session:
        return list(session.exec(select(Alarm).order_by(Alarm.id)).all())


def test_an_attempt_outside_the_schedule_raises_an_explained_alarm(
    client: TestClient, world: World, engine: Engine
) -> None:
    event = make_event(
        1, person_id="P1", decision=Decision.DENIED, reason=ReasonCode.OUTSIDE_SCHEDULE
    )
    post(client, world, world.gate, event)
    (alarm,) = alarms(engine)
    assert alarm.kind == "insider_pattern"
    assert "outside their schedule" in alarm.detail


def test_a_burst_of_denials_raises_one_alarm_per_scope(
    client: TestClient, world: World, engine: Engine
) -> None:
    denials = [
        make_event(
            n,
            person_id="P2",
            decision=Decision.DENIED,
            reason=ReasonCode.FACE_MISMATCH,
            occurred_at=T0 + timedelta(minutes=n),
        )
        for n in range(7)
    ]
    post(client, world, world.gate, *denials)
    found = alarms(engine)
    assert sorted(a.detail.split(" within")[0] for a in found) == [
        "5 denials for gate north-1",
        "5 denials for person P2",
    ]


def test_denials_spread_out_raise_nothing(client: TestClient, world: World, engine: Engine) -> None:
    spread = [
        make_event(
            n,
            person_id="P3",
            decision=Decision.DENIED,
            reason=ReasonCode.FACE_MISMATCH,
            occurred_at=T0 + timedelta(minutes=5 * n),
        )
        for n in range(6)
    ]
    post(client, world, world.gate, *spread)
    assert alarms(engine) == []


def test_one_badge_at_two_far_gates_too_fast(
    client: TestClient, world: World, engine: Engine
) -> None:
    # north-1 and south-1 are 5.6 km apart in the seeded world.
    post(client, world, world.gate, make_event(1, person_id="P4", occurred_at=T0))
    post(
        client,
        world,
        world.gate2,
        make_event(2, person_id="P4", occurred_at=T0 + timedelta(seconds=60)),
    )
    (alarm,) = alarms(engine)
    assert "used at north-1 and south-1 60 s apart" in alarm.detail
    post(
        client,
        world,
        world.gate,
        make_event(3, person_id="P5", occurred_at=T0),
        make_event(4, person_id="P5", occurred_at=T0 + timedelta(hours=1)),
    )
    assert len(alarms(engine)) == 1


def test_distance() -> None:
    assert abs(distance_m(51.95, 4.1, 51.90, 4.1) - 5560) < 20
