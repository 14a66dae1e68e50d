"""The bridge against a real mosquitto secured with the generated password and ACL files."""

import socket
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from firmware_bridge.assembly import build_bus
from firmware_bridge.config import BridgeConfig
from firmware_bridge.drivers.simulated import SimulatedTurnstile
from firmware_bridge.service import Bridge
from gate_protocol.messages import (
    AckResult,
    CommandAck,
    Direction,
    GateState,
    NodeState,
    NodeStatus,
    OpenCommand,
    Passage,
    decode_message,
    encode_message,
)
from gate_protocol.topics import GateChannel, GateTopic, NodeKind, build_topic
from portgate.broker.site_config import GateEntry, SiteConfig
from testkit.mosquitto import MosquittoFactory, MosquittoProcess
from testkit.mqtt_probe import MqttProbe
from testkit.secured_broker import start_site_broker

pytestmark = pytest.mark.integration

REPO = Path(__file__).resolve().parents[2]
SITE = SiteConfig(site="s1", gates=[GateEntry(id="g1")])


def topic(channel: GateChannel, node: NodeKind | None = None) -> str:
    return build_topic(GateTopic(site="s1", gate="g1", channel=channel, node=node))


class Site:
    def __init__(self, tmp_path: Path, factory: MosquittoFactory) -> None:
        secured = start_site_broker(tmp_path, SITE, launch=factory)
        self.env = secured.environ
        self.passwords = secured.passwords
        self.broker: MosquittoProcess = secured.broker
        self.tmp_path = tmp_path
        self.probes: list[MqttProbe] = []
        self.bridges: list[Bridge] = []

    def probe(self, user: str) -> MqttProbe:
        probe = MqttProbe(self.broker.port, username=user, password=self.passwords[user])
        assert not probe.connect().is_failure  # type: ignore[attr-defined]
        self.probes.append(probe)
        return probe

    def config(self, **overrides: object) -> BridgeConfig:
        data: dict[str, object] = {
            "site": "s1",
            "gate": "g1",
            "mqtt": {
                "port": self.broker.port,
                "username": "bridge-g1",
                "password_env": "PORTGATE_MQTT_PASSWORD_BRIDGE_G1",
                "keepalive_s": 5,
            },
            "lanes": [{"lane": 0, "direction": "entry"}],
            "state_dir": self.tmp_path / "state",
            "expiry_skew_s": 0,
            "require_signed_commands": False,  # signatures: test_signed_commands.py
        }
        data.update(overrides)
        return BridgeConfig.model_validate(data)

    def bridge(self) -> tuple[Bridge, SimulatedTurnstile]:
        config = self.config()
        sim = SimulatedTurnstile(lanes=[0])
        bridge = Bridge(
            config=config, turnstile=sim, reader=sim, bus=build_bus(config, environ=self.env)
        )
        bridge.start()
        self.bridges.append(bridge)
        return bridge, sim

    def close(self) -> None:
        for bridge in self.bridges:
            try:
                bridge.stop()
            except Exception:  # noqa: S110 (already stopped)
                pass
        for probe in self.probes:
            probe.close()


@pytest.fixture
def site(tmp_path: Path, mosquitto_factory: MosquittoFactory) -> Iterator[Site]:
    s = Site(tmp_path, mosquitto_factory)
    yield s
    s.close()


def open_command(command_id: str, *, expires_in: float = 10) -> bytes:
    now = datetime.now(UTC)
    return encode_message(
        OpenCommand(
            command_id=command_id,
            lane=0,
            direction=Direction.ENTRY,
            pulse_ms=2000,
            issued_at=now,
            expires_at=now + timedelta(seconds=expires_in),
            issued_by="agent-g1",
        )
    )


def acks(probe: MqttProbe) -> dict[str, AckResult]:
    decoded = [decode_message(p, CommandAck) for p in probe.on_topic(topic(GateChannel.CMD_ACK))]
    return {a.command_id: a.result for a in decoded if isinstance(a, CommandAck)}


def status_states(probe: MqttProbe) -> list[NodeState]:
    payloads = probe.on_topic(topic(GateChannel.STATUS, NodeKind.BRIDGE))
    return [
        m.state
        for m in (decode_message(p, NodeStatus) for p in payloads)
        if isinstance(m, NodeStatus)
    ]


