"""`portgate companies suspend|flag|clear|list` on the database at DATABASE_URL (both kinds)."""

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, col, select
from typer.testing import CliRunner

from central_api.models import AuditEntry, Company, CompanyStatusChange, ReplicaChange
from portgate.cli import app as cli
from testkit.api.companies import company_of
from testkit.api.decisions import enroll
from testkit.api.world import World


@pytest.fixture
def db_env(engine: Engine, world: World, monkeypatch: pytest.MonkeyPatch) -> Engine:
    monkeypatch.setenv("DATABASE_URL", engine.url.render_as_string(hide_password=False))
    monkeypatch.delenv("MQTT_URL", raising=False)
    return engine


def run(*args: str):  # type: ignore[no-untyped-def]
    return CliRunner().invoke(cli, ["companies", *args])


def _state(engine: Engine) -> tuple[list[tuple[str, str]], int, int, int]:
    with Session(engine) as session:
        return (
            [
                (c.name, str(c.status))
                for c in session.exec(select(Company).order_by(col(Company.id)))
            ],
            len(session.exec(select(CompanyStatusChange)).all()),
            len(
                session.exec(
                    select(AuditEntry).where(col(AuditEntry.action).startswith("company."))
                ).all()
            ),
            len(session.exec(select(ReplicaChange)).all()),
        )


def test_suspend_flag_clear_and_list(db_env: Engine, world: World) -> None:
    company_of(db_env, "North Sea Haulage", enroll(db_env, world, badge="A1"))
    suspended = run("suspend", "north sea haulage", "--reason", "unpaid port dues")
    assert suspended.exit_code == 0, suspended.output
    assert "company North Sea Haulage is now suspended" in suspended.output
    listed = run("list")
    assert listed.exit_code == 0
    assert "suspended" in listed.output and "(unpaid port dues)" in listed.output
    assert run("flag", "North Sea Haulage", "--reason", "on probation").exit_code == 0
    assert run("clear", "North Sea Haulage").exit_code == 0
    with Session(db_env) as session:
        changes = session.exec(select(CompanyStatusChange).order_by(col(CompanyStatusChange.id)))
        history = [(c.from_status, c.to_status, c.actor.startswith("cli:")) for c in changes]
        actions = session.exec(
            select(AuditEntry.action).where(col(AuditEntry.action).startswith("company."))
        ).all()
    assert history == [
        ("active", "suspended", True),
        ("suspended", "flagged", True),
        ("flagged", "active", True),
    ]
    assert sorted(actions) == ["company.clear", "company.flag", "company.suspend"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("suspend", "Nobody Ltd", "--reason", "x"), "'Nobody Ltd' not found"),
        (("suspend", "twin", "--reason", "x"), "matches 2 companies"),
        (("suspend", "Acme"), "a reason is required"),
        (("flag", "Acme", "--reason", " "), "a reason is required"),
        (("clear", "Acme"), "already active: nothing to clear"),
        (("ban", "Acme"), "No such command"),
    ],
)
def test_bad_input_is_an_error_line_and_changes_nothing(
    db_env: Engine, world: World, args: tuple[str, ...], message: str
) -> None:
    company_of(db_env, "Acme")
    company_of(db_env, "Twin")
    company_of(db_env, "TWIN")
    before = _state(db_env)
    result = run(*args)
    assert result.exit_code != 0
    assert message in result.output
    assert _state(db_env) == before
