"""Two API replicas, one database, one real mosquitto: alarms and acks are live on both.

Replica A raises an insider-pattern alarm (an agent posts an event outside the person's
schedule to A) and an operator acknowledges it on A; an SSE client of replica B must get
both within about 1 s (waited for, with a timeout), and a client of A must get each exactly
once (A shows its own at once and drops the broker's echo). In real headless Chromium the
header's unacknowledged count on B's page follows live. Latencies are printed.
"""

import json
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn
from sqlmodel import Session

from central_api.app import create_app
from central_api.config import Settings
from central_api.crud.people import create_person
from central_api.crud.sites import create_gate, create_site, create_zone
from central_api.db import make_engine, utc_now
from central_api.models import GateCreate, PersonCreate, Role, SiteCreate, User, ZoneCreate
from central_api.security.auth import hash_password
from gate_protocol.messages import (
    AccessEvent,
    CredentialKind,
    DecidedBy,
    Decision,
    Direction,
    new_id,
)
from gate_protocol.reasons import ReasonCode
from gate_protocol.records import PersonKind
from testkit.migrated_db import migrate_database
from testkit.mosquitto import MosquittoProcess, free_port

pytestmark = [pytest.mark.integration, pytest.mark.slow]

SITE, ZONE, GATE = "rtm", "quay", "north-1"
PASSWORD = "correct-horse-battery"
SECRET = "replica-shared-secret-0123456789-abcdefghijklmnop"
LIVE_WAIT_S = 1.0
BROWSER_WAIT_MS = 5000  # generous under load; polling is off, so only the stream can do it
NO_POLLING = """
const plainSetInterval = window.setInterval;
window.setInterval = (fn, ms, ...args) => (ms >= 10000 ? 0 : plainSetInterval(fn, ms, ...args));
"""


@dataclass
class Replica:
    name: str
    base_url: str
    app: Any
    server: uvicorn.Server
    thread: threading.Thread


@dataclass
class Cluster:
    a: Replica
    b: Replica
    gate_key: str
    person_id: str


def seed(url: str) -> tuple[str, str]:
    engine = make_engine(url)
    with Session(engine, expire_on_commit=False) as session:
        create_site(session=session, site_create=SiteCreate(id=SITE, name="Rotterdam"), actor="t")
        create_zone(
            session=session, zone_create=ZoneCreate(id=ZONE, site_id=SITE, name="Quay"), actor="t"
        )
        _, key = create_gate(
            session=session,
            gate_create=GateCreate(id=GATE, site_id=SITE, zone_id=ZONE, name="North", lanes=2),
            actor="t",
        )
        session.add(
            User(
                username="operator-user", password_hash=hash_password(PASSWORD), role=Role.OPERATOR
            )
        )
        session.commit()
        person = create_person(
            session=session,
            person_create=PersonCreate(
                display_name="Ana Costa", kind=PersonKind.CONTRACTOR, site_id=SITE
            ),
            actor="t",
        )
        person_id = person.id
    engine.dispose()
    return key, person_id


def start_replica(name: str, url: str, broker: MosquittoProcess) -> Replica:
    settings = Settings(
        PORTGATE_DEV_MODE=True,
        DATABASE_URL=url,
        MQTT_URL=f"mqtt://127.0.0.1:{broker.port}",
        PORTGATE_MQTT_CLIENT_ID=f"api-{name}-{new_id()[:8]}",
        PORTGATE_SITE=SITE,
        PORTGATE_SECRET_KEY=SECRET,
        PORTGATE_COOKIE_SECURE=False,
    )
    app = create_app(settings, engine=make_engine(url))  # each replica its own engine
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(
            app,
            host="127.0.0.1",
            port=port,
            log_level="warning",
            lifespan="on",
            timeout_graceful_shutdown=1,  # open live streams end at their next heartbeat only
        )
    )
    thread = threading.Thread(target=server.run, daemon=True, name=f"replica-{name}")
    thread.start()
    return Replica(name, f"http://127.0.0.1:{port}", app, server, thread)


