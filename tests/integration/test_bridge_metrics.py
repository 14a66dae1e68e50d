"""A running bridge's /metrics, scraped over HTTP: reads, openings, readers, reconnects."""

import socket
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from firmware_bridge.assembly import build_bus
from firmware_bridge.config import BridgeConfig
from firmware_bridge.drivers.simulated import SimulatedTurnstile
from firmware_bridge.service import Bridge
from gate_protocol.messages import Direction, OpenCommand, encode_message
from gate_protocol.topics import GateChannel, GateTopic, build_topic
from testkit.mosquitto import MosquittoProcess
from testkit.mqtt_probe import MqttProbe
from testkit.polling import wait_until
from testkit.scrape import scrape, value

pytestmark = pytest.mark.integration


@pytest.fixture
def bridge(
    mosquitto: MosquittoProcess, tmp_path: Path
) -> Iterator[tuple[Bridge, SimulatedTurnstile]]:
    config = BridgeConfig.model_validate(
        {
            "site": "s1",
            "gate": "g1",
            "mqtt": {"port": mosquitto.port, "keepalive_s": 5},
            "lanes": [{"lane": 0, "direction": "entry"}],
            "state_dir": tmp_path / "state",
            "require_signed_commands": False,
            "metrics": {"port": 0},
        }
    )
    sim = SimulatedTurnstile(lanes=[0])
    running = Bridge(config=config, turnstile=sim, reader=sim, bus=build_bus(config, environ={}))
    running.start()
    try:
        yield running, sim
    finally:
        running.stop()


def open_command(command_id: str) -> bytes:
    now = datetime.now(UTC)
    command = OpenCommand(
        command_id=command_id,
        lane=0,
        direction=Direction.ENTRY,
        pulse_ms=500,
        issued_at=now,
        expires_at=now + timedelta(seconds=10),
        issued_by="agent-g1",
    )
    return encode_message(command)


def test_reads_opens_readers_and_reconnects_are_scraped(
    bridge: tuple[Bridge, SimulatedTurnstile], mosquitto: MosquittoProcess
) -> None:
    running, sim = bridge
    url = f"http://127.0.0.1:{running.metrics.port}/metrics"

    def sample(name: str, **labels: str) -> float | None:
        return value(scrape(url), name, **labels)

    assert wait_until(lambda: running.mqtt_connects == 1, 6), "bridge did not connect"
    before = scrape(url)
    assert value(before, "portgate_bridge_card_reads_total") == 0
    assert value(before, "portgate_bridge_opens_total") == 0
    assert value(before, "portgate_bridge_mqtt_reconnects_total") == 0
    assert value(before, "portgate_bridge_info", site="s1", gate="g1") == 1

    sim.present_card(lane=0, facility_code=12, card_number=3456)
    assert wait_until(lambda: sample("portgate_bridge_card_reads_total") == 1, 6)
    assert sample("portgate_bridge_reader_up", reader=sim.reader_id) == 1
    sim.set_reader_online(online=False)
    assert wait_until(lambda: sample("portgate_bridge_reader_up", reader=sim.reader_id) == 0, 6)

    agent = MqttProbe(mosquitto.port)
    assert not agent.connect().is_failure  # type: ignore[union-attr]
    try:
        agent.publish(build_topic(GateTopic("s1", "g1", GateChannel.CMD_OPEN)), open_command("c1"))
        assert wait_until(lambda: sample("portgate_bridge_opens_total") == 1, 6)
        agent.publish(build_topic(GateTopic("s1", "g1", GateChannel.CMD_OPEN)), b"not json")
        assert wait_until(
            lambda: sample("portgate_bridge_dropped_total", reason="malformed_json") == 1, 6
        )
    finally:
        agent.close()

    sock = running._bus._client.socket()  # type: ignore[attr-defined]
    sock.shutdown(socket.SHUT_RDWR)  # no DISCONNECT: paho reconnects by itself
    assert wait_until(lambda: sample("portgate_bridge_mqtt_reconnects_total") == 1, 15)
