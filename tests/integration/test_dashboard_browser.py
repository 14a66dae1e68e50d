"""The live dashboard in real headless Chromium, fed by a real mosquitto through the API.

One real API (uvicorn in a thread, SQLite in tmp) subscribes to a real broker; a simulated
gate agent publishes over MQTT with a retained status and a last will. The page must show
an AccessEvent within 1 s, let an operator acknowledge an alarm (audited), and turn the
gate's tile red within 10 s of the agent's connection dying. A screenshot is saved (path
printed; set PORTGATE_SCREENSHOT_DIR to keep it somewhere else too).
"""

import os
import shutil
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import paho.mqtt.client as mqtt
import pytest
import uvicorn
from paho.mqtt.enums import CallbackAPIVersion
from sqlmodel import Session, select

from central_api.alarms.raise_alarm import raise_alarm
from central_api.app import create_app
from central_api.config import Settings
from central_api.crud.people import create_person
from central_api.crud.sites import create_gate, create_site, create_zone
from central_api.db import make_engine, utc_now
from central_api.ingest.store import store_events
from central_api.models import (
    AuditEntry,
    Company,
    GateCreate,
    PersonCreate,
    Role,
    SiteCreate,
    User,
    ZoneCreate,
)
from central_api.security.auth import hash_password
from gate_protocol.messages import (
    AccessEvent,
    AlarmKind,
    AlarmRaised,
    CredentialKind,
    DecidedBy,
    Decision,
    Direction,
    DoorState,
    GateState,
    LatencyBreakdown,
    NodeState,
    NodeStatus,
    OpenCommand,
    decode_message,
    encode_message,
    new_id,
)
from gate_protocol.reasons import ReasonCode
from gate_protocol.records import PersonKind
from gate_protocol.topics import GateChannel, GateTopic, NodeKind, build_topic
from testkit.browser import chromium, log_in
from testkit.migrated_db import migrate_database
from testkit.mosquitto import MosquittoProcess, free_port

pytestmark = [pytest.mark.integration, pytest.mark.slow]

