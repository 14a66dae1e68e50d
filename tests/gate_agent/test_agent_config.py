from pathlib import Path

import pytest

from gate_agent.config import (
    AgentConfig,
    ConfigError,
    FileCameraConfig,
    OpenCVCameraConfig,
    load_config,
    read_secret,
)
from gate_protocol.messages import Direction

EXAMPLE = Path(__file__).resolve().parents[2] / "configs" / "gate-example.yaml"


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "agent.yaml"
    path.write_text(text)
    return path


def test_minimal_config_has_safe_defaults(tmp_path: Path) -> None:
    config = load_config(write(tmp_path, "site: t1\ngate: g1\n"))
    assert config.api.decision_timeout_ms == 300
    assert config.lanes[0].direction is Direction.ENTRY
    assert config.camera is None
    assert config.turnstile.command_ttl_s == 5.0
    assert config.mqtt.host == "127.0.0.1" and config.mqtt.port == 1883


def test_camera_is_a_tagged_union(tmp_path: Path) -> None:
    config = load_config(
        write(tmp_path, "site: t1\ngate: g1\ncamera: {type: file, path: a.png, fps: 5}\n")
    )
    assert isinstance(config.camera, FileCameraConfig) and config.camera.fps == 5
    config = load_config(write(tmp_path, "site: t1\ngate: g1\ncamera: {type: opencv, device: 2}\n"))
    assert isinstance(config.camera, OpenCVCameraConfig) and config.camera.device == 2


@pytest.mark.parametrize(
    ("text", "needle"),
    [
        ("site: t1\ngate: g1\ncolour: red\n", "colour"),
        ("site: t1\ngate: g/1\n", "gate"),
        ("site: t1\ngate: g1\ncamera: {type: webcam}\n", "camera"),
        ("site: t1\ngate: g1\napi: {decision_timeout_ms: 5}\n", "decision_timeout_ms"),
        ("site: t1\ngate: g1\nmqtt: {url: 'http://x'}\n", "url"),
        ("site: t1\ngate: g1\nface: {track_liveness_keep_s: -1}\n", "track_liveness_keep_s"),
        ("site: t1\ngate: g1\nface: {presearch_nice: 20}\n", "presearch_nice"),
        ("site: t1\ngate: g1\nface: {track_keep: 2}\n", "track_keep"),
        (
            "site: t1\ngate: g1\nlanes: [{lane: 0, direction: entry}, {lane: 0, direction: exit}]"
            "\n",
            "distinct",
        ),
        ("- just\n- a list\n", "mapping"),
        ("site: [unclosed\n", "YAML"),
    ],
)
def test_bad_configs_are_refused_with_a_clear_error(tmp_path: Path, text: str, needle: str) -> None:
    with pytest.raises(ConfigError, match=needle):
        load_config(write(tmp_path, text))


def test_missing_file_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="cannot read"):
        load_config(tmp_path / "nope.yaml")


def test_mqtts_url_means_tls_and_port_8883() -> None:
    config = AgentConfig.model_validate(
        {"site": "t1", "gate": "g1", "mqtt": {"url": "mqtts://broker.port"}}
    )
    assert config.mqtt.tls and config.mqtt.port == 8883 and config.mqtt.host == "broker.port"


def test_secrets_come_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PG_TEST_SECRET", "s3cret")
    assert read_secret("PG_TEST_SECRET", what="key") == "s3cret"
    assert read_secret(None, what="key") is None
    monkeypatch.delenv("PG_TEST_SECRET")
    with pytest.raises(ConfigError, match="PG_TEST_SECRET is not set"):
        read_secret("PG_TEST_SECRET", what="key")


def test_example_config_validates() -> None:
    config = load_config(EXAMPLE)
    assert config.site and config.gate
    assert config.api.decision_timeout_ms == 300


def test_tls_files_map_onto_the_shared_connection(tmp_path: Path) -> None:
    config = load_config(
        write(
            tmp_path,
            "site: t1\ngate: g1\nmqtt:\n  url: mqtts://broker:8884\n  username: agent-g1\n"
            "  ca_file: pki/ca.crt\n  cert_file: pki/g1.crt\n  key_file: pki/g1.key\n"
            "  keepalive_s: 20\n",
        )
    )
    connection = config.mqtt.connection(password="pw")
    assert (connection.host, connection.port, connection.tls) == ("broker", 8884, True)
    assert connection.username == "agent-g1" and connection.keepalive_s == 20
    assert connection.password is not None and connection.password.get_secret_value() == "pw"
    assert connection.ca_file == Path("pki/ca.crt") and connection.key_file == Path("pki/g1.key")


@pytest.mark.parametrize(
    ("mqtt", "needle"),
    [
        ("{url: 'mqtts://b', cert_file: c.crt}", "client certificate needs its key"),
        ("{url: 'mqtt://b', ca_file: ca.crt}", "ca_file need an mqtts:// URL"),
    ],
)
def test_bad_tls_settings_are_refused(tmp_path: Path, mqtt: str, needle: str) -> None:
    with pytest.raises(ConfigError, match=needle):
        load_config(write(tmp_path, f"site: t1\ngate: g1\nmqtt: {mqtt}\n"))
