"""The site's broker security against a real mosquitto started with the generated files."""

from dataclasses import dataclass
from pathlib import Path

import pytest

from gate_protocol.topics import (
    GateChannel,
    GateTopic,
    NodeKind,
    SiteAlarmTopic,
    SyncTopic,
    build_topic,
    filter_site_channel,
)
from portgate.broker.site_config import BrokerSettings, GateEntry, SiteConfig
from testkit.mosquitto import MosquittoFactory, MosquittoProcess
from testkit.mqtt_probe import MqttProbe
from testkit.secured_broker import start_site_broker

pytestmark = pytest.mark.integration

SITE = SiteConfig(
    site="t1",
    gates=[GateEntry(id="gate-a"), GateEntry(id="gate-b")],
    broker=BrokerSettings(healthcheck_user="healthcheck"),
)


def topic(gate: str, channel: GateChannel, node: NodeKind | None = None) -> str:
    return build_topic(GateTopic(site="t1", gate=gate, channel=channel, node=node))


@dataclass
class SecuredBroker:
    broker: MosquittoProcess
    passwords: dict[str, str]
    probes: list[MqttProbe]

    def client(
        self, username: str | None, *, password: str | None = None, client_id: str = ""
    ) -> MqttProbe:
        pw = self.passwords.get(username or "", "") if password is None else password
        probe = MqttProbe(self.broker.port, username=username, password=pw, client_id=client_id)
        self.probes.append(probe)
        return probe

    def connected(self, username: str, client_id: str = "") -> MqttProbe:
        probe = self.client(username, client_id=client_id)
        result = probe.connect()
        assert not result.is_failure, f"{username} refused: {result}"  # type: ignore[attr-defined]
        return probe


@pytest.fixture
def secured(tmp_path: Path, mosquitto_factory: MosquittoFactory):  # type: ignore[no-untyped-def]
    # $SYS every second, so that a test can see who receives it.
    site = start_site_broker(
        tmp_path, SITE, extra_conf="sys_interval 1\n", launch=mosquitto_factory
    )
    assert site.files.credentials is None  # every password came from the environment
    secured = SecuredBroker(broker=site.broker, passwords=site.passwords, probes=[])
    yield secured
    for probe in secured.probes:
        probe.close()


def test_anonymous_is_refused(secured: SecuredBroker) -> None:
    result = secured.client(None).connect()
    assert result.is_failure  # type: ignore[attr-defined]


def test_wrong_password_is_refused(secured: SecuredBroker) -> None:
    result = secured.client("bridge-gate-a", password="not-the-password").connect()
    assert result.is_failure  # type: ignore[attr-defined]


def test_unknown_user_is_refused(secured: SecuredBroker) -> None:
    result = secured.client("intruder", password="whatever").connect()
    assert result.is_failure  # type: ignore[attr-defined]


def test_gate_a_cannot_open_gate_b(secured: SecuredBroker) -> None:
    admin = secured.connected("admin")
    admin.subscribe("#")
    agent_a = secured.connected("agent-gate-a")
    agent_a.publish(topic("gate-b", GateChannel.CMD_OPEN), b"forged open for gate b")
    agent_a.publish(topic("gate-a", GateChannel.CMD_OPEN), b"marker")
    assert admin.wait_for(lambda: admin.on_topic(topic("gate-a", GateChannel.CMD_OPEN)))
    assert admin.on_topic(topic("gate-b", GateChannel.CMD_OPEN)) == []


