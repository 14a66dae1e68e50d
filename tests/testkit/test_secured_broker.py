"""A broker secured like a site's (generated passwords and ACL), as the tests start it."""

from collections.abc import Iterator
from pathlib import Path

import pytest

from portgate.broker.site_config import GateEntry, SiteConfig
from testkit.mosquitto import mosquitto_available
from testkit.mqtt_probe import MqttProbe
from testkit.secured_broker import SiteBroker, site_environ, start_site_broker

pytestmark = [
    pytest.mark.integration,
    pytest.mark.skipif(not mosquitto_available(), reason="mosquitto is not installed"),
]
SITE = SiteConfig(site="s1", gates=[GateEntry(id="g1")])


@pytest.fixture
def site(tmp_path: Path) -> Iterator[SiteBroker]:
    broker = start_site_broker(tmp_path, SITE, passwords={"admin": "admin-pw-0123456789"})
    yield broker
    broker.stop()


def test_each_node_logs_in_with_its_own_password_and_nobody_else_does(site: SiteBroker) -> None:
    admin = MqttProbe(site.port, username="admin", password="admin-pw-0123456789")
    agent = MqttProbe(site.port, username="agent-g1", password=site.passwords["agent-g1"])
    anonymous = MqttProbe(site.port)
    swapped = MqttProbe(site.port, username="bridge-g1", password=site.passwords["agent-g1"])
    try:
        assert not admin.connect().is_failure  # type: ignore[union-attr]
        assert not agent.connect().is_failure  # type: ignore[union-attr]
        assert anonymous.connect().is_failure  # type: ignore[union-attr]
        assert swapped.connect().is_failure  # type: ignore[union-attr]
    finally:
        for probe in (admin, agent, anonymous, swapped):
            probe.close()


def test_the_url_and_the_environment_carry_the_same_passwords(site: SiteBroker) -> None:
    assert site.url("admin") == f"mqtt://admin:admin-pw-0123456789@127.0.0.1:{site.port}"
    assert site.environ["PORTGATE_MQTT_PASSWORD_AGENT_G1"] == site.passwords["agent-g1"]
    assert "use_username_as_clientid true" in site.conf_text


def test_a_killed_site_broker_starts_again_on_its_port(site: SiteBroker) -> None:
    port, pid = site.port, site.pid
    site.kill()
    assert not site.running and site.pid is None
    site.start()
    assert site.running and site.port == port and site.pid != pid


def test_a_password_for_a_user_the_site_lacks_is_refused() -> None:
    with pytest.raises(ValueError, match="intruder"):
        site_environ(SITE, {"intruder": "x"})


def test_a_derived_user_gets_no_password_of_its_own() -> None:
    with pytest.raises(ValueError, match="api-cli"):
        site_environ(SITE, {"api-cli": "x"})
