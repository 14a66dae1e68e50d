"""A site's time zone: set by API and CLI (audited, replicas follow), bad names refused."""

from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlmodel import Session, col, select
from typer.testing import CliRunner

from central_api.db import make_engine
from central_api.models import AuditEntry, Role, Schedule, Site
from portgate.cli import app as cli
from testkit.api.world import World

BAD_ZONES = ["Europe/Amsterdm", "UTC+25", "+01:00", "localtime", ""]


def _site(engine: Engine, site_id: str) -> Site:
    with Session(engine) as session:
        site = session.get(Site, site_id)
        assert site is not None
        return site


def _audit_actions(engine: Engine) -> list[str]:
    with Session(engine) as session:
        return list(session.exec(select(AuditEntry.action).order_by(col(AuditEntry.id))).all())


def test_an_admin_sets_the_zone_audited_and_the_site_s_gates_resync(
    client: TestClient, world: World, engine: Engine
) -> None:
    before = _site(engine, world.site)
    answer = client.put(
        f"/api/v1/sites/{world.site}/timezone",
        json={"timezone": "Europe/Amsterdam"},
        headers=world.user(Role.ADMIN),
    )
    assert answer.status_code == 200, answer.text
    assert answer.json()["timezone"] == "Europe/Amsterdam"
    after = _site(engine, world.site)
    assert after.timezone == "Europe/Amsterdam"
    assert after.replica_version > before.replica_version
    assert _site(engine, world.other_site).timezone == "UTC"
    assert _audit_actions(engine)[-1] == "site.timezone"
    listed = client.get("/api/v1/sites", headers=world.user(Role.OPERATOR)).json()
    assert {s["id"]: s["timezone"] for s in listed}[world.site] == "Europe/Amsterdam"


def test_a_malformed_zone_is_a_422_that_changes_nothing(
    client: TestClient, world: World, engine: Engine
) -> None:
    for bad in BAD_ZONES:
        _refused_everywhere(client, world, engine, bad)


def _refused_everywhere(client: TestClient, world: World, engine: Engine, bad: str) -> None:
    before, audited = _site(engine, world.site), _audit_actions(engine)
    admin = world.user(Role.ADMIN)
    answer = client.put(
        f"/api/v1/sites/{world.site}/timezone", json={"timezone": bad}, headers=admin
    )
    assert answer.status_code == 422
    assert "unknown time zone" in answer.text
    created = client.post(
        "/api/v1/sites", json={"id": "new-site", "name": "New", "timezone": bad}, headers=admin
    )
    assert created.status_code == 422 and "unknown time zone" in created.text
    schedule = client.post(
        "/api/v1/schedules", json={"id": "s", "name": "s", "timezone": bad}, headers=admin
    )
    assert schedule.status_code == 422 and "unknown time zone" in schedule.text
    after = _site(engine, world.site)
    assert (after.timezone, after.replica_version) == (before.timezone, before.replica_version)
    assert _audit_actions(engine) == audited
    with Session(engine) as session:
        assert session.get(Site, "new-site") is None and session.get(Schedule, "s") is None


def test_the_typo_gets_a_hint(client: TestClient, world: World) -> None:
    answer = client.put(
        f"/api/v1/sites/{world.site}/timezone",
        json={"timezone": "Europe/Amsterdm"},
        headers=world.user(Role.ADMIN),
    )
    assert "did you mean 'Europe/Amsterdam'" in answer.text


def test_only_admins_set_the_zone(client: TestClient, world: World, engine: Engine) -> None:
    for role in (Role.OPERATOR, Role.SECURITY_DESK):
        answer = client.put(
            f"/api/v1/sites/{world.site}/timezone",
            json={"timezone": "Europe/Amsterdam"},
            headers=world.user(role),
        )
        assert answer.status_code == 403
    assert _site(engine, world.site).timezone == "UTC"


def test_a_schedule_without_a_zone_is_stored_without_one(
    client: TestClient, world: World, engine: Engine
) -> None:
    answer = client.post(
        "/api/v1/schedules",
        json={"id": "office", "name": "Office", "windows": []},
        headers=world.user(Role.ADMIN),
    )
    assert answer.status_code == 201, answer.text
    with Session(engine) as session:
        stored = session.get(Schedule, "office")
        assert stored is not None and stored.timezone is None


def test_the_cli_shows_and_sets_the_zone_and_refuses_a_bad_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    monkeypatch.setenv("DATABASE_URL", url)
    runner = CliRunner()
    assert runner.invoke(cli, ["db", "upgrade"]).exit_code == 0
    made = runner.invoke(cli, ["gates", "add", "north-1", "--site", "rtm", "--zone", "q"])
    assert made.exit_code == 0, made.output
    shown = runner.invoke(cli, ["sites", "timezone", "rtm"])
    assert (shown.exit_code, shown.output.strip()) == (0, "UTC")
    engine = make_engine(url)
    version = _site(engine, "rtm").replica_version
    for bad in ("Europe/Amsterdm", "UTC+25"):
        refused = runner.invoke(cli, ["sites", "timezone", "rtm", bad])
        assert refused.exit_code == 1
        assert f"sites timezone: unknown time zone {bad!r}" in refused.output
    assert _site(engine, "rtm").timezone == "UTC"
    missing = runner.invoke(cli, ["sites", "timezone", "atlantis", "Europe/Amsterdam"])
    assert missing.exit_code == 1 and "not found" in missing.output
    done = runner.invoke(cli, ["sites", "timezone", "rtm", "Europe/Stockholm"])
    assert done.exit_code == 0, done.output
    site = _site(engine, "rtm")
    assert site.timezone == "Europe/Stockholm" and site.replica_version > version
    assert _audit_actions(engine)[-1] == "site.timezone"
