"""A small paho-mqtt 2.x client for tests: connects as a user, records messages, waits for them."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion
from paho.mqtt.properties import Properties
from paho.mqtt.reasoncodes import ReasonCode

__all__ = ["MqttProbe"]


class MqttProbe:
    """A small paho-mqtt 2.x client for tests: records messages, waits for them."""

    def __init__(
        self,
        port: int,
        *,
        username: str | None = None,
        password: str | None = None,
        client_id: str = "",
        clean_session: bool = True,
    ) -> None:
        self.messages: list[tuple[str, bytes, bool]] = []
        self.connect_result: ReasonCode | None = None
        self.disconnects: list[ReasonCode] = []
        self.granted: list[ReasonCode] = []
        self._cond = threading.Condition()
        self.client = mqtt.Client(
            CallbackAPIVersion.VERSION2,
            client_id=client_id,
            clean_session=clean_session,
            protocol=mqtt.MQTTv311,
        )
        if username is not None:
            self.client.username_pw_set(username, password)
        self.client.on_connect = self._on_connect
        self.client.on_message = self._on_message
        self.client.on_disconnect = self._on_disconnect
        self.client.on_subscribe = self._on_subscribe
        self.port = port

    def _notify(self) -> None:
        with self._cond:
            self._cond.notify_all()

    def _on_connect(
        self,
        client: mqtt.Client,
        userdata: object,
        flags: mqtt.ConnectFlags,
        reason_code: ReasonCode,
        properties: Properties | None,
    ) -> None:
        self.connect_result = reason_code
        self._notify()

    def _on_message(self, client: mqtt.Client, userdata: object, message: mqtt.MQTTMessage) -> None:
        with self._cond:
            self.messages.append((message.topic, bytes(message.payload), bool(message.retain)))
            self._cond.notify_all()

    def _on_disconnect(
        self,
        client: mqtt.Client,
        userdata: object,
        flags: mqtt.DisconnectFlags,
        reason_code: ReasonCode,
        properties: Properties | None,
    ) -> None:
        self.disconnects.append(reason_code)
        self._notify()

    def _on_subscribe(
        self,
        client: mqtt.Client,
        userdata: object,
        mid: int,
        reason_codes: list[ReasonCode],
        properties: Properties | None,
    ) -> None:
        self.granted.extend(reason_codes)
        self._notify()

    def wait_for(self, predicate: Callable[[], object], timeout: float = 5.0) -> bool:
        """Wait until `predicate()` is true; return whether it became true."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while not predicate():
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self._cond.wait(left)
        return True

    def connect(self, *, timeout: float = 5.0) -> ReasonCode | None:
        """Connect, start the network loop and return the CONNACK reason code."""
        self.client.connect("127.0.0.1", self.port, keepalive=10)
        self.client.loop_start()
        self.wait_for(lambda: self.connect_result is not None, timeout)
        return self.connect_result

    @property
    def connected(self) -> bool:
        """Whether the broker accepted the connection and it is still up."""
        return bool(self.client.is_connected())

    def subscribe(self, topic: str, *, timeout: float = 5.0) -> ReasonCode | None:
        """Subscribe with QoS 1 and wait for the SUBACK; return its reason code."""
        before = len(self.granted)
        self.client.subscribe(topic, qos=1)
        self.wait_for(lambda: len(self.granted) > before, timeout)
        return self.granted[-1] if len(self.granted) > before else None

    def publish(self, topic: str, payload: bytes, *, retain: bool = False) -> None:
        """Publish with QoS 1 and wait until the broker has it."""
        info = self.client.publish(topic, payload, qos=1, retain=retain)
        info.wait_for_publish(timeout=5)

    def on_topic(self, topic: str) -> list[bytes]:
        """Payloads received on `topic` so far."""
        with self._cond:
            return [payload for t, payload, _ in self.messages if t == topic]

    def close(self) -> None:
        """Disconnect and stop the network loop."""
        self.client.disconnect()
        self.client.loop_stop()
