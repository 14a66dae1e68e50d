"""`portgate users reset-link NAME` prints a one-time link the API accepts; bad input fails."""

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, select
from typer.testing import CliRunner

from central_api.app import create_app
from central_api.config import Settings
from central_api.db import make_engine
from central_api.models import PasswordReset, Role, User
from central_api.security.auth import hash_password
from portgate.cli import app as cli
from testkit.migrated_db import migrate_database

SECRET = "reset-link-test-secret-" + "k" * 40


@pytest.fixture
def url(tmp_path, monkeypatch: pytest.MonkeyPatch) -> str:  # type: ignore[no-untyped-def]
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.setenv("PORTGATE_DEV_MODE", "1")
    monkeypatch.delenv("MQTT_URL", raising=False)
    monkeypatch.delenv("PORTGATE_SECRET_KEY", raising=False)
    migrate_database(url)  # `portgate db upgrade` is tested in tests/central_api/test_cli.py
    with Session(make_engine(url)) as session:
        session.add(User(username="ria", password_hash=hash_password("x" * 20), role=Role.ADMIN))
        session.commit()
    return url


def test_the_printed_link_sets_the_password_at_the_api(
    url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PORTGATE_SECRET_KEY", SECRET)
    result = CliRunner().invoke(cli, ["users", "reset-link", "ria", "--base-url", "https://gate"])
    assert result.exit_code == 0, result.output
    link = result.output.splitlines()[0]
    assert link.startswith("https://gate/reset#")
    settings = Settings(PORTGATE_DEV_MODE=True, DATABASE_URL=url, PORTGATE_SECRET_KEY=SECRET)
    engine = make_engine(url)
    with TestClient(create_app(settings, engine=engine)) as client:
        token = link.split("#", 1)[1]
        done = client.post("/reset", data={"token": token, "password": "tidal-crane-orange-42"})
        assert done.status_code == 200, done.text


def test_an_unknown_user_or_no_shared_secret_is_one_error_line_and_nothing_stored(
    url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    no_secret = CliRunner().invoke(cli, ["users", "reset-link", "ria"])
    assert no_secret.exit_code == 2 and "PORTGATE_SECRET_KEY" in no_secret.output
    monkeypatch.setenv("PORTGATE_SECRET_KEY", SECRET)
    unknown = CliRunner().invoke(cli, ["users", "reset-link", "nobody"])
    assert unknown.exit_code == 1 and "nobody" in unknown.output
    with Session(make_engine(url)) as session:
        assert session.exec(select(PasswordReset)).all() == []
