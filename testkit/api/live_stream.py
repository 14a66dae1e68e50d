"""A live-stream reader and two seeded sites for the dashboard's SSE tests over real mosquitto."""

import json
import threading
import time
from dataclasses import dataclass, field
from typing import Any

import httpx
import paho.mqtt.client as mqtt
from sqlalchemy import Engine
from sqlmodel import Session

from central_api.config import Settings
from central_api.crud.sites import create_gate, create_site, create_zone
from central_api.models import GateCreate, Role, SiteCreate, ZoneCreate
from gate_protocol.topics import GateChannel, GateTopic, build_topic
from testkit.api.dashboard_sites import add_user, headers_of

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
        """Start reading in a thread and wait for the stream's hello."""
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
        """Whether an item on `channel` with `key` equal to `value` has arrived."""
        with self._cond:
            return any(c == channel and d.get(key) == value for c, d in self.items)

    def close(self) -> None:
        """Stop reading and close the stream."""
        self._stop.set()
        if self._response is not None:
            self._response.close()


@dataclass
class LiveSites:
    """A running API with two sites: its URL, settings, database, a publisher, users."""

    base_url: str
    settings: Settings
    engine: Engine
    publisher: mqtt.Client
    users: dict[str, dict[str, str]]


def seed_two_sites(engine: Engine, settings: Settings) -> dict[str, dict[str, str]]:
    """Sites A and B with a gate each, an operator of each and an admin; their headers."""
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
    accounts: tuple[tuple[str, Role, str | None], ...] = (
        ("op-a", Role.OPERATOR, SITE_A),
        ("op-b", Role.OPERATOR, SITE_B),
        ("admin", Role.ADMIN, None),
    )
    for name, role, home in accounts:
        users[name] = headers_of(settings, add_user(engine, name, role, home))
    return users


def publish(sites: LiveSites, site: str, gate: str, channel: GateChannel, payload: bytes) -> None:
    """Publish `payload` on a gate's channel as that gate would (QoS 1, waited for)."""
    topic = build_topic(GateTopic(site=site, gate=gate, channel=channel))
    sites.publisher.publish(topic, payload, qos=1).wait_for_publish(5)
