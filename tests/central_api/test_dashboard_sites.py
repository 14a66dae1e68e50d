"""The dashboard shows and acts on the viewer's site only; a site-wide admin sees them all.

Two sites: A (the world's ``rtm``, gates north-1 and south-1) and B (``ams``, gate ams-1).
An operator bound to A, an operator and a site admin bound to B, and the world's site-wide
admin. The JSON routes (tiles, events, alarms, muster and its CSV, charts, snapshot) and
the actions (acknowledge, remote open, approve, threat level) run on SQLite and PostgreSQL;
the live stream runs over a real mosquitto: what happens at A reaches A's operator and the
admin, and never B's operator, whose stream does get B's own later event.
"""

import json
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import paho.mqtt.client as mqtt
import pytest
import uvicorn
from api_world import PASSWORD, World
from fastapi import FastAPI
from fastapi.testclient import TestClient
from mosquitto_fixture import MosquittoProcess, free_port, mosquitto_available, start_mosquitto
from paho.mqtt.enums import CallbackAPIVersion
from sqlalchemy import Engine
from sqlmodel import Session, select

from central_api.auth import create_token, hash_password
from central_api.config import Settings
from central_api.crud.people import create_person
from central_api.crud.sites import create_gate, create_site, create_zone
from central_api.dashboard.hub import LiveItem
from central_api.dashboard.state import DashboardState
from central_api.db import make_engine, utc_now
from central_api.ingest import store_events
from central_api.migrate import upgrade_database
from central_api.models import (
    Alarm,
    GateCreate,
    OpenRequest,
    PersonCreate,
    Role,
    Site,
    SiteCreate,
    User,
    ZoneCreate,
)
from central_api.raise_alarm import raise_alarm
from gate_protocol.messages import (
    AccessEvent,
    AlarmKind,
    AlarmRaised,
    CredentialKind,
    DecidedBy,
    Decision,
    Direction,
    encode_message,
    new_id,
)
from gate_protocol.reasons import ReasonCode
from gate_protocol.records import PersonKind
from gate_protocol.topics import GateChannel, GateTopic, build_topic

A_NAME, B_NAME = "Alma Site-A", "Bram Site-B"
A_DETAIL = "door forced at site A north-1"


def headers_of(settings: Settings, user: User) -> dict[str, str]:
    token = create_token(settings=settings, user=user, minutes=5, purpose="access")
    return {"Authorization": f"Bearer {token}"}


def add_user(engine: Engine, username: str, role: Role, site: str | None) -> User:
    with Session(engine, expire_on_commit=False) as session:
        user = User(
            username=username, password_hash=hash_password(PASSWORD), role=role, site_id=site
        )
        session.add(user)
        session.commit()
        return user


def access_event(
    person_id: str | None,
    *,
    decision: Decision = Decision.GRANTED,
    minutes_ago: float = 0.5,
) -> AccessEvent:
    granted = decision is Decision.GRANTED
    return AccessEvent(
        event_id=new_id(),
        agent_seq=1,
        occurred_at=utc_now() - timedelta(minutes=minutes_ago),
        lane=0,
        direction=Direction.ENTRY,
        decision=decision,
        reason=ReasonCode.GRANTED if granted else ReasonCode.COMPETENCY_EXPIRED,
        person_id=person_id,
        credential_kind=CredentialKind.BADGE,
        decided_by=DecidedBy.CENTRAL,
        passed=True if granted else None,
    )


def add_person(session: Session, site: str, name: str) -> str:
    person = create_person(
        session=session,
        person_create=PersonCreate(display_name=name, kind=PersonKind.CONTRACTOR, site_id=site),
        actor="test",
    )
    return person.id


@dataclass
class Viewers:
    """Request headers of the users who look at the dashboard."""

    a_operator: dict[str, str]
    b_operator: dict[str, str]
    b_admin: dict[str, str]
    admin: dict[str, str]


@dataclass
class SiteData:
    """What happened at each site: ids the other site must never see."""

    a_person: str
    b_person: str
    a_alarm: str
    a_events: list[str]
    b_event: str


@pytest.fixture
def viewers(world: World, engine: Engine, settings: Settings) -> Viewers:
    return Viewers(
        a_operator=headers_of(settings, add_user(engine, "op-a", Role.OPERATOR, world.site)),
        b_operator=headers_of(settings, add_user(engine, "op-b", Role.OPERATOR, world.other_site)),
        b_admin=headers_of(settings, add_user(engine, "admin-b", Role.ADMIN, world.other_site)),
        admin=world.user(Role.ADMIN),
    )


