"""Every PortGate broker client speaks TLS the same way, against a real mosquitto.

The broker listens with TLS only and ``require_certificate true``; a CA made by the test
signed its certificate and the clients' certificates. The API's bus, the CLI's sync
notices, the agent's link and the bridge's bus each connect with their own config keys
(mapped onto `gate_protocol.mqtt_connection`) and exchange a message with a probe; a CA that
did not sign the broker's certificate is refused with an error that says so.
"""

import logging
import queue
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from central_api.bus.mqtt import MqttBus, NullBus
from central_api.bus.notice_sender import NoticeError, send_notices
from central_api.config import Settings
from firmware_bridge.assembly import build_bus
from firmware_bridge.bus import BusConnected, BusItem, BusMessage
from firmware_bridge.config import BridgeConfig
from gate_agent.config import AgentConfig
from gate_agent.links.bus import MqttConnected, MqttIncoming, MqttSubscribed
from gate_agent.links.mqtt_link import MqttLink
from gate_agent.loop.inbox import InboxItem
from gate_protocol.messages import NodeKind, NodeState, NodeStatus, SyncNotice, decode_message
from gate_protocol.mqtt_connection import MqttConnection
from gate_protocol.topics import (
    GateChannel,
    GateTopic,
    SyncTopic,
    build_topic,
    filter_site_channel,
)
from portgate.commands.sync_notices import deliver_notices
from testkit.mosquitto import MosquittoFactory
from testkit.polling import wait_until
from testkit.tls_broker import TlsProbe, TlsSite, start_tls_broker
from testkit.tls_ca import TestCa

pytestmark = pytest.mark.integration
SITE, GATE = "rtm", "north-1"
SYNC = build_topic(SyncTopic(site=SITE))
EVENT = build_topic(GateTopic(site=SITE, gate=GATE, channel=GateChannel.EVENT))
CREDENTIAL = build_topic(GateTopic(site=SITE, gate=GATE, channel=GateChannel.CREDENTIAL))
CMD_OPEN = build_topic(GateTopic(site=SITE, gate=GATE, channel=GateChannel.CMD_OPEN))
BRIDGE_STATUS = GateTopic(site=SITE, gate=GATE, channel=GateChannel.STATUS, node=NodeKind.BRIDGE)


@pytest.fixture
def site(tmp_path: Path, mosquitto_factory: MosquittoFactory) -> TlsSite:
    return start_tls_broker(tmp_path, mosquitto_factory)


@pytest.fixture
def probe(site: TlsSite) -> Iterator[TlsProbe]:
    probe = TlsProbe(site.connection())
    yield probe
    probe.stop()


def _notice(version: int) -> NullBus:
    bus = NullBus()
    bus.publish(SyncTopic(site=SITE), SyncNotice(replica_version=version, at=datetime.now(UTC)))
    return bus


def test_api_bus_over_tls_with_a_client_certificate(site: TlsSite, probe: TlsProbe) -> None:
    settings = Settings(
        PORTGATE_DEV_MODE=True,
        MQTT_URL=site.url,
        PORTGATE_MQTT_CA_FILE=site.ca.cert_file,
        PORTGATE_MQTT_CERT_FILE=site.client.cert_file,
        PORTGATE_MQTT_KEY_FILE=site.client.key_file,
    )
    connection = settings.ingest_mqtt_connection()
    assert connection is not None and connection.tls and connection.cert_file is not None
    received: list[tuple[str, bytes]] = []

    def sink(topic: str, payload: bytes, ack: object = None) -> None:
        received.append((topic, payload))
        if callable(ack):
            ack()

    probe.start(SYNC)
    bus = MqttBus(
        connection=connection,
        client_id="api-tls",
        filters=[filter_site_channel(SITE, GateChannel.EVENT)],
        sink=sink,
    )
    bus.start()
    try:
        assert bus.wait_connected(10)
        # One connection's packets are handled in order: once this publish has reached the
        # probe, the broker has the subscription the bus sent before it.
        bus.publish(SyncTopic(site=SITE), SyncNotice(replica_version=3, at=datetime.now(UTC)))
        assert wait_until(lambda: bool(probe.received(SYNC)))
        notice = decode_message(probe.received(SYNC)[-1], SyncNotice)
        assert isinstance(notice, SyncNotice) and notice.replica_version == 3
        probe.publish(EVENT, b'{"from": "gate"}')
        assert wait_until(lambda: (EVENT, b'{"from": "gate"}') in received)
    finally:
        bus.stop()


