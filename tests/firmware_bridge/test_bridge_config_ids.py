"""The bridge and site configs' ids follow the one id rule (gate_protocol.ids)."""

from pathlib import Path

import pytest

from firmware_bridge.config import ConfigError, load_bridge_config
from portgate.broker.site_config import SiteConfigError, load_site_config

LANES = "lanes: [{lane: 0, direction: entry}]\n"


UNSIGNED = "require_signed_commands: false\n"


def bridge(tmp_path: Path, site: str, gate: str) -> Path:
    path = tmp_path / "bridge.yaml"
    path.write_text(f"site: '{site}'\ngate: '{gate}'\n" + LANES + UNSIGNED)
    return path


def site_file(tmp_path: Path, site: str, gate: str) -> Path:
    path = tmp_path / "site.yaml"
    path.write_text(f"site: '{site}'\ngates: [{{id: '{gate}'}}]\n")
    return path


@pytest.mark.parametrize("value", ["s:1", "gate-1.a_b", "x" * 64])
def test_bridge_takes_ids_by_the_rule(tmp_path: Path, value: str) -> None:
    config = load_bridge_config(bridge(tmp_path, value, value))
    assert (config.site, config.gate) == (value, value)


@pytest.mark.parametrize("value", ["", "x" * 65, "g#", "$g", "g 1", "gäte", "g@1"])
def test_bridge_refuses_other_ids(tmp_path: Path, value: str) -> None:
    with pytest.raises(ConfigError, match="site"):
        load_bridge_config(bridge(tmp_path, value, "g1"))
    with pytest.raises(ConfigError, match="gate"):
        load_bridge_config(bridge(tmp_path, "s1", value))


def test_site_config_site_is_an_id(tmp_path: Path) -> None:
    assert load_site_config(site_file(tmp_path, "rtm:t1", "g1")).site == "rtm:t1"
    for value in ("", "x" * 65, "t+1", "sité", "t 1"):
        with pytest.raises(SiteConfigError, match="site"):
            load_site_config(site_file(tmp_path, value, "g1"))


def test_site_config_gate_is_an_id_fit_for_a_broker_user_name(tmp_path: Path) -> None:
    assert load_site_config(site_file(tmp_path, "t1", "x" * 64)).gates[0].id == "x" * 64
    # ':' is an id character, but the gate id names the broker users agent-<id> and
    # bridge-<id>, and mosquitto's password file is user:hash.
    for value in ("a:b", "", "x" * 65, "a/b", "gäte"):
        with pytest.raises(SiteConfigError, match=r"gates\.0\.id"):
            load_site_config(site_file(tmp_path, "t1", value))