@pytest.fixture
def data(world: World, engine: Engine) -> SiteData:
    """A passage and a denial at A (muster, charts, tiles), an open alarm at A; one passage at B."""
    with Session(engine, expire_on_commit=False) as session:
        a_person = add_person(session, world.site, A_NAME)
        b_person = add_person(session, world.other_site, B_NAME)
        a_events = [access_event(a_person), access_event(a_person, decision=Decision.DENIED)]
        store_events(session=session, site_id=world.site, gate_id=world.gate, events=a_events)
        b_event = access_event(b_person)
        store_events(
            session=session, site_id=world.other_site, gate_id=world.other_gate, events=[b_event]
        )
        alarm = raise_alarm(
            session=session,
            site_id=world.site,
            gate_id=world.gate,
            kind=AlarmKind.FORCED,
            detail=A_DETAIL,
        )
        session.commit()
        return SiteData(
            a_person=a_person,
            b_person=b_person,
            a_alarm=alarm.alarm_id,
            a_events=[e.event_id for e in a_events],
            b_event=b_event.event_id,
        )


def secrets_of_a(world: World, data: SiteData) -> list[str]:
    return [
        world.gate,
        world.gate2,
        A_NAME,
        A_DETAIL,
        data.a_person,
        data.a_alarm,
        *data.a_events,
        f'"{world.site}"',
    ]


def get(client: TestClient, path: str, headers: dict[str, str]) -> httpx.Response:
    answer = client.get(path, headers=headers)
    assert answer.status_code == 200, f"{path}: {answer.status_code} {answer.text}"
    return answer


READ_PATHS = (
    "/dashboard/api/snapshot",
    "/dashboard/api/gates",
    "/dashboard/api/events",
    "/dashboard/api/events?gate_id=north-1",
    "/dashboard/api/events?person=Alma",
    "/dashboard/api/alarms",
    "/dashboard/api/muster",
    "/dashboard/api/muster?site_id=rtm",
    "/dashboard/api/muster.csv",
    "/dashboard/api/muster.csv?site_id=rtm",
    "/dashboard/api/charts",
    "/dashboard/api/charts?hours=1",
)


def test_site_b_reads_nothing_of_site_a(
    client: TestClient, world: World, viewers: Viewers, data: SiteData
) -> None:
    secrets = secrets_of_a(world, data)
    for path in READ_PATHS:
        text = get(client, path, viewers.b_operator).text
        for secret in secrets:
            assert secret not in text, f"{path} shows site B's operator {secret}"
    # B's own site is there: the filter is by site, not "nothing at all".
    snapshot = get(client, "/dashboard/api/snapshot", viewers.b_operator).json()
    assert [g["gate_id"] for g in snapshot["gates"]] == [world.other_gate]
    assert [e["event_id"] for e in snapshot["events"]] == [data.b_event]
    assert snapshot["alarms"] == [] and snapshot["unacknowledged"] == 0
    assert [s["site_id"] for s in snapshot["sites"]] == [world.other_site]
    (tile,) = get(client, "/dashboard/api/gates", viewers.b_operator).json()
    assert tile["gate_id"] == world.other_gate and tile["events_per_minute"] == 1
    muster = get(client, "/dashboard/api/muster", viewers.b_operator).json()
    assert [m["display_name"] for m in muster] == [B_NAME]
    assert B_NAME in get(client, "/dashboard/api/muster.csv", viewers.b_operator).text
    charts = get(client, "/dashboard/api/charts", viewers.b_operator).json()
    series = charts["events_per_minute"]["series"]
    assert [s["gate_id"] for s in series] == [world.other_gate]
    assert sum(series[0]["counts"]) == 1
    assert charts["denials_by_reason"] == []  # A's denial is not B's
    assert snapshot["user"]["site_id"] == world.other_site


