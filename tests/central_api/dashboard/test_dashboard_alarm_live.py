"""Alarms the API raises and acknowledgements reach every replica's live feed, once.

A replica tells the others on the site alarm topic after its commit and shows its own at
once through the local tap; the broker's echo of its own notice is dropped by alarm id.
(The two-replica run over a real broker is tests/integration/test_dashboard_replicas.py.)
"""

import json
from datetime import timedelta

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlmodel import Session, select

from central_api.alarms.raise_alarm import raise_alarm
from central_api.bus.mqtt import NullBus
from central_api.bus.notify import attach_bus
from central_api.dashboard.feed import LiveFeed
from central_api.dashboard.hub import LiveItem
from central_api.db import utc_now
from central_api.models import AuditEntry, Role
from gate_protocol.messages import (
    AlarmAcknowledged,
    AlarmKind,
    AlarmNotice,
    decode_message,
    encode_message,
    new_id,
)
from gate_protocol.topics import SiteAlarmTopic, build_topic
from testkit.api.dashboard import capture_live_items
from testkit.api.world import World


@pytest.fixture
def captured(app: FastAPI, client: TestClient, monkeypatch: pytest.MonkeyPatch) -> list[LiveItem]:
    return capture_live_items(app, monkeypatch)


def told(app: FastAPI, site: str) -> list[object]:
    bus: NullBus = app.state.bus
    wanted = build_topic(SiteAlarmTopic(site=site))
    return [decode_message(payload) for topic, payload, _ in bus.published if topic == wanted]


def test_a_raised_alarm_is_told_after_commit_and_streamed_once(
    app: FastAPI, world: World, engine: Engine, captured: list[LiveItem]
) -> None:
    feed: LiveFeed = app.state.dashboard.feed
    with Session(engine) as session:
        attach_bus(session, app.state.bus)
        alarm = raise_alarm(
            session=session,
            site_id=world.site,
            gate_id=world.gate,
            kind=AlarmKind.WATCHLIST,
            detail="watchlist hit at north-1",
            lane=1,
        )
        assert told(app, world.site) == []  # nothing before the commit
        session.commit()
        alarm_id = alarm.alarm_id
    notices = told(app, world.site)
    assert len(notices) == 1 and isinstance(notices[0], AlarmNotice)
    assert notices[0].alarm_id == alarm_id and notices[0].gate_id == world.gate
    assert feed.wait_idle(5.0)
    assert [item.channel for item in captured] == ["alarm"]
    view = json.loads(captured[0].text)
    assert view["alarm_id"] == alarm_id and view["kind"] == "watchlist" and view["lane"] == 1
    # The broker's echo of our own notice adds nothing.
    feed.handle(build_topic(SiteAlarmTopic(site=world.site)), encode_message(notices[0]))
    assert len(captured) == 1


def test_a_rolled_back_alarm_is_never_told(
    app: FastAPI, world: World, engine: Engine, captured: list[LiveItem]
) -> None:
    with Session(engine) as session:
        attach_bus(session, app.state.bus)
        raise_alarm(
            session=session, site_id=world.site, gate_id=None, kind=AlarmKind.FAULT, detail="x"
        )
        session.rollback()
    assert told(app, world.site) == []
    assert app.state.dashboard.feed.wait_idle(5.0) and captured == []


def test_sessions_without_a_bus_publish_through_the_apps(
    app: FastAPI, world: World, engine: Engine, captured: list[LiveItem]
) -> None:
    # The ingest thread's sessions carry no bus; its insider-pattern alarms are told too.
    with Session(engine) as session:
        raise_alarm(
            session=session,
            site_id=world.site,
            gate_id=world.gate,
            kind=AlarmKind.INSIDER_PATTERN,
            detail="5 denials for gate north-1 within 10 minutes",
        )
        session.commit()
    notices = told(app, world.site)
    assert [n.alarm for n in notices if isinstance(n, AlarmNotice)] == [AlarmKind.INSIDER_PATTERN]
    assert app.state.dashboard.feed.wait_idle(5.0)
    assert [item.channel for item in captured] == ["alarm"]


