"""`portgate community broker-config hub|member`: the hub's users and ACL, a member's bridge."""

import stat
from pathlib import Path

import pytest
from typer.testing import CliRunner

from portgate.broker.mosquitto_auth import verify_password
from portgate.cli import app as cli

ROOT = "portgate/v1/community/nsp"


def run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, ["community", "broker-config", *args])
    return result.exit_code, result.output


def test_the_hub_gets_users_an_acl_by_issuer_and_a_tls_listener(tmp_path: Path) -> None:
    code, out = run(
        "hub",
        "--community",
        "nsp",
        "--out",
        str(tmp_path),
        "--member",
        "term-a",
        "--member",
        "term-b",
        "--cafile",
        "/ca.crt",
        "--certfile",
        "/hub.crt",
        "--keyfile",
        "/hub.key",
        "--tls-port",
        "8884",
    )
    assert code == 0, out
    acl = (tmp_path / "community-acl").read_text()
    term_a = acl.split("user term-a\n")[1].split("\n\n")[0].splitlines()
    assert term_a == [
        f"topic write {ROOT}/all/term-a/#",
        f"topic write {ROOT}/to/+/term-a/#",
        f"topic read {ROOT}/all/#",
        f"topic read {ROOT}/to/term-a/#",
    ]
    credentials = dict(
        line.split("=", 1) for line in (tmp_path / "credentials.env").read_text().splitlines()
    )
    hashes = dict(
        line.split(":", 1) for line in (tmp_path / "community-passwd").read_text().splitlines()
    )
    assert set(hashes) == {"term-a", "term-b", "portgate-api"}
    assert verify_password(credentials["term-a"], hashes["term-a"])
    assert stat.S_IMODE((tmp_path / "credentials.env").stat().st_mode) == 0o600
    assert credentials["term-a"] not in out, "passwords never on the terminal"
    conf = (tmp_path / "community.conf").read_text()
    assert "listener 8884" in conf and "certfile /hub.crt" in conf


def test_a_member_bridges_its_own_topics_out_and_its_reading_in(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PORTGATE_COMMUNITY_BRIDGE_PASSWORD", "s3cret-bridge")
    code, out = run(
        "member",
        "--community",
        "nsp",
        "--out",
        str(tmp_path),
        "--member",
        "term-a",
        "--hub-host",
        "hub.example",
        "--cafile",
        "/ca.crt",
    )
    assert code == 0, out
    bridge = (tmp_path / "community-bridge.conf").read_text().splitlines()
    for line in (
        "address hub.example:8883",
        "cleansession false",
        "remote_username term-a",
        "bridge_cafile /ca.crt",
        "bridge_protocol_version mqttv311",
        f"topic all/term-a/# out 1 {ROOT}/ {ROOT}/",
        f"topic to/+/term-a/# out 1 {ROOT}/ {ROOT}/",
        f"topic all/# in 1 {ROOT}/ {ROOT}/",
        f"topic to/term-a/# in 1 {ROOT}/ {ROOT}/",
    ):
        assert line in bridge


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("member", "--community", "nsp", "--member", "term-a"), "PORTGATE_COMMUNITY_BRIDGE"),
        (("hub", "--community", "nsp", "--member", "a"), "--cafile"),
        (
            (
                "hub",
                "--community",
                "n/sp",
                "--member",
                "a",
                "--cafile",
                "c",
                "--certfile",
                "c",
                "--keyfile",
                "k",
            ),
            "community id",
        ),
    ],
)
def test_bad_input_is_one_error_line_and_writes_nothing(
    tmp_path: Path, args: tuple[str, ...], message: str
) -> None:
    out_dir = tmp_path / "out"
    code, out = run(*args, "--out", str(out_dir))
    assert code == 1
    assert message in out
    assert not out_dir.exists() or list(out_dir.iterdir()) == []