def test_bridge_may_not_forge_agent_events_and_agent_not_gate_state(secured: SecuredBroker) -> None:
    admin = secured.connected("admin")
    admin.subscribe("#")
    bridge_a = secured.connected("bridge-gate-a")
    agent_a = secured.connected("agent-gate-a")
    bridge_a.publish(topic("gate-a", GateChannel.EVENT), b"forged event")
    agent_a.publish(topic("gate-a", GateChannel.STATE), b"forged state")
    bridge_a.publish(topic("gate-a", GateChannel.STATUS, NodeKind.AGENT), b"forged agent status")
    bridge_a.publish(topic("gate-a", GateChannel.PASSAGE), b"marker")
    assert admin.wait_for(lambda: admin.on_topic(topic("gate-a", GateChannel.PASSAGE)))
    assert admin.on_topic(topic("gate-a", GateChannel.EVENT)) == []
    assert admin.on_topic(topic("gate-a", GateChannel.STATE)) == []
    assert admin.on_topic(topic("gate-a", GateChannel.STATUS, NodeKind.AGENT)) == []


def test_gate_node_cannot_subscribe_to_everything(secured: SecuredBroker) -> None:
    # mosquitto 2.0 grants the SUBACK but checks read access on every delivery: what
    # matters is that nothing outside gate A's topics ever arrives.
    agent_a = secured.connected("agent-gate-a")
    agent_a.subscribe("#")
    agent_a.subscribe("$SYS/#")
    agent_a.subscribe(topic("gate-b", GateChannel.CREDENTIAL))
    agent_a.subscribe(topic("gate-a", GateChannel.CREDENTIAL))
    admin = secured.connected("admin")
    admin.subscribe("$SYS/#")
    admin.publish(topic("gate-b", GateChannel.CREDENTIAL), b"gate b badge")
    admin.publish(topic("gate-a", GateChannel.CREDENTIAL), b"gate a badge")
    assert agent_a.wait_for(lambda: agent_a.on_topic(topic("gate-a", GateChannel.CREDENTIAL)))
    assert admin.wait_for(lambda: any(t.startswith("$SYS/") for t, _, _ in admin.messages), 3)
    assert agent_a.on_topic(topic("gate-b", GateChannel.CREDENTIAL)) == []
    # Only gate A's own topic arrived; '#' and '$SYS/#' brought nothing else.
    assert {t for t, _, _ in agent_a.messages} == {topic("gate-a", GateChannel.CREDENTIAL)}


def test_admin_may_subscribe_to_everything(secured: SecuredBroker) -> None:
    admin = secured.connected("admin")
    assert not admin.subscribe("#").is_failure  # type: ignore[attr-defined]
    assert not admin.subscribe("$SYS/#").is_failure  # type: ignore[attr-defined]


def test_api_reads_all_gates_and_writes_commands_and_sync(secured: SecuredBroker) -> None:
    api = secured.connected("api")
    api.subscribe(build_topic(GateTopic(site="t1", gate="gate-a", channel=GateChannel.EVENT)))
    api.subscribe(build_topic(GateTopic(site="t1", gate="gate-b", channel=GateChannel.EVENT)))
    bridge_b = secured.connected("bridge-gate-b")
    bridge_b.subscribe(topic("gate-b", GateChannel.CMD_OPEN))
    agent_a = secured.connected("agent-gate-a")
    agent_a.subscribe(build_topic(SyncTopic(site="t1")))
    agent_b = secured.connected("agent-gate-b")
    agent_b.publish(topic("gate-b", GateChannel.EVENT), b"event b")
    api.publish(topic("gate-b", GateChannel.CMD_OPEN), b"remote open")
    api.publish(build_topic(SyncTopic(site="t1")), b"sync", retain=True)
    api.publish(topic("gate-b", GateChannel.STATE), b"forged state by api")
    assert api.wait_for(lambda: api.on_topic(topic("gate-b", GateChannel.EVENT)))
    assert bridge_b.wait_for(lambda: bridge_b.on_topic(topic("gate-b", GateChannel.CMD_OPEN)))
    assert agent_a.wait_for(lambda: agent_a.on_topic(build_topic(SyncTopic(site="t1"))))
    admin = secured.connected("admin")
    admin.subscribe("#")  # retained messages arrive at subscription
    assert admin.wait_for(lambda: admin.on_topic(build_topic(SyncTopic(site="t1"))))
    assert admin.on_topic(topic("gate-b", GateChannel.STATE)) == []


