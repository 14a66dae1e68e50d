"""The agent's MQTT connection (paho-mqtt 2.x, callback API version 2).

The client comes from `gate_protocol.mqtt_connection.build_client` (credentials, TLS,
keepalive, last will, TCP_NODELAY, as every PortGate service).

paho's network thread runs the callbacks; they do nothing but put a typed item on the agent's
inbox (the agent loop owns all state). paho reconnects by itself with exponential backoff
and re-sends QoS 1 messages still waiting for their PUBACK, keeping their message ids, so the
outbox can match each PUBACK to its event.
"""

from __future__ import annotations

import logging
import math
from typing import Any

import paho.mqtt.client as mqtt
from gate_protocol.mqtt_connection import MqttConnection, build_client
from paho.mqtt.reasoncodes import ReasonCode

from gate_agent.links.bus import (
    MqttConnected,
    MqttDisconnected,
    MqttEventSink,
    MqttIncoming,
    MqttPublished,
    MqttSubscribed,
)

__all__ = ["MqttLink"]

_log = logging.getLogger(__name__)


class MqttLink:
    """One paho client feeding an inbox.

    Args:
        inbox: Where callbacks put what they hear.
        client_id: The MQTT client id.
        connection: The broker, credentials, TLS, keepalive and the retained last will
            (a NodeStatus offline).
        reconnect_min_s: First reconnect delay; doubles up to `reconnect_max_s`.
        reconnect_max_s: Longest reconnect delay.

    Raises:
        MqttConnectionError: A TLS file of `connection` cannot be used.
    """

    def __init__(
        self,
        *,
        inbox: MqttEventSink,
        client_id: str,
        connection: MqttConnection,
        reconnect_min_s: float = 1.0,
        reconnect_max_s: float = 30.0,
    ) -> None:
        self._inbox = inbox
        self._connection = connection
        client = build_client(connection, client_id=client_id, clean_session=True)
        # paho counts whole seconds.
        min_delay = max(1, math.ceil(reconnect_min_s))
        client.reconnect_delay_set(
            min_delay=min_delay, max_delay=max(min_delay, math.ceil(reconnect_max_s))
        )
        client.max_queued_messages_set(0)
        client.on_connect = self._on_connect
        client.on_disconnect = self._on_disconnect
        client.on_message = self._on_message
        client.on_publish = self._on_publish
        client.on_subscribe = self._on_subscribe
        self._client = client

    def start(self) -> None:
        """Connect in the background; paho retries until the broker is there."""
        connection = self._connection
        self._client.connect_async(connection.host, connection.port, connection.keepalive_s)
        self._client.loop_start()

    def stop(self) -> None:
        """Disconnect cleanly (no last will) and stop the network thread."""
        self._client.disconnect()
        self._client.loop_stop()

    def subscribe(self, topics: list[str]) -> None:
        """Subscribe to topics at QoS 1."""
        if topics:
            self._client.subscribe([(topic, 1) for topic in topics])

    def publish(self, topic: str, payload: bytes, *, retain: bool = False) -> int | None:
        """Publish at QoS 1; the message id, or None when paho refused it."""
        info = self._client.publish(topic, payload, qos=1, retain=retain)
        if info.rc not in (mqtt.MQTT_ERR_SUCCESS, mqtt.MQTT_ERR_NO_CONN):
            _log.warning("publish to %s refused: %s", topic, mqtt.error_string(info.rc))
            return None
        return int(info.mid)

    def _on_connect(
        self,
        client: mqtt.Client,
        userdata: Any,
        flags: mqtt.ConnectFlags,
        reason_code: ReasonCode,
        properties: Any,
    ) -> None:
        if reason_code.is_failure:
            self._inbox.put_nowait(MqttDisconnected(reason=str(reason_code)))
            return
        self._inbox.put_nowait(MqttConnected(session_present=bool(flags.session_present)))

    def _on_disconnect(
        self,
        client: mqtt.Client,
        userdata: Any,
        flags: mqtt.DisconnectFlags,
        reason_code: ReasonCode,
        properties: Any,
    ) -> None:
        self._inbox.put_nowait(MqttDisconnected(reason=str(reason_code)))

    def _on_message(self, client: mqtt.Client, userdata: Any, message: mqtt.MQTTMessage) -> None:
        self._inbox.put_nowait(MqttIncoming(topic=message.topic, payload=bytes(message.payload)))

    def _on_publish(
        self,
        client: mqtt.Client,
        userdata: Any,
        mid: int,
        reason_code: ReasonCode,
        properties: Any,
    ) -> None:
        self._inbox.put_nowait(MqttPublished(mid=mid))

    def _on_subscribe(
        self,
        client: mqtt.Client,
        userdata: Any,
        mid: int,
        reason_codes: list[ReasonCode],
        properties: Any,
    ) -> None:
        if any(code.is_failure for code in reason_codes):
            _log.error("broker refused a subscription: %s", [str(c) for c in reason_codes])
        self._inbox.put_nowait(MqttSubscribed(mid=mid))
