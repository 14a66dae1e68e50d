"""Test doubles that speak the real wire: a tiny HTTP central API and a simulated bridge.

The API stub is a real HTTP server (http.server in a thread) serving the api_models
contract, so the agent's timeouts, connection errors and 5xx handling are exercised for
real; it can be made slow, failing or stopped. The bridge simulator is a real MQTT client
that answers OpenCommands with CommandAck and Passage.
"""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion

from gate_agent.config import AgentConfig
from gate_protocol.api_models import (
    DecisionAnswer,
    DecisionQuery,
    EventBatch,
    EventBatchResult,
    EventIdAnswer,
    EventIdQuery,
)
from gate_protocol.messages import (
    AccessEvent,
    AckResult,
    BadgeFormat,
    CommandAck,
    CredentialKind,
    CredentialPresented,
    DecidedBy,
    Decision,
    Direction,
    OpenCommand,
    Passage,
    decode_message,
    encode_message,
)
from gate_protocol.reasons import ReasonCode, describe_reason
from gate_protocol.records import (
    AccessGrant,
    AntiPassback,
    CredentialRecord,
    GatePolicy,
    OfflinePolicy,
    PersonKind,
    PersonRecord,
    PersonStatus,
    ZoneRules,
)
from gate_protocol.replica import ReplicaSnapshot
from gate_protocol.topics import GateChannel, GateTopic, build_topic

SITE, GATE, ZONE = "t1", "g1", "z1"
GATE_KEY = "test-gate-key-0123456789"
GOOD_BADGE, REVOKED_BADGE = "1234", "DEAD"


def make_snapshot(
    *,
    version: int = 7,
    offline_policy: OfflinePolicy = OfflinePolicy.REPLICA,
    generated_at: datetime | None = None,
    face_required: bool = False,
    max_age_s: int = 3600,
    anti_passback: AntiPassback = AntiPassback.NONE,
) -> ReplicaSnapshot:
    """A replica with one good badge (P1) and one revoked badge (P2)."""
    return ReplicaSnapshot(
        site_id=SITE,
        gate_id=GATE,
        generated_at=generated_at or datetime.now(UTC),
        gate=GatePolicy(
            gate_id=GATE,
            zone_id=ZONE,
            face_required=face_required,
            liveness_required=face_required,
            offline_policy=offline_policy,
            replica_max_age_s=max_age_s,
        ),
        zone=ZoneRules(zone_id=ZONE, anti_passback=anti_passback),
        version=version,
        persons=(
            PersonRecord(
                person_id="P1", kind=PersonKind.STAFF, grants=(AccessGrant(zone_id=ZONE),)
            ),
            PersonRecord(
                person_id="P2",
                kind=PersonKind.STAFF,
                status=PersonStatus.ACTIVE,
                grants=(AccessGrant(zone_id=ZONE),),
            ),
        ),
        credentials=(
            CredentialRecord(kind=CredentialKind.BADGE, ref=GOOD_BADGE, person_id="P1"),
            CredentialRecord(
                kind=CredentialKind.BADGE, ref=REVOKED_BADGE, person_id="P2", revoked=True
            ),
        ),
    )


def make_event(seq: int, event_id: str | None = None) -> AccessEvent:
    """A small denial event (for outbox tests)."""
    return AccessEvent(
        event_id=event_id or f"e{seq}",
        agent_seq=seq,
        occurred_at=datetime(2026, 1, 1, tzinfo=UTC),
        lane=0,
        direction=Direction.ENTRY,
        decision=Decision.DENIED,
        reason=ReasonCode.UNKNOWN_CREDENTIAL,
        credential_kind=CredentialKind.BADGE,
        decided_by=DecidedBy.CENTRAL,
    )


def topic(channel: GateChannel) -> str:
    """The topic of `channel` at the test gate."""
    return build_topic(GateTopic(SITE, GATE, channel))


