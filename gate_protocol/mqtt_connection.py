"""How every PortGate process reaches the broker: one connection model, one client builder.

The API's bus, the CLI's notice sender, the gate agent and the bridge describe their broker
connection as an `MqttConnection` (parsed from an ``mqtt://`` / ``mqtts://`` URL plus
fields: credentials, the TLS files, keepalive, last will) and get their paho-mqtt 2.x
client from `build_client`, so they all speak TLS the same way:

* ``mqtts://`` verifies the broker's certificate and host name, against ``ca_file`` when
  given, else against the system's trusted CAs;
* ``cert_file`` + ``key_file`` present a client certificate (a broker with
  ``require_certificate true``); one without the other is refused;
* TLS files on an ``mqtt://`` (plain) connection are refused: they would be ignored.

A connection that fails (broker away, certificate not trusted, ...) is retried by paho; the
client builder logs why, once per distinct reason, with `describe_failure`'s sentence.
"""

import logging
import socket
import ssl
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, Literal, Self
from urllib.parse import unquote, urlsplit

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion, MQTTProtocolVersion
from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError, model_validator

__all__ = [
    "DEFAULT_PORTS",
    "LastWill",
    "MqttConnection",
    "MqttConnectionError",
    "build_client",
    "describe_failure",
]

_log = logging.getLogger(__name__)

DEFAULT_PORTS = {"mqtt": 1883, "mqtts": 8883}
"""The broker port of each URL scheme when the URL names none."""


class MqttConnectionError(ValueError):
    """A broker connection that is described wrongly or whose TLS files cannot be used."""


