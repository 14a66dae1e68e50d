"""`POST /api/v1/alarms` and `/alarms/known`: gates deliver and confirm alarms over HTTP."""

from datetime import UTC, datetime, timedelta

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from prometheus_client import REGISTRY
from sqlalchemy import Engine
from sqlmodel import Session, col, select

from central_api.ingest.store import handle_message
from central_api.models import Alarm, Role
from gate_protocol.messages import (
    AlarmKind,
    AlarmNotice,
    AlarmRaised,
    decode_message,
    encode_message,
)
from gate_protocol.topics import GateChannel, GateTopic, SiteAlarmTopic, build_topic
from testkit.api.world import World

POST = "/api/v1/alarms"
KNOWN = "/api/v1/alarms/known"


def make_alarm(n: int, kind: AlarmKind = AlarmKind.TAILGATING) -> AlarmRaised:
    at = datetime(2026, 11, 22, 8, 0, tzinfo=UTC) + timedelta(seconds=n)
    return AlarmRaised(alarm_id=f"al-{n}", alarm=kind, lane=0, at=at, detail=f"alarm {n}")


def body(*alarms: AlarmRaised) -> dict[str, object]:
    return {"alarms": [a.model_dump(mode="json") for a in alarms]}


def stored_alarms(engine: Engine) -> list[tuple[str, str | None, str]]:
    with Session(engine) as session:
        rows = session.exec(select(Alarm).order_by(col(Alarm.alarm_id))).all()
        return [(a.alarm_id, a.gate_id, a.kind) for a in rows]


def known(client: TestClient, world: World, ids: list[str], gate: str | None = None) -> list[str]:
    answer = client.post(KNOWN, json={"alarm_ids": ids}, headers=world.gate_key(gate))
    assert answer.status_code == 200, answer.text
    return sorted(answer.json()["known"])


def test_alarms_posted_twice_are_stored_once(
    client: TestClient, world: World, engine: Engine
) -> None:
    first = client.post(POST, json=body(make_alarm(1), make_alarm(2)), headers=world.gate_key())
    assert first.status_code == 200, first.text
    assert first.json() == {"stored": 2, "duplicates": 0}
    # The same alarms again, and one twice within its batch.
    again = client.post(
        POST,
        json=body(make_alarm(2), make_alarm(1), make_alarm(3), make_alarm(3)),
        headers=world.gate_key(),
    )
    assert again.status_code == 200, again.text
    assert again.json() == {"stored": 1, "duplicates": 3}
    assert stored_alarms(engine) == [
        ("al-1", world.gate, "tailgating"),
        ("al-2", world.gate, "tailgating"),
        ("al-3", world.gate, "tailgating"),
    ]


def test_an_alarm_that_came_over_mqtt_is_a_duplicate_over_http(
    client: TestClient, world: World, engine: Engine
) -> None:
    alarm = make_alarm(7, AlarmKind.LIVENESS)
    topic = build_topic(GateTopic(site=world.site, gate=world.gate, channel=GateChannel.ALARM))
    with Session(engine) as session:
        assert handle_message(session=session, topic=topic, payload=encode_message(alarm))
        session.commit()
    assert known(client, world, ["al-7"]) == ["al-7"]
    answer = client.post(POST, json=body(alarm), headers=world.gate_key())
    assert answer.json() == {"stored": 0, "duplicates": 1}
    assert stored_alarms(engine) == [("al-7", world.gate, "liveness")]


def test_known_names_only_the_calling_gate_s_alarms(client: TestClient, world: World) -> None:
    for n, gate in ((1, world.gate), (2, world.gate2), (3, world.other_gate)):
        answer = client.post(POST, json=body(make_alarm(n)), headers=world.gate_key(gate))
        assert answer.status_code == 200, answer.text
    ids = ["al-1", "al-2", "al-3", "al-4", "al-1"]
    assert known(client, world, ids) == ["al-1"]
    assert known(client, world, ids, world.gate2) == ["al-2"]
    assert known(client, world, ids, world.other_gate) == ["al-3"]


