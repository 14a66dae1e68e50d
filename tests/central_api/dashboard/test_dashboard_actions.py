"""The dashboard's actions: alarm acknowledgement with CSRF, four-eyes remote open, threat level."""

from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlmodel import Session, select

from central_api.alarms.raise_alarm import raise_alarm
from central_api.models import Alarm, AuditEntry, OpenRequest, Role, Site
from gate_protocol.messages import AlarmKind
from testkit.api.dashboard import login
from testkit.api.world import World


def test_ack_needs_csrf_token_and_same_origin(
    client: TestClient, world: World, engine: Engine
) -> None:
    with Session(engine, expire_on_commit=False) as session:
        alarm = raise_alarm(
            session=session,
            site_id=world.site,
            gate_id=world.gate,
            kind=AlarmKind.FORCED,
            detail="door forced",
        )
        session.commit()
    token = login(client, Role.OPERATOR)
    url = f"/dashboard/api/alarms/{alarm.alarm_id}/ack"
    assert client.post(url, json={"comment": "checked"}).status_code == 403
    wrong = client.post(url, json={"comment": "checked"}, headers={"X-CSRF-Token": "0" * 64})
    assert wrong.status_code == 403
    foreign = client.post(
        url,
        json={"comment": "checked"},
        headers={"X-CSRF-Token": token, "Origin": "https://evil.example"},
    )
    assert foreign.status_code == 403
    assert client.get("/dashboard/api/alarms").json()["unacknowledged"] == 1
    ours = {"X-CSRF-Token": token, "Origin": "http://testserver"}
    empty = client.post(url, json={"comment": ""}, headers=ours)
    assert empty.status_code == 422
    good = client.post(
        url,
        json={"comment": "guard checked, door closed"},
        headers={"X-CSRF-Token": token, "Origin": "http://testserver"},
    )
    assert good.status_code == 200, good.text
    assert good.json()["acknowledged_by"] == "operator-user"
    assert client.get("/dashboard/api/alarms").json()["unacknowledged"] == 0
    again = client.post(url, json={"comment": "again"}, headers=ours)
    assert again.status_code == 409
    with Session(engine) as session:
        audit = session.exec(select(AuditEntry).where(AuditEntry.action == "alarm.ack")).all()
        assert len(audit) == 1 and audit[0].actor == "user:operator-user"
        assert "guard checked" in (audit[0].after or "")
        stored = session.exec(select(Alarm).where(Alarm.alarm_id == alarm.alarm_id)).one()
        assert stored.ack_comment == "guard checked, door closed"


def test_remote_open_with_four_eyes(client: TestClient, world: World, engine: Engine) -> None:
    with Session(engine) as session:
        site = session.get(Site, world.site)
        assert site is not None
        site.four_eyes_open = True
        session.add(site)
        session.commit()
    operator = world.user(Role.OPERATOR)
    url = f"/dashboard/api/gates/{world.gate}/open"
    no_reason = client.post(url, json={"lane": 0, "reason": " "}, headers=operator)
    assert no_reason.status_code == 422
    answer = client.post(url, json={"lane": 1, "reason": "truck stuck at lane 1"}, headers=operator)
    assert answer.status_code == 202, answer.text
    request = answer.json()
    assert request["status"] == "pending" and request["requested_by"] == "operator-user"
    pending = client.get("/dashboard/api/alarms", headers=operator).json()["open_requests"]
    assert [p["id"] for p in pending] == [request["id"]]
    approve = f"/dashboard/api/open-requests/{request['id']}/approve"
    assert client.post(approve, headers=operator).status_code == 409  # not the requester
    approved = client.post(approve, headers=world.user(Role.ADMIN))
    assert approved.status_code == 200 and approved.json()["status"] == "issued"
    with Session(engine) as session:
        row = session.get(OpenRequest, request["id"])
        assert row is not None and row.command_id is not None
        actions = set(session.exec(select(AuditEntry.action)).all())
    assert {"gate.remote_open_request", "gate.remote_open_approve", "gate.remote_open"} <= actions
    published = [topic for topic, _, _ in client.app.state.bus.published]  # type: ignore[attr-defined]
    assert f"portgate/v1/{world.site}/gates/{world.gate}/cmd/open" in published


def test_only_admins_switch_the_threat_level(
    client: TestClient, world: World, engine: Engine
) -> None:
    url = f"/dashboard/api/sites/{world.site}/threat-level"
    refused = client.post(url, json={"level": 3}, headers=world.user(Role.OPERATOR))
    assert refused.status_code == 403
    assert client.post(url, json={"level": 4}, headers=world.user(Role.ADMIN)).status_code == 422
    answer = client.post(url, json={"level": 3}, headers=world.user(Role.ADMIN))
    assert answer.status_code == 200 and answer.json()["threat_level"] == 3
    with Session(engine) as session:
        site = session.get(Site, world.site)
        assert site is not None and site.threat_level == 3
        audit = session.exec(
            select(AuditEntry).where(AuditEntry.action == "site.threat_level")
        ).all()
        assert len(audit) == 1 and audit[0].actor == "user:admin-user"
