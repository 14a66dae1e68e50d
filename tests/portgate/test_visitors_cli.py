"""`portgate visitors add|list|cancel` on a migrated SQLite database."""

import os
import re

import pytest
from sqlalchemy import func
from sqlmodel import Session, select
from typer.testing import CliRunner

from central_api.crud.people import create_person
from central_api.db import make_engine
from central_api.models import Person, PersonCreate, Visitor
from gate_protocol.records import PersonKind, PersonStatus
from portgate.cli import app as cli
from testkit.migrated_db import migrate_database

WINDOW = ["--from", "2030-01-02T09:00:00+00:00", "--until", "2030-01-02T17:00:00+00:00"]


@pytest.fixture
def host(tmp_path, monkeypatch: pytest.MonkeyPatch) -> str:  # type: ignore[no-untyped-def]
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    monkeypatch.setenv("DATABASE_URL", url)
    migrate_database(url)  # `portgate db upgrade` is tested in tests/central_api/test_cli.py
    made = CliRunner().invoke(cli, ["gates", "add", "north-1", "--site", "rtm", "--zone", "q"])
    assert made.exit_code == 0, made.output
    with Session(make_engine(url)) as session:
        person = create_person(
            session=session,
            person_create=PersonCreate(display_name="Hannah", kind=PersonKind.STAFF, site_id="rtm"),
            actor="test",
        )
        return person.id


def _visits() -> int:
    with Session(make_engine(os.environ["DATABASE_URL"])) as session:
        return int(session.exec(select(func.count()).select_from(Visitor)).one())


def test_add_list_and_cancel_a_visit(host: str) -> None:
    added = CliRunner().invoke(
        cli, ["visitors", "add", "Vera Visitor", "--site", "rtm", "--host", host, *WINDOW]
    )
    assert added.exit_code == 0, added.output
    found = re.search(r"^visit (\S+): visitor", added.output, re.MULTILINE)
    assert found is not None, added.output
    visit_id = found.group(1)
    listed = CliRunner().invoke(cli, ["visitors", "list"])
    assert visit_id in listed.output and "Vera Visitor" in listed.output
    assert "escorted" in listed.output
    cancelled = CliRunner().invoke(cli, ["visitors", "cancel", visit_id])
    assert cancelled.exit_code == 0, cancelled.output
    assert visit_id not in CliRunner().invoke(cli, ["visitors", "list"]).output
    assert visit_id in CliRunner().invoke(cli, ["visitors", "list", "--all"]).output
    again = CliRunner().invoke(cli, ["visitors", "cancel", visit_id])
    assert again.exit_code == 1
    assert "already cancelled" in again.output


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["--from", "2030-01-02T17:00:00+00:00", "--until", "2030-01-02T09:00:00+00:00"],
            "valid_until must be after valid_from",
        ),
        (["--from", "yesterday", "--until", "2030-01-02T09:00:00+00:00"], "Invalid isoformat"),
    ],
)
def test_bad_visits_are_an_error_line_and_add_nothing(
    host: str, args: list[str], message: str
) -> None:
    bad = CliRunner().invoke(cli, ["visitors", "add", "V", "--site", "rtm", "--host", host, *args])
    assert bad.exit_code == 1
    assert message in bad.output
    assert _visits() == 0


def test_an_unknown_or_inactive_host_is_refused(host: str) -> None:
    unknown = CliRunner().invoke(
        cli, ["visitors", "add", "V", "--site", "rtm", "--host", "NOBODY", *WINDOW]
    )
    assert unknown.exit_code == 1 and "is not a person of site" in unknown.output
    with Session(make_engine(os.environ["DATABASE_URL"])) as session:
        person = session.get(Person, host)
        assert person is not None
        person.status = PersonStatus.SUSPENDED
        session.add(person)
        session.commit()
    inactive = CliRunner().invoke(
        cli, ["visitors", "add", "V", "--site", "rtm", "--host", host, *WINDOW]
    )
    assert inactive.exit_code == 1 and "is not active at site" in inactive.output
    assert _visits() == 0
