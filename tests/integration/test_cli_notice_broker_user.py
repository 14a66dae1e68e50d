"""The CLI's sync notices never displace a running API from the broker.

The generated broker sets ``use_username_as_clientid``: a CLI command that logged in with
MQTT_URL's own user (the API's) would get the running API's client id, kick it off and, with
its clean start, wipe the API's persistent session and the events queued in it. The CLI
logs in as its derived user ``api-cli`` instead (what `portgate broker users` writes).
"""

from datetime import UTC, datetime
from pathlib import Path

import pytest

from central_api.bus.mqtt import NullBus
from gate_protocol.messages import SyncNotice, decode_message
from gate_protocol.topics import SyncTopic, build_topic
from portgate.broker.site_config import GateEntry, SiteConfig
from portgate.commands.sync_notices import deliver_notices
from testkit.mosquitto import MosquittoFactory
from testkit.mqtt_probe import MqttProbe
from testkit.secured_broker import start_site_broker

pytestmark = pytest.mark.integration
API_PASSWORD = "api-password-0123456789"  # noqa: S105 (a throwaway test broker)
ADMIN_PASSWORD = "admin-password-0123456789"  # noqa: S105
SYNC = build_topic(SyncTopic(site="rtm"))


def _broker(tmp_path: Path, factory: MosquittoFactory) -> int:
    config = SiteConfig(site="rtm", gates=[GateEntry(id="north-1")])
    passwords = {"api": API_PASSWORD, "admin": ADMIN_PASSWORD}
    secured = start_site_broker(tmp_path, config, passwords=passwords, launch=factory)
    assert "use_username_as_clientid true" in secured.conf_text
    return secured.port


def _notice(version: int) -> NullBus:
    bus = NullBus()
    bus.publish(
        SyncTopic(site="rtm"),
        SyncNotice(replica_version=version, at=datetime.now(UTC)),
        retain=True,
    )
    return bus


@pytest.mark.parametrize("derived", [True, False], ids=["cli-user", "api-user"])
def test_cli_notice_leaves_the_running_api_connected(
    tmp_path: Path,
    mosquitto_factory: MosquittoFactory,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    derived: bool,
) -> None:
    port = _broker(tmp_path, mosquitto_factory)
    api = MqttProbe(
        port, username="api", password=API_PASSWORD, client_id="api", clean_session=False
    )
    admin = MqttProbe(port, username="admin", password=ADMIN_PASSWORD)
    assert str(api.connect()) == "Success" and str(admin.connect()) == "Success"
    admin.subscribe(SYNC)
    monkeypatch.setenv("MQTT_URL", f"mqtt://api:{API_PASSWORD}@127.0.0.1:{port}")
    monkeypatch.setenv("PORTGATE_MQTT_WORKER_USERS", "true" if derived else "false")
    try:
        deliver_notices(_notice(7), command="gates add")
        assert "1 sync notice(s) published" in capsys.readouterr().err
        assert admin.wait_for(lambda: bool(admin.on_topic(SYNC)), 5.0)
        notice = decode_message(admin.on_topic(SYNC)[-1], SyncNotice)
        assert isinstance(notice, SyncNotice) and notice.replica_version == 7
        kicked = api.wait_for(lambda: bool(api.disconnects), 1.5)
        # As the API's own user the CLI takes over the API's client id: what this prevents.
        assert kicked is not derived, api.disconnects
    finally:
        api.close()
        admin.close()


def test_cli_notice_without_the_cli_user_on_the_broker_warns_and_keeps_the_change(
    tmp_path: Path,
    mosquitto_factory: MosquittoFactory,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    port = _broker(tmp_path, mosquitto_factory)
    # A password that derives a different api-cli password: the broker refuses the CLI.
    monkeypatch.setenv("MQTT_URL", f"mqtt://api:not-the-password@127.0.0.1:{port}")
    monkeypatch.setenv("PORTGATE_MQTT_WORKER_USERS", "true")
    deliver_notices(_notice(8), command="gates add")
    err = capsys.readouterr().err
    assert "gates not told" in err and "next sync" in err
