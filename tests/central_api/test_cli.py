import pytest
from sqlmodel import Session, select
from typer.testing import CliRunner

from central_api.db import make_engine
from central_api.models import AgentKey, User
from central_api.security.auth import hash_key, verify_password
from portgate.cli import app as cli


@pytest.fixture
def db_env(tmp_path, monkeypatch: pytest.MonkeyPatch) -> str:  # type: ignore[no-untyped-def]
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    monkeypatch.setenv("DATABASE_URL", url)
    result = CliRunner().invoke(cli, ["db", "upgrade"])
    assert result.exit_code == 0, result.output
    return url


def test_users_add_takes_the_password_from_the_environment(
    db_env: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PORTGATE_PASSWORD", "a-long-enough-password")
    made = CliRunner().invoke(cli, ["gates", "add", "north-1", "--site", "rtm", "--zone", "q"])
    assert made.exit_code == 0, made.output
    result = CliRunner().invoke(
        cli, ["users", "add", "alice", "--role", "operator", "--site", "rtm"]
    )
    assert result.exit_code == 0, result.output
    assert "a-long-enough-password" not in result.output
    with Session(make_engine(db_env)) as session:
        user = session.exec(select(User)).one()
    assert (user.username, user.role, user.site_id) == ("alice", "operator", "rtm")
    assert verify_password("a-long-enough-password", user.password_hash)


def test_operators_and_desks_belong_to_an_existing_site_admins_may_be_site_wide(
    db_env: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PORTGATE_PASSWORD", "a-long-enough-password")
    CliRunner().invoke(cli, ["gates", "add", "north-1", "--site", "rtm", "--zone", "q"])
    homeless = CliRunner().invoke(cli, ["users", "add", "dave", "--role", "security_desk"])
    assert homeless.exit_code == 1
    assert "belongs to a site" in homeless.output
    nowhere = CliRunner().invoke(
        cli, ["users", "add", "dave", "--role", "operator", "--site", "atlantis"]
    )
    assert nowhere.exit_code == 1 and "not found" in nowhere.output
    root = CliRunner().invoke(cli, ["users", "add", "root", "--role", "admin"])
    assert root.exit_code == 0 and "every site" in root.output
    bound = CliRunner().invoke(cli, ["users", "site", "root", "--site", "rtm"])
    assert bound.exit_code == 0, bound.output
    with Session(make_engine(db_env)) as session:
        users = {u.username: u.site_id for u in session.exec(select(User)).all()}
    assert users == {"root": "rtm"}


def test_users_add_refuses_bad_roles_and_short_passwords(
    db_env: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PORTGATE_PASSWORD", "short")
    assert CliRunner().invoke(cli, ["users", "add", "bob", "--role", "root"]).exit_code == 2
    result = CliRunner().invoke(cli, ["users", "add", "bob", "--role", "admin"])
    assert result.exit_code == 1
    assert "at least 12" in result.output


def test_users_add_prompts_without_the_environment(
    db_env: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("PORTGATE_PASSWORD", raising=False)
    result = CliRunner().invoke(
        cli, ["users", "add", "carol", "--role", "admin"], input="prompted-password\n" * 2
    )
    assert result.exit_code == 0, result.output


def test_gates_add_prints_the_key_once_and_stores_its_hash(db_env: str) -> None:
    result = CliRunner().invoke(cli, ["gates", "add", "north-1", "--site", "rtm", "--zone", "q"])
    assert result.exit_code == 0, result.output
    key = result.output.strip().splitlines()[-1]
    assert key.startswith("pgk_") and len(key) > 40
    with Session(make_engine(db_env)) as session:
        stored = session.exec(select(AgentKey)).one()
    assert stored.key_hash == hash_key(key)
    assert key not in stored.key_hash
    again = CliRunner().invoke(cli, ["gates", "add", "north-1", "--site", "rtm", "--zone", "q"])
    assert again.exit_code == 1
    assert "exists" in again.output
    bad = CliRunner().invoke(cli, ["gates", "add", "a/b", "--site", "rtm", "--zone", "q"])
    assert bad.exit_code == 1