def test_other_gate_cannot_take_over_a_client_id(secured: SecuredBroker) -> None:
    bridge_a = secured.connected("bridge-gate-a", client_id="bridge-gate-a")
    bridge_a.subscribe(topic("gate-a", GateChannel.CMD_OPEN))
    # Gate B's credentials asking for gate A's client id get their own id instead.
    thief = secured.connected("bridge-gate-b", client_id="bridge-gate-a")
    admin = secured.connected("admin")
    admin.publish(topic("gate-a", GateChannel.CMD_OPEN), b"after takeover attempt")
    assert bridge_a.wait_for(lambda: bridge_a.on_topic(topic("gate-a", GateChannel.CMD_OPEN)))
    assert bridge_a.connected and bridge_a.disconnects == []
    assert thief.connected
    assert "bridge-gate-b" in secured.broker.log()


def test_healthcheck_sees_uptime_and_nothing_else(secured: SecuredBroker) -> None:
    probe = secured.connected("healthcheck")
    probe.subscribe("$SYS/broker/uptime")
    probe.subscribe("#")
    admin = secured.connected("admin")
    admin.publish(topic("gate-a", GateChannel.STATE), b"state", retain=True)
    assert probe.wait_for(lambda: bool(probe.on_topic("$SYS/broker/uptime")), 3)
    probe.publish(topic("gate-a", GateChannel.CMD_OPEN), b"forged")
    admin.subscribe("#")
    admin.publish(topic("gate-b", GateChannel.STATE), b"marker")
    assert admin.wait_for(lambda: bool(admin.on_topic(topic("gate-b", GateChannel.STATE))))
    assert admin.on_topic(topic("gate-a", GateChannel.CMD_OPEN)) == []
    assert {t for t, _, _ in probe.messages} == {"$SYS/broker/uptime"}


def test_only_the_api_uses_the_site_alarm_topic(secured: SecuredBroker) -> None:
    alarms = build_topic(SiteAlarmTopic(site="t1"))
    api = secured.connected("api")
    api.subscribe(alarms)
    agent_a = secured.connected("agent-gate-a")
    agent_a.subscribe(alarms)
    bridge_a = secured.connected("bridge-gate-a")
    bridge_a.subscribe(alarms)
    agent_a.publish(alarms, b"forged alarm notice by a gate")
    bridge_a.publish(alarms, b"forged acknowledgement by a bridge")
    api.publish(alarms, b"notice")
    assert api.wait_for(lambda: b"notice" in api.on_topic(alarms))
    admin = secured.connected("admin")
    admin.subscribe("#")
    api.publish(alarms, b"marker")
    assert admin.wait_for(lambda: b"marker" in admin.on_topic(alarms))
    # Gates neither wrote to it nor read it.
    assert api.on_topic(alarms) == [b"notice", b"marker"]
    assert agent_a.on_topic(alarms) == [] and bridge_a.on_topic(alarms) == []


def test_only_a_gates_own_agent_sends_its_stills(secured: SecuredBroker) -> None:
    api = secured.connected("api")
    api.subscribe(filter_site_channel("t1", GateChannel.STILL))
    agent_a = secured.connected("agent-gate-a")
    bridge_a = secured.connected("bridge-gate-a")
    agent_a.publish(topic("gate-b", GateChannel.STILL), b"forged still for gate b")
    bridge_a.publish(topic("gate-a", GateChannel.STILL), b"forged still from the bridge")
    agent_a.publish(topic("gate-a", GateChannel.STILL), b"gate a's still")
    assert api.wait_for(lambda: api.on_topic(topic("gate-a", GateChannel.STILL)))
    assert api.on_topic(topic("gate-a", GateChannel.STILL)) == [b"gate a's still"]
    assert api.on_topic(topic("gate-b", GateChannel.STILL)) == []
