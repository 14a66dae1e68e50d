"""Bulk acknowledgement: several alarms, one comment, one audit row each, all or none."""

from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlmodel import Session, col, select

from central_api.alarms.raise_alarm import raise_alarm
from central_api.models import Alarm, AuditEntry, Role, User
from gate_protocol.messages import AlarmKind
from testkit.api.world import World

URL = "/dashboard/api/alarms/ack"


def raise_alarms(engine: Engine, site: str, gate: str, count: int) -> list[str]:
    with Session(engine, expire_on_commit=False) as session:
        alarms = [
            raise_alarm(
                session=session, site_id=site, gate_id=gate, kind=AlarmKind.HELD, detail=f"held {n}"
            )
            for n in range(count)
        ]
        session.commit()
        return [alarm.alarm_id for alarm in alarms]


def state(engine: Engine) -> tuple[dict[str, str | None], int]:
    """Each alarm's acknowledging user, and how many acknowledgements the audit holds."""
    with Session(engine) as session:
        acks = {a.alarm_id: a.acknowledged_by for a in session.exec(select(Alarm)).all()}
        audit = session.exec(select(AuditEntry).where(AuditEntry.action == "alarm.ack")).all()
        return acks, len(audit)


def test_several_alarms_one_comment_audited_each(
    client: TestClient, world: World, engine: Engine
) -> None:
    ids = raise_alarms(engine, world.site, world.gate, 3)
    answer = client.post(
        URL,
        json={"alarm_ids": ids[:2], "comment": "  fire drill, doors held on purpose "},
        headers=world.user(Role.OPERATOR),
    )
    assert answer.status_code == 200, answer.text
    shown = answer.json()["acknowledged"]
    assert [a["alarm_id"] for a in shown] == ids[:2]
    assert {a["ack_comment"] for a in shown} == {"fire drill, doors held on purpose"}
    acks, audited = state(engine)
    assert acks == {ids[0]: "operator-user", ids[1]: "operator-user", ids[2]: None}
    assert audited == 2
    with Session(engine) as session:
        targets = session.exec(
            select(AuditEntry.target).where(col(AuditEntry.action) == "alarm.ack")
        ).all()
    assert sorted(targets) == sorted(f"alarm:{i}" for i in ids[:2])
    operator = client.get("/dashboard/api/alarms", headers=world.user(Role.OPERATOR)).json()
    assert operator["unacknowledged"] == 1


def test_unknown_or_acknowledged_alarm_refuses_the_lot(
    client: TestClient, world: World, engine: Engine
) -> None:
    ids = raise_alarms(engine, world.site, world.gate, 3)
    foreign = raise_alarms(engine, world.other_site, world.other_gate, 1)
    operator = world.user(Role.OPERATOR)
    first = client.post(URL, json={"alarm_ids": [ids[0]], "comment": "seen"}, headers=operator)
    assert first.status_code == 200
    before = state(engine)

    unknown = client.post(
        URL, json={"alarm_ids": [ids[1], "no-such-alarm"], "comment": "x"}, headers=operator
    )
    assert unknown.status_code == 404
    assert "no-such-alarm" in unknown.json()["detail"]
    again = client.post(URL, json={"alarm_ids": [ids[1], ids[0]], "comment": "x"}, headers=operator)
    assert again.status_code == 409
    assert ids[0] in again.json()["detail"] and "none acknowledged" in again.json()["detail"]
    assert state(engine) == before

    # A site-bound operator does not see another site's alarm: as if it did not exist.
    site_bound = world.user(Role.OPERATOR)
    with Session(engine) as session:
        user = session.exec(select(User).where(User.username == "operator-user")).one()
        user.site_id = world.site
        session.add(user)
        session.commit()
    other = client.post(
        URL, json={"alarm_ids": [ids[2], foreign[0]], "comment": "x"}, headers=site_bound
    )
    assert other.status_code == 404
    assert state(engine) == before


def test_bad_requests_and_roles_change_nothing(
    client: TestClient, world: World, engine: Engine
) -> None:
    ids = raise_alarms(engine, world.site, world.gate, 2)
    before = state(engine)
    operator = world.user(Role.OPERATOR)
    blank = client.post(URL, json={"alarm_ids": ids, "comment": "   "}, headers=operator)
    assert blank.status_code == 422 and "comment is required" in blank.json()["detail"]
    missing = client.post(URL, json={"alarm_ids": ids}, headers=operator)
    assert missing.status_code == 422
    none = client.post(URL, json={"alarm_ids": [], "comment": "x"}, headers=operator)
    assert none.status_code == 422
    twice = client.post(URL, json={"alarm_ids": [ids[0], ids[0]], "comment": "x"}, headers=operator)
    assert twice.status_code == 422 and "twice" in twice.json()["detail"]
    bad_id = client.post(URL, json={"alarm_ids": ["a/b"], "comment": "x"}, headers=operator)
    assert bad_id.status_code == 422
    for role in (Role.SECURITY_DESK, Role.AUTHORITY):
        refused = client.post(
            URL, json={"alarm_ids": ids, "comment": "x"}, headers=world.user(role)
        )
        assert refused.status_code == 403, role
    assert state(engine) == before
    admin = client.post(
        URL, json={"alarm_ids": ids, "comment": "ok"}, headers=world.user(Role.ADMIN)
    )
    assert admin.status_code == 200