@pytest.fixture
def cluster(mosquitto: MosquittoProcess, tmp_path: Path) -> Iterator[Cluster]:
    url = f"sqlite:///{tmp_path / 'portgate.db'}"
    migrate_database(url)
    key, person_id = seed(url)
    a, b = start_replica("a", url, mosquitto), start_replica("b", url, mosquitto)
    deadline = time.monotonic() + 15
    for replica in (a, b):
        while not replica.server.started or not replica.app.state.bus.connected:
            assert time.monotonic() < deadline, f"replica {replica.name} did not start"
            time.sleep(0.05)
    time.sleep(0.3)  # SUBACKs follow the CONNACK
    yield Cluster(a=a, b=b, gate_key=key, person_id=person_id)
    for replica in (a, b):
        replica.server.should_exit = True
    for replica in (a, b):
        replica.thread.join(10)
        replica.app.state.engine.dispose()


def token(base_url: str) -> str:
    answer = httpx.post(
        base_url + "/api/v1/auth/token",
        data={"username": "operator-user", "password": PASSWORD},
        timeout=10,
    )
    assert answer.status_code == 200, answer.text
    return str(answer.json()["access_token"])


@dataclass
class SseClient:
    """Reads one replica's live stream in a thread; records (arrival time, channel, data)."""

    base_url: str
    bearer: str
    items: list[tuple[float, str, dict[str, Any]]] = field(default_factory=list)
    _cond: threading.Condition = field(default_factory=threading.Condition)
    _stop: threading.Event = field(default_factory=threading.Event)
    _response: httpx.Response | None = None

    def start(self) -> None:
        threading.Thread(target=self._run, daemon=True).start()
        assert self.wait_for(lambda: any(c == "hello" for _, c, _ in self.items), 5.0)

    def _run(self) -> None:
        headers = {"Authorization": f"Bearer {self.bearer}", "Accept": "text/event-stream"}
        try:
            with httpx.stream(
                "GET", self.base_url + "/dashboard/api/stream", headers=headers, timeout=30
            ) as response:
                self._response = response
                self._read(response)
        except httpx.HTTPError:
            if not self._stop.is_set():
                raise

    def _read(self, response: httpx.Response) -> None:
        channel = ""
        for line in response.iter_lines():
            if line.startswith("event: "):
                channel = line[7:]
            elif line.startswith("data: "):
                with self._cond:
                    self.items.append((time.monotonic(), channel, json.loads(line[6:])))
                    self._cond.notify_all()

    def wait_for(self, predicate: Callable[[], bool], timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        with self._cond:
            while not predicate():
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self._cond.wait(left)
        return True

    def arrivals(self, channel: str, alarm_id: str) -> list[float]:
        with self._cond:
            return [t for t, c, d in self.items if c == channel and d.get("alarm_id") == alarm_id]

    def close(self) -> None:
        # Closing the stream lets the replica shut down without waiting for the stream's end.
        self._stop.set()
        if self._response is not None:
            self._response.close()


def outside_schedule_event(person_id: str) -> dict[str, Any]:
    event = AccessEvent(
        event_id=new_id(),
        agent_seq=1,
        occurred_at=utc_now(),
        lane=0,
        direction=Direction.ENTRY,
        decision=Decision.DENIED,
        reason=ReasonCode.OUTSIDE_SCHEDULE,
        person_id=person_id,
        credential_kind=CredentialKind.BADGE,
        decided_by=DecidedBy.CENTRAL,
    )
    return {"events": [event.model_dump(mode="json")]}


def raise_on(replica: Replica, cluster: Cluster) -> float:
    """An agent posts an event outside the person's schedule to `replica`: an alarm.

    Returns when the request was sent (the notice leaves at the commit, before the answer).
    """
    sent = time.monotonic()
    answer = httpx.post(
        replica.base_url + "/api/v1/events",
        json=outside_schedule_event(cluster.person_id),
        headers={"X-Gate-Key": cluster.gate_key},
        timeout=10,
    )
    assert answer.status_code == 200 and answer.json()["stored"] == 1, answer.text
    return sent


def open_alarm_ids(replica: Replica, bearer: str) -> list[str]:
    alarms = httpx.get(
        replica.base_url + "/api/v1/alarms",
        headers={"Authorization": f"Bearer {bearer}"},
        timeout=10,
    ).json()
    return [a["alarm_id"] for a in alarms]


def ack_on(replica: Replica, bearer: str, alarm_id: str) -> float:
    """Acknowledge on `replica`; returns when the request was sent."""
    sent = time.monotonic()
    answer = httpx.post(
        replica.base_url + f"/api/v1/alarms/{alarm_id}/ack",
        json={"comment": "guard checked: badge of a night-shift colleague"},
        headers={"Authorization": f"Bearer {bearer}"},
        timeout=10,
    )
    assert answer.status_code == 200, answer.text
    return sent


def test_alarms_and_acks_on_one_replica_are_live_on_the_other(cluster: Cluster) -> None:
    bearer_a, bearer_b = token(cluster.a.base_url), token(cluster.b.base_url)
    on_a, on_b = SseClient(cluster.a.base_url, bearer_a), SseClient(cluster.b.base_url, bearer_b)
    on_a.start()
    on_b.start()
    try:
        raised_at = raise_on(cluster.a, cluster)
        (alarm_id,) = open_alarm_ids(cluster.a, bearer_a)
        assert on_b.wait_for(lambda: bool(on_b.arrivals("alarm", alarm_id)), LIVE_WAIT_S)
        seen_b = on_b.arrivals("alarm", alarm_id)[0]
        (_, _, view) = next(i for i in on_b.items if i[1] == "alarm")
        assert view["kind"] == "insider_pattern" and view["gate_id"] == GATE
        assert view["person_name"] == "Ana Costa" and "outside their schedule" in view["detail"]

        acked_at = ack_on(cluster.a, bearer_a, alarm_id)
        assert on_b.wait_for(lambda: bool(on_b.arrivals("alarm_ack", alarm_id)), LIVE_WAIT_S)
        ack_b = on_b.arrivals("alarm_ack", alarm_id)[0]
        assert on_a.wait_for(lambda: bool(on_a.arrivals("alarm_ack", alarm_id)), LIVE_WAIT_S)
        # A showed its own alarm at once and dropped the broker's echo: once each.
        time.sleep(0.3)
        assert len(on_a.arrivals("alarm", alarm_id)) == 1
        assert len(on_a.arrivals("alarm_ack", alarm_id)) == 1
        assert len(on_b.arrivals("alarm", alarm_id)) == 1
        assert len(on_b.arrivals("alarm_ack", alarm_id)) == 1
        print(  # noqa: T201 (the figures of the report)
            f"live on replica B: alarm {1000 * (seen_b - raised_at):.1f} ms, "
            f"ack {1000 * (ack_b - acked_at):.1f} ms after the request to A was sent"
        )
    finally:
        on_a.close()
        on_b.close()


def test_header_count_follows_another_replica_in_chromium(
    cluster: Cluster, tmp_path: Path, browser: Any
) -> None:
    bearer_a = token(cluster.a.base_url)
    page = browser.new_page(viewport={"width": 1366, "height": 768})
    # No 10 s safety-net polling on this page: whatever changes, the live stream did it.
    page.add_init_script(NO_POLLING)
    page.goto(cluster.b.base_url + "/login?next=/dashboard")
    page.fill("input[name=username]", "operator-user")
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_selector("#conn-state[data-state=live]", timeout=5000)
    assert page.inner_text("#alarm-count") == "0"

    started = raise_on(cluster.a, cluster)
    page.wait_for_selector("#alarm-badge[data-count='1']", timeout=BROWSER_WAIT_MS)
    shown = time.monotonic() - started
    assert "hot" in (page.get_attribute("#alarm-badge", "class") or "")
    (alarm_id,) = open_alarm_ids(cluster.a, bearer_a)
    assert page.query_selector(f'li[data-alarm-id="{alarm_id}"]') is not None
    page.screenshot(path=str(tmp_path / "dashboard-replica-b.png"))

    started = ack_on(cluster.a, bearer_a, alarm_id)
    page.wait_for_selector("#alarm-badge[data-count='0']", timeout=BROWSER_WAIT_MS)
    cleared = time.monotonic() - started
    assert page.query_selector(f'li[data-alarm-id="{alarm_id}"]') is None
    print(  # noqa: T201 (the figures of the report)
        f"replica B's page: count up {1000 * shown:.0f} ms, down {1000 * cleared:.0f} ms "
        "after the request to A was sent"
    )
