"""A command key rotation reaches the bridge without a restart, through the agent's key file.

The API's replica carries the gate's public command keys (the current one and those not
yet retired); the agent's replica store writes them to the file its bridge reads; the real
bridge, on a real mosquitto secured with the site's ACLs, re-reads it at the next command.
Rotate: the new key opens, the old one still does; retire: the old one is refused as
forged and alarmed; a command signed by a key nobody issued is refused and alarmed too.
"""

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import Engine
from sqlmodel import Session

from central_api.config import Settings
from central_api.replica.builder import build_replica
from central_api.security.command_keys import retire_command_key, rotate_command_key
from firmware_bridge.assembly import build_bus
from firmware_bridge.config import BridgeConfig
from firmware_bridge.drivers.simulated import SimulatedTurnstile
from firmware_bridge.service import Bridge
from gate_agent.decision.replica_store import ReplicaStore, StoredReplica
from gate_protocol.command_signing import CommandSigner, replica_signer
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
from gate_protocol.replica import ReplicaSnapshot
from gate_protocol.topics import GateChannel, GateTopic, NodeKind, build_topic
from portgate.broker.site_config import GateEntry, SiteConfig
from testkit.api.workers import sqlite_database
from testkit.api.world import World, seed_world
from testkit.mosquitto import MosquittoFactory
from testkit.mqtt_probe import MqttProbe
from testkit.secured_broker import start_site_broker

pytestmark = pytest.mark.integration


@pytest.fixture
def engine(tmp_path: Path) -> Iterator[Engine]:
    yield from sqlite_database(tmp_path)


def _topic(world: World, channel: GateChannel) -> str:
    return build_topic(GateTopic(site=world.site, gate=world.gate, channel=channel))


def _command(command_id: str) -> OpenCommand:
    now = datetime.now(UTC)
    return OpenCommand(
        command_id=command_id,
        lane=0,
        direction=Direction.ENTRY,
        issued_at=now,
        expires_at=now + timedelta(seconds=5),
        issued_by="agent",
    )


class _Rig:
    """The API's database, the agent's replica store and the real bridge of one gate."""

    def __init__(self, tmp_path: Path, engine: Engine, factory: MosquittoFactory) -> None:
        self.settings = Settings(PORTGATE_DEV_MODE=True)
        self.engine = engine
        self.world = seed_world(engine, self.settings)
        site = SiteConfig(site=self.world.site, gates=[GateEntry(id=self.world.gate)])
        self.broker = start_site_broker(tmp_path, site, launch=factory)
        self.keys_file = tmp_path / "agent" / "bridge-command-keys.json"
        self.store = ReplicaStore(
            tmp_path / "agent" / "replica.json", bridge_keys_path=self.keys_file
        )
        self.sim = SimulatedTurnstile(lanes=[0])
        agent = f"agent-{self.world.gate}"
        self.agent = MqttProbe(
            self.broker.broker.port, username=agent, password=self.broker.passwords[agent]
        )
        assert not self.agent.connect().is_failure  # type: ignore[attr-defined]
        self.agent.subscribe(_topic(self.world, GateChannel.CMD_ACK))
        self.agent.subscribe(_topic(self.world, GateChannel.ALARM))
        status = GateTopic(
            site=self.world.site,
            gate=self.world.gate,
            channel=GateChannel.STATUS,
            node=NodeKind.BRIDGE,
        )
        self.agent.subscribe(build_topic(status))
        config = BridgeConfig.model_validate(
            {
                "site": self.world.site,
                "gate": self.world.gate,
                "mqtt": {"port": self.broker.broker.port, "username": f"bridge-{self.world.gate}"},
                "lanes": [{"lane": 0, "direction": "entry"}],
                "state_dir": tmp_path / "bridge",
                "command_keys_file": self.keys_file,  # and no command_keys of its own
            }
        )
        env = {"PORTGATE_MQTT_PASSWORD": self.broker.passwords[f"bridge-{self.world.gate}"]}
        self.bridge = Bridge(
            config=config, turnstile=self.sim, reader=self.sim, bus=build_bus(config, environ=env)
        )
        self.bridge.start()
        # Online is published after the bridge subscribed: from then on a command reaches it.
        assert self.agent.wait_for(lambda: self._online(build_topic(status)), timeout=10)

    def _online(self, topic: str) -> bool:
        decoded = [decode_message(p, NodeStatus) for p in self.agent.on_topic(topic)]
        return any(isinstance(m, NodeStatus) and m.state is NodeState.ONLINE for m in decoded)

    def sync(self) -> ReplicaSnapshot:
        """What the agent's sync does: the API's replica of the gate, saved by the store."""
        with Session(self.engine) as session:
            snapshot = build_replica(
                session=session,
                gate_id=self.world.gate,
                since=None,
                template_key=self.settings.template_key_bytes(),
                pass_keys={},
            )
            session.commit()
        assert isinstance(snapshot, ReplicaSnapshot)
        self.store.save(StoredReplica(snapshot=snapshot))
        return snapshot

    def send(self, command: OpenCommand) -> AckResult:
        self.agent.publish(_topic(self.world, GateChannel.CMD_OPEN), encode_message(command))
        assert self.agent.wait_for(lambda: command.command_id in self.acks(), timeout=10)
        return self.acks()[command.command_id]

    def acks(self) -> dict[str, AckResult]:
        payloads = self.agent.on_topic(_topic(self.world, GateChannel.CMD_ACK))
        decoded = [decode_message(p, CommandAck) for p in payloads]
        return {a.command_id: a.result for a in decoded if isinstance(a, CommandAck)}

    def forged_alarms(self) -> list[str]:
        payloads = self.agent.on_topic(_topic(self.world, GateChannel.ALARM))
        decoded = [decode_message(p, AlarmRaised) for p in payloads]
        return [
            a.detail or ""
            for a in decoded
            if isinstance(a, AlarmRaised) and a.alarm is AlarmKind.FORGED_COMMAND
        ]

    def close(self) -> None:
        self.bridge.stop()
        self.agent.close()


