"""Sync notices from a process without the API's broker link: the `portgate` CLI.

The CLI changes the database directly (`gates add`, `db upgrade`, ...). Its sessions get a
recording bus (`recording_session`), so the ordinary `bump_replica` / `queue_after_commit`
path records the retained `SyncNotice`s its commits release; `send_notices` then publishes
them over one short-lived MQTT connection (clean session, its own client id, so it never
takes over the API's persistent session) and waits for the broker's acknowledgements.
Without `MQTT_URL` nothing is sent and the caller says so: the gates then learn the change
at their next sync.
"""

import secrets
import ssl
import threading
from collections.abc import Sequence
from urllib.parse import unquote, urlsplit

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion
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


def send_notices(messages: Sequence[RecordedMessage], *, url: str, timeout_s: float = 5.0) -> int:
    """Publish recorded messages (QoS 1, in order) and wait for the acks; returns the count.

    Raises:
        NoticeError: Bad URL, connection refused or failed, or no ack within `timeout_s`.
    """
    if not messages:
        return 0
    parts = urlsplit(url)
    if parts.scheme not in ("mqtt", "mqtts") or not parts.hostname:
        raise NoticeError("MQTT_URL must look like mqtt://[user:password@]host[:port]")
    client = mqtt.Client(
        callback_api_version=CallbackAPIVersion.VERSION2,
        client_id=f"portgate-cli-{secrets.token_hex(6)}",
        protocol=mqtt.MQTTv5,
    )
    if parts.username:
        client.username_pw_set(
            unquote(parts.username), unquote(parts.password) if parts.password else None
        )
    if parts.scheme == "mqtts":
        client.tls_set(cert_reqs=ssl.CERT_REQUIRED)
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
            refusal.append(str(reason))
        accepted.set()

    client.on_connect = on_connect
    port = parts.port or (8883 if parts.scheme == "mqtts" else 1883)
    try:
        client.connect(parts.hostname, port, keepalive=30, clean_start=True)
    except OSError as exc:
        raise NoticeError(f"cannot reach the broker at {parts.hostname}:{port}: {exc}") from None
    client.loop_start()
    try:
        if not accepted.wait(timeout_s) or refusal:
            raise NoticeError(f"the broker refused the connection: {refusal or 'no answer'}")
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
