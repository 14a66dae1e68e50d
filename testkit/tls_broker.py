"""A mosquitto TLS listener that requires client certificates, and a TLS probe client.

Used by test_mqtt_tls.py; the certificates come from `testkit.tls_ca` (a CA made per test).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from gate_protocol.mqtt_connection import MqttConnection, build_client
from testkit.mosquitto import MosquittoFactory, MosquittoProcess
from testkit.tls_ca import IssuedCert, TestCa

_TLS_CONF = """listener {port} 127.0.0.1
cafile CA
certfile CERT
keyfile KEY
require_certificate true
allow_anonymous true
"""


@dataclass(frozen=True)
class TlsSite:
    """A TLS broker, the CA that signed its certificate and a client certificate."""

    broker: MosquittoProcess
    ca: TestCa
    client: IssuedCert

    @property
    def url(self) -> str:
        """The broker's ``mqtts://`` URL (127.0.0.1 is in its certificate)."""
        return f"mqtts://127.0.0.1:{self.broker.port}"

    def connection(self) -> MqttConnection:
        """A connection with the CA and the client certificate."""
        return MqttConnection.from_url(
            self.url,
            ca_file=self.ca.cert_file,
            cert_file=self.client.cert_file,
            key_file=self.client.key_file,
        )


def start_tls_broker(tmp_path: Path, factory: MosquittoFactory) -> TlsSite:
    """A new CA, a broker certificate for 127.0.0.1 and mosquitto listening with TLS only."""
    ca = TestCa.create(tmp_path / "pki")
    server = ca.issue_server("broker", hosts=["127.0.0.1", "localhost"])
    conf = (
        _TLS_CONF.replace("CA", str(ca.cert_file))
        .replace("CERT", str(server.cert_file))
        .replace("KEY", str(server.key_file))
    )
    broker = factory(conf_text=conf)
    return TlsSite(broker=broker, ca=ca, client=ca.issue_client("client"))


class TlsProbe:
    """A test client on the shared builder: subscribes, records, publishes."""

    def __init__(self, connection: MqttConnection, client_id: str = "probe") -> None:
        self.messages: list[tuple[str, bytes]] = []
        self._cond = threading.Condition()
        self._connection = connection
        self.client = build_client(connection, client_id=client_id)
        self.client.on_message = self._on_message

    def _on_message(self, client: Any, userdata: Any, message: Any) -> None:
        with self._cond:
            self.messages.append((message.topic, bytes(message.payload)))
            self._cond.notify_all()

    def start(self, *subscriptions: str) -> None:
        """Connect (blocking), subscribe with QoS 1 and wait for the SUBACK."""
        self.client.connect(self._connection.host, self._connection.port)
        self.client.loop_start()
        if subscriptions:
            done = threading.Event()
            self.client.on_subscribe = lambda *args: done.set()
            self.client.subscribe([(topic, 1) for topic in subscriptions])
            assert done.wait(10), "no SUBACK"

    def publish(self, topic: str, payload: bytes) -> None:
        """Publish at QoS 1 and wait until the broker has it."""
        self.client.publish(topic, payload, qos=1).wait_for_publish(timeout=10)

    def received(self, topic: str) -> list[bytes]:
        """Payloads received on `topic` so far."""
        with self._cond:
            return [payload for t, payload in self.messages if t == topic]

    def stop(self) -> None:
        """Disconnect."""
        self.client.disconnect()
        self.client.loop_stop()