@pytest.fixture
def rig(tmp_path: Path, engine: Engine, mosquitto_factory: MosquittoFactory) -> Iterator[_Rig]:
    built = _Rig(tmp_path, engine, mosquitto_factory)
    yield built
    built.close()


def _signer(snapshot: ReplicaSnapshot) -> CommandSigner:
    signer = replica_signer(snapshot)
    assert signer is not None
    return signer


def test_rotation_and_retirement_reach_the_running_bridge(rig: _Rig) -> None:
    running = rig.bridge
    assert rig.send(_command("before-any-sync")) is AckResult.FORGED, "no key, no opening"
    first = _signer(rig.sync())
    assert rig.send(first.sign(_command("first"))) is AckResult.OPENED

    with Session(rig.engine) as session:
        rotate_command_key(
            session=session,
            gate_id=rig.world.gate,
            seal_key=rig.settings.template_key_bytes(),
            actor="test",
        )
        session.commit()
    second = _signer(rig.sync())
    assert second.key_id != first.key_id
    assert rig.send(second.sign(_command("new-key"))) is AckResult.OPENED
    assert rig.send(first.sign(_command("old-key-overlap"))) is AckResult.OPENED

    with Session(rig.engine) as session:
        retire_command_key(
            session=session, gate_id=rig.world.gate, key_id=first.key_id, actor="test"
        )
        session.commit()
    rig.sync()
    assert rig.send(first.sign(_command("old-key-retired"))) is AckResult.FORGED
    assert rig.send(second.sign(_command("new-key-again"))) is AckResult.OPENED
    thief = CommandSigner(
        site=rig.world.site,
        gate=rig.world.gate,
        key_id=second.key_id,
        private_key=Ed25519PrivateKey.generate(),
    )
    assert rig.send(thief.sign(_command("forged"))) is AckResult.FORGED

    assert rig.bridge.actuations == 4, "the four right commands, nothing else"
    assert rig.agent.wait_for(lambda: len(rig.forged_alarms()) == 3)
    alarms = rig.forged_alarms()
    assert rig.bridge is running and running.actuations == 4, "one bridge, never restarted"
    assert any(f"unknown command key {first.key_id}" in detail for detail in alarms)
    assert any(f"bad signature (key {second.key_id})" in detail for detail in alarms)
