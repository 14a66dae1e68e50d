"""The API's MQTT link behind a small `MessageBus` interface (a null bus without a broker).

The paho callbacks do nothing but hand ``(topic, payload, ack)`` to the sink the app gave
us (the ingest queue); publishing is fire-and-forget at QoS 1 and never blocks a request.
QoS 1 messages are acknowledged by hand (paho ``manual_ack``): the ingest calls `ack` only
once the message is stored (or refused for good), so a crash between receipt and commit
leaves it unacknowledged and the broker delivers it again to the persistent session.

With several API worker processes (`portgate api --workers N`) each worker subscribes
through a shared subscription (``$share/GROUP/...``, one persistent session per worker
index), so every event is stored once; a second, non-persistent connection per process
receives every message for that process's live dashboard only (`live_sink`). Both clients
come from `gate_protocol.mqtt_connection.build_client` (credentials, TLS, TCP_NODELAY, as
every PortGate service).
"""

import logging
import re
import threading
from collections.abc import Callable, Sequence
from typing import Any, Protocol

import paho.mqtt.client as mqtt
from gate_protocol.messages import encode_message
from gate_protocol.mqtt_connection import MqttConnection, build_client
from gate_protocol.topics import Topic, build_topic
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties
from paho.mqtt.reasoncodes import ReasonCode as MqttReasonCode

__all__ = [
    "Ack",
    "LiveSink",
    "MessageBus",
    "MessageSink",
    "MqttBus",
    "NullBus",
    "make_bus",
    "refusal_hint",
]

logger = logging.getLogger(__name__)

Ack = Callable[[], None]
LiveSink = Callable[[str, bytes], None]


class MessageSink(Protocol):
    """Where received messages go; `ack` (when given) must be called once it is stored."""

    def __call__(self, topic: str, payload: bytes, ack: Ack | None = None) -> None:
        """Take one message."""


# The broker keeps our subscription and queued QoS 1 messages this long while we are away.
_SESSION_EXPIRY_S = 24 * 3600
# Unacknowledged QoS 1 messages the broker may have in flight to us: the ingest acks a
# whole batch after its commit, so this bounds the batch size from the broker's side.
_RECEIVE_MAXIMUM = 2000


class MessageBus(Protocol):
    """Publish PortGate messages; deliver subscribed messages to a sink."""

    def publish(self, topic: Topic, message: Any, *, retain: bool = False) -> None:
        """Publish one message model on a topic value object at QoS 1."""

    def start(self) -> None:
        """Connect (in the background) and subscribe."""

    def stop(self) -> None:
        """Disconnect."""

    def route(self, topic_filter: str, sink: LiveSink) -> None:
        """Also subscribe `topic_filter` (live only) and hand its messages to `sink` alone."""

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

    def route(self, topic_filter: str, sink: LiveSink) -> None:
        """Nothing is received without a broker."""

    @property
    def connected(self) -> bool:
        """Never connected."""
        return False


