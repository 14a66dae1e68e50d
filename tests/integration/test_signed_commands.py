"""Signed gate commands: the real bridge on a real mosquitto secured with the site's ACLs.

The attacker has valid broker credentials with publish rights on the gate's command topic
(the agent's own broker user) but not the gate's command key.
"""

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from firmware_bridge.assembly import build_bus
from firmware_bridge.config import BridgeConfig
from firmware_bridge.drivers.simulated import SimulatedTurnstile
from firmware_bridge.service import Bridge
from gate_protocol.command_signing import CommandSigner
from gate_protocol.messages import (
    AckResult,
    AlarmKind,
    AlarmRaised,
    CommandAck,
    Direction,
    NodeState,
    NodeStatus,
    OpenCommand,
    decode_message,
    encode_message,
)
from gate_protocol.passes.keys import encode_public_key
from gate_protocol.topics import GateChannel, GateTopic, NodeKind, build_topic
from portgate.broker.site_config import GateEntry, SiteConfig
from testkit.mosquitto import MosquittoFactory
from testkit.mqtt_probe import MqttProbe
from testkit.secured_broker import SiteBroker, start_site_broker

pytestmark = pytest.mark.integration

SITE = SiteConfig(site="s1", gates=[GateEntry(id="g1")])
OLD, NEW = Ed25519PrivateKey.generate(), Ed25519PrivateKey.generate()


def topic(channel: GateChannel) -> str:
    return build_topic(GateTopic(site="s1", gate="g1", channel=channel))


class Gate:
    """The real bridge of gate g1 and a probe logged in as the gate's agent."""

    def __init__(self, tmp_path: Path, secured: SiteBroker) -> None:
        self.secured, self.tmp_path = secured, tmp_path
        self.clock_offset = timedelta()
        self.bridge: Bridge | None = None
        self.sim = SimulatedTurnstile(lanes=[0])
        self.agent = MqttProbe(
            secured.broker.port, username="agent-g1", password=secured.passwords["agent-g1"]
        )
        assert not self.agent.connect().is_failure  # type: ignore[attr-defined]
        self.agent.subscribe(topic(GateChannel.CMD_ACK))
        self.agent.subscribe(topic(GateChannel.ALARM))
        self.agent.subscribe(build_topic(self._status))

    _status = GateTopic(site="s1", gate="g1", channel=GateChannel.STATUS, node=NodeKind.BRIDGE)

    def statuses(self) -> list[NodeState]:
        payloads = self.agent.on_topic(build_topic(self._status))
        decoded = [decode_message(p, NodeStatus) for p in payloads]
        return [m.state for m in decoded if isinstance(m, NodeStatus)]

    def start_bridge(self, keys: dict[str, Ed25519PrivateKey]) -> None:
        """(Re)start the bridge trusting the public halves of `keys`."""
        self.stop_bridge()
        config = BridgeConfig.model_validate(
            {
                "site": "s1",
                "gate": "g1",
                "mqtt": {
                    "port": self.secured.broker.port,
                    "username": "bridge-g1",
                    "password_env": "PORTGATE_MQTT_PASSWORD_BRIDGE_G1",
                },
                "lanes": [{"lane": 0, "direction": "entry"}],
                "state_dir": self.tmp_path / "state",
                "command_keys": {
                    key_id: encode_public_key(key.public_key()) for key_id, key in keys.items()
                },
            }
        )
        bus = build_bus(config, environ=self.secured.environ)
        self.bridge = Bridge(
            config=config,
            turnstile=self.sim,
            reader=self.sim,
            bus=bus,
            wall_clock=lambda: datetime.now(UTC) + self.clock_offset,
        )
        seen = len(self.statuses())
        self.bridge.start()
        # Online is published after the bridge subscribed on the same connection: from then
        # on a command reaches it.
        assert self.agent.wait_for(
            lambda: self.statuses()[seen:][-1:] == [NodeState.ONLINE], timeout=10
        )

    def stop_bridge(self) -> None:
        if self.bridge is not None:
            self.bridge.stop()
            self.bridge = None

    def send(self, command: OpenCommand) -> AckResult:
        """Publish as the agent's broker user and wait for the bridge's answer."""
        self.agent.publish(topic(GateChannel.CMD_OPEN), encode_message(command))
        assert self.agent.wait_for(lambda: command.command_id in self.acks(), timeout=10)
        return self.acks()[command.command_id]

    def acks(self) -> dict[str, AckResult]:
        payloads = self.agent.on_topic(topic(GateChannel.CMD_ACK))
        decoded = [decode_message(p, CommandAck) for p in payloads]
        return {a.command_id: a.result for a in decoded if isinstance(a, CommandAck)}

    def forged_alarms(self) -> list[str]:
        payloads = self.agent.on_topic(topic(GateChannel.ALARM))
        decoded = [decode_message(p, AlarmRaised) for p in payloads]
        return [
            a.detail or ""
            for a in decoded
            if isinstance(a, AlarmRaised) and a.alarm is AlarmKind.FORGED_COMMAND
        ]