def test_cli_notices_over_tls_from_the_environment(
    site: TlsSite,
    probe: TlsProbe,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    probe.start(SYNC)
    monkeypatch.setenv("MQTT_URL", site.url)
    monkeypatch.setenv("PORTGATE_MQTT_CA_FILE", str(site.ca.cert_file))
    monkeypatch.setenv("PORTGATE_MQTT_CERT_FILE", str(site.client.cert_file))
    monkeypatch.setenv("PORTGATE_MQTT_KEY_FILE", str(site.client.key_file))
    deliver_notices(_notice(7), command="gates add")
    assert "1 sync notice(s) published" in capsys.readouterr().err
    assert wait_until(lambda: bool(probe.received(SYNC)))
    notice = decode_message(probe.received(SYNC)[-1], SyncNotice)
    assert isinstance(notice, SyncNotice) and notice.replica_version == 7


def test_agent_link_over_tls_from_its_config(site: TlsSite, probe: TlsProbe) -> None:
    config = AgentConfig.model_validate(
        {
            "site": SITE,
            "gate": GATE,
            "mqtt": {
                "url": site.url,
                "ca_file": str(site.ca.cert_file),
                "cert_file": str(site.client.cert_file),
                "key_file": str(site.client.key_file),
            },
        }
    )
    probe.start(EVENT)
    inbox: queue.Queue[InboxItem] = queue.Queue()
    link = MqttLink(
        inbox=inbox, client_id="agent-tls", connection=config.mqtt.connection(password=None)
    )
    link.start()
    try:
        assert isinstance(_next(inbox, MqttConnected), MqttConnected)
        link.subscribe([CREDENTIAL])
        assert isinstance(_next(inbox, MqttSubscribed), MqttSubscribed)
        probe.publish(CREDENTIAL, b"badge")
        incoming = _next(inbox, MqttIncoming)
        assert isinstance(incoming, MqttIncoming) and incoming.payload == b"badge"
        assert link.publish(EVENT, b"event") is not None
        assert wait_until(lambda: probe.received(EVENT) == [b"event"])
    finally:
        link.stop()


def test_bridge_bus_over_tls_from_its_config(site: TlsSite, probe: TlsProbe) -> None:
    config = BridgeConfig.model_validate(
        {
            "site": SITE,
            "gate": GATE,
            "lanes": [{"lane": 0, "direction": "entry"}],
            "require_signed_commands": False,
            "mqtt": {
                "url": site.url,
                "ca_file": str(site.ca.cert_file),
                "cert_file": str(site.client.cert_file),
                "key_file": str(site.client.key_file),
            },
        }
    )
    probe.start(build_topic(BRIDGE_STATUS))
    items: list[BusItem] = []
    bus = build_bus(config, environ={})
    bus.start(items.append)
    try:
        assert wait_until(lambda: any(isinstance(i, BusConnected) for i in items))
        bus.subscribe([CMD_OPEN])
        # One connection's packets are handled in order: once this publish has reached the
        # probe, the broker has the subscription sent before it.
        status = NodeStatus(
            node=NodeKind.BRIDGE, state=NodeState.ONLINE, version="t", since=datetime.now(UTC)
        )
        bus.publish(topic=BRIDGE_STATUS, message=status)
        assert wait_until(lambda: bool(probe.received(build_topic(BRIDGE_STATUS))))
        probe.publish(CMD_OPEN, b"open")
        assert wait_until(lambda: BusMessage(topic=CMD_OPEN, payload=b"open") in items)
    finally:
        bus.stop()


def test_a_ca_that_did_not_sign_the_broker_is_refused_clearly(
    site: TlsSite, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    stranger = TestCa.create(tmp_path / "other-pki", name="Another CA")
    wrong = MqttConnection.from_url(
        site.url,
        ca_file=stranger.cert_file,
        cert_file=site.client.cert_file,
        key_file=site.client.key_file,
    )
    with pytest.raises(NoticeError, match="not trusted by ca_file .*another-ca-ca.crt"):
        send_notices(_notice(1).published, connection=wrong, timeout_s=5)
    # A long-running client (the agent's link) keeps retrying and says why, once.
    caplog.set_level(logging.WARNING, logger="gate_protocol.mqtt_connection")
    inbox: queue.Queue[InboxItem] = queue.Queue()
    link = MqttLink(inbox=inbox, client_id="agent-wrong-ca", connection=wrong)
    link.start()
    try:
        assert wait_until(lambda: "not trusted by ca_file" in caplog.text)
        assert f"broker at {site.url} presented a certificate not trusted" in caplog.text
        time.sleep(2.5)  # paho retries after 1 s and 2 s: the same reason is not logged again
        assert inbox.empty()  # never connected
    finally:
        link.stop()
    assert caplog.text.count("MQTT connection failed") == 1


def test_a_client_without_a_certificate_is_not_let_in(site: TlsSite) -> None:
    anonymous = MqttConnection.from_url(site.url, ca_file=site.ca.cert_file)
    with pytest.raises(NoticeError, match="closed the connection.*require a client certificate"):
        send_notices(_notice(1).published, connection=anonymous, timeout_s=3)


def _next(inbox: "queue.Queue[InboxItem]", kind: type) -> object:
    """The next inbox item of `kind` within 10 s (others are skipped), or None."""
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            item = inbox.get(timeout=0.1)
        except queue.Empty:
            continue
        if isinstance(item, kind):
            return item
    return None
