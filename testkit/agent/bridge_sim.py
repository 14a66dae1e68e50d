"""A simulated bridge for agent tests: a real MQTT client that answers OpenCommands.

Each OpenCommand gets a CommandAck and, when the person passes, a Passage; the events and
alarms the agent publishes are recorded.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import paho.mqtt.client as mqtt

from gate_protocol.messages import (
    AccessEvent,
    AckResult,
    BadgeFormat,
    CommandAck,
    CredentialPresented,
    OpenCommand,
    Passage,
    decode_message,
    encode_message,
)
from gate_protocol.mqtt_connection import MqttConnection, build_client
from gate_protocol.topics import GateChannel, GateTopic, build_topic
from testkit.agent.doubles import GATE, GOOD_BADGE, SITE

__all__ = ["BridgeSim"]


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
        site: str = SITE,
        gate: str = GATE,
    ) -> None:
        self._site, self._gate = site, gate
        self.ack = ack
        self.passed: bool | None = passed
        self.commands: list[OpenCommand] = []
        self.events: list[AccessEvent] = []
        self.raw: list[tuple[str, bytes]] = []
        self.ack_delay_s = 0.0
        self._cond = threading.Condition()
        self._subscribed = threading.Event()
        connection = MqttConnection.from_url(
            f"mqtt://127.0.0.1:{port}", username=username, password=password, keepalive_s=10
        )
        self.client = build_client(connection, client_id=f"bridge-sim-{uuid.uuid4().hex[:8]}")
        self.client.on_connect = self._on_connect
        self.client.on_message = self._on_message
        self.client.on_subscribe = self._on_subscribe
        self.client.reconnect_delay_set(1, 1)
        self.client.connect(connection.host, connection.port, connection.keepalive_s)
        self.client.loop_start()
        assert self._subscribed.wait(5), "bridge simulator did not connect"

    def _topic(self, channel: GateChannel) -> str:
        return build_topic(GateTopic(self._site, self._gate, channel))

    def _on_connect(self, client: Any, userdata: Any, flags: Any, rc: Any, props: Any) -> None:
        client.subscribe(
            [
                (self._topic(GateChannel.CMD_OPEN), 1),
                (self._topic(GateChannel.EVENT), 1),
                (self._topic(GateChannel.ALARM), 1),
            ]
        )

    def _on_subscribe(self, client: Any, userdata: Any, mid: Any, codes: Any, props: Any) -> None:
        self._subscribed.set()

    def _on_message(self, client: Any, userdata: Any, message: mqtt.MQTTMessage) -> None:
        payload = bytes(message.payload)
        with self._cond:
            self.raw.append((message.topic, payload))
            if message.topic == self._topic(GateChannel.EVENT):
                event = decode_message(payload, expected=AccessEvent)
                assert isinstance(event, AccessEvent)
                self.events.append(event)
            elif message.topic == self._topic(GateChannel.CMD_OPEN):
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
        self.client.publish(self._topic(GateChannel.CMD_ACK), encode_message(ack), qos=1)
        if self.ack is AckResult.OPENED and self.passed is not None:
            passage = Passage(
                command_id=command.command_id,
                lane=command.lane,
                passed=self.passed,
                at=now + timedelta(milliseconds=5),
            )
            self.client.publish(self._topic(GateChannel.PASSAGE), encode_message(passage), qos=1)

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
        self.client.publish(self._topic(channel), payload, qos=1).wait_for_publish(5)

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