def test_an_acknowledgement_is_told_and_streamed_once(
    app: FastAPI, world: World, engine: Engine, client: TestClient, captured: list[LiveItem]
) -> None:
    with Session(engine) as session:
        alarm_id = raise_alarm(
            session=session, site_id=world.site, gate_id=world.gate, kind=AlarmKind.HELD, detail=""
        ).alarm_id
        session.commit()
    url = f"/api/v1/alarms/{alarm_id}/ack"
    answer = client.post(url, json={"comment": "guard sent"}, headers=world.user(Role.OPERATOR))
    assert answer.status_code == 200, answer.text
    acks = [m for m in told(app, world.site) if isinstance(m, AlarmAcknowledged)]
    assert len(acks) == 1 and acks[0].alarm_id == alarm_id
    assert acks[0].acknowledged_by == "operator-user" and acks[0].comment == "guard sent"
    again = client.post(url, json={"comment": "me too"}, headers=world.user(Role.ADMIN))
    assert again.status_code == 409 and "operator-user" in again.json()["detail"]
    assert len([m for m in told(app, world.site) if isinstance(m, AlarmAcknowledged)]) == 1
    feed: LiveFeed = app.state.dashboard.feed
    feed.handle(build_topic(SiteAlarmTopic(site=world.site)), encode_message(acks[0]))  # echo
    assert feed.wait_idle(5.0)
    assert [item.channel for item in captured] == ["alarm", "alarm_ack"]
    ack_view = json.loads(captured[1].text)
    assert ack_view == {
        "alarm_id": alarm_id,
        "site_id": world.site,
        "acknowledged_by": "operator-user",
        "acknowledged_at": acks[0].acknowledged_at.isoformat(),
        "ack_comment": "guard sent",
    }
    with Session(engine) as session:
        audit = session.exec(select(AuditEntry).where(AuditEntry.action == "alarm.ack")).all()
    assert [a.target for a in audit] == [f"alarm:{alarm_id}"]


def test_notices_about_unknown_gates_or_garbage_are_dropped(
    app: FastAPI, world: World, captured: list[LiveItem]
) -> None:
    feed: LiveFeed = app.state.dashboard.feed
    here = build_topic(SiteAlarmTopic(site=world.site))

    def notice(gate: str | None) -> bytes:
        return encode_message(
            AlarmNotice(alarm_id=new_id(), alarm=AlarmKind.WATCHLIST, gate_id=gate, at=utc_now())
        )

    feed.handle(here, notice("no-such-gate"))
    feed.handle(here, notice(world.other_gate))  # a gate of another site
    feed.handle(here, b"{not json")
    feed.handle(here, b'{"kind":"nope"}')
    assert captured == []
    feed.handle(here, notice(None))  # a site-wide alarm without a gate is fine
    feed.handle(build_topic(SiteAlarmTopic(site=world.other_site)), notice(world.other_gate))
    assert [item.channel for item in captured] == ["alarm", "alarm"]
    first = json.loads(captured[0].text)
    assert first["gate_id"] is None and first["site_id"] == world.site


def test_the_stored_alarm_and_the_live_one_look_alike(
    app: FastAPI, world: World, engine: Engine, client: TestClient, captured: list[LiveItem]
) -> None:
    with Session(engine) as session:
        raise_alarm(
            session=session,
            site_id=world.site,
            gate_id=world.gate,
            kind=AlarmKind.WATCHLIST,
            detail="d",
            at=utc_now() - timedelta(seconds=3),
        )
        session.commit()
    assert app.state.dashboard.feed.wait_idle(5.0)
    live_view = json.loads(captured[0].text)
    stored = client.get("/api/v1/alarms", headers=world.user(Role.OPERATOR)).json()
    assert len(stored) == 1
    snapshot = client.get("/dashboard/api/snapshot", headers=world.user(Role.OPERATOR)).json()
    (stored_view,) = snapshot["alarms"]
    assert set(live_view) == set(stored_view)
    assert {k: v for k, v in live_view.items() if k != "raised_at"} == {
        k: v for k, v in stored_view.items() if k != "raised_at"
    }
