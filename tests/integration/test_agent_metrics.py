"""A running agent's /metrics, scraped over HTTP, moves with its decisions and its links."""

import socket
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest

from gate_agent.app import AgentApp
from gate_protocol.messages import BadgeFormat, CredentialPresented, encode_message
from gate_protocol.topics import GateChannel
from testkit.agent.api_stub import ApiStub
from testkit.agent.bridge_sim import BridgeSim
from testkit.agent.doubles import GATE_KEY, GOOD_BADGE, agent_config, make_snapshot
from testkit.mosquitto import MosquittoProcess
from testkit.polling import wait_until
from testkit.scrape import scrape, value

pytestmark = pytest.mark.integration


@dataclass
class Running:
    app: AgentApp
    api: ApiStub
    bridge: BridgeSim

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.app.metrics.port}/metrics"

    def badge(self) -> None:
        read = CredentialPresented(
            badge_number=GOOD_BADGE,
            format=BadgeFormat.WIEGAND26,
            reader_id="r1",
            lane=0,
            read_at=datetime.now(UTC),
        )
        self.bridge.publish(GateChannel.CREDENTIAL, encode_message(read))

    def sample(self, name: str, **labels: str) -> float:
        """The sample's value now (0 when absent)."""
        return value(scrape(self.url), name, **labels) or 0.0


@pytest.fixture
def running(mosquitto: MosquittoProcess, tmp_path: Path) -> Iterator[Running]:
    api = ApiStub()
    bridge = BridgeSim(mosquitto.port)
    config = agent_config(tmp_path, mqtt_port=mosquitto.port, api_url=api.url, metrics={"port": 0})
    app = AgentApp(config, gate_key=GATE_KEY)
    app.start()
    try:
        assert wait_until(lambda: app.agent.subscribed, 6), "agent did not connect"
        assert wait_until(lambda: app.agent.replica.index is not None, 6), "replica not synced"
        yield Running(app, api, bridge)
    finally:
        app.stop()
        bridge.close()
        api.stop()


def test_decisions_outbox_replica_and_reconnects_are_scraped(running: Running) -> None:
    before = scrape(running.url)
    assert value(before, "portgate_agent_mqtt_connected") == 1.0
    assert value(before, "portgate_agent_mqtt_reconnects_total") == 0.0
    assert (
        value(before, "portgate_agent_decisions_total", path="central", decision="granted") is None
    )
    assert value(before, "portgate_agent_outbox_depth", kind="events") == 0.0
    age = value(before, "portgate_agent_replica_age_seconds")
    assert age is not None and 0 <= age < 60
    max_age = make_snapshot().gate.replica_max_age_s
    assert value(before, "portgate_agent_replica_max_age_seconds") == float(max_age)

    running.badge()
    central = {"path": "central", "decision": "granted"}
    assert wait_until(lambda: running.sample("portgate_agent_decisions_total", **central) == 1, 6)
    # The API goes away: the replica decides, and the event waits for the API's confirmation.
    running.api.stop()
    running.badge()
    replica = {"path": "replica", "decision": "granted"}
    assert wait_until(lambda: running.sample("portgate_agent_decisions_total", **replica) == 1, 6)
    assert wait_until(lambda: running.sample("portgate_agent_outbox_depth", kind="events") >= 1, 6)
    oldest = "portgate_agent_outbox_oldest_age_seconds"
    assert wait_until(lambda: running.sample(oldest, kind="events") > 0.5, 6)
    assert running.sample("portgate_agent_decision_seconds_count") == 2
    assert running.sample("portgate_agent_decisions_total", **central) == 1

    sock = running.app.link._client.socket()  # type: ignore[attr-defined]
    sock.shutdown(socket.SHUT_RDWR)  # no DISCONNECT: the broker drops us, paho reconnects
    assert wait_until(lambda: running.sample("portgate_agent_mqtt_reconnects_total") == 1, 15)
    assert running.sample("portgate_agent_mqtt_connected") == 1


def test_no_port_no_endpoint(mosquitto: MosquittoProcess, tmp_path: Path) -> None:
    api = ApiStub()
    try:
        config = agent_config(tmp_path, mqtt_port=mosquitto.port, api_url=api.url)
        app = AgentApp(config, gate_key=GATE_KEY)
        app.start()
        try:
            assert app.metrics.port is None  # off by default: nothing listens
        finally:
            app.stop()
    finally:
        api.stop()
