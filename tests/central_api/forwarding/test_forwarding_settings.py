"""Bad forwarding and webhook settings are refused, naming the setting; the API stays down."""

from pathlib import Path

import pytest
from sqlalchemy import Engine

from central_api.app import create_app
from central_api.config import Settings
from central_api.forwarding.records import Kind
from central_api.forwarding.settings import ForwardingConfigError, forwarding_settings
from central_api.forwarding.syslog_format import BodyFormat
from central_api.forwarding.webhooks import WebhookConfigError, webhook_target


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"PORTGATE_SYSLOG_TARGET": "siem.example"}, "PORTGATE_SYSLOG_TARGET must be host:port"),
        ({"PORTGATE_SYSLOG_TARGET": "siem:99999"}, "PORTGATE_SYSLOG_TARGET must be host:port"),
        ({"PORTGATE_SYSLOG_TARGET": "siem:6514", "PORTGATE_SYSLOG_FORMAT": "xml"}, "cef or json"),
        ({"PORTGATE_SYSLOG_TARGET": "siem:6514", "PORTGATE_SYSLOG_KINDS": "event,x"}, "KINDS"),
        (
            {"PORTGATE_SYSLOG_TARGET": "siem:6514", "PORTGATE_SYSLOG_CA_FILE": "/nonexistent"},
            "PORTGATE_SYSLOG_CA_FILE",
        ),
    ],
)
def test_bad_syslog_settings_name_the_setting(env: dict[str, str], message: str) -> None:
    with pytest.raises(ForwardingConfigError, match=message):
        forwarding_settings(env)


def test_good_syslog_settings(tmp_path: Path) -> None:
    ca = tmp_path / "ca.pem"
    ca.write_text("-")
    config = forwarding_settings(
        {
            "PORTGATE_SYSLOG_TARGET": "siem.example:6514",
            "PORTGATE_SYSLOG_TLS": "1",
            "PORTGATE_SYSLOG_CA_FILE": str(ca),
            "PORTGATE_SYSLOG_FORMAT": "cef",
            "PORTGATE_SYSLOG_KINDS": "alarm, audit",
        }
    )
    assert config is not None
    assert (config.target.name, config.target.tls, config.body) == (
        "siem.example:6514",
        True,
        BodyFormat.CEF,
    )
    assert config.kinds == (Kind.ALARM, Kind.AUDIT)
    assert forwarding_settings({}) is None


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"PORTGATE_WEBHOOK_URL": "ftp://x"}, "http"),
        ({"PORTGATE_WEBHOOK_URL": "https://x", "PORTGATE_WEBHOOK_SECRET": "short"}, "32"),
        (
            {
                "PORTGATE_WEBHOOK_URL": "https://x",
                "PORTGATE_WEBHOOK_SECRET": "s" * 32,
                "PORTGATE_WEBHOOK_ATTEMPTS": "0",
            },
            "1 to 20",
        ),
    ],
)
def test_bad_webhook_settings_name_the_setting(env: dict[str, str], message: str) -> None:
    with pytest.raises(WebhookConfigError, match=message):
        webhook_target(env)


def test_the_secret_and_the_url_token_stay_out_of_repr() -> None:
    url = "https://hooks.example:8443/services/T0K3N?key=abc"
    target = webhook_target({"PORTGATE_WEBHOOK_URL": url, "PORTGATE_WEBHOOK_SECRET": "s" * 40})
    assert target is not None
    assert repr(target) == "WebhookTarget(https://hooks.example:8443, attempts=5)"


def test_the_api_does_not_start_on_a_bad_target(
    settings: Settings, engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PORTGATE_SYSLOG_TARGET", "no-port")
    with pytest.raises(ForwardingConfigError, match="PORTGATE_SYSLOG_TARGET"):
        create_app(settings, engine=engine)
