from datetime import UTC, datetime

from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlmodel import Session, select

from central_api.models import Alarm, AuditEntry, Role, Site
from gate_protocol.messages import OpenCommand, decode_message
from gate_protocol.topics import GateChannel, GateTopic, build_topic
from testkit.api.world import World


def open_gate(client: TestClient, world: World, role: Role = Role.OPERATOR, **body: object):  # type: ignore[no-untyped-def]
    payload = {"lane": 1, "direction": "entry", "reason": "truck stuck at barrier"} | body
    return client.post(f"/api/v1/gates/{world.gate}/open", json=payload, headers=world.user(role))


def test_a_remote_open_publishes_a_short_lived_command_and_is_audited(
    client: TestClient, app: FastAPI, world: World, engine: Engine
) -> None:
    answer = open_gate(client, world)
    assert answer.status_code == 202, answer.text
    assert answer.json()["status"] == "issued"
    topic, payload, retain = app.state.bus.published[-1]
    assert topic == build_topic(
        GateTopic(site=world.site, gate=world.gate, channel=GateChannel.CMD_OPEN)
    )
    assert not retain
    command = decode_message(payload, OpenCommand)
    assert isinstance(command, OpenCommand)
    assert command.lane == 1
    assert command.issued_by == "operator-user"
    assert 0 < (command.expires_at - datetime.now(UTC)).total_seconds() <= 10
    with Session(engine) as session:
        actions = [e.action for e in session.exec(select(AuditEntry)).all()]
    assert "gate.remote_open" in actions


def test_the_reason_is_mandatory_and_lanes_are_checked(client: TestClient, world: World) -> None:
    assert open_gate(client, world, reason="").status_code == 422
    assert open_gate(client, world, reason="   ").status_code == 422
    missing = client.post(
        f"/api/v1/gates/{world.gate}/open", json={"lane": 0}, headers=world.user(Role.OPERATOR)
    )
    assert missing.status_code == 422
    assert open_gate(client, world, lane=5).status_code == 409
    assert (
        client.post(
            "/api/v1/gates/nope/open",
            json={"reason": "why not"},
            headers=world.user(Role.OPERATOR),
        ).status_code
        == 404
    )
    assert open_gate(client, world, role=Role.SECURITY_DESK).status_code == 403


def test_four_eyes_needs_a_second_operator(
    client: TestClient, app: FastAPI, world: World, engine: Engine, settings: object
) -> None:
    with Session(engine) as session:
        site = session.get(Site, world.site)
        assert site is not None
        site.four_eyes_open = True
        session.add(site)
        session.commit()
    published = len(app.state.bus.published)
    pending = open_gate(client, world)
    assert pending.json()["status"] == "pending"
    assert len(app.state.bus.published) == published
    request_id = pending.json()["id"]
    own = client.post(
        f"/api/v1/open-requests/{request_id}/approve", headers=world.user(Role.OPERATOR)
    )
    assert own.status_code == 409
    assert "second operator" in own.json()["detail"]
    approved = client.post(
        f"/api/v1/open-requests/{request_id}/approve", headers=world.user(Role.ADMIN)
    )
    assert approved.json()["status"] == "issued"
    assert approved.json()["approved_by"] == "admin-user"
    assert len(app.state.bus.published) == published + 1
    again = client.post(
        f"/api/v1/open-requests/{request_id}/approve", headers=world.user(Role.ADMIN)
    )
    assert again.status_code == 409


def test_remote_opens_far_above_the_usual_rate_raise_an_alarm(
    client: TestClient, world: World, engine: Engine
) -> None:
    for _ in range(6):
        assert open_gate(client, world).status_code == 202
    with Session(engine) as session:
        alarms = session.exec(select(Alarm)).all()
    assert len(alarms) == 1
    assert alarms[0].kind == "insider_pattern"
    assert "operator-user made 6 remote opens" in alarms[0].detail