class ApiStub:
    """The central API's agent-facing routes on a real port.

    `mode` is "up", "slow" (sleeps `slow_s` before answering decisions), or "error" (500).
    """

    def __init__(self, snapshot: ReplicaSnapshot | None = None) -> None:
        self.snapshot = snapshot or make_snapshot()
        self.mode = "up"
        self.slow_s = 1.0
        self.queries: list[DecisionQuery] = []
        self.events: dict[str, AccessEvent] = {}
        self.event_posts = 0
        self.known_posts = 0
        self.replica_gets = 0
        self.bad_keys = 0
        self._lock = threading.Lock()
        stub = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:
                pass

            def _reply(self, status: int, body: bytes) -> None:
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def _authorised(self) -> bool:
                if self.headers.get("X-Gate-Key") != GATE_KEY:
                    stub.bad_keys += 1
                    self._reply(401, b'{"detail":"bad gate key"}')
                    return False
                return True

            def do_POST(self) -> None:
                if not self._authorised():
                    return
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                if self.path == "/api/v1/decisions":
                    self._reply(*stub.answer(body))
                elif self.path == "/api/v1/events":
                    self._reply(*stub.store_events(body))
                elif self.path == "/api/v1/events/known":
                    self._reply(*stub.known_events(body))
                else:
                    self._reply(404, b"{}")

            def do_GET(self) -> None:
                if not self._authorised():
                    return
                if self.path.startswith(f"/api/v1/gates/{GATE}/replica"):
                    stub.replica_gets += 1
                    self._reply(200, stub.snapshot.model_dump_json().encode())
                else:
                    self._reply(404, b"{}")

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self.port = self._server.server_address[1]
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    @property
    def url(self) -> str:
        """``http://127.0.0.1:<port>`` of the stub."""
        return f"http://127.0.0.1:{self.port}"

    def answer(self, body: bytes) -> tuple[int, bytes]:
        """Answer a decision query: granted for the good badge or a pass (per `mode`)."""
        query = DecisionQuery.model_validate_json(body)
        with self._lock:
            self.queries.append(query)
        if self.mode == "error":
            return 500, b'{"detail":"boom"}'
        if self.mode == "slow":
            time.sleep(self.slow_s)
        granted = query.badge_number == GOOD_BADGE or query.pass_token is not None
        reason = ReasonCode.GRANTED if granted else ReasonCode.UNKNOWN_CREDENTIAL
        answer = DecisionAnswer(
            request_id=query.request_id,
            decision=Decision.GRANTED if granted else Decision.DENIED,
            reason=reason,
            reason_text=describe_reason(reason),
            person_id="P1" if granted else None,
            replica_version=self.snapshot.version,
        )
        return 200, answer.model_dump_json().encode()

    def store_events(self, body: bytes) -> tuple[int, bytes]:
        """Store an event batch once per event id; answer what was new and what was known."""
        batch = EventBatch.model_validate_json(body)
        stored = duplicates = 0
        with self._lock:
            self.event_posts += 1
            for event in batch.events:
                if event.event_id in self.events:
                    duplicates += 1
                else:
                    self.events[event.event_id] = event
                    stored += 1
        return 200, EventBatchResult(
            stored=stored, duplicates=duplicates
        ).model_dump_json().encode()

    def known_events(self, body: bytes) -> tuple[int, bytes]:
        """Answer which of the asked event ids the stub holds."""
        query = EventIdQuery.model_validate_json(body)
        with self._lock:
            self.known_posts += 1
            known = tuple(i for i in query.event_ids if i in self.events)
        return 200, EventIdAnswer(known=known).model_dump_json().encode()

    def stop(self) -> None:
        """Stop serving and close the socket."""
        self._server.shutdown()
        self._server.server_close()


def _nodelay(client: Any, userdata: Any, sock: Any) -> None:
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)


