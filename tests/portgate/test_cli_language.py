"""The CLI's messages follow --lang, else PORTGATE_LANG, else LANG."""

from pathlib import Path

import pytest
from sqlmodel import Session, select
from typer.testing import CliRunner

from central_api.db import make_engine
from central_api.models import User
from portgate.cli import app as cli
from testkit.migrated_db import migrate_database

PASSWORD = "correct-horse-battery-staple"


@pytest.fixture
def database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.setenv("PORTGATE_PASSWORD", PASSWORD)
    monkeypatch.delenv("MQTT_URL", raising=False)
    monkeypatch.delenv("PORTGATE_LANG", raising=False)
    monkeypatch.setenv("LANG", "C.UTF-8")
    migrate_database(url)  # `portgate db upgrade` is tested in tests/central_api/test_cli.py
    return url


def _users(url: str) -> list[str]:
    with Session(make_engine(url)) as session:
        return sorted(user.username for user in session.exec(select(User)))


def test_a_success_message_in_dutch(database: str) -> None:
    args = ["--lang", "nl", "users", "add", "anna", "--role", "admin"]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 0, result.output
    assert result.output.strip() == "gebruiker anna toegevoegd met rol admin (elke terminal)"


def test_portgate_lang_and_lang_choose_when_no_flag(
    database: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LANG", "de_DE.UTF-8")
    result = CliRunner().invoke(cli, ["users", "add", "bo", "--role", "chief"])
    assert result.exit_code == 2
    assert "unbekannte Rolle 'chief'" in result.output
    monkeypatch.setenv("PORTGATE_LANG", "fr")  # outranks LANG
    result = CliRunner().invoke(cli, ["users", "passwd", "nobody"])
    assert result.exit_code == 1
    assert result.output.startswith("users passwd : ")
    english = CliRunner().invoke(cli, ["--lang", "en", "users", "add", "bo", "--role", "chief"])
    assert "unknown role 'chief'" in english.output


def test_an_unknown_language_is_refused_and_changes_nothing(
    database: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    result = CliRunner().invoke(cli, ["--lang", "xx", "users", "add", "carl", "--role", "admin"])
    assert result.exit_code == 2
    assert "unknown language 'xx': choose one of en, nl, sv, de, fr" in result.output
    monkeypatch.setenv("PORTGATE_LANG", "klingon")
    result = CliRunner().invoke(cli, ["users", "add", "carl", "--role", "admin"])
    assert result.exit_code == 2 and "unknown language 'klingon'" in result.output
    assert _users(database) == []
