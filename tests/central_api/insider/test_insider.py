from datetime import UTC, datetime, timedelta

from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlmodel import Session, select

from central_api.insider.checks import distance_m
from central_api.models import Alarm, AuditEntry, Role
from gate_protocol.messages import Decision
from gate_protocol.reasons import ReasonCode
from testkit.api.world import World, make_event

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


def set_rules(client: TestClient, world: World, **rules: object) -> dict[str, object]:
    answer = client.put(
        f"/api/v1/sites/{world.site}/insider-rules", json=rules, headers=world.user(Role.ADMIN)
    )
    assert answer.status_code == 200, answer.text
    body: dict[str, object] = answer.json()
    return body


def denial(n: int, person: str, minutes: float) -> object:
    return make_event(
        n,
        person_id=person,
        decision=Decision.DENIED,
        reason=ReasonCode.FACE_MISMATCH,
        occurred_at=T0 + timedelta(minutes=minutes),
    )


def test_a_site_s_denial_threshold_changes_when_the_alarm_fires(
    client: TestClient, world: World, engine: Engine
) -> None:
    post(client, world, world.gate, *(denial(n, "P6", n) for n in range(3)))
    assert alarms(engine) == []  # 3 denials: under the default of 5
    rules = set_rules(client, world, denials=3, denial_window_minutes=2)
    assert rules["denials"] == 3 and rules["open_rate_floor"] == 5  # others keep defaults
    post(client, world, world.gate, *(denial(10 + n, "P7", 60 + n * 0.5) for n in range(3)))
    assert sorted(a.detail.split(" (")[0] for a in alarms(engine)) == [
        "3 denials for gate north-1 within 2 minutes",
        "3 denials for person P7 within 2 minutes",
    ]
    # Three more, spread wider than the 2-minute window: nothing new.
    post(client, world, world.gate2, *(denial(20 + n, "P8", 120 + n * 3) for n in range(3)))
    assert len(alarms(engine)) == 2
    # Another site keeps the defaults.
    post(client, world, world.other_gate, *(denial(30 + n, "P9", 200 + n) for n in range(3)))
    assert len(alarms(engine)) == 2


def test_a_configured_travel_time_between_gates_changes_the_verdict(
    client: TestClient, world: World, engine: Engine
) -> None:
    # 5.6 km in 8 minutes is 11.6 m/s: plausible under the default 15 m/s.
    post(client, world, world.gate, make_event(1, person_id="P10", occurred_at=T0))
    post(
        client,
        world,
        world.gate2,
        make_event(2, person_id="P10", occurred_at=T0 + timedelta(minutes=8)),
    )
    assert alarms(engine) == []
    set_rules(client, world, travel_times_s={f"{world.gate2}|{world.gate}": 900})
    post(
        client,
        world,
        world.gate,
        make_event(3, person_id="P11", occurred_at=T0 + timedelta(hours=1)),
    )
    post(
        client,
        world,
        world.gate2,
        make_event(4, person_id="P11", occurred_at=T0 + timedelta(hours=1, minutes=8)),
    )
    (alarm,) = alarms(engine)
    assert "480 s apart, less than the 900 s it takes" in alarm.detail


def test_a_site_s_remote_open_rate_floor_changes_when_the_alarm_fires(
    client: TestClient, world: World, engine: Engine
) -> None:
    set_rules(client, world, open_rate_floor=1, open_rate_factor=2)
    for n in range(2):
        answer = client.post(
            f"/api/v1/gates/{world.gate}/open",
            json={"lane": 0, "reason": f"stuck truck {n}"},
            headers=world.user(Role.OPERATOR),
        )
        assert answer.status_code == 202, answer.text
    (alarm,) = alarms(engine)
    assert "made 2 remote opens in the last hour" in alarm.detail


def test_insider_rules_are_validated_audited_and_admin_only(
    client: TestClient, world: World, engine: Engine
) -> None:
    url = f"/api/v1/sites/{world.site}/insider-rules"
    admin = world.user(Role.ADMIN)
    defaults = client.get(url, headers=admin).json()
    assert defaults["denials"] == 5 and defaults["denial_window_minutes"] == 10
    for bad in ({"denials": 1}, {"surprise": 1}, {"travel_times_s": {"north-1": 5}}):
        answer = client.put(url, json=bad, headers=admin)
        assert answer.status_code == 422, bad
    assert client.put(url, json={}, headers=world.user(Role.OPERATOR)).status_code == 403
    assert client.get("/api/v1/sites/nowhere/insider-rules", headers=admin).status_code == 404
    set_rules(client, world, denials=7)
    with Session(engine) as session:
        entry = session.exec(
            select(AuditEntry).where(AuditEntry.action == "site.insider_rules")
        ).one()
    assert entry.after == '{"denials":7}'