class LastWill(BaseModel):
    """The message the broker publishes for us when we vanish without a clean disconnect."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    topic: str = Field(min_length=1)
    payload: bytes
    qos: Literal[0, 1, 2] = 1
    retain: bool = True


class MqttConnection(BaseModel):
    """One broker connection: where, who, how it is secured, keepalive and last will.

    Build it with `from_url`; the fields are validated together (see the module docstring).
    The password is a `SecretStr`, so neither `repr` nor logs show it.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    host: str = Field(min_length=1)
    port: int = Field(ge=1, le=65535)
    tls: bool = False
    username: str | None = None
    password: SecretStr | None = None
    ca_file: Path | None = None
    cert_file: Path | None = None
    key_file: Path | None = None
    keepalive_s: int = Field(default=30, ge=5, le=3600)
    will: LastWill | None = None

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        if self.password is not None and self.username is None:
            raise ValueError("a broker password needs a user name")
        if (self.cert_file is None) != (self.key_file is None):
            raise ValueError("a client certificate needs its key: set both cert_file and key_file")
        files = [
            name
            for name, value in (
                ("ca_file", self.ca_file),
                ("cert_file", self.cert_file),
                ("key_file", self.key_file),
            )
            if value is not None
        ]
        if files and not self.tls:
            raise ValueError(f"{', '.join(files)} need an mqtts:// URL (this one is plain mqtt)")
        return self

    @classmethod
    def from_url(
        cls,
        url: str,
        *,
        username: str | None = None,
        password: str | None = None,
        **fields: Any,
    ) -> Self:
        """Parse ``mqtt[s]://[user[:password]@]host[:port]`` plus the other fields.

        The user and password may be in the URL (the API's ``MQTT_URL``) or given apart
        (the agent's and bridge's configs), not both.

        Raises:
            MqttConnectionError: A bad URL (scheme, host, port, path) or bad fields.
        """
        try:
            parts = urlsplit(url)
            port = parts.port
        except ValueError as exc:
            raise MqttConnectionError(f"MQTT URL {_redacted(url)!r}: {exc}") from None
        if parts.scheme not in DEFAULT_PORTS:
            raise MqttConnectionError(
                f"MQTT URL {_redacted(url)!r}: the scheme must be mqtt:// or mqtts://"
            )
        if not parts.hostname or parts.path not in ("", "/") or parts.query or parts.fragment:
            raise MqttConnectionError(
                f"MQTT URL {_redacted(url)!r} must look like mqtt[s]://[user:password@]host[:port]"
            )
        if parts.username and (username is not None or password is not None):
            raise MqttConnectionError("give the broker user in the MQTT URL or apart, not both")
        if parts.username:
            username = unquote(parts.username)
            password = unquote(parts.password) if parts.password else None
        return cls.parse(
            host=parts.hostname,
            port=port or DEFAULT_PORTS[parts.scheme],
            tls=parts.scheme == "mqtts",
            username=username,
            password=password,
            **fields,
        )

    @classmethod
    def parse(cls, **fields: Any) -> Self:
        """Validate fields into a connection.

        Raises:
            MqttConnectionError: The fields do not describe a connection (the reasons named).
        """
        try:
            return cls.model_validate(fields)
        except ValidationError as exc:
            reasons = "; ".join(_reason(error) for error in exc.errors())
            raise MqttConnectionError(f"MQTT connection: {reasons}") from None

    @property
    def address(self) -> str:
        """``mqtt[s]://host:port``, without credentials (for logs and errors)."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{'mqtts' if self.tls else 'mqtt'}://{host}:{self.port}"


def build_client(
    connection: MqttConnection,
    *,
    client_id: str,
    protocol: MQTTProtocolVersion = MQTTProtocolVersion.MQTTv311,
    clean_session: bool | None = None,
    manual_ack: bool = False,
) -> mqtt.Client:
    """A paho-mqtt 2.x client (callback API version 2) configured for `connection`.

    Sets the credentials, TLS (CA file or system CAs, client certificate and key, host name
    checked), the keepalive (with host and port, so ``connect_async(c.host, c.port,
    c.keepalive)`` needs nothing else), the last will, TCP_NODELAY on every socket and a
    logged reason for each failed connection attempt. Callbacks are the caller's.

    Args:
        connection: Where and how to connect.
        client_id: The MQTT client id.
        protocol: ``mqtt.MQTTv311`` or ``mqtt.MQTTv5``.
        clean_session: MQTT 3.1.1 only (None: paho's default, a clean session); with MQTT 5
            pass ``clean_start`` to ``connect`` instead.
        manual_ack: Acknowledge received QoS 1 messages by hand (``client.ack``).

    Raises:
        MqttConnectionError: A TLS file is missing or cannot be loaded.
    """
    options: dict[str, Any] = {}
    if protocol != MQTTProtocolVersion.MQTTv5:
        options["clean_session"] = clean_session
    client = mqtt.Client(
        callback_api_version=CallbackAPIVersion.VERSION2,
        client_id=client_id,
        protocol=protocol,
        manual_ack=manual_ack,
        **options,
    )
    if connection.username is not None:
        password = connection.password.get_secret_value() if connection.password else None
        client.username_pw_set(connection.username, password)
    if connection.tls:
        _set_tls(client, connection)
    if connection.will is not None:
        will = connection.will
        client.will_set(will.topic, will.payload, qos=will.qos, retain=will.retain)
    client.host, client.port = connection.host, connection.port
    client.keepalive = connection.keepalive_s
    client.on_socket_open = _set_nodelay
    client.on_connect_fail = _failure_logger(connection)
    return client


def describe_failure(connection: MqttConnection, exc: BaseException) -> str:
    """Why a connection attempt failed, in words an integrator can act on."""
    where = connection.address
    if isinstance(exc, ssl.SSLCertVerificationError):
        trusted = f"ca_file {connection.ca_file}" if connection.ca_file else "the system's CAs"
        return (
            f"TLS: the broker at {where} presented a certificate not trusted by {trusted} "
            f"or not issued for {connection.host} ({exc.verify_message})"
        )
    if isinstance(exc, ssl.SSLError):
        hint = "" if connection.cert_file else "; does the broker require a client certificate?"
        return f"TLS handshake with {where} failed: {exc.reason or exc}{hint}"
    return f"cannot reach the broker at {where}: {exc}"


def _set_tls(client: mqtt.Client, connection: MqttConnection) -> None:
    for name, path in (
        ("ca_file", connection.ca_file),
        ("cert_file", connection.cert_file),
        ("key_file", connection.key_file),
    ):
        if path is not None and not path.is_file():
            raise MqttConnectionError(f"MQTT {name} {path}: no such file")
    try:
        client.tls_set(
            ca_certs=str(connection.ca_file) if connection.ca_file else None,
            certfile=str(connection.cert_file) if connection.cert_file else None,
            keyfile=str(connection.key_file) if connection.key_file else None,
            cert_reqs=ssl.CERT_REQUIRED,
        )
    except (OSError, ssl.SSLError) as exc:
        raise MqttConnectionError(
            f"MQTT TLS files (ca_file {connection.ca_file}, cert_file {connection.cert_file}, "
            f"key_file {connection.key_file}) cannot be loaded: {exc}"
        ) from None


def _failure_logger(connection: MqttConnection) -> Callable[[mqtt.Client, Any], None]:
    last: list[str] = []

    def on_connect_fail(client: mqtt.Client, userdata: Any) -> None:
        # paho calls this inside its `except OSError` around the connect: the exception
        # is the one being handled. Logged once per distinct reason (paho retries forever).
        exc = sys.exc_info()[1]
        reason = describe_failure(connection, exc) if exc else f"{connection.address}: failed"
        if last != [reason]:
            last[:] = [reason]
            _log.warning("MQTT connection failed: %s", reason)

    return on_connect_fail


def _set_nodelay(client: mqtt.Client, userdata: Any, sock: Any) -> None:
    # Small QoS 1 packets: without TCP_NODELAY, Nagle and delayed ACKs add ~40 ms a hop.
    if isinstance(sock, socket.socket) and sock.family in (socket.AF_INET, socket.AF_INET6):
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)


def _reason(error: Any) -> str:
    where = ".".join(str(part) for part in error["loc"])
    message = str(error["msg"]).removeprefix("Value error, ")
    return f"{where}: {message}" if where else message


def _redacted(url: str) -> str:
    """`url` without its password (error messages must not carry secrets)."""
    scheme, sep, rest = url.partition("://")
    userinfo, at, host = rest.rpartition("@")
    if not sep or not at or ":" not in userinfo:
        return url
    return f"{scheme}://{userinfo.split(':', 1)[0]}:***@{host}"
