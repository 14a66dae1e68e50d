import shutil
import stat
import subprocess
from pathlib import Path

import pytest
from pydantic import ValidationError
from typer.testing import CliRunner

from portgate.broker.mosquitto_acl import render_acl
from portgate.broker.mosquitto_auth import hash_password, verify_password
from portgate.broker.mosquitto_files import write_broker_files
from portgate.broker.site_config import (
    GateEntry,
    Role,
    SiteConfig,
    SiteConfigError,
    broker_users,
    load_site_config,
)

REPO = Path(__file__).resolve().parents[2]
SITE = SiteConfig(site="t1", gates=[GateEntry(id="gate-a"), GateEntry(id="gate-b")])


def test_hash_format_matches_mosquitto() -> None:
    encoded = hash_password("s3cret", salt=b"\x00" * 12, iterations=101)
    assert encoded.startswith("$7$101$AAAAAAAAAAAAAAAA$")
    assert verify_password("s3cret", encoded)
    assert not verify_password("S3cret", encoded)
    assert not verify_password("s3cret", "$6$rounds$x$y")


@pytest.mark.skipif(shutil.which("mosquitto_passwd") is None, reason="mosquitto_passwd missing")
def test_cross_check_with_mosquitto_passwd(tmp_path: Path) -> None:
    path = tmp_path / "pw"
    subprocess.run(["mosquitto_passwd", "-c", "-b", str(path), "alice", "pa55-word"], check=True)
    _, encoded = path.read_text().strip().split(":", 1)
    assert verify_password("pa55-word", encoded)
    assert not verify_password("wrong", encoded)
    ours = hash_password("pa55-word")
    # mosquitto_passwd -U would rehash plain text; parse shape instead: $7$iter$salt$hash.
    assert ours.split("$")[1] == encoded.split("$")[1] == "7"
    assert len(ours.split("$")[4]) == len(encoded.split("$")[4])  # 64-byte digest


def test_users_roles_and_env_names() -> None:
    users = {u.username: u for u in broker_users(SITE)}
    assert set(users) == {
        "admin",
        "api",
        "api-cli",
        "agent-gate-a",
        "bridge-gate-a",
        "agent-gate-b",
        "bridge-gate-b",
    }
    assert users["bridge-gate-a"].role is Role.BRIDGE and users["bridge-gate-a"].gate == "gate-a"
    assert users["bridge-gate-a"].password_env == "PORTGATE_MQTT_PASSWORD_BRIDGE_GATE_A"


def test_acl_confines_each_gate_node_to_its_gate() -> None:
    acl = render_acl(SITE)
    blocks = {
        b.splitlines()[0]: b.splitlines()[1:] for b in acl.split("\n\n") if b.startswith("user ")
    }
    for line in blocks["user bridge-gate-a"] + blocks["user agent-gate-a"]:
        assert "/gates/gate-a/" in line or line.endswith("/t1/sync"), line
        assert "#" not in line.replace("gates/gate-a/#", "")
    assert blocks["user admin"] == ["topic readwrite #", "topic read $SYS/#"]
    assert sum(line == "topic readwrite #" for line in acl.splitlines()) == 1
    # The API replicas' alarm topic is the API's alone (its own user and the derived ones).
    api_users = {f"user {u.username}" for u in broker_users(SITE) if u.role is Role.API}
    assert api_users == {"user api", "user api-cli"}
    for user in api_users:
        assert blocks[user] == blocks["user api"]
    assert "topic readwrite portgate/v1/t1/alarms" in blocks["user api"]
    assert not any(
        "/alarms" in line
        for user, lines in blocks.items()
        if user not in api_users | {"user admin"}
        for line in lines
    )


