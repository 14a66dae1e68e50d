"""The agent's alarms through a broker outage or loss, into the real central API (durable outbox).

An alarm stays on the agent's disk until the API confirms it: a broker that PUBACKs and then
loses it, or a broker that stays away, still lets it reach the API over HTTP.
"""

import time
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest

from gate_agent.app import AgentApp
from gate_agent.decision.decider import PresentationDecided
from gate_agent.decision.presentation import Presentation, gate_denial
from gate_protocol.messages import AlarmKind, CredentialKind, Direction
from testkit.agent.doubles import agent_config
from testkit.api.desk_server import DeskServer, run_desk_server
from testkit.mosquitto import MosquittoFactory, MosquittoProcess, free_port
from testkit.polling import wait_until

pytestmark = [pytest.mark.integration, pytest.mark.slow]


def persistent_broker(factory: MosquittoFactory, tmp_path: Path) -> MosquittoProcess:
    # The API's persistent session survives the restart, as on a real site's broker.
    port = free_port()
    store = tmp_path / f"mosquitto-{port}"
    conf = (
        f"listener {port} 127.0.0.1\nallow_anonymous true\n"
        f"persistence true\npersistence_location {store}/\n"
    )
    return factory(conf_text=conf, port=port)


def raise_watchlist_alarm(app: AgentApp) -> None:
    """What the loop does when a decision says to raise an alarm."""
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


def stored_alarms(server: DeskServer) -> list[dict[str, Any]]:
    headers = {"Authorization": f"Bearer {server.token('operator-user')}"}
    answer = httpx.get(f"{server.url}/api/v1/alarms", headers=headers)
    answer.raise_for_status()
    return [a for a in answer.json() if a["gate_id"] == server.world.gate]


def start_agent(server: DeskServer, tmp_path: Path, port: int, **extra: Any) -> AgentApp:
    gate = server.world.gate
    (tmp_path / "agent").mkdir()
    config = agent_config(
        tmp_path / "agent", mqtt_port=port, api_url=server.url, site="rtm", gate=gate, **extra
    )
    app = AgentApp(config, gate_key=server.world.keys[gate])
    app.start()
    return app


def test_alarm_raised_while_the_broker_is_down_reaches_the_api_over_http(
    mosquitto_factory: MosquittoFactory, tmp_path: Path
) -> None:
    broker = persistent_broker(mosquitto_factory, tmp_path)
    with run_desk_server(tmp_path, mqtt_url=f"mqtt://127.0.0.1:{broker.port}") as server:
        app = start_agent(server, tmp_path, broker.port)
        try:
            assert wait_until(lambda: app.agent.subscribed, 10)
            broker.stop()  # and it stays away
            assert wait_until(lambda: not app.agent.connected, 10)
            raise_watchlist_alarm(app)
            # Kept on disk, then sent over HTTP once MQTT has been down event_replay_after_s.
            assert wait_until(lambda: app.outbox.alarms.unconfirmed == 0, timeout=15)
            alarms = wait_until(lambda: stored_alarms(server), timeout=15)
            assert [(a["kind"], a["lane"]) for a in alarms] == [("watchlist", 0)]
            assert not app.agent.connected
        finally:
            app.stop()


def test_alarm_a_broker_acknowledged_but_never_delivered_reaches_the_api(
    mosquitto: MosquittoProcess, mosquitto_factory: MosquittoFactory, tmp_path: Path
) -> None:
    # The API listens on one broker; the agent publishes to another, which PUBACKs the alarm
    # and hands it to nobody (as a broker that crashes after its PUBACK loses it).
    api_broker = persistent_broker(mosquitto_factory, tmp_path)
    with run_desk_server(tmp_path, mqtt_url=f"mqtt://127.0.0.1:{api_broker.port}") as server:
        app = start_agent(
            server,
            tmp_path,
            mosquitto.port,
            api={"confirm_interval_s": 0.5, "confirm_grace_s": 0.5},
        )
        try:
            assert wait_until(lambda: app.agent.subscribed, 10)
            raise_watchlist_alarm(app)
            # PUBACKed, then asked about, found unknown and sent again over HTTP.
            alarms = wait_until(lambda: stored_alarms(server), timeout=20)
            assert [(a["kind"], a["lane"]) for a in alarms] == [("watchlist", 0)]
            assert wait_until(lambda: app.outbox.alarms.unconfirmed == 0, timeout=15)
            assert app.agent.connected
        finally:
            app.stop()
