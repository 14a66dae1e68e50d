"""The gate agent against a real mosquitto, a real HTTP API stub and a simulated bridge."""

import os
import signal
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from gate_agent.app import AgentApp
from gate_agent.decision.replica_store import ReplicaStore, StoredReplica
from gate_protocol.messages import (
    AccessEvent,
    AckResult,
    BadgeFormat,
    CommandAck,
    CredentialKind,
    CredentialPresented,
    DecidedBy,
    Decision,
    NodeState,
    NodeStatus,
    decode_message,
    encode_message,
)
from gate_protocol.reasons import ReasonCode
from gate_protocol.records import OfflinePolicy
from gate_protocol.topics import GateChannel, GateTopic, NodeKind, build_topic
from testkit.agent.api_stub import ApiStub
from testkit.agent.bridge_sim import BridgeSim
from testkit.agent.doubles import (
    GATE_KEY,
    GOOD_BADGE,
    REVOKED_BADGE,
    agent_config,
    make_snapshot,
    topic,
)
from testkit.mosquitto import MosquittoFactory, MosquittoProcess, free_port
from testkit.mqtt_probe import MqttProbe
from testkit.polling import wait_until

pytestmark = pytest.mark.integration


@dataclass
class Site:
    broker: MosquittoProcess
    api: ApiStub
    bridge: BridgeSim
    tmp_path: Path
    apps: list[AgentApp]

    def start_agent(self, **extra: Any) -> AgentApp:
        config = agent_config(
            self.tmp_path, mqtt_port=self.broker.port, api_url=self.api.url, **extra
        )
        app = AgentApp(config, gate_key=GATE_KEY)
        app.start()
        self.apps.append(app)
        assert wait_until(lambda: app.agent.subscribed, 6), "agent did not connect"
        return app

    def badge(self, number: str, *, lane: int = 0) -> None:
        read = CredentialPresented(
            badge_number=number,
            format=BadgeFormat.WIEGAND26,
            reader_id="r1",
            lane=lane,
            read_at=datetime.now(UTC),
        )
        self.bridge.publish(GateChannel.CREDENTIAL, encode_message(read))

    def next_event(self, count: int = 1, timeout: float = 6.0) -> AccessEvent:
        assert self.bridge.wait_for(lambda: len(self.bridge.events) >= count, timeout), (
            f"expected {count} events, got {len(self.bridge.events)}"
        )
        return self.bridge.events[count - 1]


def persistent_broker(factory: MosquittoFactory, tmp_path: Path) -> MosquittoProcess:
    port = free_port()
    store = tmp_path / f"mosquitto-{port}"
    conf = (
        "listener {port} 127.0.0.1\nallow_anonymous true\n"
        f"persistence true\npersistence_location {store}/\n"
    )
    return factory(conf_text=conf, port=port)


@pytest.fixture
def site(mosquitto: MosquittoProcess, tmp_path: Path) -> Iterator[Site]:
    api = ApiStub()
    bridge = BridgeSim(mosquitto.port)
    site = Site(mosquitto, api, bridge, tmp_path, [])
    yield site
    for app in site.apps:
        app.stop()
    bridge.close()
    api.stop()


def test_badge_read_is_decided_opened_and_reported_once(site: Site) -> None:
    app = site.start_agent()
    site.badge(GOOD_BADGE, lane=1)
    event = site.next_event()
    assert len(site.bridge.commands) == 1
    command = site.bridge.commands[0]
    assert command.lane == 1 and command.direction.value == "exit"
    assert command.expires_at - command.issued_at == timedelta(seconds=5)
    assert event.decision is Decision.GRANTED and event.reason is ReasonCode.GRANTED
    assert event.decided_by is DecidedBy.CENTRAL
    assert event.person_id == "P1"
    assert event.credential_kind is CredentialKind.BADGE and event.credential_ref == GOOD_BADGE
    assert event.command_id == command.command_id and event.passed is True
    assert event.replica_version == 7 and event.agent_seq == 1
    assert event.latency.decision_ms is not None and event.latency.total_ms is not None
    assert site.api.queries[0].badge_number == GOOD_BADGE
    time.sleep(0.3)
    assert len(site.bridge.events) == 1
    assert wait_until(lambda: app.outbox.events.unsent == 0, 6)


def test_unknown_badge_is_denied_without_opening(site: Site) -> None:
    site.start_agent()
    site.badge("BEEF")
    event = site.next_event()
    assert event.decision is Decision.DENIED and event.reason is ReasonCode.UNKNOWN_CREDENTIAL
    assert event.command_id is None and event.passed is None
    assert site.bridge.commands == []


def test_turnstile_refusal_is_in_the_event(site: Site) -> None:
    site.bridge.ack = AckResult.EXPIRED
    site.start_agent()
    site.badge(GOOD_BADGE)
    event = site.next_event()
    assert event.decision is Decision.GRANTED and event.passed is False
    assert event.reason_detail is not None and "expired" in event.reason_detail