@pytest.fixture
def gate(tmp_path: Path, mosquitto_factory: MosquittoFactory) -> Iterator[Gate]:
    g = Gate(tmp_path, start_site_broker(tmp_path, SITE, launch=mosquitto_factory))
    yield g
    g.stop_bridge()
    g.agent.close()


def command(command_id: str) -> OpenCommand:
    now = datetime.now(UTC)
    return OpenCommand(
        command_id=command_id,
        lane=0,
        direction=Direction.ENTRY,
        issued_at=now,
        expires_at=now + timedelta(seconds=5),
        issued_by="agent-g1",
    )


def signer(key_id: str, key: Ed25519PrivateKey, *, gate: str = "g1") -> CommandSigner:
    return CommandSigner(site="s1", gate=gate, key_id=key_id, private_key=key)


def test_commands_without_the_gate_key_are_refused_and_alarmed(gate: Gate) -> None:
    gate.start_bridge({"K1": OLD})
    thief = Ed25519PrivateKey.generate()
    forged = {
        "unsigned": command("unsigned"),
        "unknown-key": signer("K9", thief).sign(command("unknown-key")),
        "wrong-key": signer("K1", thief).sign(command("wrong-key")),
        "other-gate": signer("K1", OLD, gate="g2").sign(command("other-gate")),
        "changed": signer("K1", OLD)
        .sign(command("changed"))
        .model_copy(update={"pulse_ms": 30_000}),
    }
    for forgery in forged.values():
        assert gate.send(forgery) is AckResult.FORGED
    assert gate.agent.wait_for(lambda: len(gate.forged_alarms()) == len(forged))
    assert all(
        any(command_id in detail for detail in gate.forged_alarms()) for command_id in forged
    )
    assert gate.sim.unlock_count() == 0

    assert gate.send(signer("K1", OLD).sign(command("signed"))) is AckResult.OPENED
    assert gate.sim.unlock_count() == 1


def test_a_replayed_command_does_not_open_again(gate: Gate) -> None:
    gate.start_bridge({"K1": OLD})
    signed = signer("K1", OLD).sign(command("once"))
    assert gate.send(signed) is AckResult.OPENED
    gate.agent.messages.clear()
    assert gate.send(signed) is AckResult.DUPLICATE
    gate.agent.messages.clear()
    gate.clock_offset = timedelta(seconds=15)  # captured and published again later
    assert gate.send(signed) is AckResult.FORGED
    assert gate.agent.wait_for(lambda: any("too old" in d for d in gate.forged_alarms()))
    assert gate.sim.unlock_count() == 1


def test_the_old_key_opens_during_a_rotation_and_not_after_it_is_retired(gate: Gate) -> None:
    gate.start_bridge({"K1": OLD, "K2": NEW})
    assert gate.send(signer("K1", OLD).sign(command("old-during"))) is AckResult.OPENED
    assert gate.send(signer("K2", NEW).sign(command("new-during"))) is AckResult.OPENED
    gate.start_bridge({"K2": NEW})  # K1 retired
    assert gate.send(signer("K1", OLD).sign(command("old-after"))) is AckResult.FORGED
    assert gate.send(signer("K2", NEW).sign(command("new-after"))) is AckResult.OPENED
    assert any("unknown command key K1" in detail for detail in gate.forged_alarms())
