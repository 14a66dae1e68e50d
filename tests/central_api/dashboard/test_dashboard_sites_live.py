"""The live stream over a real mosquitto carries only the viewer's site.

What happens at A reaches A's operator and the admin, and never B's operator, whose
stream does get B's own later event.
"""

import json
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import paho.mqtt.client as mqtt
import pytest
import uvicorn
from paho.mqtt.enums import CallbackAPIVersion

from central_api.config import Settings
from central_api.db import make_engine, utc_now
from central_api.migrate import upgrade_database
from gate_protocol.messages import AlarmKind, AlarmRaised, encode_message, new_id
from gate_protocol.topics import GateChannel
from testkit.api.dashboard_sites import A_DETAIL, access_event
from testkit.api.live_stream import (
    GATE_A,
    GATE_B,
    LIVE_WAIT_S,
    SITE_A,
    SITE_B,
    LiveSites,
    SseClient,
    publish,
    seed_two_sites,
)
from testkit.mosquitto import MosquittoProcess, free_port, mosquitto_available, start_mosquitto


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
