"""An alarm's camera still at the API: kept only where the site says so, sealed, shown, purged."""

import json
from datetime import timedelta

from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlmodel import Session, select

from central_api.alarms.raise_alarm import raise_alarm
from central_api.config import Settings
from central_api.db import utc_now
from central_api.enroll.settings import photo_key
from central_api.ingest.store import store_alarm
from central_api.metrics import STILLS_TOTAL
from central_api.models import AuditEntry, Role, Site, User
from central_api.security.auth import create_token, hash_password
from central_api.stills.ingest import ingest_still
from central_api.stills.purge import purge_expired_stills
from central_api.stills.tables import AlarmStill
from gate_protocol.messages import AlarmKind, AlarmRaised, new_id
from gate_protocol.stills import MAX_STILL_BYTES
from testkit.agent.stills import still_jpeg, still_payload, still_topic
from testkit.api.dashboard import login
from testkit.api.world import PASSWORD, World


def keep_stills(client: TestClient, world: World, site: str, keep: bool, days: int = 7) -> None:
    url = f"/dashboard/api/sites/{site}/alarm-stills"
    body = {"keep": keep, "retention_days": days}
    answer = client.post(url, json=body, headers=world.user(Role.ADMIN))
    assert answer.status_code == 200, answer.text


def still_url(alarm_id: str) -> str:
    return f"/dashboard/api/alarms/{alarm_id}/still"


def counted(outcome: str) -> float:
    value = STILLS_TOTAL.labels(outcome=outcome)._value.get()  # noqa: SLF001 (the counter)
    return float(value)


def send(engine: Engine, settings: Settings, topic: str, payload: bytes) -> str:
    return ingest_still(engine=engine, key=photo_key(settings), topic=topic, payload=payload)


def tailgating(engine: Engine, site: str, gate: str) -> str:
    with Session(engine, expire_on_commit=False) as session:
        alarm = raise_alarm(
            session=session, site_id=site, gate_id=gate, kind=AlarmKind.TAILGATING, detail="two"
        )
        session.commit()
    return alarm.alarm_id


def stills(engine: Engine) -> list[AlarmStill]:
    with Session(engine) as session:
        return list(session.exec(select(AlarmStill)).all())


def audits(engine: Engine, action: str) -> list[AuditEntry]:
    with Session(engine) as session:
        return list(session.exec(select(AuditEntry).where(AuditEntry.action == action)).all())


def test_a_site_that_keeps_no_stills_stores_none(
    client: TestClient, world: World, engine: Engine, settings: Settings
) -> None:
    alarm_id = tailgating(engine, world.site, world.gate)
    before = counted("dropped_site_off")
    payload = still_payload(alarm_id, still_jpeg())
    assert (
        send(engine, settings, still_topic(world.site, world.gate), payload) == "dropped_site_off"
    )
    assert counted("dropped_site_off") == before + 1
    assert stills(engine) == []
    with Session(engine) as session:
        site = session.get(Site, world.site)
        assert site is not None and site.keep_alarm_stills is False  # off by default
        assert site.still_retention_days == 7
    assert client.get(still_url(alarm_id), headers=world.user(Role.OPERATOR)).status_code == 404
    login(client, Role.OPERATOR)
    page = client.get(f"/dashboard/alarms/{alarm_id}").text
    assert "No camera still is kept for this alarm." in page and still_url(alarm_id) not in page


def test_a_kept_still_is_sealed_shown_to_operators_and_each_view_audited(
    client: TestClient, world: World, engine: Engine, settings: Settings
) -> None:
    keep_stills(client, world, world.site, True, days=3)
    jpeg = still_jpeg()
    # The still may come before its alarm row: stored by alarm id all the same.
    alarm_id = new_id()
    topic = still_topic(world.site, world.gate)
    assert send(engine, settings, topic, still_payload(alarm_id, jpeg)) == "stored"
    assert send(engine, settings, topic, still_payload(alarm_id, jpeg)) == "duplicate"
    [row] = stills(engine)
    assert jpeg not in row.ciphertext and row.size == len(jpeg)  # sealed at rest
    assert timedelta(days=3) - (row.expires_at - row.received_at) < timedelta(seconds=1)
    operator = world.user(Role.OPERATOR)
    assert client.get(still_url(alarm_id), headers=operator).status_code == 404  # no alarm yet
    with Session(engine, expire_on_commit=False) as session:
        alarm = AlarmRaised(alarm_id=alarm_id, alarm=AlarmKind.WATCHLIST, lane=0, at=utc_now())
        assert store_alarm(session=session, site_id=world.site, gate_id=world.gate, alarm=alarm)
        session.commit()
    for _ in range(2):
        shown = client.get(still_url(alarm_id), headers=operator)
        assert shown.status_code == 200 and shown.content == jpeg
        assert shown.headers["content-type"] == "image/jpeg"
        assert "no-store" in shown.headers["cache-control"]
    viewed = audits(engine, "alarm.still_viewed")
    assert [(a.actor, a.target) for a in viewed] == [
        ("user:operator-user", f"alarm:{alarm_id}")
    ] * 2
    for role in (Role.SECURITY_DESK, Role.AUTHORITY):
        assert client.get(still_url(alarm_id), headers=world.user(role)).status_code == 403
    assert len(audits(engine, "alarm.still_viewed")) == 2
    login(client, Role.OPERATOR)
    page = client.get(f"/dashboard/alarms/{alarm_id}").text
    assert f'src="{still_url(alarm_id)}"' in page
    assert "No camera still is kept for this alarm." not in page