def test_site_a_and_the_site_wide_admin_see_site_a(
    client: TestClient, world: World, viewers: Viewers, data: SiteData
) -> None:
    # B's operator is the first to look: the board every user shares is seeded for all sites.
    get(client, "/dashboard/api/gates", viewers.b_operator)
    mine = get(client, "/dashboard/api/snapshot", viewers.a_operator).json()
    assert [g["gate_id"] for g in mine["gates"]] == [world.gate, world.gate2]
    north = mine["gates"][0]
    assert north["events_per_minute"] == 2
    assert north["last_event"]["event_id"] in data.a_events
    assert {e["event_id"] for e in mine["events"]} == set(data.a_events)
    assert [a["alarm_id"] for a in mine["alarms"]] == [data.a_alarm]
    assert mine["unacknowledged"] == 1
    charts = get(client, "/dashboard/api/charts", viewers.a_operator).json()
    assert [d["count"] for d in charts["denials_by_reason"]] == [1]
    muster = get(client, "/dashboard/api/muster", viewers.a_operator).json()
    assert [m["display_name"] for m in muster] == [A_NAME]

    every = get(client, "/dashboard/api/snapshot", viewers.admin).json()
    assert {g["gate_id"] for g in every["gates"]} == {world.gate, world.gate2, world.other_gate}
    assert {e["event_id"] for e in every["events"]} == {*data.a_events, data.b_event}
    assert every["unacknowledged"] == 1
    muster = get(client, "/dashboard/api/muster", viewers.admin).json()
    assert sorted(m["display_name"] for m in muster) == [A_NAME, B_NAME]
    charts = get(client, "/dashboard/api/charts", viewers.admin).json()
    gates = [s["gate_id"] for s in charts["events_per_minute"]["series"]]
    assert gates == sorted([world.gate, world.other_gate])
    # A site-bound user's request never shrinks the board the other users share.
    get(client, "/dashboard/api/gates", viewers.b_operator)
    assert len(get(client, "/dashboard/api/gates", viewers.admin).json()) == 3


@pytest.fixture
def told(app: FastAPI, monkeypatch: pytest.MonkeyPatch) -> list[LiveItem]:
    """What the dashboard's actions hand to the live hub."""
    items: list[LiveItem] = []
    live: DashboardState = app.state.dashboard
    monkeypatch.setattr(live.hub, "publish", items.append)
    return items


def test_site_b_cannot_act_on_site_a(
    client: TestClient,
    app: FastAPI,
    world: World,
    engine: Engine,
    viewers: Viewers,
    data: SiteData,
    told: list[LiveItem],
) -> None:
    feed = app.state.dashboard.feed

    def actions_told() -> list[tuple[str, str | None]]:
        # Alarms and acknowledgements reach the hub through the feed thread, later.
        return [(i.channel, i.site_id) for i in told if i.channel in ("open", "threat")]

    with Session(engine) as session:
        site_a = session.get(Site, world.site)
        assert site_a is not None
        site_a.four_eyes_open = True  # so A's remote open waits for a second operator
        session.add(site_a)
        session.commit()
    pending = client.post(
        f"/dashboard/api/gates/{world.gate}/open",
        headers=viewers.a_operator,
        json={"lane": 0, "reason": "truck stuck at the barrier"},
    )
    assert pending.status_code == 202, pending.text
    request_id = pending.json()["id"]
    assert actions_told() == [("open", world.site)]
    b_view = get(client, "/dashboard/api/alarms", viewers.b_operator).json()
    assert b_view["open_requests"] == [] and b_view["alarms"] == []
    a_view = get(client, "/dashboard/api/alarms", viewers.a_operator).json()
    assert [r["id"] for r in a_view["open_requests"]] == [request_id]
    assert a_view["open_requests"][0]["site_id"] == world.site
    told.clear()

    refused = [
        (f"/dashboard/api/alarms/{data.a_alarm}/ack", viewers.b_operator, {"comment": "not mine"}),
        (f"/dashboard/api/alarms/{data.a_alarm}/ack", viewers.b_admin, {"comment": "not mine"}),
        (
            f"/dashboard/api/gates/{world.gate}/open",
            viewers.b_operator,
            {"lane": 0, "reason": "let me in"},
        ),
        (f"/dashboard/api/open-requests/{request_id}/approve", viewers.b_operator, None),
        (f"/dashboard/api/open-requests/{request_id}/approve", viewers.b_admin, None),
        (f"/dashboard/api/sites/{world.site}/threat-level", viewers.b_admin, {"level": 3}),
        (f"/dashboard/api/sites/{world.site}/threat-level", viewers.b_operator, {"level": 3}),
    ]
    for path, headers, body in refused:
        answer = client.post(path, headers=headers, json=body)
        assert answer.status_code in (403, 404), f"{path}: {answer.status_code} {answer.text}"
        assert A_DETAIL not in answer.text
    assert feed.wait_idle(5.0)
    assert told == []
    with Session(engine) as session:
        alarm = session.exec(select(Alarm).where(Alarm.alarm_id == data.a_alarm)).one()
        assert alarm.acknowledged_at is None
        requests = session.exec(select(OpenRequest)).all()
        assert [(r.id, r.status, r.approved_by) for r in requests] == [
            (request_id, "pending", None)
        ]
        assert session.get(Site, world.site).threat_level == 1  # type: ignore[union-attr]

    # The same users act on their own site, and only that site's streams are told.
    own = client.post(
        f"/dashboard/api/sites/{world.other_site}/threat-level",
        headers=viewers.b_admin,
        json={"level": 2},
    )
    assert own.status_code == 200, own.text
    assert actions_told() == [("threat", world.other_site)]
    acked = client.post(
        f"/dashboard/api/alarms/{data.a_alarm}/ack",
        headers=viewers.a_operator,
        json={"comment": "guard sent"},
    )
    assert acked.status_code == 200, acked.text
    approved = client.post(
        f"/dashboard/api/open-requests/{request_id}/approve", headers=viewers.admin
    )
    assert approved.status_code == 200 and approved.json()["status"] == "issued", approved.text
    assert actions_told()[-1] == ("open", world.site)
    assert feed.wait_idle(5.0)
    acks = [i.site_id for i in told if i.channel == "alarm_ack"]
    assert acks == [world.site]
    # Not even whether A's request exists or what became of it (404, not "already issued").
    again = client.post(
        f"/dashboard/api/open-requests/{request_id}/approve", headers=viewers.b_operator
    )
    assert again.status_code == 404, again.text


