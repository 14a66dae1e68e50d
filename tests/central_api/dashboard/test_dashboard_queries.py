"""The dashboard's JSON reads: event filters, muster and its CSV, charts, alarm count."""

from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlmodel import Session, col, select

from central_api.alarms.raise_alarm import raise_alarm
from central_api.db import utc_now
from central_api.models import Alarm, Role
from gate_protocol.messages import AlarmKind, Decision, Direction
from gate_protocol.reasons import ReasonCode
from testkit.api.dashboard import add_person, make_event, store
from testkit.api.world import World


def test_event_filters_by_gate_decision_and_person(
    client: TestClient, world: World, engine: Engine
) -> None:
    ana = add_person(engine, world.site, "Ana Costa", None)
    ben = add_person(engine, world.site, "Ben_Ode 100%", None)
    store(engine, world, make_event(person_id=ana))
    store(
        engine,
        world,
        make_event(person_id=ben, decision=Decision.DENIED, reason=ReasonCode.FACE_MISMATCH),
        gate=world.gate2,
    )
    headers = world.user(Role.OPERATOR)

    def names(query: str) -> list[str | None]:
        answer = client.get(f"/dashboard/api/events?{query}", headers=headers)
        assert answer.status_code == 200
        return [e["person_name"] for e in answer.json()]

    assert names("") == ["Ben_Ode 100%", "Ana Costa"]
    assert names(f"gate_id={world.gate}") == ["Ana Costa"]
    assert names("decision=denied") == ["Ben_Ode 100%"]
    assert names("person=costa") == ["Ana Costa"]
    assert names(f"person={ben}") == ["Ben_Ode 100%"]
    assert names("person=_") == ["Ben_Ode 100%"]  # LIKE wildcards are literal
    assert names("person=%25") == ["Ben_Ode 100%"]
    denied = client.get("/dashboard/api/events?decision=denied", headers=headers).json()[0]
    assert denied["reason_text"] == "Face does not match the enrolled person."
    bad = client.get("/dashboard/api/events?decision=maybe", headers=headers)
    assert bad.status_code == 422


def test_muster_lists_who_is_inside_and_exports_safe_csv(
    client: TestClient, world: World, engine: Engine
) -> None:
    inside = add_person(engine, world.site, '=HYPERLINK("http://x")', "+Evil Ltd")
    left = add_person(engine, world.site, "Carl Left", None)
    denied = add_person(engine, world.site, "Dora Denied", None)
    store(
        engine,
        world,
        make_event(person_id=inside, minutes_ago=30),
        make_event(person_id=left, minutes_ago=40),
        make_event(person_id=left, direction=Direction.EXIT, minutes_ago=10),
        make_event(
            person_id=denied, decision=Decision.DENIED, reason=ReasonCode.REVOKED, passed=False
        ),
        make_event(person_id=denied, passed=False),  # granted but never walked through
    )
    headers = world.user(Role.OPERATOR)
    muster = client.get("/dashboard/api/muster", headers=headers).json()
    assert [(m["person_id"], m["zone_id"]) for m in muster] == [(inside, world.zone)]
    answer = client.get("/dashboard/api/muster.csv", headers=headers)
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("text/csv")
    assert "attachment" in answer.headers["content-disposition"]
    lines = answer.text.splitlines()
    assert lines[0].startswith("zone,zone_name,person_id,name,company")
    assert "'=HYPERLINK" in lines[1] and ",'+Evil Ltd," in lines[1]
    assert "Carl Left" not in answer.text


def test_charts_count_per_gate_minute_and_denials_by_reason(
    client: TestClient, world: World, engine: Engine
) -> None:
    store(
        engine,
        world,
        make_event(person_id=None, decision=Decision.DENIED, reason=ReasonCode.UNKNOWN_CREDENTIAL),
        make_event(person_id=None, decision=Decision.DENIED, reason=ReasonCode.UNKNOWN_CREDENTIAL),
        make_event(person_id=None, decision=Decision.DENIED, reason=ReasonCode.LIVENESS_FAILED),
        make_event(person_id=None, minutes_ago=90),
    )
    data = client.get("/dashboard/api/charts?hours=1", headers=world.user(Role.OPERATOR)).json()
    series = data["events_per_minute"]["series"]
    assert data["events_per_minute"]["minutes"] == 60
    assert [(s["gate_id"], sum(s["counts"])) for s in series] == [(world.gate, 3)]
    assert [(d["reason"], d["count"]) for d in data["denials_by_reason"]] == [
        ("unknown_credential", 2),
        ("liveness_failed", 1),
    ]
    assert data["denials_by_reason"][0]["text"] == "Badge or pass is not known to PortGate."
    day = client.get("/dashboard/api/charts", headers=world.user(Role.OPERATOR)).json()
    assert sum(sum(s["counts"]) for s in day["events_per_minute"]["series"]) == 4
    too_long = client.get("/dashboard/api/charts?hours=48", headers=world.user(Role.OPERATOR))
    assert too_long.status_code == 422


def test_unacknowledged_count_ignores_acknowledged_alarms(
    client: TestClient, world: World, engine: Engine
) -> None:
    with Session(engine) as session:
        for kind in (AlarmKind.TAMPER, AlarmKind.WATCHLIST):
            raise_alarm(
                session=session, site_id=world.site, gate_id=world.gate, kind=kind, detail="x"
            )
        session.commit()
        first = session.exec(select(Alarm).order_by(col(Alarm.id))).first()
        assert first is not None
        first.acknowledged_at, first.acknowledged_by = utc_now(), "someone"
        session.add(first)
        session.commit()
    data = client.get("/dashboard/api/alarms", headers=world.user(Role.OPERATOR)).json()
    assert data["unacknowledged"] == 1
    assert [a["kind"] for a in data["alarms"]] == ["watchlist"]
