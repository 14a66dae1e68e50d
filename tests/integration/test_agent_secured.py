"""The agent as its per-gate broker user, on a mosquitto with the site's generated ACL."""

import time
from datetime import UTC, datetime
from pathlib import Path

import pytest

from gate_agent.app import AgentApp
from gate_agent.config import ConfigError
from gate_protocol.messages import (
    AccessEvent,
    BadgeFormat,
    CredentialPresented,
    Decision,
    NodeState,
    NodeStatus,
    decode_message,
    encode_message,
)
from gate_protocol.topics import GateChannel, GateTopic, NodeKind, build_topic  # noqa: E402
from portgate.broker.site_config import GateEntry, SiteConfig, broker_users
from testkit.agent.api_stub import ApiStub
from testkit.agent.bridge_sim import BridgeSim
from testkit.agent.doubles import GATE_KEY, GOOD_BADGE, agent_config, topic
from testkit.mosquitto import MosquittoFactory
from testkit.mqtt_probe import MqttProbe
from testkit.secured_broker import start_site_broker

pytestmark = pytest.mark.integration


def test_agent_works_within_its_gate_acl(
    mosquitto_factory: MosquittoFactory, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    site = SiteConfig(site="t1", gates=[GateEntry(id="g1")])
    users = broker_users(site)
    secured = start_site_broker(tmp_path, site, launch=mosquitto_factory)
    port = secured.port
    password = secured.passwords
    admin = MqttProbe(port, username="admin", password=password["admin"])
    admin.connect()
    admin.subscribe("portgate/#")
    bridge = BridgeSim(port, username="bridge-g1", password=password["bridge-g1"])
    api = ApiStub()
    env_name = next(u.password_env for u in users if u.username == "agent-g1")
    config = agent_config(
        tmp_path,
        mqtt_port=port,
        api_url=api.url,
        mqtt={"username": "agent-g1", "password_env": env_name},
    )
    with pytest.raises(ConfigError, match=env_name):
        AgentApp(config, gate_key=GATE_KEY)  # the password is named but not set
    monkeypatch.setenv(env_name, password["agent-g1"])
    app = AgentApp(config, gate_key=GATE_KEY)
    app.start()
    try:
        deadline = time.monotonic() + 10
        while not app.agent.subscribed and time.monotonic() < deadline:
            time.sleep(0.05)
        assert app.agent.subscribed
        read = CredentialPresented(
            badge_number=GOOD_BADGE,
            format=BadgeFormat.WIEGAND26,
            reader_id="r1",
            lane=0,
            read_at=datetime.now(UTC),
        )
        bridge.publish(GateChannel.CREDENTIAL, encode_message(read))
        event_topic = topic(GateChannel.EVENT)
        assert admin.wait_for(lambda: admin.on_topic(event_topic), timeout=10)
        event = decode_message(admin.on_topic(event_topic)[0], expected=AccessEvent)
        assert isinstance(event, AccessEvent)
        assert event.decision is Decision.GRANTED and event.passed is True
        status = build_topic(GateTopic("t1", "g1", GateChannel.STATUS, NodeKind.AGENT))
        online = decode_message(admin.on_topic(status)[0], expected=NodeStatus)
        assert isinstance(online, NodeStatus) and online.state is NodeState.ONLINE
    finally:
        app.stop()
        bridge.close()
        admin.close()
        api.stop()
