"""An alarm's camera still from a real agent through a real broker into the real API (22.4).

The agent sends a still only when ``PORTGATE_AGENT_ALARM_STILLS`` is on, and the API keeps it
only where the site keeps stills; the still survives a broker outage on the agent's disk,
and the operator sees it on the alarm's context screen in Chromium (each view audited).
"""

import time
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import Engine
from sqlmodel import Session, select

from central_api.models import AuditEntry
from central_api.stills.tables import AlarmStill
from gate_agent.app import AgentApp
from gate_agent.camera.frames import ReplayFrameSource, read_bgr_image
from gate_agent.decision.decider import PresentationDecided
from gate_agent.decision.presentation import Presentation, gate_denial
from gate_agent.stills.settings import STILLS_ENV
from gate_protocol.messages import AlarmKind, CredentialKind, Direction
from testkit.agent.doubles import agent_config
from testkit.agent.stills import still_topic
from testkit.api.desk_server import DeskServer, run_desk_server
from testkit.api.operator_board import screenshot
from testkit.api.world import PASSWORD
from testkit.browser import log_in
from testkit.faces import face_photo
from testkit.mosquitto import MosquittoFactory, MosquittoProcess, free_port
from testkit.mqtt_probe import MqttProbe
from testkit.polling import wait_until

pytestmark = [pytest.mark.integration, pytest.mark.slow]

SIZES = {"desktop": (1366, 768), "wide": (1920, 1080), "phone": (390, 844)}


def persistent_broker(factory: MosquittoFactory, tmp_path: Path) -> MosquittoProcess:
    # The API's persistent session survives the restart, as on a real site's broker.
    port = free_port()
    conf = (
        f"listener {port} 127.0.0.1\nallow_anonymous true\n"
        f"persistence true\npersistence_location {tmp_path}/mosquitto-{port}/\n"
    )
    return factory(conf_text=conf, port=port)


def raise_watchlist_alarm(app: AgentApp) -> None:
    """What the loop does when a decision at lane 0 says to raise a watchlist alarm."""
    presentation = Presentation(
        lane=0,
        direction=Direction.ENTRY,
        credential_kind=CredentialKind.BADGE,
        occurred_at=datetime.now(UTC),
        started=time.monotonic(),
        badge_number="0BAD",
    )
    verdict = replace(gate_denial("test"), alarms=(AlarmKind.WATCHLIST,))
    app.inbox.put(PresentationDecided(presentation, verdict, None, 1.0))


def start_agent(server: DeskServer, tmp_path: Path, port: int) -> AgentApp:
    gate = server.world.gate
    folder = tmp_path / f"agent-{port}"
    folder.mkdir()
    config = agent_config(folder, mqtt_port=port, api_url=server.url, site="rtm", gate=gate)
    camera = ReplayFrameSource([read_bgr_image(face_photo("obama-720p.jpg"))], fps=10)
    app = AgentApp(
        config, gate_key=server.world.keys[gate], frame_source=camera, scanner=lambda image: []
    )
    app.start()
    assert wait_until(lambda: app.agent.subscribed, 15)
    return app


def keep_stills(server: DeskServer, keep: bool) -> None:
    headers = {"Authorization": f"Bearer {server.token('admin-user')}"}
    url = f"{server.url}/dashboard/api/sites/rtm/alarm-stills"
    httpx.post(url, json={"keep": keep}, headers=headers).raise_for_status()


def gate_alarms(server: DeskServer) -> list[dict[str, Any]]:
    headers = {"Authorization": f"Bearer {server.token('operator-user')}"}
    answer = httpx.get(f"{server.url}/api/v1/alarms", headers=headers)
    answer.raise_for_status()
    return [a for a in answer.json() if a["gate_id"] == server.world.gate]


def kept_stills(engine: Engine) -> list[AlarmStill]:
    with Session(engine) as session:
        return list(session.exec(select(AlarmStill)).all())


@pytest.fixture
def stills_on(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv(STILLS_ENV, "1")
    yield


def test_a_still_reaches_the_context_screen_after_a_broker_outage(
    mosquitto_factory: MosquittoFactory, tmp_path: Path, stills_on: None, browser: Any
) -> None:
    broker = persistent_broker(mosquitto_factory, tmp_path)
    with run_desk_server(tmp_path, mqtt_url=f"mqtt://127.0.0.1:{broker.port}") as server:
        keep_stills(server, True)
        engine = server.app.state.engine
        app = start_agent(server, tmp_path, broker.port)
        try:
            assert app.stills is not None
            broker.stop()
            assert wait_until(lambda: not app.agent.connected, 10)
            raise_watchlist_alarm(app)
            # The alarm goes over HTTP; the still waits on the agent's disk for the broker.
            [alarm] = wait_until(lambda: gate_alarms(server), timeout=20)
            assert wait_until(lambda: app.stills is not None and app.stills.store.waiting == 1)
            assert kept_stills(engine) == []
            broker.start()
            [still] = wait_until(lambda: kept_stills(engine), timeout=20)
            assert still.alarm_id == alarm["alarm_id"] and still.lane == 0
            assert wait_until(lambda: app.stills is not None and app.stills.store.waiting == 0)
        finally:
            app.stop()
        show_on_the_context_screen(server, browser, alarm["alarm_id"], tmp_path)


def show_on_the_context_screen(
    server: DeskServer, browser: Any, alarm_id: str, shots: Path
) -> None:
    page = browser.new_context(locale="en-US", viewport={"width": 1366, "height": 768}).new_page()
    log_in(page, server.url, "operator-user", PASSWORD, next_path=f"/dashboard/alarms/{alarm_id}")
    still = page.locator("#ctx-still-img")
    still.wait_for(timeout=15_000)
    page.wait_for_function("() => document.querySelector('#ctx-still-img').naturalWidth > 0")
    assert still.evaluate("(img) => img.naturalWidth") == 640  # downscaled from 1280
    assert still.get_attribute("alt") == "Camera still of the gate at the alarm"
    for name, (width, height) in SIZES.items():
        page.set_viewport_size({"width": width, "height": height})
        screenshot(page, shots, f"alarm-still-{name}.png")  # PORTGATE_SCREENSHOT_DIR keeps it
    with Session(server.app.state.engine) as session:
        viewed = session.exec(
            select(AuditEntry).where(AuditEntry.action == "alarm.still_viewed")
        ).all()
    assert [v.actor for v in viewed] == ["user:operator-user"]


def test_an_agent_with_stills_off_sends_none(
    mosquitto: MosquittoProcess, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(STILLS_ENV, raising=False)
    probe = MqttProbe(mosquitto.port)
    probe.connect()
    probe.subscribe(still_topic("rtm", "north-1"))
    with run_desk_server(tmp_path, mqtt_url=f"mqtt://127.0.0.1:{mosquitto.port}") as server:
        keep_stills(server, True)
        app = start_agent(server, tmp_path, mosquitto.port)
        try:
            assert app.stills is None
            raise_watchlist_alarm(app)
            wait_until(lambda: gate_alarms(server), timeout=20)
            assert wait_until(lambda: app.outbox.alarms.unsent == 0, timeout=10)
        finally:
            app.stop()
        assert probe.messages == [] and kept_stills(server.app.state.engine) == []
    probe.close()