def test_slow_api_is_cut_off_and_the_replica_decides(site: Site) -> None:
    app = site.start_agent()
    assert wait_until(lambda: app.agent.replica.index is not None, 6), "replica not synced"
    site.api.mode = "slow"
    site.badge(GOOD_BADGE)
    granted = site.next_event()
    site.badge(REVOKED_BADGE)
    revoked = site.next_event(2)
    assert granted.decided_by is DecidedBy.REPLICA and granted.decision is Decision.GRANTED
    assert granted.replica_version == 7 and granted.passed is True
    assert granted.latency.decision_ms is not None
    assert granted.latency.decision_ms < site.api.slow_s * 1000
    assert revoked.decided_by is DecidedBy.REPLICA and revoked.reason is ReasonCode.REVOKED


def test_stopped_api_falls_back_to_replica(site: Site) -> None:
    app = site.start_agent()
    assert wait_until(lambda: app.agent.replica.index is not None, 6)
    site.api.stop()
    site.badge(GOOD_BADGE)
    event = site.next_event()
    assert event.decided_by is DecidedBy.REPLICA and event.decision is Decision.GRANTED


def test_offline_policy_deny_denies_when_api_fails(site: Site) -> None:
    site.api.snapshot = make_snapshot(offline_policy=OfflinePolicy.DENY)
    app = site.start_agent()
    assert wait_until(lambda: app.agent.replica.index is not None, 6)
    site.api.mode = "error"
    site.badge(GOOD_BADGE)
    event = site.next_event()
    assert event.decided_by is DecidedBy.REPLICA
    assert event.decision is Decision.DENIED and event.reason is ReasonCode.GATE_OFFLINE_POLICY
    assert site.bridge.commands == []


def test_too_old_replica_denies(site: Site) -> None:
    old = datetime.now(UTC) - timedelta(hours=3)
    ReplicaStore(site.tmp_path / "replica.json").save(
        StoredReplica(snapshot=make_snapshot(generated_at=old), last_sync_at=old)
    )
    site.api.stop()
    app = site.start_agent()
    assert app.agent.replica.index is not None  # loaded from disk at start
    site.badge(GOOD_BADGE)
    event = site.next_event()
    assert event.decided_by is DecidedBy.REPLICA and event.reason is ReasonCode.REPLICA_TOO_OLD


def test_sync_notice_refreshes_replica_and_it_is_persisted(site: Site) -> None:
    app = site.start_agent()
    assert wait_until(lambda: app.agent.replica.index is not None, 6)
    site.api.snapshot = make_snapshot(version=9)
    from gate_protocol.messages import SyncNotice
    from gate_protocol.topics import SyncTopic

    notice = SyncNotice(replica_version=9, at=datetime.now(UTC))
    probe = MqttProbe(site.broker.port)
    probe.connect()
    probe.publish(build_topic(SyncTopic("t1")), encode_message(notice), retain=True)
    probe.close()
    index = lambda: app.agent.replica.index  # noqa: E731
    assert wait_until(lambda: (i := index()) is not None and i.snapshot.version == 9, 6)
    stored = ReplicaStore(site.tmp_path / "replica.json").load()
    assert stored is not None and stored.snapshot.version == 9


def test_malformed_messages_are_dropped_counted_and_the_loop_goes_on(site: Site) -> None:
    app = site.start_agent()
    site.bridge.publish(GateChannel.CREDENTIAL, b"{not json")
    site.bridge.publish(GateChannel.CREDENTIAL, b'{"kind":"credential_presented"}')
    site.bridge.publish(GateChannel.CMD_ACK, b"\xff\xfe")
    stray = CommandAck(command_id="nobody", result=AckResult.OPENED, at=datetime.now(UTC))
    site.bridge.publish(GateChannel.CMD_ACK, encode_message(stray))
    site.bridge.publish(GateChannel.PASSAGE, encode_message(stray))  # an ack on the passage topic
    site.badge(GOOD_BADGE)
    event = site.next_event()
    assert event.decision is Decision.GRANTED and event.passed is True
    drops = app.agent.drops
    assert drops["credential:malformed_json"] == 1
    assert drops["credential:invalid"] == 1
    assert drops["cmd_ack:malformed_json"] == 1
    assert drops["cmd_ack:unknown_command"] == 1
    assert drops["passage:unexpected_kind"] == 1


def test_status_is_retained_online_and_offline_after_stop(site: Site) -> None:
    app = site.start_agent()
    status_topic = build_topic(GateTopic("t1", "g1", GateChannel.STATUS, NodeKind.AGENT))
    probe = MqttProbe(site.broker.port)
    probe.connect()
    probe.subscribe(status_topic)
    assert probe.wait_for(lambda: probe.on_topic(status_topic))
    online = decode_message(probe.on_topic(status_topic)[0], expected=NodeStatus)
    assert isinstance(online, NodeStatus) and online.state is NodeState.ONLINE
    app.stop()
    site.apps.remove(app)
    assert probe.wait_for(lambda: len(probe.on_topic(status_topic)) >= 2)
    offline = decode_message(probe.on_topic(status_topic)[-1], expected=NodeStatus)
    assert isinstance(offline, NodeStatus) and offline.state is NodeState.OFFLINE
    probe.close()


