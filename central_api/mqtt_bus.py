"""The API's MQTT link behind a small `MessageBus` interface (a null bus without a broker).

The paho callbacks do nothing but hand ``(topic, payload)`` to the sink the app gave us
(the ingest queue); publishing is fire-and-forget at QoS 1 and never blocks a request.
"""

import logging
import socket
import ssl
import threading
from collections.abc import Callable, Sequence
from typing import Any, Protocol
from urllib.parse import unquote, urlsplit

import paho.mqtt.client as mqtt
from gate_protocol.messages import encode_message
from gate_protocol.topics import Topic, build_topic
from paho.mqtt.enums import CallbackAPIVersion
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties
from paho.mqtt.reasoncodes import ReasonCode as MqttReasonCode

__all__ = ["MessageBus", "MessageSink", "MqttBus", "NullBus", "make_bus"]

logger = logging.getLogger(__name__)

MessageSink = Callable[[str, bytes], None]
# The broker keeps our subscription and queued QoS 1 messages this long while we are away.
_SESSION_EXPIRY_S = 24 * 3600


class MessageBus(Protocol):
    """Publish PortGate messages; deliver subscribed messages to a sink."""

    def publish(self, topic: Topic, message: Any, *, retain: bool = False) -> None:
        """Publish one message model on a topic value object at QoS 1."""

    def start(self) -> None:
        """Connect (in the background) and subscribe."""

    def stop(self) -> None:
        """Disconnect."""

    @property
    def connected(self) -> bool:
        """Whether the broker connection is up right now."""


class NullBus:
    """No broker configured: publish nothing, receive nothing (and remember what was sent)."""

    def __init__(self) -> None:
        self.published: list[tuple[str, bytes, bool]] = []

    def publish(self, topic: Topic, message: Any, *, retain: bool = False) -> None:
        """Record the message (tests read it); nothing leaves the process."""
        self.published.append((build_topic(topic), encode_message(message), retain))

    def start(self) -> None:
        """Nothing to start."""

    def stop(self) -> None:
        """Nothing to stop."""

    @property
    def connected(self) -> bool:
        """Never connected."""
        return False


class MqttBus:
    """A paho-mqtt 2.x client: MQTT 5, persistent session (clean_start False), QoS 1."""

    def __init__(
        self,
        *,
        url: str,
        client_id: str,
        filters: Sequence[str] = (),
        sink: MessageSink | None = None,
    ) -> None:
        parts = urlsplit(url)
        if parts.scheme not in ("mqtt", "mqtts") or not parts.hostname:
            raise ValueError("MQTT_URL must look like mqtt://[user:password@]host[:port]")
        self._host = parts.hostname
        self._port = parts.port or (8883 if parts.scheme == "mqtts" else 1883)
        self._filters = tuple(filters)
        self._sink = sink
        self._connected = threading.Event()
        self._client = mqtt.Client(
            callback_api_version=CallbackAPIVersion.VERSION2,
            client_id=client_id,
            protocol=mqtt.MQTTv5,
        )
        if parts.username:
            self._client.username_pw_set(
                unquote(parts.username), unquote(parts.password) if parts.password else None
            )
        if parts.scheme == "mqtts":
            self._client.tls_set(cert_reqs=ssl.CERT_REQUIRED)
        self._client.max_queued_messages_set(10_000)
        self._client.on_connect = self._on_connect
        self._client.on_disconnect = self._on_disconnect
        self._client.on_message = self._on_message
        self._client.on_socket_open = _set_nodelay

    @property
    def connected(self) -> bool:
        """Whether the broker connection is up right now."""
        return self._connected.is_set()

    def start(self) -> None:
        """Connect in the background (paho retries) and start the network thread."""
        props = Properties(PacketTypes.CONNECT)  # type: ignore[no-untyped-call]
        props.SessionExpiryInterval = _SESSION_EXPIRY_S
        self._client.connect_async(
            self._host, self._port, keepalive=30, clean_start=False, properties=props
        )
        self._client.loop_start()

    def wait_connected(self, timeout: float) -> bool:
        """Block until connected (tests and the benchmark)."""
        return self._connected.wait(timeout)

    def stop(self) -> None:
        """Disconnect and stop the network thread."""
        self._client.disconnect()
        self._client.loop_stop()

    def publish(self, topic: Topic, message: Any, *, retain: bool = False) -> None:
        """Queue one message for the broker; paho delivers it once connected."""
        info = self._client.publish(
            build_topic(topic), encode_message(message), qos=1, retain=retain
        )
        if info.rc != mqtt.MQTT_ERR_SUCCESS:
            logger.warning("MQTT publish to %s not queued (rc=%s)", build_topic(topic), info.rc)

    def _on_connect(
        self,
        client: mqtt.Client,
        userdata: Any,
        flags: mqtt.ConnectFlags,
        reason: MqttReasonCode,
        properties: Properties | None,
    ) -> None:
        if reason.is_failure:
            logger.error("MQTT connect refused: %s", reason)
            return
        for topic_filter in self._filters:
            client.subscribe(topic_filter, qos=1)
        self._connected.set()
        logger.info(
            "MQTT connected to %s:%s (session present: %s)",
            self._host,
            self._port,
            flags.session_present,
        )

    def _on_disconnect(
        self,
        client: mqtt.Client,
        userdata: Any,
        flags: mqtt.DisconnectFlags,
        reason: MqttReasonCode,
        properties: Properties | None,
    ) -> None:
        self._connected.clear()
        logger.warning("MQTT disconnected: %s", reason)

    def _on_message(self, client: mqtt.Client, userdata: Any, msg: mqtt.MQTTMessage) -> None:
        if self._sink is not None:
            self._sink(msg.topic, bytes(msg.payload))


def _set_nodelay(client: mqtt.Client, userdata: Any, sock: Any) -> None:
    # Small QoS 1 packets (revocation notices): without TCP_NODELAY, Nagle and delayed ACKs
    # add ~40 ms a hop.
    if isinstance(sock, socket.socket):
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)


def make_bus(
    *, url: str | None, client_id: str, filters: Sequence[str], sink: MessageSink | None
) -> MessageBus:
    """An MqttBus for `url`, or a NullBus when no broker is configured."""
    if not url:
        return NullBus()
    return MqttBus(url=url, client_id=client_id, filters=filters, sink=sink)
