"""The API's broker settings: MQTT_URL plus the TLS files, mapped onto the shared model."""

from pathlib import Path

import pytest
from pydantic import ValidationError

from central_api.config import MqttTlsSettings, Settings


def test_mqtt_url_and_tls_files_make_the_connections(tmp_path: Path) -> None:
    settings = Settings(
        PORTGATE_DEV_MODE=True,
        MQTT_URL="mqtts://api:pw@broker:8884",
        PORTGATE_MQTT_CA_FILE=tmp_path / "ca.crt",
        PORTGATE_MQTT_CERT_FILE=tmp_path / "api.crt",
        PORTGATE_MQTT_KEY_FILE=tmp_path / "api.key",
        PORTGATE_WORKER_INDEX=2,
    )
    ingest, live = settings.ingest_mqtt_connection(), settings.live_mqtt_connection()
    assert ingest is not None and live is not None
    assert (ingest.host, ingest.port, ingest.tls, ingest.username) == (
        "broker",
        8884,
        True,
        "api-w2",
    )
    assert live.username == "api-w2-live" and live.ca_file == tmp_path / "ca.crt"
    assert ingest.cert_file == tmp_path / "api.crt" and ingest.key_file == tmp_path / "api.key"
    assert Settings(PORTGATE_DEV_MODE=True).ingest_mqtt_connection() is None


def test_cli_reads_the_same_tls_variables(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PORTGATE_MQTT_CA_FILE", str(tmp_path / "ca.crt"))
    connection = MqttTlsSettings().mqtt_connection("mqtts://broker")
    assert connection.ca_file == tmp_path / "ca.crt" and connection.port == 8883


@pytest.mark.parametrize(
    ("env", "needle"),
    [
        ({"MQTT_URL": "http://broker"}, "scheme must be mqtt:// or mqtts://"),
        (
            {"MQTT_URL": "mqtt://broker", "PORTGATE_MQTT_CA_FILE": "ca.crt"},
            "ca_file need an mqtts:// URL",
        ),
        (
            {"MQTT_URL": "mqtts://broker", "PORTGATE_MQTT_CERT_FILE": "api.crt"},
            "client certificate needs its key",
        ),
    ],
)
def test_bad_broker_settings_are_refused_at_start(env: dict[str, str], needle: str) -> None:
    with pytest.raises(ValidationError, match=needle):
        Settings(PORTGATE_DEV_MODE=True, **env)  # type: ignore[arg-type]
