from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from firmware_bridge.config import ConfigError, GpioConfig, OsdpConfig, load_bridge_config
from firmware_bridge.lane_machine import FailMode
from gate_protocol.passes.keys import encode_public_key

REPO = Path(__file__).resolve().parents[2]
BASE = "site: s1\ngate: g1\nlanes: [{lane: 0, direction: entry}]\nrequire_signed_commands: false\n"


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "bridge.yaml"
    path.write_text(text)
    return path


def test_example_config_loads() -> None:
    config = load_bridge_config(REPO / "configs" / "bridge-example.yaml")
    assert config.hardware.driver == "simulated"
    assert [lane.effective_fail_mode for lane in config.lanes] == [FailMode.SECURE, FailMode.SAFE]


def test_driver_is_a_tagged_union(tmp_path: Path) -> None:
    gpio = load_bridge_config(
        write(tmp_path, BASE + "hardware: {driver: gpio, lanes: [{lane: 0, relay_pin: 17}]}\n")
    )
    assert isinstance(gpio.hardware, GpioConfig)
    osdp = load_bridge_config(
        write(
            tmp_path,
            BASE + "hardware: {driver: osdp, port: /dev/ttyS0,"
            " readers: [{address: 1, reader_id: r, lane: 0}]}\n",
        )
    )
    assert isinstance(osdp.hardware, OsdpConfig) and not osdp.hardware.allow_plaintext


@pytest.mark.parametrize(
    "extra",
    [
        "hardware: {driver: teleport}\n",
        # a serial driver's key in a gpio block
        "hardware: {driver: gpio, lanes: [{lane: 0, relay_pin: 17}], baudrate: 9600}\n",
        "surprise: true\n",
        "gate: 'g/1'\n",
        "command_retention_s: 10\n",
        "lanes: [{lane: 0, direction: entry}, {lane: 0, direction: exit}]\n",
    ],
)
def test_bad_configs_are_refused(tmp_path: Path, extra: str) -> None:
    with pytest.raises(ConfigError):
        load_bridge_config(write(tmp_path, BASE + extra))


def test_unreadable_or_non_yaml_config(tmp_path: Path) -> None:
    with pytest.raises(ConfigError):
        load_bridge_config(tmp_path / "missing.yaml")
    with pytest.raises(ConfigError):
        load_bridge_config(write(tmp_path, "site: [unclosed\n"))


def test_build_drivers_refuses_plaintext_osdp_and_missing_mqtt_password(tmp_path: Path) -> None:
    from firmware_bridge.assembly import build_bridge, build_drivers
    from firmware_bridge.drivers.simulated import SimulatedTurnstile

    osdp = load_bridge_config(
        write(
            tmp_path,
            BASE + "hardware: {driver: osdp, port: /dev/ttyS0,"
            " readers: [{address: 1, reader_id: r, lane: 0}]}\n",
        )
    )
    with pytest.raises(ConfigError, match="allow_plaintext"):
        build_drivers(osdp, environ={})
    simulated = load_bridge_config(write(tmp_path, BASE + "mqtt: {username: bridge-g1}\n"))
    turnstile, reader = build_drivers(simulated, environ={})
    assert isinstance(turnstile, SimulatedTurnstile) and reader is turnstile
    with pytest.raises(ConfigError, match="PORTGATE_MQTT_PASSWORD"):
        build_bridge(simulated, environ={})


def test_broker_as_url_with_tls_files(tmp_path: Path) -> None:
    config = load_bridge_config(
        write(
            tmp_path,
            BASE + "mqtt: {url: 'mqtts://broker:8884', username: bridge-g1, ca_file: ca.crt, "
            "cert_file: g1.crt, key_file: g1.key}\n",
        )
    )
    connection = config.mqtt.connection(password="pw")
    assert (connection.host, connection.port, connection.tls) == ("broker", 8884, True)
    assert connection.cert_file == Path("g1.crt") and connection.keepalive_s == 15
    plain = load_bridge_config(write(tmp_path, BASE + "mqtt: {host: broker, port: 1884}\n"))
    assert plain.mqtt.connection(password=None).address == "mqtt://broker:1884"


@pytest.mark.parametrize(
    ("mqtt", "needle"),
    [
        ("{url: 'mqtts://b', host: c}", "url or as host and port, not both"),
        ("{url: 'tcp://b'}", "scheme must be mqtt:// or mqtts://"),
        ("{url: 'mqtts://b', key_file: k.key}", "client certificate needs its key"),
        ("{host: b, ca_file: ca.crt}", "ca_file need an mqtts:// URL"),
    ],
)
def test_bad_broker_settings_are_refused(tmp_path: Path, mqtt: str, needle: str) -> None:
    with pytest.raises(ConfigError, match=needle):
        load_bridge_config(write(tmp_path, BASE + f"mqtt: {mqtt}\n"))


def test_a_missing_tls_file_stops_the_bridge_at_start(tmp_path: Path) -> None:
    from firmware_bridge.assembly import build_bus

    config = load_bridge_config(
        write(tmp_path, BASE + f"mqtt: {{url: 'mqtts://b', ca_file: '{tmp_path}/none.crt'}}\n")
    )
    with pytest.raises(ConfigError, match=r"ca_file .*none\.crt: no such file"):
        build_bus(config, environ={})


def test_signed_commands_are_required_unless_a_migrating_site_says_otherwise(
    tmp_path: Path,
) -> None:
    lanes = "site: s1\ngate: g1\nlanes: [{lane: 0, direction: entry}]\n"
    with pytest.raises(ConfigError, match="require_signed_commands needs"):
        load_bridge_config(write(tmp_path, lanes))
    with pytest.raises(ConfigError, match="K1"):
        load_bridge_config(write(tmp_path, lanes + "command_keys: {K1: not-a-key}\n"))
    with pytest.raises(ConfigError, match="command_keys"):
        load_bridge_config(write(tmp_path, lanes + "command_keys: {bad/id: AAAA}\n"))
    key = encode_public_key(Ed25519PrivateKey.generate().public_key())
    config = load_bridge_config(write(tmp_path, lanes + f"command_keys: {{K1: '{key}'}}\n"))
    assert config.require_signed_commands and list(config.command_keyring()) == ["K1"]
    migrating = load_bridge_config(write(tmp_path, BASE))
    assert not migrating.require_signed_commands


def test_a_weak_broker_password_stops_the_bridge_by_name(tmp_path: Path) -> None:
    from firmware_bridge.assembly import build_bus
    from portgate.broker.mosquitto_auth import new_password

    config = load_bridge_config(write(tmp_path, BASE + "mqtt: {username: bridge-g1}\n"))
    for weak, why in (("bridge-pw", "too short"), ("xy" * 20, "repeats a short pattern")):
        with pytest.raises(ConfigError, match=f"PORTGATE_MQTT_PASSWORD .*{why}"):
            build_bus(config, environ={"PORTGATE_MQTT_PASSWORD": weak})
    build_bus(config, environ={"PORTGATE_MQTT_PASSWORD": new_password()})
    build_bus(config, environ={"PORTGATE_MQTT_PASSWORD": "bridge-pw", "PORTGATE_DEV_MODE": "1"})
