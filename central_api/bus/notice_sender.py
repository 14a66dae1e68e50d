"""Sync notices from a process without the API's broker link: the `portgate` CLI.

The CLI changes the database directly (`gates add`, `db upgrade`, ...). Its sessions get a
recording bus (`recording_session`), so the ordinary `bump_replica` / `queue_after_commit`
path records the retained `SyncNotice`s its commits release; `send_notices` then publishes
them over one short-lived MQTT connection (clean session, its own client id, so it never
takes over the API's persistent session; TLS as every service, from
`gate_protocol.mqtt_connection`) and waits for the broker's acknowledgements.
Without `MQTT_URL` nothing is sent and the caller says so: the gates then learn the change
at their next sync.
"""

import secrets
import threading
from collections.abc import Sequence

import paho.mqtt.client as mqtt
from gate_protocol.mqtt_connection import (
    MqttConnection,
    MqttConnectionError,
    build_client,
    describe_failure,
)
from paho.mqtt.properties import Properties
from paho.mqtt.reasoncodes import ReasonCode as MqttReasonCode
from sqlalchemy import Engine
from sqlmodel import Session

from central_api.bus.mqtt import NullBus
from central_api.bus.notify import attach_bus

__all__ = ["NoticeError", "RecordedMessage", "recording_session", "send_notices"]

RecordedMessage = tuple[str, bytes, bool]


class NoticeError(RuntimeError):
    """The broker could not be reached, refused us, or did not acknowledge in time."""


def recording_session(engine: Engine) -> tuple[Session, NullBus]:
    """A session whose after-commit messages are recorded on the returned bus."""
    bus = NullBus()
    session = attach_bus(Session(engine, expire_on_commit=False), bus)
    return session, bus


def send_notices(
    messages: Sequence[RecordedMessage], *, connection: MqttConnection, timeout_s: float = 5.0
) -> int:
    """Publish recorded messages (QoS 1, in order) and wait for the acks; returns the count.

    Raises:
        NoticeError: Unusable TLS files, connection refused or failed (a certificate the CA
            does not trust included), or no ack within `timeout_s`.
    """
    if not messages:
        return 0
    try:
        client = build_client(
            connection, client_id=f"portgate-cli-{secrets.token_hex(6)}", protocol=mqtt.MQTTv5
        )
    except MqttConnectionError as exc:
        raise NoticeError(str(exc)) from None
    _connect(client, connection, timeout_s)
    try:
        infos = [
            client.publish(topic, payload, qos=1, retain=retain)
            for topic, payload, retain in messages
        ]
        for info in infos:
            try:
                info.wait_for_publish(timeout_s)
            except (RuntimeError, ValueError) as exc:
                raise NoticeError(f"a sync notice was not sent: {exc}") from None
            if not info.is_published():
                raise NoticeError("the broker did not acknowledge a sync notice in time")
    finally:
        client.disconnect()
        client.loop_stop()
    return len(infos)


def _connect(client: mqtt.Client, connection: MqttConnection, timeout_s: float) -> None:
    """Connect and start the network thread; return once the broker accepted us.

    Raises:
        NoticeError: Unreachable, TLS refused, connection refused or closed, or no answer.
    """
    accepted = threading.Event()
    refusal: list[str] = []

    def on_connect(
        client: mqtt.Client,
        userdata: object,
        flags: mqtt.ConnectFlags,
        reason: MqttReasonCode,
        properties: Properties | None,
    ) -> None:
        if reason.is_failure:
            refusal.append(f"the broker refused the connection: {reason}")
        accepted.set()

    def on_disconnect(client: mqtt.Client, userdata: object, *args: object) -> None:
        if not accepted.is_set():
            # A TLS 1.3 broker that wants a client certificate closes the connection only
            # after the handshake, so this is where a missing certificate shows.
            hint = "" if connection.cert_file or not connection.tls else _NO_CERT_HINT
            refusal.append(f"the broker at {connection.address} closed the connection{hint}")
            accepted.set()

    client.on_connect = on_connect
    client.on_disconnect = on_disconnect
    try:
        client.connect(connection.host, connection.port, connection.keepalive_s, clean_start=True)
    except OSError as exc:
        raise NoticeError(describe_failure(connection, exc)) from None
    client.loop_start()
    if not accepted.wait(timeout_s) or refusal:
        client.disconnect()
        client.loop_stop()
        raise NoticeError(refusal[0] if refusal else "the broker did not answer in time")


_NO_CERT_HINT = (
    " (does it require a client certificate? PORTGATE_MQTT_CERT_FILE and PORTGATE_MQTT_KEY_FILE)"
)