class BridgeSim:
    """A bridge on MQTT: answers each OpenCommand with an ack and a passage; records events."""

    def __init__(
        self,
        port: int,
        *,
        ack: AckResult = AckResult.OPENED,
        passed: bool = True,
        username: str | None = None,
        password: str | None = None,
    ) -> None:
        self.ack = ack
        self.passed: bool | None = passed
        self.commands: list[OpenCommand] = []
        self.events: list[AccessEvent] = []
        self.raw: list[tuple[str, bytes]] = []
        self.ack_delay_s = 0.0
        self._cond = threading.Condition()
        self._subscribed = threading.Event()
        self.client = mqtt.Client(CallbackAPIVersion.VERSION2, protocol=mqtt.MQTTv311)
        self.client.on_connect = self._on_connect
        self.client.on_message = self._on_message
        self.client.on_subscribe = self._on_subscribe
        self.client.on_socket_open = _nodelay
        if username is not None:
            self.client.username_pw_set(username, password)
        self.client.reconnect_delay_set(1, 1)
        self.client.connect("127.0.0.1", port, keepalive=10)
        self.client.loop_start()
        assert self._subscribed.wait(5), "bridge simulator did not connect"

    def _on_connect(self, client: Any, userdata: Any, flags: Any, rc: Any, props: Any) -> None:
        client.subscribe(
            [
                (topic(GateChannel.CMD_OPEN), 1),
                (topic(GateChannel.EVENT), 1),
                (topic(GateChannel.ALARM), 1),
            ]
        )

    def _on_subscribe(self, client: Any, userdata: Any, mid: Any, codes: Any, props: Any) -> None:
        self._subscribed.set()

    def _on_message(self, client: Any, userdata: Any, message: mqtt.MQTTMessage) -> None:
        payload = bytes(message.payload)
        with self._cond:
            self.raw.append((message.topic, payload))
            if message.topic == topic(GateChannel.EVENT):
                event = decode_message(payload, expected=AccessEvent)
                assert isinstance(event, AccessEvent)
                self.events.append(event)
            elif message.topic == topic(GateChannel.CMD_OPEN):
                command = decode_message(payload, expected=OpenCommand)
                assert isinstance(command, OpenCommand)
                self.commands.append(command)
                threading.Thread(target=self._answer, args=(command,), daemon=True).start()
            self._cond.notify_all()

    def _answer(self, command: OpenCommand) -> None:
        if self.ack_delay_s:
            time.sleep(self.ack_delay_s)
        now = datetime.now(UTC)
        ack = CommandAck(command_id=command.command_id, result=self.ack, at=now)
        self.client.publish(topic(GateChannel.CMD_ACK), encode_message(ack), qos=1)
        if self.ack is AckResult.OPENED and self.passed is not None:
            passage = Passage(
                command_id=command.command_id,
                lane=command.lane,
                passed=self.passed,
                at=now + timedelta(milliseconds=5),
            )
            self.client.publish(topic(GateChannel.PASSAGE), encode_message(passage), qos=1)

    def wait_for(self, predicate: Callable[[], bool], timeout: float = 5.0) -> bool:
        """Wait until `predicate()` holds (checked on each message); whether it did."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while not predicate():
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self._cond.wait(left)
        return True

    def publish(self, channel: GateChannel, payload: bytes) -> None:
        """Publish `payload` on the gate's `channel` (QoS 1) and wait until it is sent."""
        self.client.publish(topic(channel), payload, qos=1).wait_for_publish(5)

    def tap(
        self, *, badge: str = GOOD_BADGE, open_timeout: float = 5.0, event_timeout: float = 8.0
    ) -> tuple[float | None, AccessEvent | None]:
        """Present a badge: ms to its OpenCommand (None: none came) and its AccessEvent."""
        commands, events = len(self.commands), len(self.events)
        read = CredentialPresented(
            badge_number=badge,
            format=BadgeFormat.WIEGAND26,
            reader_id="r1",
            lane=0,
            read_at=datetime.now(UTC),
        )
        sent = time.perf_counter()
        self.publish(GateChannel.CREDENTIAL, encode_message(read))
        opened = self.wait_for(lambda: len(self.commands) > commands, open_timeout)
        ms = (time.perf_counter() - sent) * 1000 if opened else None
        self.wait_for(lambda: len(self.events) > events, event_timeout)
        return ms, self.events[events] if len(self.events) > events else None

    def close(self) -> None:
        """Disconnect and stop the network loop."""
        self.client.disconnect()
        self.client.loop_stop()


def agent_config(
    tmp_path: Path, *, mqtt_port: int, api_url: str, timeout_ms: int = 300, **extra: Any
) -> AgentConfig:
    """An agent config for tests: fast timeouts, files under tmp_path."""
    raw: dict[str, Any] = {
        "site": SITE,
        "gate": GATE,
        "lanes": [{"lane": 0, "direction": "entry"}, {"lane": 1, "direction": "exit"}],
        "mqtt": {
            "url": f"mqtt://127.0.0.1:{mqtt_port}",
            "reconnect_min_s": 1,
            "reconnect_max_s": 1,
        },
        "api": {
            "url": api_url,
            "decision_timeout_ms": timeout_ms,
            "sync_interval_s": 3600,
            "event_replay_after_s": 1.0,
        },
        "turnstile": {"ack_timeout_s": 2.0, "passage_timeout_s": 3.0},
        "outbox": {"path": str(tmp_path / "outbox.sqlite3")},
        "replica_path": str(tmp_path / "replica.json"),
    }
    for key, value in extra.items():
        if isinstance(value, dict) and isinstance(raw.get(key), dict):
            raw[key] = {**raw[key], **value}
        else:
            raw[key] = value
    return AgentConfig.model_validate(raw)


def config_yaml(config: AgentConfig) -> str:
    """The config as the YAML file the CLI reads."""
    return json.dumps(config.model_dump(mode="json", exclude_none=True))
