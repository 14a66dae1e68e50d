"""Generated broker configs: a TLS listener, plaintext on loopback unless opted in."""

from pathlib import Path

import pytest
from typer.testing import CliRunner

from central_api.bus.mqtt import MqttBus
from gate_protocol.mqtt_connection import MqttConnection
from portgate.broker.mosquitto_files import (
    BrokerConfigError,
    render_mosquitto_conf,
    write_broker_files,
)
from portgate.broker.site_config import BrokerSettings, BrokerTls, GateEntry, SiteConfig
from portgate.cli import app
from testkit.mosquitto import mosquitto_available, start_mosquitto
from testkit.ports import free_port
from testkit.tls_ca import TestCa

EVERY_ADDRESS = "0.0.0.0"  # noqa: S104 (what the opt-in is about)
FILES = {
    "password_file": Path("/b/passwd"),
    "acl_file": Path("/b/acl"),
    "persistence_dir": Path("/b/data"),
}
TLS = BrokerTls(
    cert_file=Path("/certs/server.crt"),
    key_file=Path("/certs/server.key"),
    ca_file=Path("/certs/ca.crt"),
)


def test_default_config_has_tls_and_loopback_only_plaintext() -> None:
    conf = render_mosquitto_conf(port=1883, bind_address="127.0.0.1", tls=TLS, **FILES)
    lines_set = conf.splitlines()
    assert "listener 1883 127.0.0.1" in lines_set
    for line in (
        "listener 8883 0.0.0.0",
        "certfile /certs/server.crt",
        "keyfile /certs/server.key",
        "cafile /certs/ca.crt",
        "tls_version tlsv1.2",
        "allow_anonymous false",
    ):
        assert line in lines_set
    assert not any(
        line.startswith("listener 1883") and "127.0.0.1" not in line for line in lines_set
    )


def test_plaintext_on_a_network_address_needs_the_explicit_opt_in() -> None:
    with pytest.raises(BrokerConfigError, match=r"plaintext MQTT on 0\.0\.0\.0"):
        render_mosquitto_conf(port=1883, bind_address=EVERY_ADDRESS, tls=TLS, **FILES)
    conf = render_mosquitto_conf(
        port=1883,
        bind_address=EVERY_ADDRESS,
        tls=TLS,
        allow_network_plaintext=True,
        **FILES,
    )
    assert "# WARNING: plaintext MQTT on 0.0.0.0" in conf
    assert "listener 1883 0.0.0.0" in conf.splitlines()


def test_client_certificates_without_a_ca_are_refused() -> None:
    tls = BrokerTls(ca_file=None, require_certificate=True)
    with pytest.raises(BrokerConfigError, match="ca_file"):
        render_mosquitto_conf(port=1883, bind_address="127.0.0.1", tls=tls, **FILES)


def _site_file(tmp_path: Path) -> Path:
    path = tmp_path / "site.yaml"
    path.write_text(
        "site: t1\ngates:\n  - id: gate-a\nbroker:\n  tls:\n"
        "    cert_file: /certs/s.crt\n    key_file: /certs/s.key\n"
    )
    return path


def test_cli_conf_refuses_network_plaintext_unless_opted_in(tmp_path: Path) -> None:
    site, out = _site_file(tmp_path), tmp_path / "broker"
    args = ["broker", "users", "--site-config", str(site), "--out", str(out), "--conf"]
    default = CliRunner().invoke(app, args)
    assert default.exit_code == 0, default.output
    conf = (out / "mosquitto.conf").read_text().splitlines()
    assert "listener 1883 127.0.0.1" in conf and "certfile /certs/s.crt" in conf
    (out / "mosquitto.conf").unlink()
    refused = CliRunner().invoke(app, [*args, "--bind-address", EVERY_ADDRESS])
    assert refused.exit_code == 1
    assert "--allow-network-plaintext" in refused.stderr
    assert not (out / "mosquitto.conf").exists()
    allowed = CliRunner().invoke(
        app, [*args, "--bind-address", EVERY_ADDRESS, "--allow-network-plaintext"]
    )
    assert allowed.exit_code == 0, allowed.output
    assert "warning: plaintext MQTT listener on 0.0.0.0" in allowed.stderr


@pytest.mark.skipif(not mosquitto_available(), reason="mosquitto not installed")
def test_mosquitto_runs_a_generated_config_and_accepts_tls(tmp_path: Path) -> None:
    ca = TestCa.create(tmp_path / "pki")
    server = ca.issue_server("broker", hosts=["127.0.0.1", "localhost"])
    tls_port = free_port()
    tls = BrokerTls(
        port=tls_port,
        bind_address="127.0.0.1",
        cert_file=server.cert_file,
        key_file=server.key_file,
        ca_file=ca.cert_file,
    )
    site = SiteConfig(site="t1", gates=[GateEntry(id="gate-a")], broker=BrokerSettings(tls=tls))
    password = "a-long-random-test-password-0123456789"  # noqa: S105
    files = write_broker_files(
        site, out_dir=tmp_path / "b", environ={"PORTGATE_MQTT_PASSWORD_API": password}
    )
    plain_port = free_port()
    conf = render_mosquitto_conf(
        port=plain_port,
        bind_address="127.0.0.1",
        password_file=files.passwd,
        acl_file=files.acl,
        persistence_dir=tmp_path / "data",
        tls=tls,
    )
    broker = start_mosquitto(tmp_path, conf_text=conf, port=plain_port)
    bus = MqttBus(
        connection=MqttConnection.from_url(
            f"mqtts://api:{password}@127.0.0.1:{tls_port}", ca_file=ca.cert_file
        ),
        client_id="api",
    )
    try:
        bus.start()
        assert bus.wait_connected(10), broker.log()
    finally:
        bus.stop()
        broker.stop()
