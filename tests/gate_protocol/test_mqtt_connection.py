"""The shared broker connection model and client builder (no broker: see test_mqtt_tls.py)."""

import ssl
from pathlib import Path

import paho.mqtt.client as mqtt
import pytest

from gate_protocol.mqtt_connection import (
    LastWill,
    MqttConnection,
    MqttConnectionError,
    build_client,
    describe_failure,
)
from testkit.tls_ca import TestCa


@pytest.fixture(scope="module")
def ca(tmp_path_factory: pytest.TempPathFactory) -> TestCa:
    return TestCa.create(tmp_path_factory.mktemp("pki"))


def test_url_gives_host_port_tls_and_credentials() -> None:
    plain = MqttConnection.from_url("mqtt://broker")
    assert (plain.host, plain.port, plain.tls, plain.username) == ("broker", 1883, False, None)
    secure = MqttConnection.from_url("mqtts://api:p%40ss@broker.port:9883/")
    assert (secure.host, secure.port, secure.tls, secure.username) == (
        "broker.port",
        9883,
        True,
        "api",
    )
    assert secure.password is not None and secure.password.get_secret_value() == "p@ss"
    assert MqttConnection.from_url("mqtts://broker").port == 8883
    apart = MqttConnection.from_url("mqtt://broker:1884", username="agent-a", password="pw")
    assert apart.username == "agent-a" and apart.port == 1884


def test_mqtts_without_a_ca_uses_the_system_cas() -> None:
    connection = MqttConnection.from_url("mqtts://broker")
    assert connection.ca_file is None
    client = build_client(connection, client_id="c")
    assert client._ssl_context is not None  # TLS is on
    assert client._ssl_context.verify_mode == ssl.CERT_REQUIRED
    assert client._ssl_context.check_hostname


@pytest.mark.parametrize(
    ("url", "fields", "needle"),
    [
        ("http://broker", {}, "scheme must be mqtt:// or mqtts://"),
        ("broker:1883", {}, "scheme must be mqtt:// or mqtts://"),
        ("mqtt://", {}, "must look like"),
        ("mqtt://broker/topic", {}, "must look like"),
        ("mqtt://broker:99999", {}, "Port out of range"),
        ("mqtt://broker:port", {}, "Port could not be cast"),
        ("mqtts://broker", {"cert_file": Path("c.crt")}, "client certificate needs its key"),
        ("mqtts://broker", {"key_file": Path("c.key")}, "client certificate needs its key"),
        ("mqtt://broker", {"ca_file": Path("ca.crt")}, "ca_file need an mqtts:// URL"),
        ("mqtt://broker", {"keepalive_s": 1}, "keepalive_s"),
        ("mqtt://broker", {"colour": "red"}, "colour"),
        ("mqtt://u:p@broker", {"username": "v"}, "not both"),
        ("mqtt://broker", {"password": "p"}, "password needs a user name"),
    ],
)
def test_bad_connections_are_refused_with_a_clear_error(
    url: str, fields: dict[str, object], needle: str
) -> None:
    with pytest.raises(MqttConnectionError, match=needle):
        MqttConnection.from_url(url, **fields)  # type: ignore[arg-type]


def test_errors_and_repr_never_show_the_password() -> None:
    with pytest.raises(MqttConnectionError) as caught:
        MqttConnection.from_url("http://api:hunter2-secret@broker")
    assert "hunter2-secret" not in str(caught.value) and "api:***@broker" in str(caught.value)
    connection = MqttConnection.from_url("mqtt://api:hunter2-secret@broker")
    assert "hunter2-secret" not in repr(connection)
    assert connection.address == "mqtt://broker:1883"


def test_client_gets_credentials_keepalive_will_and_version2_callbacks(tmp_path: Path) -> None:
    will = LastWill(topic="t/status", payload=b"offline")
    connection = MqttConnection.from_url(
        "mqtt://broker:1884", username="agent", password="pw", keepalive_s=17, will=will
    )
    client = build_client(connection, client_id="agent-1", clean_session=False)
    assert (client.host, client.port, client.keepalive) == ("broker", 1884, 17)
    assert client.username == "agent" and client.password == "pw"
    assert client.will_topic == "t/status" and client.will_payload == b"offline"
    assert client._ssl_context is None  # plain mqtt://
    assert client._callback_api_version.name == "VERSION2"
    v5 = build_client(connection, client_id="api", protocol=mqtt.MQTTv5, manual_ack=True)
    assert v5.protocol == mqtt.MQTTv5


def test_client_certificate_is_loaded(ca: TestCa) -> None:
    issued = ca.issue_client("agent-gate-a")
    connection = MqttConnection.from_url(
        "mqtts://broker",
        ca_file=ca.cert_file,
        cert_file=issued.cert_file,
        key_file=issued.key_file,
    )
    assert build_client(connection, client_id="a")._ssl_context is not None


def test_missing_or_unreadable_tls_files_are_named(ca: TestCa, tmp_path: Path) -> None:
    missing = MqttConnection.from_url("mqtts://broker", ca_file=tmp_path / "nope.crt")
    with pytest.raises(MqttConnectionError, match=r"ca_file .*nope\.crt: no such file"):
        build_client(missing, client_id="a")
    garbage = tmp_path / "garbage.crt"
    garbage.write_text("not a certificate")
    bad = MqttConnection.from_url("mqtts://broker", ca_file=garbage)
    with pytest.raises(MqttConnectionError, match="cannot be loaded"):
        build_client(bad, client_id="a")
    issued = ca.issue_client("someone")
    other = ca.issue_client("someone-else")
    mismatched = MqttConnection.from_url(
        "mqtts://broker", cert_file=issued.cert_file, key_file=other.key_file
    )
    with pytest.raises(MqttConnectionError, match="cannot be loaded"):
        build_client(mismatched, client_id="a")


def test_failures_are_described_for_an_integrator(ca: TestCa) -> None:
    connection = MqttConnection.from_url("mqtts://broker", ca_file=ca.cert_file)
    untrusted = ssl.SSLCertVerificationError(1, "certificate verify failed")
    untrusted.verify_message = "unable to get local issuer certificate"
    text = describe_failure(connection, untrusted)
    assert f"not trusted by ca_file {ca.cert_file}" in text
    assert "unable to get local issuer certificate" in text
    system = describe_failure(MqttConnection.from_url("mqtts://broker"), untrusted)
    assert "not trusted by the system's CAs" in system
    refused = describe_failure(connection, ConnectionRefusedError(111, "Connection refused"))
    assert refused.startswith("cannot reach the broker at mqtts://broker:8883")
