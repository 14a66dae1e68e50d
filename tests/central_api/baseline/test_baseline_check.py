"""`portgate baseline check`: shipped profiles, bad profiles refused by key, sites that pass
and fail (SQLite and PostgreSQL), findings with their fixes, exit 1 on a failed must."""

import json
from pathlib import Path

import pytest
import yaml
from sqlalchemy import Engine, text
from typer.testing import CliRunner

from central_api.baseline.checks import GateFacts, SiteFacts, evaluate
from central_api.baseline.profile import ProfileError, load_profile, shipped_profile
from central_api.insider.rules import InsiderRules
from gate_protocol.records import OfflinePolicy
from portgate.cli import app as cli
from testkit.api.world import World


def write(path: Path, data: object) -> Path:
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    return path


def shipped(level: int) -> dict[str, object]:
    loaded = yaml.safe_load(shipped_profile(level).read_text(encoding="utf-8"))
    assert isinstance(loaded, dict)
    return loaded


def without_unavailable(tmp_path: Path, level: int = 1) -> Path:
    """A shipped profile less the two settings no site can show yet (MFA, replica keys)."""
    data = shipped(level)
    requirements = data["requirements"]
    assert isinstance(requirements, dict)
    del requirements["admin_mfa"], requirements["replica_encryption"]
    return write(tmp_path / "own.yaml", data)


@pytest.mark.parametrize("level", [1, 2, 3])
def test_the_shipped_profiles_load_and_tighten_with_the_level(level: int) -> None:
    profile = load_profile(shipped_profile(level))
    assert profile.name == f"EU port facility, ISPS level {level}"
    assert profile.isps_level == level
    assert any("ISPS Code part A section 16" in ref for ref in profile.derived_from)
    wanted = profile.requirements
    assert wanted.replica_max_age is not None and wanted.face_threshold is not None
    if level > 1:
        looser = load_profile(shipped_profile(level - 1)).requirements
        assert looser.replica_max_age is not None and looser.face_threshold is not None
        assert wanted.replica_max_age.max_s < looser.replica_max_age.max_s
        assert wanted.face_threshold.max < looser.face_threshold.max


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda d: d.update(colour="blue"), "unknown key 'colour'"),
        (
            lambda d: d["requirements"].update(face_on_evry_gate={"severity": "must"}),
            "unknown key 'requirements.face_on_evry_gate'",
        ),
        (
            lambda d: d["requirements"]["face_threshold"].update(maximum=0.5),
            "unknown key 'requirements.face_threshold.maximum'",
        ),
        (lambda d: d.pop("requirements"), "missing key 'requirements'"),
        (
            lambda d: d["requirements"]["broker_tls"].update(severity="could"),
            "requirements.broker_tls.severity: Input should be 'must' or 'should'",
        ),
    ],
    ids=["top", "requirement", "parameter", "missing", "severity"],
)
def test_a_wrong_key_is_named(tmp_path: Path, change: object, message: str) -> None:
    data = shipped(1)
    assert callable(change)
    change(data)
    with pytest.raises(ProfileError) as caught:
        load_profile(write(tmp_path / "bad.yaml", data))
    assert message in str(caught.value)
    assert str(tmp_path / "bad.yaml") in str(caught.value)


def test_a_file_that_is_not_yaml_or_not_there(tmp_path: Path) -> None:
    broken = tmp_path / "broken.yaml"
    broken.write_text("name: [unclosed\n", encoding="utf-8")
    with pytest.raises(ProfileError, match="not YAML"):
        load_profile(broken)
    with pytest.raises(ProfileError, match="cannot read"):
        load_profile(tmp_path / "absent.yaml")


def facts(**overrides: object) -> SiteFacts:
    gate = GateFacts("g1", True, True, 0.5, 3600, OfflinePolicy.REPLICA)
    values: dict[str, object] = {
        "site_id": "rtm",
        "site_name": "Rotterdam",
        "gates": (gate,),
        "four_eyes_open": True,
        "insider_overrides": {},
        "insider_defaults": InsiderRules(),
        "broker_tls": True,
        "audit_anchors": ("audit head file",),
    }
    values.update(overrides)
    return SiteFacts(**values)  # type: ignore[arg-type]


def test_a_well_set_site_passes_its_own_profile_but_not_the_shipped_one(tmp_path: Path) -> None:
    own = evaluate(load_profile(without_unavailable(tmp_path)), facts())
    assert (own.ok, own.score, own.failed_musts) == (True, 100, 0)
    # MFA and the replica's encryption cannot be shown: honest "not available", failed musts.
    full = evaluate(load_profile(shipped_profile(1)), facts())
    unavailable = {f.requirement: f for f in full.findings if f.status == "not available"}
    assert set(unavailable) == {"admin_mfa", "replica_encryption"}
    assert full.failed_musts == 2 and not full.ok
    assert "identity provider that enforces MFA" in unavailable["admin_mfa"].fix