@pytest.mark.parametrize("thief", ["gate2", "other_gate"])
def test_a_gate_key_cannot_post_another_gate_s_alarm(
    client: TestClient, world: World, engine: Engine, thief: str
) -> None:
    client.post(POST, json=body(make_alarm(1)), headers=world.gate_key())
    # The other gate's alarm id in a batch with a new one: the whole batch is refused.
    answer = client.post(
        POST, json=body(make_alarm(5), make_alarm(1)), headers=world.gate_key(getattr(world, thief))
    )
    assert answer.status_code == 409, answer.text
    assert "al-1" in answer.text and "another gate" in answer.text
    assert stored_alarms(engine) == [("al-1", world.gate, "tailgating")]


def test_a_new_alarm_is_told_live_on_the_site_alarm_topic(
    client: TestClient, app: FastAPI, world: World
) -> None:
    bus = app.state.bus
    before = len(bus.published)
    client.post(POST, json=body(make_alarm(1), make_alarm(2)), headers=world.gate_key())
    client.post(POST, json=body(make_alarm(1)), headers=world.gate_key())  # a duplicate
    topic = build_topic(SiteAlarmTopic(site=world.site))
    notices = [decode_message(p) for t, p, _ in bus.published[before:] if t == topic]
    assert [(n.alarm_id, n.gate_id) for n in notices if isinstance(n, AlarmNotice)] == [
        ("al-1", world.gate),
        ("al-2", world.gate),
    ]


def test_anonymous_and_users_are_refused(client: TestClient, world: World) -> None:
    for path, payload in ((POST, body(make_alarm(1))), (KNOWN, {"alarm_ids": ["al-1"]})):
        assert client.post(path, json=payload).status_code == 401
        assert client.post(path, json=payload, headers={"X-Gate-Key": "nope"}).status_code == 401
        for role in Role:
            assert client.post(path, json=payload, headers=world.user(role)).status_code == 401


@pytest.mark.parametrize(
    ("path", "payload"),
    [
        (POST, {"alarms": []}),
        (POST, {"alarms": [{"alarm_id": "x", "alarm": "no_such_kind", "at": "2026-11-22T08:00Z"}]}),
        (POST, {"alarms": [{**make_alarm(1).model_dump(mode="json"), "at": "2026-11-22T08:00"}]}),
        (POST, {"alarms": [{**make_alarm(1).model_dump(mode="json"), "alarm_id": "bad id"}]}),
        (POST, {"alarms": [make_alarm(1).model_dump(mode="json")] * 501}),
        (POST, {"alarms": [make_alarm(1).model_dump(mode="json")], "extra": 1}),
        (KNOWN, {"alarm_ids": []}),
        (KNOWN, {"alarm_ids": [f"al-{n}" for n in range(501)]}),
        (KNOWN, {"alarm_ids": ["x" * 65]}),
        (KNOWN, {}),
    ],
)
def test_bad_bodies_get_422(
    client: TestClient, world: World, engine: Engine, path: str, payload: object
) -> None:
    answer = client.post(path, json=payload, headers=world.gate_key())
    assert answer.status_code == 422, answer.text
    assert stored_alarms(engine) == []


def test_gate_alarms_are_counted_once_in_the_alarm_metric(client: TestClient, world: World) -> None:
    def count() -> float:
        value = REGISTRY.get_sample_value("portgate_alarms_total", {"kind": "reader_offline"})
        return value or 0.0

    before = count()
    alarm = make_alarm(40, AlarmKind.READER_OFFLINE)
    for _ in range(2):  # the second time is a duplicate: stored once, counted once
        answer = client.post(POST, json=body(alarm), headers=world.gate_key())
        assert answer.status_code == 200, answer.text
    assert count() == before + 1
    exposed = client.get("/metrics", headers=world.user(Role.ADMIN)).text
    assert 'portgate_alarms_total{kind="reader_offline"}' in exposed