# --- the live stream over a real mosquitto ------------------------------------------------

SITE_A, SITE_B = "rtm", "ams"
GATE_A, GATE_B = "north-1", "ams-1"
LIVE_WAIT_S = 5.0  # generous under load; delivery is usually well under 100 ms


@dataclass
class SseClient:
    """Reads one user's live stream in a thread; keeps (channel, data) in arrival order."""

    base_url: str
    username: str
    headers: dict[str, str]
    items: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    _cond: threading.Condition = field(default_factory=threading.Condition)
    _stop: threading.Event = field(default_factory=threading.Event)
    _response: httpx.Response | None = None

    def start(self) -> "SseClient":
        threading.Thread(target=self._run, daemon=True).start()
        assert self.wait_until(("hello", "user", self.username)), "no hello"
        return self

    def _run(self) -> None:
        try:
            with httpx.stream(
                "GET", self.base_url + "/dashboard/api/stream", headers=self.headers, timeout=30
            ) as response:
                self._response = response
                channel = ""
                for line in response.iter_lines():
                    if line.startswith("event: "):
                        channel = line[7:]
                    elif line.startswith("data: "):
                        with self._cond:
                            self.items.append((channel, json.loads(line[6:])))
                            self._cond.notify_all()
        except httpx.HTTPError:
            if not self._stop.is_set():
                raise

    def wait_until(self, *wanted: tuple[str, str, str]) -> bool:
        """Wait until an item of each (channel, key, value) has arrived."""

        def arrived() -> bool:
            return all(self.has(*want) for want in wanted)

        deadline = time.monotonic() + LIVE_WAIT_S
        with self._cond:
            while not arrived():
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self._cond.wait(left)
        return True

    def has(self, channel: str, key: str, value: str) -> bool:
        with self._cond:
            return any(c == channel and d.get(key) == value for c, d in self.items)

    def close(self) -> None:
        self._stop.set()
        if self._response is not None:
            self._response.close()


@dataclass
class LiveSites:
    base_url: str
    settings: Settings
    engine: Engine
    publisher: mqtt.Client
    users: dict[str, dict[str, str]]


def seed_two_sites(engine: Engine, settings: Settings) -> dict[str, dict[str, str]]:
    users: dict[str, dict[str, str]] = {}
    with Session(engine, expire_on_commit=False) as session:
        for site, gate in ((SITE_A, GATE_A), (SITE_B, GATE_B)):
            zone = f"{site}-quay"
            create_site(session=session, site_create=SiteCreate(id=site, name=site), actor="t")
            create_zone(
                session=session, zone_create=ZoneCreate(id=zone, site_id=site, name=zone), actor="t"
            )
            create_gate(
                session=session,
                gate_create=GateCreate(id=gate, site_id=site, zone_id=zone, lanes=2),
                actor="t",
            )
    for name, role, site in (
        ("op-a", Role.OPERATOR, SITE_A),
        ("op-b", Role.OPERATOR, SITE_B),
        ("admin", Role.ADMIN, None),
    ):
        users[name] = headers_of(settings, add_user(engine, name, role, site))
    return users