def test_broker_outage_keeps_events_and_delivers_them_after_restart(
    mosquitto_factory: MosquittoFactory, tmp_path: Path
) -> None:
    broker = persistent_broker(mosquitto_factory, tmp_path)
    api = ApiStub()
    observer = MqttProbe(broker.port, client_id="observer", clean_session=False)
    observer.connect()
    observer.subscribe(topic(GateChannel.EVENT))
    config = agent_config(tmp_path, mqtt_port=broker.port, api_url=api.url)
    codes: list[str] = []
    app = AgentApp(config, gate_key=GATE_KEY, **camera_fakes(codes))
    app.start()
    try:
        assert wait_until(lambda: app.agent.connected, 6)
        api.stop()  # no HTTP replay either: the outbox alone must keep the events
        broker.stop()
        assert wait_until(lambda: not app.agent.connected, 6)
        for n in range(5):
            codes.append(f"PG1:NOT-A-PASS-{n}")  # denied offline, before anything else
        assert wait_until(lambda: app.outbox.events.unsent == 5, 6), app.outbox.events.unsent
        broker.start()
        assert wait_until(lambda: app.outbox.events.unsent == 0, timeout=10)
        assert observer.wait_for(lambda: len(observer.on_topic(topic(GateChannel.EVENT))) >= 5)
        events = [
            decode_message(p, expected=AccessEvent)
            for p in observer.on_topic(topic(GateChannel.EVENT))
        ]
        assert all(isinstance(e, AccessEvent) for e in events)
        ids = {e.event_id for e in events if isinstance(e, AccessEvent)}
        assert len(ids) == 5 == len(events)
        assert all(
            e.reason is ReasonCode.PASS_INVALID for e in events if isinstance(e, AccessEvent)
        )
    finally:
        app.stop()
        observer.close()


def test_events_in_flight_when_the_broker_crashes_are_sent_again(
    mosquitto_factory: MosquittoFactory, tmp_path: Path
) -> None:
    broker = persistent_broker(mosquitto_factory, tmp_path)
    api = ApiStub()
    observer = MqttProbe(broker.port, client_id="observer", clean_session=False)
    observer.connect()
    observer.subscribe(topic(GateChannel.EVENT))
    broker.stop()  # saves the observer's session: it will get what is published later
    broker.start()
    assert observer.wait_for(lambda: observer.connected, 10)
    config = agent_config(tmp_path, mqtt_port=broker.port, api_url=api.url)
    codes: list[str] = []
    app = AgentApp(config, gate_key=GATE_KEY, **camera_fakes(codes))
    app.start()
    process = broker.process
    assert process is not None
    try:
        assert wait_until(lambda: app.agent.subscribed, 6)
        api.stop()
        os.kill(process.pid, signal.SIGSTOP)  # the broker hangs: no PUBACK comes
        codes.extend(["PG1:CRASH-1", "PG1:CRASH-2", "PG1:CRASH-3"])
        assert wait_until(lambda: app.sender.in_flight == 3, 6), app.sender.in_flight
        assert app.outbox.events.unsent == 3
        broker.kill()  # SIGKILL: whatever it had read of them is gone
        broker.start()
        events = app.outbox.events
        assert wait_until(lambda: events.unsent == 0, timeout=15), events.unsent
        assert observer.wait_for(lambda: len(observer.on_topic(topic(GateChannel.EVENT))) >= 3)
        ids = {
            e.event_id
            for p in observer.on_topic(topic(GateChannel.EVENT))
            if isinstance(e := decode_message(p), AccessEvent)
        }
        assert len(ids) == 3
    finally:
        app.stop()
        observer.close()


def test_broker_outage_replays_events_over_http(site: Site) -> None:
    codes: list[str] = []
    config = agent_config(site.tmp_path, mqtt_port=site.broker.port, api_url=site.api.url)
    app = AgentApp(config, gate_key=GATE_KEY, **camera_fakes(codes))
    app.start()
    site.apps.append(app)
    assert wait_until(lambda: app.agent.connected, 6)
    site.broker.stop()
    assert wait_until(lambda: not app.agent.connected, 6)
    codes.extend(["PG1:BROKEN-1", "PG1:BROKEN-2", "PG1:BROKEN-3"])
    assert wait_until(lambda: len(site.api.events) == 3, timeout=8), len(site.api.events)
    assert wait_until(lambda: app.outbox.events.unsent == 0, 6)  # marked once the API has answered
    seqs = sorted(e.agent_seq for e in site.api.events.values())
    assert seqs == [1, 2, 3]
    site.broker.start()  # the fixture's bridge and teardown expect it back


class ScriptedScanner:
    """Returns each queued code text once, for the next frame scanned."""

    def __init__(self, codes: list[str]) -> None:
        self.codes = codes

    def __call__(self, image: Any) -> list[str]:
        return [self.codes.pop(0)] if self.codes else []


def camera_fakes(codes: list[str]) -> dict[str, Any]:
    import numpy as np

    from gate_agent.camera.frames import ReplayFrameSource

    frame = np.zeros((8, 8, 3), dtype=np.uint8)
    return {"scanner": ScriptedScanner(codes), "frame_source": ReplayFrameSource([frame], fps=50)}