def test_bridge_serves_commands_and_publishes_retained_status_and_state(site: Site) -> None:
    bridge, sim = site.bridge()
    agent = site.probe("agent-g1")
    agent.subscribe(topic(GateChannel.STATUS, NodeKind.BRIDGE))
    agent.subscribe(topic(GateChannel.STATE))
    agent.subscribe(topic(GateChannel.CMD_ACK))
    agent.subscribe(topic(GateChannel.PASSAGE))
    assert agent.wait_for(lambda: NodeState.ONLINE in status_states(agent))
    assert agent.wait_for(lambda: bool(agent.on_topic(topic(GateChannel.STATE))))
    state = decode_message(agent.on_topic(topic(GateChannel.STATE))[0], GateState)
    assert isinstance(state, GateState) and state.door.value == "closed"

    # Bad payloads first: dropped and counted, the loop goes on.
    agent.publish(topic(GateChannel.CMD_OPEN), b"\x00\xffnot json")
    agent.publish(topic(GateChannel.CMD_OPEN), b"{" + b" " * 20_000 + b"}")
    agent.publish(topic(GateChannel.CMD_OPEN), open_command("c1"))
    assert agent.wait_for(lambda: acks(agent).get("c1") is AckResult.OPENED)
    assert bridge.drops["malformed_json"] == 1 and bridge.drops["oversized"] == 1
    sim.walk_through(lane=0)
    assert agent.wait_for(lambda: bool(agent.on_topic(topic(GateChannel.PASSAGE))))
    passage = decode_message(agent.on_topic(topic(GateChannel.PASSAGE))[0], Passage)
    assert isinstance(passage, Passage) and passage.passed

    bridge.stop()
    site.bridges.remove(bridge)
    assert agent.wait_for(lambda: status_states(agent)[-1:] == [NodeState.OFFLINE])
    late = site.probe("api")  # a newcomer sees the retained offline status and gate state
    late.subscribe(topic(GateChannel.STATUS, NodeKind.BRIDGE))
    late.subscribe(topic(GateChannel.STATE))
    assert late.wait_for(lambda: status_states(late) == [NodeState.OFFLINE])
    assert late.wait_for(lambda: bool(late.on_topic(topic(GateChannel.STATE))))
    assert all(retained for t, _, retained in late.messages)


def test_last_will_says_offline_when_the_connection_dies(site: Site) -> None:
    bridge, _ = site.bridge()
    api = site.probe("api")
    api.subscribe(topic(GateChannel.STATUS, NodeKind.BRIDGE))
    assert api.wait_for(lambda: NodeState.ONLINE in status_states(api))
    sock = bridge._bus._client.socket()  # type: ignore[attr-defined]
    sock.shutdown(socket.SHUT_RDWR)  # no DISCONNECT packet: the broker must use the will
    assert api.wait_for(lambda: NodeState.OFFLINE in status_states(api), timeout=10)
    # paho reconnects and the bridge announces itself again.
    assert api.wait_for(lambda: status_states(api)[-1:] == [NodeState.ONLINE], timeout=15)


def test_commands_queued_while_bridge_and_broker_are_down_expire(site: Site) -> None:
    bridge, sim = site.bridge()
    watcher = site.probe("agent-g1")
    watcher.subscribe(topic(GateChannel.STATUS, NodeKind.BRIDGE))
    assert watcher.wait_for(lambda: NodeState.ONLINE in status_states(watcher))
    bridge.stop()  # persistent session: the broker keeps its QoS 1 subscriptions
    site.bridges.remove(bridge)
    agent = site.probe("agent-g1")
    ids = [f"queued-{i}" for i in range(5)]
    for command_id in ids:
        agent.publish(topic(GateChannel.CMD_OPEN), open_command(command_id, expires_in=1))
    for probe in list(site.probes):
        probe.close()
        site.probes.remove(probe)
    site.broker.stop()  # saves the queued messages
    time.sleep(1.5)  # every queued command expires while the broker is down
    site.broker.start()
    agent = site.probe("agent-g1")
    agent.subscribe(topic(GateChannel.CMD_ACK))
    bridge2, sim2 = site.bridge()
    assert agent.wait_for(lambda: set(ids) <= set(acks(agent)), timeout=10), site.broker.log()
    assert {acks(agent)[i] for i in ids} == {AckResult.EXPIRED}
    assert sim.unlock_count() == 0 and sim2.unlock_count() == 0
    assert bridge2.actuations == 0


@pytest.mark.slow
def test_portgate_bridge_command_runs_the_example_driver(site: Site, tmp_path: Path) -> None:
    import os
    import signal
    import subprocess
    import sys

    import yaml

    config = yaml.safe_load((REPO / "configs" / "bridge-example.yaml").read_text())
    config["site"], config["gate"] = "s1", "g1"
    config["mqtt"].update(port=site.broker.port, username="bridge-g1")
    config["state_dir"] = str(tmp_path / "cli-state")
    path = tmp_path / "bridge.yaml"
    path.write_text(yaml.safe_dump(config))
    api = site.probe("api")
    api.subscribe(topic(GateChannel.STATUS, NodeKind.BRIDGE))
    api.subscribe(topic(GateChannel.STATE))
    env = {**os.environ, "PORTGATE_MQTT_PASSWORD": site.passwords["bridge-g1"]}
    portgate = Path(sys.executable).with_name("portgate")
    process = subprocess.Popen([str(portgate), "bridge", "--config", str(path)], env=env)
    try:
        assert api.wait_for(lambda: NodeState.ONLINE in status_states(api), timeout=60)
        assert api.wait_for(lambda: bool(api.on_topic(topic(GateChannel.STATE))))
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=20) == 0
        assert api.wait_for(lambda: status_states(api)[-1:] == [NodeState.OFFLINE])
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