def test_files_modes_and_generated_passwords(tmp_path: Path) -> None:
    env = {"PORTGATE_MQTT_PASSWORD_ADMIN": "admin-secret-0123456789"}
    files = write_broker_files(SITE, out_dir=tmp_path, environ=env)
    assert stat.S_IMODE(files.credentials.stat().st_mode) == 0o600  # type: ignore[union-attr]
    assert stat.S_IMODE(files.passwd.stat().st_mode) == 0o640
    generated = dict(
        line.split("=", 1)
        for line in files.credentials.read_text().splitlines()
        if "=" in line  # type: ignore[union-attr]
    )
    assert "PORTGATE_MQTT_PASSWORD_ADMIN" not in generated and len(generated) == 5
    hashes = dict(line.split(":", 1) for line in files.passwd.read_text().splitlines())
    assert verify_password("admin-secret-0123456789", hashes["admin"])
    assert verify_password(generated["PORTGATE_MQTT_PASSWORD_API"], hashes["api"])
    assert len(set(generated.values())) == 5


def test_site_config_example_and_bad_input(tmp_path: Path) -> None:
    site = load_site_config(REPO / "configs" / "site-example.yaml")
    assert site.site == "rotterdam-t1" and [g.id for g in site.gates] == ["gate-a", "gate-b"]
    for bad in (
        "site: t1\ngates: [{id: 'a/b'}]\n",
        "site: t1\ngates: [{id: 'a'}, {id: 'a'}]\n",
        "site: 't+1'\ngates: [{id: a}]\n",
        "site: t1\ngates: [{id: a}]\nsurprise: 1\n",
        "site: t1\ngates: [{id: 'a:b'}]\n",
        "- not a mapping\n",
    ):
        path = tmp_path / "site.yaml"
        path.write_text(bad)
        with pytest.raises(SiteConfigError):
            load_site_config(path)
    with pytest.raises(ValidationError):
        SiteConfig(site="t1", gates=[])


def test_cli_broker_users(tmp_path: Path) -> None:
    from portgate.cli import app

    out = tmp_path / "broker"
    result = CliRunner().invoke(
        app,
        [
            "broker",
            "users",
            "--site-config",
            str(REPO / "configs/site-example.yaml"),
            "--out",
            str(out),
            "--conf",
        ],
        env={},
    )
    assert result.exit_code == 0, result.output
    assert (
        (out / "passwd").exists() and (out / "acl").exists() and (out / "mosquitto.conf").exists()
    )
    assert "credentials.env" in result.output
    for line in (out / "credentials.env").read_text().splitlines()[1:]:
        assert line.split("=", 1)[1] not in result.output  # passwords are never printed
    bad = tmp_path / "bad.yaml"
    bad.write_text("site: t1\n")
    result = CliRunner().invoke(
        app, ["broker", "users", "--site-config", str(bad), "--out", str(out)]
    )
    assert result.exit_code == 1


def test_committed_broker_files_match_the_generators() -> None:
    from portgate.broker.mosquitto_files import render_mosquitto_conf
    from portgate.broker.site_config import BrokerTls

    conf = render_mosquitto_conf(
        port=1883,
        bind_address="0.0.0.0",  # noqa: S104 (the compose network between containers)
        password_file=Path("/mosquitto/config/portgate/passwd"),
        acl_file=Path("/mosquitto/config/portgate/acl"),
        persistence_dir=Path("/mosquitto/data"),
        tls=BrokerTls(),
        allow_network_plaintext=True,
    )
    assert (REPO / "configs/mosquitto/mosquitto.conf").read_text() == conf
    site = load_site_config(REPO / "configs/site-example.yaml")
    assert (REPO / "configs/mosquitto/acl.example").read_text() == render_acl(site)
    for line in ("allow_anonymous false", "use_username_as_clientid true", "persistence true"):
        assert line in conf.splitlines()


def test_healthcheck_user_reads_only_uptime() -> None:
    site = SiteConfig.model_validate(
        {"site": "t1", "gates": [{"id": "a"}], "broker": {"healthcheck_user": "probe"}}
    )
    acl = render_acl(site)
    block = acl.split("user probe\n", 1)[1].split("\n\n", 1)[0]
    assert block.splitlines() == ["topic read $SYS/broker/uptime"]