def test_a_malformed_still_is_refused_and_changes_nothing(
    client: TestClient, world: World, engine: Engine, settings: Settings
) -> None:
    keep_stills(client, world, world.site, True)
    alarm_id, jpeg = new_id(), still_jpeg()
    here, unknown = still_topic(world.site, world.gate), still_topic(world.site, "no-such-gate")
    cases = [
        ("not_jpeg", here, still_payload(alarm_id, b"GIF89a" + jpeg)),
        ("bad_message", here, still_payload(alarm_id, jpeg + b"\0" * MAX_STILL_BYTES)),  # too big
        ("not_decodable", here, still_payload(alarm_id, jpeg[:40])),
        ("unknown_gate", unknown, still_payload(alarm_id, jpeg)),
        ("unknown_gate", still_topic(world.site, world.other_gate), still_payload(alarm_id, jpeg)),
        ("bad_message", here, still_payload(alarm_id, jpeg).replace(alarm_id.encode(), b"bad/id#")),
        ("bad_message", here, b"\xff\xd8\xff raw bytes, not a message"),
    ]
    for outcome, topic, payload in cases:
        before = counted(outcome)
        assert send(engine, settings, topic, payload) == outcome
        assert counted(outcome) == before + 1
    assert stills(engine) == []


def test_the_purge_removes_expired_stills_and_those_of_a_site_that_stopped(
    client: TestClient, world: World, engine: Engine, settings: Settings
) -> None:
    keep_stills(client, world, world.site, True, days=1)
    keep_stills(client, world, world.other_site, True, days=1)
    here = tailgating(engine, world.site, world.gate)
    there = tailgating(engine, world.other_site, world.other_gate)
    send(engine, settings, still_topic(world.site, world.gate), still_payload(here, still_jpeg()))
    other = still_topic(world.other_site, world.other_gate)
    assert send(engine, settings, other, still_payload(there, still_jpeg())) == "stored"
    with Session(engine) as session:
        assert purge_expired_stills(session=session) == 0
        assert len(stills(engine)) == 2
        # A day and a minute later the site's still has expired and is no longer shown.
        later = utc_now() + timedelta(days=1, minutes=1)
        keep_stills(client, world, world.other_site, False)  # stopped: its stills go at once
        assert client.get(still_url(there), headers=world.user(Role.OPERATOR)).status_code == 404
        assert purge_expired_stills(session=session) == 1
        assert [s.alarm_id for s in stills(engine)] == [here]
        assert purge_expired_stills(session=session, now=later) == 1
    assert stills(engine) == []
    assert [json.loads(a.after or "") for a in audits(engine, "still.purge")] == [
        {"stills": 1},
        {"stills": 1},
    ]


def test_only_admins_set_the_rule_and_bad_input_changes_nothing(
    client: TestClient, world: World, engine: Engine
) -> None:
    url = f"/dashboard/api/sites/{world.site}/alarm-stills"
    refused = client.post(url, json={"keep": True}, headers=world.user(Role.OPERATOR))
    assert refused.status_code == 403
    admin = world.user(Role.ADMIN)
    for body in ({"keep": "perhaps"}, {}, {"keep": True, "retention_days": 0}):
        assert client.post(url, json=body, headers=admin).status_code == 422
    too_long = client.post(url, json={"keep": True, "retention_days": 91}, headers=admin)
    assert too_long.status_code == 422 and "90" in too_long.text
    missing = client.post(
        "/dashboard/api/sites/no-site/alarm-stills", json={"keep": True}, headers=admin
    )
    assert missing.status_code == 404 and "not found" in missing.json()["detail"]
    with Session(engine) as session:
        assert all(not s.keep_alarm_stills for s in session.exec(select(Site)).all())
    assert audits(engine, "site.alarm_stills") == []
    keep_stills(client, world, world.site, True, days=14)
    [audit] = audits(engine, "site.alarm_stills")
    assert (
        json.loads(audit.after or "") == {"keep_alarm_stills": True, "days": 14}
        and audit.actor == "user:admin-user"
    )


def test_an_operator_of_another_site_gets_the_one_not_found_and_no_audit_row(
    client: TestClient, world: World, engine: Engine, settings: Settings
) -> None:
    keep_stills(client, world, world.site, True)
    alarm_id = tailgating(engine, world.site, world.gate)
    payload = still_payload(alarm_id, still_jpeg())
    assert send(engine, settings, still_topic(world.site, world.gate), payload) == "stored"
    with Session(engine, expire_on_commit=False) as session:
        elsewhere = User(
            username="other-site-operator",
            password_hash=hash_password(PASSWORD),
            role=Role.OPERATOR,
            site_id=world.other_site,
        )
        session.add(elsewhere)
        session.commit()
    token = create_token(settings=settings, user=elsewhere, minutes=5, purpose="access")
    answer = client.get(still_url(alarm_id), headers={"Authorization": f"Bearer {token}"})
    unknown = client.get(still_url(new_id()), headers=world.user(Role.OPERATOR))
    assert answer.status_code == unknown.status_code == 404
    assert answer.json() == unknown.json()  # the same answer as an alarm that does not exist
    assert audits(engine, "alarm.still_viewed") == []
    own = client.get(still_url(alarm_id), headers=world.user(Role.OPERATOR))
    assert own.status_code == 200  # the control: the still is there for its own site
