"""`portgate bans add|confirm|lift|list`: the API's audited service, from the command line.

Runs on SQLite and PostgreSQL (the `engine` fixture); the ban is then obeyed by the API.
"""

from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, func
from sqlmodel import Session, col, select
from typer.testing import CliRunner

from central_api.models import AuditEntry, PortBan, Site
from central_api.replica.bans import active_bans
from portgate.cli import app as cli
from testkit.api.decisions import enroll, query
from testkit.api.world import World

LEGAL = ["--reason", "smuggling", "--legal-reference", "PA-2026/0099"]


@pytest.fixture
def cli_db(engine: Engine, monkeypatch: pytest.MonkeyPatch) -> Engine:
    monkeypatch.setenv("DATABASE_URL", engine.url.render_as_string(hide_password=False))
    monkeypatch.delenv("MQTT_URL", raising=False)
    return engine


def state(engine: Engine) -> tuple[int, int, list[int]]:
    with Session(engine) as session:
        bans = session.exec(select(func.count()).select_from(PortBan)).one()
        audits = session.exec(select(func.count()).select_from(AuditEntry)).one()
        versions = sorted(site.replica_version for site in session.exec(select(Site)).all())
    return bans, audits, versions


def run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, ["bans", *args])
    return result.exit_code, result.output


def test_add_list_and_lift_a_ban_from_the_command_line(
    client: TestClient, world: World, cli_db: Engine
) -> None:
    person = enroll(cli_db, world, badge="CB0001")
    code, out = run("add", person, "--by", "authority-user", *LEGAL)
    assert code == 0, out
    assert "in force" in out
    with Session(cli_db) as session:
        ban = session.exec(select(PortBan)).one()
        [active] = active_bans(session, datetime.now(UTC))
        actor = session.exec(select(AuditEntry.actor).where(AuditEntry.action == "ban.issue")).one()
    assert (ban.issued_by, ban.person_id) == ("authority-user", person)
    assert (active.person_id, active.ban_id, active.legal_reference) == (
        person,
        ban.id,
        "PA-2026/0099",
    )
    assert actor.startswith("cli:")
    answer = client.post("/api/v1/decisions", json=query("CB0001"), headers=world.gate_key())
    assert (answer.json()["reason"], answer.json()["detail"]) == ("port_ban", "PA-2026/0099")
    code, out = run("list")
    assert code == 0 and ban.id in out and "PA-2026/0099" in out
    code, out = run("lift", ban.id, "--by", "authority-user", "--reason", "appeal granted")
    assert code == 0, out
    assert run("list")[1] == ""
    assert ban.id in run("list", "--all")[1]
    with Session(cli_db) as session:
        assert active_bans(session, datetime.now(UTC)) == []
    answer = client.post("/api/v1/decisions", json=query("CB0001"), headers=world.gate_key())
    assert answer.json()["decision"] == "granted"
    before = state(cli_db)
    code, out = run("lift", ban.id, "--by", "authority-user", "--reason", "appeal granted")
    assert code == 1
    assert "already lifted" in out
    assert state(cli_db) == before


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["NOSUCH", "--by", "authority-user", *LEGAL], "not found"),
        (["{person}", "--by", "operator-user", *LEGAL], "not an active authority user"),
        (["{person}", "--by", "nobody", *LEGAL], "not an active authority user"),
        (
            ["{person}", "--by", "authority-user", "--reason", "", "--legal-reference", "X"],
            "reason",
        ),
        (
            [
                "{person}",
                "--by",
                "authority-user",
                *LEGAL,
                "--from",
                "2026-12-10T00:00:00+00:00",
                "--until",
                "2026-12-09T00:00:00+00:00",
            ],
            "valid_until must be after valid_from",
        ),
    ],
    ids=["unknown-identity", "operator", "unknown-user", "no-reason", "until-before-from"],
)
def test_bad_bans_are_refused_with_an_error_line_and_change_nothing(
    client: TestClient, world: World, cli_db: Engine, args: list[str], words: str
) -> None:
    person = enroll(cli_db, world, badge="CB0002")
    before = state(cli_db)
    code, out = run("add", *[person if a == "{person}" else a for a in args])
    assert code == 1, out
    assert out.startswith("bans add: ")
    assert words in out
    assert state(cli_db) == before


def test_with_four_eyes_the_cli_ban_waits_for_a_second_authority_user(
    client: TestClient, world: World, cli_db: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PORTGATE_BAN_FOUR_EYES", "true")
    person = enroll(cli_db, world, badge="CB0003")
    tomorrow = (datetime.now(UTC) + timedelta(days=1)).isoformat()
    code, out = run("add", person, "--by", "authority-user", *LEGAL, "--until", tomorrow)
    assert code == 0, out
    assert "pending" in out
    with Session(cli_db) as session:
        ban = session.exec(select(PortBan)).one()
        assert active_bans(session, datetime.now(UTC)) == []
    code, out = run("confirm", ban.id, "--by", "authority-user")
    assert code == 1
    assert "second authority user" in out
    with Session(cli_db) as session:
        statuses = session.exec(select(col(PortBan.status))).all()
    assert statuses == ["pending"]
