"""The API's worker-connection broker users derived from the site config's api_workers."""

from pathlib import Path

import pytest

from gate_protocol.broker_accounts import connection_password
from portgate.broker.mosquitto_acl import render_acl
from portgate.broker.mosquitto_auth import verify_password
from portgate.broker.mosquitto_files import write_broker_files
from portgate.broker.site_config import (
    BrokerSettings,
    GateEntry,
    Role,
    SiteConfig,
    SiteConfigError,
    broker_users,
)


def site(workers: int, api_user: str = "api") -> SiteConfig:
    return SiteConfig(
        site="t1",
        gates=[GateEntry(id="gate-a")],
        broker=BrokerSettings(api_workers=workers, api_user=api_user),
    )


def test_one_worker_has_the_api_user_and_the_clis() -> None:
    assert [u.username for u in broker_users(site(1)) if u.role is Role.API] == ["api", "api-cli"]


def test_workers_get_one_user_per_connection_with_api_rights(tmp_path: Path) -> None:
    config = site(2)
    api_users = [u.username for u in broker_users(config) if u.role is Role.API]
    assert api_users == ["api", "api-cli", "api-w0", "api-w0-live", "api-w1", "api-w1-live"]
    acl = render_acl(config)
    api_block = acl.split("user api\n")[1].split("\n\n")[0]
    for name in api_users[1:]:
        assert acl.split(f"user {name}\n")[1].split("\n\n")[0] == api_block


def test_derived_passwords_come_from_the_api_password(tmp_path: Path) -> None:
    environ = {
        "PORTGATE_MQTT_PASSWORD_API": "the-api-password",
        "PORTGATE_MQTT_PASSWORD_ADMIN": "the-admin-password",
        "PORTGATE_MQTT_PASSWORD_AGENT_GATE_A": "a",
        "PORTGATE_MQTT_PASSWORD_BRIDGE_GATE_A": "b",
    }
    files = write_broker_files(site(2), out_dir=tmp_path, environ=environ)
    assert files.credentials is None  # derived passwords are never handed out
    hashes = dict(line.split(":", 1) for line in files.passwd.read_text().splitlines())
    derived = connection_password("the-api-password", username="api-w1-live")
    assert verify_password(derived, hashes["api-w1-live"])
    assert not verify_password("the-api-password", hashes["api-w1-live"])
    assert not verify_password(derived, hashes["api-w1"])


def test_generated_api_password_also_derives_the_workers(tmp_path: Path) -> None:
    files = write_broker_files(site(2), out_dir=tmp_path, environ={})
    assert files.credentials is not None
    generated = dict(
        line.split("=", 1)
        for line in files.credentials.read_text().splitlines()
        if not line.startswith("#")
    )
    assert not any("W0" in name for name in generated)
    hashes = dict(line.split(":", 1) for line in files.passwd.read_text().splitlines())
    derived = connection_password(generated["PORTGATE_MQTT_PASSWORD_API"], username="api-w0")
    assert verify_password(derived, hashes["api-w0"])


def test_bad_worker_counts_and_too_long_names_are_refused() -> None:
    with pytest.raises(ValueError, match="api_workers"):
        site(0)
    with pytest.raises(SiteConfigError, match="64 characters"):
        broker_users(site(2, api_user="a" * 60))