class MqttBus:
    """A paho-mqtt 2.x client: MQTT 5, persistent session (clean_start False), QoS 1."""

    def __init__(
        self,
        *,
        connection: MqttConnection,
        client_id: str,
        filters: Sequence[str] = (),
        sink: MessageSink | None = None,
        live_filters: Sequence[str] = (),
        live_sink: LiveSink | None = None,
        live_connection: MqttConnection | None = None,
    ) -> None:
        """Configure the client (nothing connects before `start`).

        Args:
            connection: The broker (``MQTT_URL`` with its TLS files, see `Settings`).
            client_id: Persistent-session id (one per worker process).
            filters: Durable QoS 1 subscriptions (possibly shared) feeding `sink`.
            sink: Receives each message and an `ack` to call once it is stored.
            live_filters: Non-shared filters of a second, non-persistent connection.
            live_sink: Receives every message of `live_filters` (live dashboard).
            live_connection: The live connection (its own broker user); default `connection`.

        Raises:
            MqttConnectionError: A TLS file of a connection cannot be used.
        """
        self._connection = connection
        self._filters = tuple(filters)
        self._sink = sink
        self._connected = threading.Event()
        self._client = _make_client(connection, client_id, manual_ack=True)
        self._client.on_connect = self._on_connect
        self._client.on_disconnect = self._on_disconnect
        self._client.on_message = self._on_message
        self._routes: list[str] = []
        self._live: mqtt.Client | None = None
        self._live_connection = live_connection or connection
        if live_sink is not None and live_filters:
            live = self._live_connection
            self._live = _make_client(live, f"{client_id}-live", manual_ack=False)
            self._live.on_connect = _subscriber(tuple(live_filters), qos=0, user=live.username)
            self._live.on_message = lambda c, u, msg: live_sink(msg.topic, bytes(msg.payload))

    @property
    def connected(self) -> bool:
        """Whether the broker connection is up right now."""
        return self._connected.is_set()

    def route(self, topic_filter: str, sink: LiveSink) -> None:
        """Also subscribe `topic_filter` and hand its messages to `sink` instead of the ingest.

        For live-only topics (the dashboard's site alarm topic): a non-shared QoS 0
        subscription, so every process gets every message while it is connected and the
        broker keeps no backlog for it while it is away. Call before `start`.
        """

        def deliver(client: mqtt.Client, userdata: Any, msg: mqtt.MQTTMessage) -> None:
            sink(msg.topic, bytes(msg.payload))

        self._client.message_callback_add(topic_filter, deliver)
        self._routes.append(topic_filter)

    def start(self) -> None:
        """Connect in the background (paho retries) and start the network thread."""
        props = Properties(PacketTypes.CONNECT)  # type: ignore[no-untyped-call]
        props.SessionExpiryInterval = _SESSION_EXPIRY_S
        props.ReceiveMaximum = _RECEIVE_MAXIMUM
        main, live = self._connection, self._live_connection
        self._client.connect_async(
            main.host, main.port, main.keepalive_s, clean_start=False, properties=props
        )
        self._client.loop_start()
        if self._live is not None:
            self._live.connect_async(live.host, live.port, live.keepalive_s, clean_start=True)
            self._live.loop_start()

    def wait_connected(self, timeout: float) -> bool:
        """Block until connected (tests and the benchmark)."""
        return self._connected.wait(timeout)

    def stop(self) -> None:
        """Disconnect and stop the network threads."""
        for client in (self._client, self._live):
            if client is not None:
                client.disconnect()
                client.loop_stop()

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
            user = self._connection.username
            logger.error("MQTT connect refused: %s%s", reason, refusal_hint(user, reason))
            return
        for topic_filter in self._filters:
            client.subscribe(topic_filter, qos=1)
        for topic_filter in self._routes:
            client.subscribe(topic_filter, qos=0)
        self._connected.set()
        logger.info(
            "MQTT connected to %s (session present: %s)",
            self._connection.address,
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
        if self._sink is None:
            client.ack(msg.mid, msg.qos)
            return
        mid, qos = msg.mid, msg.qos

        def ack() -> None:
            client.ack(mid, qos)

        self._sink(msg.topic, bytes(msg.payload), ack)


def _make_client(connection: MqttConnection, client_id: str, *, manual_ack: bool) -> mqtt.Client:
    client = build_client(
        connection, client_id=client_id, protocol=mqtt.MQTTv5, manual_ack=manual_ack
    )
    client.max_queued_messages_set(10_000)
    return client


_WORKER_USER = re.compile(r".+-w\d+(-live)?")
"""A worker connection's derived broker user (`gate_protocol.broker_accounts`)."""


def refusal_hint(user: str | None, reason: Any) -> str:
    """What to check when the broker refused the connection of `user` (or "")."""
    if str(reason).lower() not in ("not authorized", "bad user name or password"):
        return ""
    if user is not None and _WORKER_USER.fullmatch(user):
        return (
            f" (broker user {user!r}: the site config's broker.api_workers must be at least "
            "`portgate api --workers`; then rerun `portgate broker users`)"
        )
    return f" (broker user {user!r}: check MQTT_URL's user and password)"


def _subscriber(filters: tuple[str, ...], *, qos: int, user: str | None) -> Callable[..., None]:
    def on_connect(client: mqtt.Client, userdata: Any, flags: Any, reason: Any, props: Any) -> None:
        if reason.is_failure:
            logger.error("MQTT live connection refused: %s%s", reason, refusal_hint(user, reason))
            return
        for topic_filter in filters:
            client.subscribe(topic_filter, qos=qos)

    return on_connect


def make_bus(
    *,
    connection: MqttConnection | None,
    client_id: str,
    filters: Sequence[str],
    sink: MessageSink | None,
    live_filters: Sequence[str] = (),
    live_sink: LiveSink | None = None,
    live_connection: MqttConnection | None = None,
) -> MessageBus:
    """An MqttBus for `connection`, or a NullBus when no broker is configured.

    Raises:
        MqttConnectionError: A TLS file of a connection cannot be used.
    """
    if connection is None:
        return NullBus()
    return MqttBus(
        connection=connection,
        client_id=client_id,
        filters=filters,
        sink=sink,
        live_filters=live_filters,
        live_sink=live_sink,
        live_connection=live_connection,
    )