@pytest.fixture
def live_sites(tmp_path: Path) -> Iterator[LiveSites]:
    if not mosquitto_available():
        pytest.skip("mosquitto is not installed (apt-get install mosquitto)")
    broker: MosquittoProcess = start_mosquitto(tmp_path)
    url = f"sqlite:///{tmp_path / 'portgate.db'}"
    upgrade_database(url)
    engine = make_engine(url)
    settings = Settings(
        PORTGATE_DEV_MODE=True,
        DATABASE_URL=url,
        MQTT_URL=f"mqtt://127.0.0.1:{broker.port}",
        PORTGATE_MQTT_CLIENT_ID=f"api-{new_id()[:8]}",
        PORTGATE_COOKIE_SECURE=False,
    )
    users = seed_two_sites(engine, settings)
    from central_api.app import create_app

    app = create_app(settings, engine=engine)
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(
            app,
            host="127.0.0.1",
            port=port,
            log_level="warning",
            lifespan="on",
            timeout_graceful_shutdown=1,
        )
    )
    thread = threading.Thread(target=server.run, daemon=True, name="api-two-sites")
    thread.start()
    publisher = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=f"gates-{new_id()[:8]}")
    try:
        deadline = time.monotonic() + 15
        while not server.started or not app.state.bus.connected:
            assert time.monotonic() < deadline, "API did not start"
            time.sleep(0.05)
        time.sleep(0.3)  # the SUBACKs follow the CONNACK
        publisher.connect("127.0.0.1", broker.port, keepalive=30)
        publisher.loop_start()
        yield LiveSites(f"http://127.0.0.1:{port}", settings, engine, publisher, users)
    finally:
        publisher.loop_stop()
        publisher.disconnect()
        server.should_exit = True
        thread.join(10)
        engine.dispose()
        broker.stop(timeout_s=5)


def publish(sites: LiveSites, site: str, gate: str, channel: GateChannel, payload: bytes) -> None:
    topic = build_topic(GateTopic(site=site, gate=gate, channel=channel))
    sites.publisher.publish(topic, payload, qos=1).wait_for_publish(5)


@pytest.mark.integration
def test_the_live_stream_carries_only_the_viewers_site(live_sites: LiveSites) -> None:
    streams = {
        name: SseClient(live_sites.base_url, name, headers).start()
        for name, headers in live_sites.users.items()
    }
    try:
        a_event = access_event(None)
        publish(live_sites, SITE_A, GATE_A, GateChannel.EVENT, encode_message(a_event))
        a_alarm = AlarmRaised(
            alarm_id=new_id(), alarm=AlarmKind.FORCED, lane=0, at=utc_now(), detail=A_DETAIL
        )
        publish(live_sites, SITE_A, GATE_A, GateChannel.ALARM, encode_message(a_alarm))
        for name in ("op-a", "admin"):
            assert streams[name].wait_until(
                ("event", "event_id", a_event.event_id),
                ("alarm", "alarm_id", a_alarm.alarm_id),
                ("gate", "gate_id", GATE_A),
            ), f"{name} did not get site A's event, alarm and tile: {streams[name].items}"

        # A's operator acknowledges (once the ingest has stored the alarm): told live to A.
        answer: httpx.Response | None = None
        deadline = time.monotonic() + LIVE_WAIT_S
        while answer is None or answer.status_code == 404 and time.monotonic() < deadline:
            time.sleep(0.05)
            answer = httpx.post(
                f"{live_sites.base_url}/api/v1/alarms/{a_alarm.alarm_id}/ack",
                json={"comment": "guard sent"},
                headers=live_sites.users["op-a"],
                timeout=10,
            )
        assert answer.status_code == 200, answer.text
        for name in ("op-a", "admin"):
            assert streams[name].wait_until(("alarm_ack", "alarm_id", a_alarm.alarm_id)), name

        # Then something at B: B's operator gets it, so anything of A would have come first.
        b_event = access_event(None)
        publish(live_sites, SITE_B, GATE_B, GateChannel.EVENT, encode_message(b_event))
        for name in ("op-b", "admin"):
            assert streams[name].wait_until(
                ("event", "event_id", b_event.event_id), ("gate", "gate_id", GATE_B)
            ), f"{name} did not get site B's event and tile: {streams[name].items}"
        assert not streams["op-a"].has("event", "event_id", b_event.event_id)
        b_items = [(c, d) for c, d in streams["op-b"].items if c != "hello"]
        assert {c for c, _ in b_items} == {"event", "gate"}
        assert all(d["site_id"] == SITE_B for _, d in b_items), b_items
        b_text = json.dumps(b_items)
        for secret in (a_event.event_id, a_alarm.alarm_id, A_DETAIL, GATE_A):
            assert secret not in b_text
    finally:
        for stream in streams.values():
            stream.close()