def test_each_failing_setting_is_a_finding_with_its_fix(tmp_path: Path) -> None:
    bad_gate = GateFacts("g2", False, False, 0.6, 90000, OfflinePolicy.REPLICA)
    report = evaluate(
        load_profile(shipped_profile(3)),
        facts(
            gates=(GateFacts("g1", True, False, 0.4, 600, OfflinePolicy.DENY), bad_gate),
            four_eyes_open=False,
            insider_overrides={"denials": 50, "denial_window_minutes": 30, "max_speed_mps": 5},
            broker_tls=False,
            audit_anchors=(),
        ),
    )
    found = {f.requirement: f for f in report.findings}
    assert found["face_on_every_gate"].detail == "g2: face not required"
    assert found["liveness_on_face_gates"].detail == "g1: face without liveness"
    assert found["face_threshold"].detail == "g2: verify threshold 0.6 > 0.46"
    assert found["replica_max_age"].detail == "g2: replica max age 90000 s > 3600 s"
    assert found["offline_policy"].detail == "g2: offline policy replica"
    assert found["offline_policy"].fix == "set offline_policy to one of: deny"
    # Only the laxer override is named (a longer window and a lower speed are stricter).
    assert found["insider_rules_not_loosened"].detail == "denials: 50 (default 5)"
    assert found["broker_tls"].detail == "plain mqtt:// (no TLS)"
    assert found["audit_anchored"].status == "fail"
    assert found["four_eyes_remote_open"].status == "fail"
    assert all(f.fix for f in report.findings)  # every failed requirement says how to fix it
    assert (report.failed_musts, report.score) == (11, 0)


@pytest.fixture
def api_env(engine: Engine, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("DATABASE_URL", engine.url.render_as_string(hide_password=False))
    monkeypatch.setenv("PORTGATE_DEV_MODE", "1")
    monkeypatch.setenv("MQTT_URL", "mqtts://api:secret-password@broker.example:8883")
    monkeypatch.setenv("PORTGATE_AUDIT_HEAD_FILE", str(tmp_path / "heads.jsonl"))


def test_the_cli_passes_a_site_then_fails_it_with_the_fix(
    world: World, engine: Engine, api_env: None, tmp_path: Path
) -> None:
    runner = CliRunner()
    own = without_unavailable(tmp_path)
    passed = runner.invoke(cli, ["baseline", "check", "--site", world.site, "--profile", str(own)])
    assert passed.exit_code == 0, passed.output
    # Every must met; the one "should" (four eyes, off at the seeded site) only costs score.
    assert "score 94/100, 0 failed musts" in passed.output
    assert "FAIL should four_eyes_remote_open: one operator may open" in passed.output
    assert "secret-password" not in passed.output  # the broker URL's credentials stay out
    with engine.begin() as connection:
        connection.execute(
            text("UPDATE gate SET face_required = :off WHERE id = :gate"),
            {"off": False, "gate": world.gate2},
        )
    failed = runner.invoke(cli, ["baseline", "check", "--site", world.site, "--profile", str(own)])
    assert failed.exit_code == 1
    assert f"FAIL must   face_on_every_gate: {world.gate2}: face not required" in failed.output
    assert "fix: set face_required on each gate named" in failed.output
    # The shipped profile of the site's level: MFA is not available, a failed must.
    shipped_run = runner.invoke(cli, ["baseline", "check", "--site", world.site, "--json"])
    assert shipped_run.exit_code == 1
    report = json.loads(shipped_run.stdout)  # stdout: a log line on stderr is not JSON
    assert report["profile"] == "EU port facility, ISPS level 1"
    statuses = {f["requirement"]: f["status"] for f in report["findings"]}
    assert statuses["admin_mfa"] == "not available"


def test_the_cli_refuses_an_unknown_site_and_a_bad_profile(
    world: World, api_env: None, tmp_path: Path
) -> None:
    runner = CliRunner()
    unknown = runner.invoke(cli, ["baseline", "check", "--site", "nowhere"])
    assert unknown.exit_code == 2
    assert "baseline check: no site 'nowhere'" in unknown.output
    data = shipped(2)
    data["requirements"]["replica_max_age"]["max_seconds"] = 60  # type: ignore[index]
    bad = write(tmp_path / "bad.yaml", data)
    refused = runner.invoke(cli, ["baseline", "check", "--site", world.site, "--profile", str(bad)])
    assert refused.exit_code == 2
    assert "unknown key 'requirements.replica_max_age.max_seconds'" in refused.output
