"""The bridge's link to the broker: a small MessageBus interface and its paho-mqtt 2.x form.

paho's callbacks run on paho's network thread and only put typed items on the bridge's
inbox (``BusConnected``, ``BusMessage``); decoding and everything else happens on the
bridge's worker. The client comes from `gate_protocol.mqtt_connection.build_client`
(credentials, TLS, keepalive, last will, TCP_NODELAY, as every PortGate service). The
session is persistent (``clean_session=False``, QoS 1 subscriptions)
so that the broker keeps commands while the bridge is away — the bridge then refuses the
ones that expired meanwhile.
"""

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

from gate_protocol.mqtt_connection import MqttConnection, build_client
from gate_protocol.topics import Topic, build_topic
from pydantic import BaseModel

__all__ = ["BusConnected", "BusItem", "BusMessage", "MessageBus", "MqttBus"]

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class BusConnected:
    """The broker accepted our connection (again)."""

    session_present: bool


@dataclass(frozen=True, slots=True)
class BusMessage:
    """A raw message from a subscription, not yet validated."""

    topic: str
    payload: bytes


BusItem = BusConnected | BusMessage


class MessageBus(Protocol):
    """What the bridge needs from a broker connection."""

    def start(self, deliver: Callable[[BusItem], None]) -> None:
        """Connect (and keep reconnecting); hand every inbound item to `deliver`."""

    def subscribe(self, filters: list[str]) -> None:
        """Subscribe to topic filters with QoS 1."""

    def publish(self, *, topic: Topic, message: BaseModel, retain: bool = False) -> None:
        """Publish a message with QoS 1."""

    def stop(self, *, farewell: tuple[Topic, BaseModel] | None = None) -> None:
        """Publish `farewell` (retained) if given, then disconnect."""


class MqttBus:
    """A MessageBus on paho-mqtt 2.x (CallbackAPIVersion.VERSION2)."""

    def __init__(self, *, connection: MqttConnection, client_id: str) -> None:
        """Configure the client (nothing connects before `start`).

        Args:
            connection: The broker, credentials, TLS, keepalive and last will.
            client_id: The MQTT client id (a broker may use the user name instead).

        Raises:
            MqttConnectionError: A TLS file of `connection` cannot be used.
        """
        self._connection = connection
        self._client = build_client(connection, client_id=client_id, clean_session=False)
        self._client.reconnect_delay_set(min_delay=1, max_delay=5)
        self._client.on_connect = self._on_connect
        self._client.on_message = self._on_message
        self._client.on_disconnect = self._on_disconnect
        self._deliver: Callable[[BusItem], None] | None = None

    def start(self, deliver: Callable[[BusItem], None]) -> None:
        """Connect in the background; paho reconnects by itself after a loss."""
        self._deliver = deliver
        connection = self._connection
        self._client.connect_async(connection.host, connection.port, connection.keepalive_s)
        self._client.loop_start()

    def subscribe(self, filters: list[str]) -> None:
        """Subscribe to every filter with QoS 1."""
        self._client.subscribe([(f, 1) for f in filters])

    def publish(self, *, topic: Topic, message: BaseModel, retain: bool = False) -> None:
        """Queue a QoS 1 publish (paho keeps it until the broker has it)."""
        payload = message.model_dump_json().encode()
        self._client.publish(build_topic(topic), payload, qos=1, retain=retain)

    def stop(self, *, farewell: tuple[Topic, BaseModel] | None = None) -> None:
        """Say goodbye (retained), disconnect and stop the network thread."""
        if farewell is not None and self._client.is_connected():
            topic, message = farewell
            info = self._client.publish(
                build_topic(topic), message.model_dump_json().encode(), qos=1, retain=True
            )
            try:
                info.wait_for_publish(timeout=2)
            except (RuntimeError, ValueError) as exc:
                logger.warning("offline status not delivered: %s", exc)
        self._client.disconnect()
        self._client.loop_stop()

    def _on_connect(
        self, client: Any, userdata: Any, flags: Any, reason_code: Any, properties: Any
    ) -> None:
        if reason_code.is_failure:
            logger.warning("broker refused the connection: %s", reason_code)
            return
        logger.info("connected to broker %s", self._connection.address)
        if self._deliver is not None:
            self._deliver(BusConnected(session_present=bool(flags.session_present)))

    def _on_message(self, client: Any, userdata: Any, message: Any) -> None:
        if self._deliver is not None:
            self._deliver(BusMessage(topic=message.topic, payload=bytes(message.payload)))

    def _on_disconnect(
        self, client: Any, userdata: Any, flags: Any, reason_code: Any, properties: Any
    ) -> None:
        logger.warning("disconnected from broker: %s", reason_code)
