"""`portgate watchlist add-poi|list|remove`: the authority's persons of interest from the CLI."""

import base64
import secrets
from pathlib import Path

import pytest
from sqlmodel import Session, select
from typer.testing import CliRunner

from central_api.db import make_engine
from central_api.models import AuditEntry, PersonOfInterest, Site
from portgate.cli import app as cli
from testkit.faces import FACES  # the shipped photos: a fresh clone has them
from testkit.migrated_db import migrate_database


@pytest.fixture
def db_env(tmp_path, monkeypatch: pytest.MonkeyPatch) -> str:  # type: ignore[no-untyped-def]
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.delenv("MQTT_URL", raising=False)
    monkeypatch.setenv("PORTGATE_SECRET_KEY", secrets.token_urlsafe(48))
    monkeypatch.setenv("PORTGATE_TEMPLATE_KEY", base64.b64encode(secrets.token_bytes(32)).decode())
    migrate_database(url)  # `portgate db upgrade` is tested in tests/central_api/test_cli.py
    added = CliRunner().invoke(cli, ["gates", "add", "north-1", "--site", "rtm", "--zone", "q"])
    assert added.exit_code == 0, added.output
    return url


def state(url: str) -> tuple[int, int, int]:
    with Session(make_engine(url)) as session:
        rows = len(session.exec(select(PersonOfInterest)).all())
        version = session.exec(select(Site)).one().replica_version
        audit = len(session.exec(select(AuditEntry)).all())
    return rows, version, audit


def test_add_list_and_remove_a_person_of_interest(db_env: str) -> None:
    _, version, _ = state(db_env)
    added = CliRunner().invoke(
        cli,
        ["watchlist", "add-poi", str(FACES / "biden.jpg"), "--label", "B", "--reason", "theft"],
    )
    assert added.exit_code == 0, added.output
    with Session(make_engine(db_env)) as session:
        row = session.exec(select(PersonOfInterest)).one()
        assert row.entered_by.startswith("cli:") and row.reason == "theft"
    assert state(db_env)[1] == version + 1  # the site's gates must fetch the gallery
    listed = CliRunner().invoke(cli, ["watchlist", "list"])
    assert listed.exit_code == 0 and f"{row.id}\tB\t" in listed.output
    removed = CliRunner().invoke(cli, ["watchlist", "remove", row.id])
    assert removed.exit_code == 0, removed.output
    assert state(db_env)[0] == 0


def test_bad_input_is_one_error_line_a_non_zero_exit_and_no_change(
    db_env: str, tmp_path: Path
) -> None:
    unchanged = state(db_env)
    blank = tmp_path / "blank.txt"
    blank.write_text("not an image")
    photo = str(FACES / "biden.jpg")
    cases = [
        (["add-poi", photo, "--label", "B", "--reason", " "], "reason"),
        (["add-poi", str(FACES / "two_people.jpg"), "--label", "B", "--reason", "r"], "face"),
        (["add-poi", str(blank), "--label", "B", "--reason", "r"], "refused"),
        (["add-poi", str(tmp_path / "absent.jpg"), "--label", "B", "--reason", "r"], "cannot read"),
        (["remove", "nobody"], "not found"),
    ]
    for args, words in cases:
        result = CliRunner().invoke(cli, ["watchlist", *args])
        assert result.exit_code == 1, result.output
        assert words in result.output and result.output.startswith("watchlist ")
    assert state(db_env) == unchanged