# What this file's browser is launched with besides testkit.browser's CHROMIUM_ARGS.
QUIET_ARGS = [
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
SITE, ZONE, GATE, GATE2 = "rtm", "quay", "north-1", "south-1"
PASSWORD = "correct-horse-battery"
XSS_NAME = '<img src=x id=pwned onerror="document.body.dataset.pwned=1">'


@dataclass
class Site:
    base_url: str
    engine: Any
    broker: MosquittoProcess
    people: dict[str, str]


def topic(channel: GateChannel, node: NodeKind | None = None, gate: str = GATE) -> str:
    return build_topic(GateTopic(site=SITE, gate=gate, channel=channel, node=node))


def seed(engine: Any) -> dict[str, str]:
    people: dict[str, str] = {}
    with Session(engine, expire_on_commit=False) as session:
        create_site(session=session, site_create=SiteCreate(id=SITE, name="Rotterdam"), actor="t")
        create_zone(
            session=session, zone_create=ZoneCreate(id=ZONE, site_id=SITE, name="Quay"), actor="t"
        )
        for gate_id in (GATE, GATE2):
            create_gate(
                session=session,
                gate_create=GateCreate(
                    id=gate_id, site_id=SITE, zone_id=ZONE, name=gate_id.title(), lanes=2
                ),
                actor="t",
            )
        for role in (Role.OPERATOR, Role.ADMIN):
            session.add(
                User(
                    username=f"{role.value}-user", password_hash=hash_password(PASSWORD), role=role
                )
            )
        company = Company(name="Quay Movers")
        session.add(company)
        session.commit()
        for key, name in (("ana", "Ana Costa"), ("xss", XSS_NAME)):
            person = create_person(
                session=session,
                person_create=PersonCreate(
                    display_name=name,
                    kind=PersonKind.CONTRACTOR,
                    company_id=company.id,
                    site_id=SITE,
                ),
                actor="t",
            )
            people[key] = person.id
        raise_alarm(
            session=session,
            site_id=SITE,
            gate_id=GATE2,
            kind=AlarmKind.HELD,
            detail="lane 0 held open 45 s",
        )
        # Ana walked in an hour ago: she is on the muster list.
        store_events(
            session=session,
            site_id=SITE,
            gate_id=GATE,
            events=[
                access_event(people["ana"], minutes_ago=60, decision=Decision.GRANTED, passed=True)
            ],
        )
        session.commit()
    return people


def access_event(
    person_id: str | None,
    *,
    minutes_ago: float = 0.0,
    decision: Decision = Decision.DENIED,
    passed: bool | None = None,
) -> AccessEvent:
    granted = decision is Decision.GRANTED
    return AccessEvent(
        event_id=new_id(),
        agent_seq=1,
        occurred_at=utc_now() - timedelta(minutes=minutes_ago),
        lane=1,
        direction=Direction.ENTRY,
        decision=decision,
        reason=ReasonCode.GRANTED if granted else ReasonCode.COMPETENCY_EXPIRED,
        reason_detail=None if granted else "ISPS",
        person_id=person_id,
        credential_kind=CredentialKind.BADGE,
        credential_ref="12345678",
        face_score=0.38,
        decided_by=DecidedBy.REPLICA,
        passed=passed,
        latency=LatencyBreakdown(total_ms=187.0),
    )


class FakeAgent:
    """A gate agent's MQTT side: retained online status, last will offline, events."""

    def __init__(self, port: int) -> None:
        self.client = mqtt.Client(
            CallbackAPIVersion.VERSION2, client_id=f"agent-{GATE}", protocol=mqtt.MQTTv311
        )
        will = NodeStatus(
            node=NodeKind.AGENT, state=NodeState.OFFLINE, version="test", since=utc_now()
        )
        status_topic = topic(GateChannel.STATUS, NodeKind.AGENT)
        self.client.will_set(status_topic, encode_message(will), qos=1, retain=True)
        self.commands: list[bytes] = []
        self.client.on_message = lambda client, userdata, msg: self.commands.append(msg.payload)
        self.client.connect("127.0.0.1", port, keepalive=30)
        self.client.subscribe(topic(GateChannel.CMD_OPEN), qos=1)
        self.client.loop_start()
        online = NodeStatus(
            node=NodeKind.AGENT,
            state=NodeState.ONLINE,
            version="test",
            replica_version=1,
            replica_synced_at=utc_now() - timedelta(minutes=3),
            since=utc_now(),
        )
        self.publish(status_topic, encode_message(online), retain=True)

    def publish(self, name: str, payload: bytes, *, retain: bool = False) -> None:
        self.client.publish(name, payload, qos=1, retain=retain).wait_for_publish(5)

    def crash(self) -> None:
        """Drop the TCP connection without DISCONNECT: the broker publishes the last will."""
        self.client.loop_stop()
        sock = self.client.socket()
        assert sock is not None
        sock.close()


@pytest.fixture
def site(mosquitto: MosquittoProcess, tmp_path: Path) -> Iterator[Site]:
    url = f"sqlite:///{tmp_path / 'portgate.db'}"
    migrate_database(url)
    engine = make_engine(url)
    people = seed(engine)
    settings = Settings(
        PORTGATE_DEV_MODE=True,
        DATABASE_URL=url,
        MQTT_URL=f"mqtt://127.0.0.1:{mosquitto.port}",
        PORTGATE_MQTT_CLIENT_ID=f"api-{new_id()[:8]}",
        PORTGATE_COOKIE_SECURE=False,
    )
    app = create_app(settings, engine=engine)
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 15
    while not server.started or not app.state.bus.connected:
        assert time.monotonic() < deadline, "API did not start"
        time.sleep(0.05)
    yield Site(base_url=f"http://127.0.0.1:{port}", engine=engine, broker=mosquitto, people=people)
    server.should_exit = True
    thread.join(10)
    engine.dispose()


@pytest.fixture
def browser() -> Iterator[Any]:
    """The conftest's browser, launched with `QUIET_ARGS` as well."""
    with chromium(*QUIET_ARGS) as launched:
        yield launched


def save_screenshot(page: Any, tmp_path: Path, name: str) -> Path:
    path = tmp_path / name
    page.screenshot(path=str(path), full_page=False)
    keep = os.environ.get("PORTGATE_SCREENSHOT_DIR")
    if keep:
        Path(keep).mkdir(parents=True, exist_ok=True)
        shutil.copy(path, Path(keep) / name)
    print(f"dashboard screenshot: {path}")  # noqa: T201 (the reviewer opens it)
    return path


def test_live_dashboard_in_chromium(site: Site, browser: Any, tmp_path: Path) -> None:
    context = browser.new_context(viewport={"width": 1366, "height": 768})
    page = context.new_page()
    problems: list[str] = []
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: problems.append(str(e)))

    # Anonymous: the 401 page's Refresh header sends the browser to the login form.
    log_in(page, site.base_url, "operator-user", PASSWORD, via_redirect=True)
    page.wait_for_selector("#conn-state[data-state=live]", timeout=5000)

    agent = FakeAgent(site.broker.port)
    agent.publish(
        topic(GateChannel.STATE),
        encode_message(GateState(door=DoorState.CLOSED, at=utc_now())),
        retain=True,
    )
    tile = f'.tile[data-gate-id="{GATE}"]'
    page.wait_for_selector(f"{tile}.tile-online", timeout=5000)
    assert "door closed" in page.inner_text(tile)
    # The replica's age in time, as the gate's offline max-age rule (24 h here) counts it.
    assert "replica v1 · 3 min old" in page.inner_text(f"{tile} .tile-replica")
    assert page.get_attribute(f"{tile} .tile-replica", "data-replica-state") == "current"

    # An event published over MQTT is on the page within 1 s (no reload).
    event = access_event(site.people["ana"])
    agent.publish(topic(GateChannel.EVENT), encode_message(event))
    row = page.wait_for_selector(f'li[data-event-id="{event.event_id}"]', timeout=1000)
    text = row.inner_text()
    assert "Ana Costa" in text and "Quay Movers" in text
    assert "A required competency is missing or expired: ISPS." in text
    assert "offline replica" in text and "187 ms" in text and "0.38" in text
    assert "12345678" not in page.content()  # badge numbers never reach the page
    assert "ev-denied" in (row.get_attribute("class") or "")
    assert page.eval_on_selector("#event-list li", "el => el.dataset.eventId") == event.event_id

    # Text from the database is text: a name full of HTML is shown, never run.
    hostile = access_event(site.people["xss"], decision=Decision.GRANTED)
    agent.publish(topic(GateChannel.EVENT), encode_message(hostile))
    hostile_row = page.wait_for_selector(f'li[data-event-id="{hostile.event_id}"]', timeout=2000)
    assert XSS_NAME in hostile_row.inner_text()
    assert page.query_selector("#pwned") is None
    assert page.evaluate("document.body.dataset.pwned") is None

    # Filters: only denied events, then back to all.
    page.select_option("#filter-decision", "denied")
    page.wait_for_selector(f'li[data-event-id="{hostile.event_id}"]', state="detached")
    assert page.query_selector(f'li[data-event-id="{event.event_id}"]') is not None
    page.select_option("#filter-decision", "")
    page.wait_for_selector(f'li[data-event-id="{hostile.event_id}"]')

    # A live alarm adds to the stored one; the header count and its cue follow.
    alarm = AlarmRaised(alarm_id=new_id(), alarm=AlarmKind.FORCED, lane=0, at=utc_now())
    agent.publish(topic(GateChannel.ALARM), encode_message(alarm))
    page.wait_for_selector(f'li[data-alarm-id="{alarm.alarm_id}"]', timeout=2000)
    assert page.inner_text("#alarm-count") == "2"
    assert "hot" in (page.get_attribute("#alarm-badge", "class") or "")
    save_screenshot(page, tmp_path, "dashboard.png")

    item = f'li[data-alarm-id="{alarm.alarm_id}"]'
    page.fill(f"{item} input[name=comment]", "guard checked: door closed again")
    page.click(f"{item} button[type=submit]")
    page.wait_for_selector(item, state="detached", timeout=5000)
    assert page.inner_text("#alarm-count") == "1"
    with Session(site.engine) as session:
        audit = session.exec(select(AuditEntry).where(AuditEntry.action == "alarm.ack")).all()
    assert [a.target for a in audit] == [f"alarm:{alarm.alarm_id}"]
    assert audit[0].actor == "user:operator-user" and "guard checked" in (audit[0].after or "")

    # Remote open with a reason, from the gate's tile: the bridge's topic gets the command.
    page.click(f"{tile} .tile-open")
    assert page.input_value("#open-gate") == GATE
    page.fill("#open-reason", "driver's badge damaged, identity checked by phone")
    page.click("#open-form button[type=submit]")
    page.wait_for_selector("#open-result.ok", timeout=5000)
    assert "Open command sent" in page.inner_text("#open-result")
    deadline = time.monotonic() + 5
    while not agent.commands and time.monotonic() < deadline:
        time.sleep(0.05)
    command = decode_message(agent.commands[0], OpenCommand)
    assert isinstance(command, OpenCommand) and command.issued_by == "operator-user"
    assert command.reason == "driver's badge damaged, identity checked by phone"
    assert "Only admins" in page.inner_text("#threat-panel")
    save_screenshot(page, tmp_path, "dashboard-control.png")
    page.click("[data-tab=live]")

    # The agent's connection dies without a goodbye: its tile is red within 10 s.
    agent.crash()
    page.wait_for_selector(f"{tile}.tile-offline", timeout=10_000)
    assert "OFFLINE" in page.inner_text(tile)

    # Muster list and charts render from the same data, without reloads.
    page.click("[data-tab=muster]")
    page.wait_for_selector('.muster-zone[data-zone-id="quay"]', timeout=5000)
    assert "Ana Costa" in page.inner_text("#muster-zones")
    save_screenshot(page, tmp_path, "dashboard-muster.png")
    page.click("[data-tab=charts]")
    page.wait_for_selector("#chart-rate svg polyline", timeout=5000)
    page.wait_for_selector("#chart-denials svg rect.bar", timeout=5000)
    save_screenshot(page, tmp_path, "dashboard-charts.png")
    page.click("[data-tab=live]")
    save_screenshot(page, tmp_path, "dashboard-offline.png")

    # An admin switches the threat level; the operator's open page follows live.
    admin_context = browser.new_context(viewport={"width": 1366, "height": 768})
    admin = admin_context.new_page()
    admin.goto(site.base_url + "/login?next=/dashboard")
    admin.fill("input[name=username]", "admin-user")
    admin.fill("input[name=password]", PASSWORD)
    admin.click("button[type=submit]")
    admin.wait_for_selector("#conn-state[data-state=live]", timeout=5000)
    admin.click("[data-tab=control]")
    admin.select_option(f'#threat-sites li[data-site-id="{SITE}"] select', "2")
    admin.click(f'#threat-sites li[data-site-id="{SITE}"] button')
    page.wait_for_selector('#threat-badge[data-level="2"]', timeout=5000)
    # Logging out posts with the CSRF token and ends the session on the server: the cookie
    # the browser had no longer works, even sent again by hand.
    cookie = next(c for c in admin_context.cookies() if c["name"] == "portgate_session")
    admin.click(".pg-logout button")
    admin.wait_for_url("**/login", timeout=5000)
    again = admin_context.request.get(
        site.base_url + "/api/v1/auth/me",
        headers={"Cookie": f"portgate_session={cookie['value']}"},
    )
    assert again.status == 401
    admin_context.close()

    assert not [p for p in problems if "Content Security Policy" in p or "Refused" in p]
    assert not [p for p in problems if "Uncaught" in p], problems
    context.close()
